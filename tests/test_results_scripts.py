"""``benchmarks/render_results.py`` on synthetic experiment records: tables, the TF-IDF comparison, missing sections."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "render_results.py"
LABELS = ["neutral", "joy", "sadness"]
GOLD = ["neutral", "joy", "sadness", "neutral", "joy", "neutral", "sadness", "neutral"]
IDS = [f"{i // 4}/{i % 4}" for i in range(len(GOLD))]


@pytest.fixture(scope="module")
def render() -> Any:
    spec = importlib.util.spec_from_file_location("render_results", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["render_results"] = module
    spec.loader.exec_module(module)
    return module


def record(name: str, group: str, settings: dict[str, Any], **body: Any) -> dict[str, Any]:
    return {"experiment": name, "group": group, "command": f"python benchmarks/run_experiments.py {name} --force",
            "date": "2026-01-02T03:04:05+00:00", "git_commit": "0123456789abcdef", "git_dirty": False,
            "machine": {"cpu_count": 2, "cpu": "Test CPU", "memory_gib": 8.0}, "wall_seconds": 60.0,
            "settings": settings, **body}


def baseline(tfidf: list[str]) -> dict[str, Any]:
    metrics = {"majority": {"weighted_f1": 20.0, "accuracy": 50.0, "num_examples": len(GOLD), "labels": LABELS,
                            "label": "neutral"},
               "tfidf_lr": {"weighted_f1": 55.5, "accuracy": 60.0, "num_examples": len(GOLD), "labels": LABELS,
                            "C": 1.0}}
    return record("baselines-meld", "baselines", {"dataset": "meld", "seed": 42}, metrics=metrics,
                  train_utterances=1234, test_ids=IDS, test_labels=GOLD,
                  test_predictions={"majority": ["neutral"] * len(GOLD), "tfidf_lr": tfidf})


def ablation(variant: str, seed: int, f1: float, n: int = 4, copy: float | None = None) -> dict[str, Any]:
    test: dict[str, Any] = {"weighted_f1": f1, "accuracy": f1 + 1, "num_examples": n, "labels": LABELS,
                            "confusion_matrix": [[2, 0, 0], [1, 0, 0], [1, 0, 0]], "utterances_per_second": 2.0}
    validation: dict[str, Any] = {"weighted_f1": f1 - 1}
    if copy is not None:
        test.update(demonstration_copy_rate=copy, demonstration_label_accuracy=0.25)
        validation["demonstration_copy_rate"] = copy
    training = {"rows": [{"main": 100}], "train_seconds": 600.0, "eval_seconds": 60.0, "evaluations": 2,
                "rows_seen": 100, "tokens": 12000, "steps": 25, "tokens_per_second": 20.0, "best_step": 25,
                "validation_history": [{"step": 13, "weighted_f1": f1 - 3}, {"step": 25, "weighted_f1": f1 - 1}]}
    settings = {"dataset": "meld", "variant": variant, "seed": seed, "fraction": "1/8", "epochs": 1.0,
                "stage1_epochs": 1.0, "max_steps": -1, "window": 12, "max_length": 384, "eval_samples": 200,
                "evals": 2, "test_limit": n}
    steps = [{"command": "python examples/sft.py --config x.yaml", "seconds": 660.0, "peak_rss_mb": 4000},
             {"command": "instructerc-hf evaluate --model out", "seconds": 30.0, "peak_rss_mb": 1500}]
    name = f"ablation-{variant}-seed{seed}"
    return record(name, "ablation", settings, steps=steps, test_ids=IDS[:n],
                  metrics={"test": test, "validation": validation, "training": training})


def write(folder: Path, *records: dict[str, Any]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for r in records:
        (folder / f"{r['experiment']}.json").write_text(json.dumps(r))
    return folder


def run(render: Any, tmp_path: Path, *records: dict[str, Any]) -> str:
    results = write(tmp_path / "results", *records)
    text = render.render(results, tmp_path / "docs" / "RESULTS.md", tmp_path / "docs" / "results.png")
    assert (tmp_path / "docs" / "RESULTS.md").read_text() == text
    assert (tmp_path / "docs" / "results.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    return text


def test_mean_and_sample_std(render: Any) -> None:
    assert render.fmt_mean_std([40.0, 42.0]) == "41.00 ± 1.41"
    assert render.fmt_mean_std([40.0]) == "40.00"
    assert render.mean_std([1.0, 2.0, 3.0]) == (2.0, 1.0)


def test_shortfall_is_measured_on_the_same_test_utterances(render: Any, tmp_path: Path) -> None:
    # TF-IDF is right on the first 4 test utterances (the ablation's) and wrong on the rest
    tfidf = GOLD[:4] + ["joy" if g != "joy" else "sadness" for g in GOLD[4:]]
    text = run(render, tmp_path, baseline(tfidf), ablation("window_demos_aux", 42, 30.0, copy=0.5),
               ablation("window_demos_aux", 43, 32.0, copy=0.7))
    assert "| window + demonstrations + auxiliary tasks (InstructERC) | 42, 43 [2][3] | 30.00 ± 1.41 | 31.00 ± 1.41 |" \
        in text
    assert ("reaches a test weighted F1 of 31.00 ± 1.41 against 100.00 for TF-IDF + LR on the same 4 test utterances "
            "(on the whole test split it scores 55.50): it **falls short of TF-IDF + LR by 69.00 points**") in text
    assert ("`neutral` is 100.0% of its test predictions (all seeds) against 50.0% of the gold labels; always "
            "predicting `neutral` scores 33.33 on the same utterances") in text
    assert "for 1 epoch(s) (speaker stage: 1), 25 optimizer steps in all" in text
    assert "fitted on all 1234 training utterances" in text
    assert "| 60.00 ± 14.14 | 25.00 ± 0.00 | 60.00 ± 14.14 |" in text  # copy rate, label accuracy, validation
    assert ("- **Copying.** It predicts the retrieved demonstration's label on 60.00 ± 14.14% of the test utterances, "
            "and that label is the gold one on 25.00 ± 0.00% of them") in text
    assert "The best variant" not in text  # the full variant is the only one, so it is the best


def test_a_better_variant_than_the_full_one_is_compared_too(render: Any, tmp_path: Path) -> None:
    tfidf = GOLD[:4] + ["joy" if g != "joy" else "sadness" for g in GOLD[4:]]
    text = run(render, tmp_path, baseline(tfidf), ablation("window_demos_aux", 42, 30.0, copy=1.0),
               ablation("plain", 42, 45.0), ablation("plain", 43, 47.0))
    assert "InstructERC with SmolLM2-135M (window + demonstrations + auxiliary tasks (InstructERC), 1 seed(s)) " \
        "reaches a test weighted F1 of 30.00 against 100.00" in text
    assert ("The best variant, plain prompt (utterance only) (2 seed(s)), reaches a test weighted F1 of 46.00 ± 1.41 "
            "against 100.00 for TF-IDF + LR on the same 4 test utterances (on the whole test split it scores 55.50): "
            "it **falls short of TF-IDF + LR by 54.00 points**") in text
    assert ("| MELD | 69.15 | 30.00 (window + demonstrations + auxiliary tasks (InstructERC), first 4 test utterances) "
            "[4]; best variant: 46.00 ± 1.41 (plain prompt (utterance only), first 4 test utterances) [2][3] |") in text
    reasons = text.split("Why, from the records:")[1].split("## ")[0]
    assert "- **Copying.** It predicts the retrieved demonstration's label on 100.00% of the test utterances" in reasons


def test_beats_baseline_and_cites_every_command(render: Any, tmp_path: Path) -> None:
    wrong = ["joy" if g != "joy" else "sadness" for g in GOLD]
    text = run(render, tmp_path, baseline(wrong), ablation("window_demos_aux", 42, 30.0, copy=0.1))
    assert "it **beats TF-IDF + LR by 30.00 points**" in text
    assert "Why, from the records" not in text
    assert "1. `python benchmarks/run_experiments.py baselines-meld --force`" in text
    assert "2. `python benchmarks/run_experiments.py ablation-window_demos_aux-seed42 --force`" in text
    assert "| 42 [2] | main 100 | 29.00 (27.0 → 29.0) | 25 | 30.00 | 31.00 | 4 | 4000 | 1.0 |" in text


def test_missing_experiments_say_not_yet_run(render: Any, tmp_path: Path) -> None:
    text = run(render, tmp_path, baseline(GOLD), ablation("window", 42, 25.0))
    assert "| IEMOCAP | not yet run | not yet run | not yet run |" in text
    assert "zero_shot: *not yet run*: `python benchmarks/run_experiments.py zero_shot --datasets meld iemocap emorynlp`" \
        in text
    assert "baselines: *not yet run*: `python benchmarks/run_experiments.py baselines --datasets iemocap emorynlp`" \
        in text
    assert "*not yet run*: `python benchmarks/run_experiments.py ablation --variants window_demos_aux`" in text
    assert "| bench_inference.py | *not yet run*: `python benchmarks/run_experiments.py speed --benches inference`" \
        in text
    # without the full variant the comparison takes the best variant run so far, and says so
    assert "the full InstructERC variant has not yet run, so this is the best variant run so far" in text
    assert "| MELD | 69.15 | 25.00 (window prompt, first 4 test utterances) [2] |" in text


def test_nothing_run_yet(render: Any, tmp_path: Path) -> None:
    text = run(render, tmp_path)
    assert "No experiment has run yet" in text
    assert "Ablation: *not yet run*: `python benchmarks/run_experiments.py ablation`." in text
    assert "*not yet run*: `python benchmarks/run_experiments.py baselines ablation`" in text
    assert "accelerate launch --config_file recipes/accelerate_configs/single_gpu.yaml examples/sft.py " \
           "--config recipes/meld/instructerc.yaml" in text
    assert "| EmoryNLP | 41.37 | not trained at this scale | not yet run | not yet run |" in text


BENCH_INFERENCE_OUTPUT = """\
MELD test, 200 utterances, SmolLM2-135M zero-shot, float32, 2 threads
label scoring:    4.95 utt/s (  40.4 s)  weighted F1   5.2  (21160 tokens encoded, pack_tokens=1024)
generation:       2.42 utt/s (  82.7 s)  weighted F1  32.1  (36749 prompt tokens; greedy, max_new_tokens=8, batch 8; \
parser fallback 100.0%)
speed-up: 2.05x (target >= 3x: FAIL); agreement 5.5%
MELD test, 200 utterances, SmolLM2-135M zero-shot, bfloat16, 2 threads
label scoring:   10.83 utt/s (  18.5 s)  weighted F1   4.5  (21160 tokens encoded, pack_tokens=1024)
generation:       4.63 utt/s (  43.2 s)  weighted F1  31.8  (36749 prompt tokens; greedy, max_new_tokens=8, batch 8; \
parser fallback 100.0%)
speed-up: 2.34x (target >= 3x: FAIL); agreement 4.0%
label scoring, bfloat16 vs float32: same label for 84.0% of the utterances
"""


def test_inference_speed_figures_are_parsed_and_rendered(render: Any, tmp_path: Path) -> None:
    run_experiments = driver()
    figures = run_experiments.parse_figures("inference", BENCH_INFERENCE_OUTPUT)
    assert figures["float32_speedup"] == 2.05 and figures["bfloat16_score_utterances_per_second"] == 10.83
    assert figures["bfloat16_float32_same_label_percent"] == 84.0 and len(figures) == 11
    with pytest.raises(run_experiments.CommandError, match="bench_inference.py printed nothing matching"):
        run_experiments.parse_figures("inference", BENCH_INFERENCE_OUTPUT.replace("bfloat16, 2 threads", "x"))
    speed = record("speed-inference", "speed", {"bench": "inference", "arguments": ["--limit", "200"]},
                   metrics=figures, output=BENCH_INFERENCE_OUTPUT, peak_rss_mb=1500)
    text = run(render, tmp_path, speed)
    assert ("| inference, label scoring, bfloat16 (first 200 MELD test utterances, InstructERC prompt) | 10.83 utt/s [1] "
            "| 1500 |") in text
    assert "| inference, greedy generation, float32 (same utterances) | 2.42 utt/s; scoring is 2.05x faster [1] | ″ |" \
        in text


def test_copying_is_called_out_only_when_the_copy_rate_is_high(render: Any, tmp_path: Path) -> None:
    copier = run(render, tmp_path / "a", baseline(GOLD), ablation("window_demos", 42, 20.0, copy=1.0))
    assert "**window + demonstrations copies the demonstration's label** (mean test copy rate at least 90%)" in copier
    mixed = run(render, tmp_path / "b", baseline(GOLD), ablation("window_demos", 42, 20.0, copy=0.5))
    assert "copies the demonstration's label" not in mixed
    all_labels = run(render, tmp_path / "c", baseline(GOLD), ablation("window_demos_aux_all_labels", 42, 20.0, copy=1.0))
    assert ("**InstructERC, training demonstrations of any label (beyond the paper) copies the demonstration's label** "
            "(mean test copy rate at least 90%). Training demonstrations of any label do not stop it") in all_labels
    assert "With the paper's pairing" not in all_labels
    assert "The pairing is the cause" not in copier
    assert "spread over seeds is zero" not in copier
    seeds = run(render, tmp_path / "d", baseline(GOLD), ablation("window_demos", 42, 20.0, copy=1.0),
                ablation("window_demos", 43, 20.0, copy=1.0))
    assert ("window + demonstrations copied on every test utterance in every seed, so their predictions are the "
            "retrieved labels whatever the seed: their spread over seeds is zero.") in seeds


def test_the_any_label_pairing_is_set_against_the_paper_pairing(render: Any, tmp_path: Path) -> None:
    text = run(render, tmp_path, baseline(GOLD), ablation("window_demos_aux", 42, 20.0, copy=1.0),
               ablation("window_demos_aux_all_labels", 42, 40.0, copy=0.2),
               ablation("window_demos_aux_all_labels", 43, 36.0, copy=0.3))
    copied = text.split("**window + demonstrations + auxiliary tasks (InstructERC) copies the demonstration's label**")
    assert len(copied) == 2
    assert ("The pairing is the cause: the same schedule with training demonstrations of any label copies on "
            "25.00 ± 7.07% of the test utterances instead of 100.00%, and its test weighted F1 is 38.00 ± 2.83 "
            "instead of 20.00 [3][4][2].") in copied[1].split("\n\n")[0]


def driver() -> Any:
    sys.path.insert(0, str(SCRIPT.parent))
    try:
        import run_experiments
    finally:
        sys.path.remove(str(SCRIPT.parent))
    return run_experiments


def test_the_all_labels_variant_is_the_full_schedule_with_any_label_training_demonstrations(tmp_path: Path) -> None:
    run_experiments = driver()
    args = run_experiments.parse_args(["ablation", "--max-steps", "3"])
    full, all_labels = (run_experiments.sft_command(args, v, 42, tmp_path / "data", tmp_path / "out")
                        for v in ("window_demos_aux", "window_demos_aux_all_labels"))
    assert all_labels == [*full[:len(run_experiments.VARIANTS["window_demos_aux"]) + 4],
                          "--retrieval_train_pairing", "all_labels",
                          *full[len(run_experiments.VARIANTS["window_demos_aux"]) + 4:]]
    assert full[-4:] == ["--stage1_epochs", "1.0", "--stage1_max_steps", "3"]


def test_the_estimate_calibrates_on_the_fastest_run_of_the_variant_or_its_stand_in() -> None:
    run_experiments = driver()
    slow, fast = (ablation("window_demos_aux", seed, 30.0) for seed in (42, 43))
    fast["metrics"]["training"]["train_seconds"] = 300.0
    records = {r["experiment"]: r for r in (slow, fast)}
    assert run_experiments.calibration_run(records, "window_demos_aux") is fast
    assert run_experiments.calibration_run(records, "window_demos_aux_all_labels") is fast
    assert run_experiments.calibration_run(records, "window") is None


def test_the_scripts_run_from_the_command_line(tmp_path: Path) -> None:
    results = write(tmp_path / "results", baseline(GOLD), ablation("plain", 42, 40.0))
    output, plot = tmp_path / "docs" / "RESULTS.md", tmp_path / "docs" / "results.png"
    done = subprocess.run([sys.executable, str(SCRIPT), "--results-dir", str(results), "--output", str(output),
                           "--plot", str(plot)], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == f"wrote {output} and {plot} from 2 record(s)"
    assert "| plain prompt (utterance only) | 42 [2] |" in output.read_text()
    driver = subprocess.run([sys.executable, str(SCRIPT.parent / "run_experiments.py"), "--help"],
                            capture_output=True, text=True, check=True)
    assert "--test-limit" in driver.stdout and "--estimate" in driver.stdout
