"""Run the experiments behind ``docs/RESULTS.md``: one JSON file per experiment in ``benchmarks/results/``.

Groups (all by default, in this order):

- ``baselines``: majority class and TF-IDF + logistic regression (``benchmarks/baselines.py``) on each dataset's
  test split, with their test predictions (so a subset can be compared later);
- ``zero_shot``: SmolLM2-135M-Instruct, untrained, on the InstructERC main prompt, label scoring, the first
  ``--limit`` test utterances of each dataset;
- ``ablation``: LoRA on MELD at ``--fraction`` of the training split, per variant (``plain`` prompt, ``window``
  prompt, ``window_demos`` with retrieved demonstrations, ``window_demos_aux`` adding the speaker stage and emotion
  impact with alpha 0.1, and beyond the paper ``window_demos_aux_all_labels``, the same with training demonstrations of
  any label) and seed: ``examples/sft.py`` with ``benchmarks/recipes/meld_smollm2_cpu.yaml``, the adapter
  selected on ``--eval-samples`` validation utterances, then ``instructerc-hf evaluate`` (label scoring) on the first
  ``--test-limit`` test utterances;
- ``speed``: ``benchmarks/bench_{build,retrieval,training,inference}.py``, their output and parsed figures.

Every file records the command that regenerates it, the git commit, the date, the machine, the wall time and the
metrics. Experiments whose file exists are skipped (``--force`` reruns them); a file made with other settings is an
error. A training run whose adapter is finished is reused; an interrupted one resumes from its last checkpoint.

    python benchmarks/run_experiments.py                          # the whole plan (hours of CPU, see --estimate)
    python benchmarks/run_experiments.py baselines zero_shot --datasets meld --limit 200
    python benchmarks/run_experiments.py ablation --variants window --seeds 42
    python benchmarks/run_experiments.py --estimate               # CPU time of the plan, from the results so far
    python benchmarks/render_results.py                           # then write docs/RESULTS.md and docs/results.png
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import math
import os
import platform
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from baselines import DEFAULT_DATA, RAW, split_texts, tfidf_lr  # benchmarks/baselines.py, beside this script
from render_results import BENCHES, bench_argument, load_records  # benchmarks/render_results.py
from render_results import VARIANTS as TITLES

REPO = Path(__file__).resolve().parents[1]
DEFAULT_RESULTS = REPO / "benchmarks" / "results"
DEFAULT_WORK = REPO / "outputs" / "experiments"
RECIPE = REPO / "benchmarks" / "recipes" / "meld_smollm2_cpu.yaml"
DRIVER = "benchmarks/run_experiments.py"
SUMMARY_FILE = "instructerc_training.json"
STATE_FILE = "trainer_state.json"

GROUPS: tuple[str, ...] = ("baselines", "zero_shot", "ablation", "speed")
DATASETS: tuple[str, ...] = tuple(RAW)
#: Ablation variants (titles: ``render_results.VARIANTS``): the ``examples/sft.py`` options on top of the recipe
#: (the full method).
VARIANTS: dict[str, list[str]] = {
    "plain": ["--stage1_epochs", "0", "--stage2_tasks", "plain", "--use_demonstrations", "false"],
    "window": ["--stage1_epochs", "0", "--stage2_tasks", "main", "--use_demonstrations", "false"],
    "window_demos": ["--stage1_epochs", "0", "--stage2_tasks", "main", "--use_demonstrations", "true"],
    "window_demos_aux": ["--stage1_tasks", "speaker", "--stage2_tasks", "main", "impact", "--impact_alpha", "0.1",
                         "--use_demonstrations", "true"],
}
#: Beyond the paper's ablation: the full schedule with training demonstrations drawn like inference ones (any label),
#: so that the demonstration's label no longer gives the answer away in training (docs/retrieval.md).
VARIANTS["window_demos_aux_all_labels"] = [*VARIANTS["window_demos_aux"], "--retrieval_train_pairing", "all_labels"]
#: Variants without a calibration run of their own are estimated from this one.
CALIBRATED_AS: dict[str, str] = {"window_demos_aux_all_labels": "window_demos_aux"}
BATCH = 4  # per_device_train_batch_size of the recipe, no accumulation
EVALUATE = ["instructerc-hf", "evaluate"]
NUMBER = r"[-+]?[\d,]*\.?\d+"  # thousands separators allowed


class CommandError(RuntimeError):
    """A subprocess of an experiment failed."""


# --- records -----------------------------------------------------------------------------------------------------------


@dataclass
class Experiment:
    """One experiment: its file stem, group, settings, the command that regenerates it, and how to run it."""

    name: str
    group: str
    settings: dict[str, Any]
    command: str
    run: Callable[[], dict[str, Any]]


@dataclass
class Completed:
    """A finished subprocess."""

    command: str
    output: str
    seconds: float
    peak_rss_mb: float

    def step(self) -> dict[str, Any]:
        return {"command": self.command, "seconds": round(self.seconds, 1), "peak_rss_mb": round(self.peak_rss_mb)}


def rel(path: Path) -> str:
    """``path`` relative to the repository root (commands run from there) when it is beside it, else absolute."""
    path = path.resolve()
    return os.path.relpath(path, REPO) if path.is_relative_to(REPO.parent) else str(path)


def git_state() -> dict[str, Any]:
    """The commit the working tree is on, and whether it has uncommitted changes (outputs of these scripts aside)."""
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, check=False).stdout.strip()

    outputs = [":!benchmarks/results", ":!docs/RESULTS.md", ":!docs/results.png"]
    changes = git("status", "--porcelain", "--", ".", *outputs).splitlines()
    return {"git_commit": git("rev-parse", "HEAD") or None, "git_dirty": bool(changes), "git_changes": changes}


def machine() -> dict[str, Any]:
    """CPU cores, CPU model, memory, platform and the load when the experiment started."""
    cpu = next((line.split(":", 1)[1].strip() for line in _read_lines("/proc/cpuinfo") if line.startswith("model name")),
               platform.processor() or None)
    memory = next((int(line.split()[1]) / 2**20 for line in _read_lines("/proc/meminfo") if line.startswith("MemTotal")),
                  None)
    return {"cpu_count": os.cpu_count(), "cpu": cpu, "memory_gib": round(memory, 1) if memory else None,
            "platform": platform.platform(), "python": platform.python_version(),
            "load_average_at_start": round(os.getloadavg()[0], 2)}


def _read_lines(path: str) -> list[str]:
    try:
        return Path(path).read_text().splitlines()
    except OSError:
        return []


def write_json(path: Path, record: dict[str, Any]) -> None:
    """Write atomically (a crash never leaves half a file that would be skipped as done)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(record, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(path)


def check_existing(experiments: list[Experiment], results_dir: Path) -> None:
    """Refuse, before anything runs, a plan whose existing records were made with other settings."""
    problems = []
    for experiment in experiments:
        path = results_dir / f"{experiment.name}.json"
        recorded = json.loads(path.read_text(encoding="utf-8"))["settings"] if path.exists() else None
        if recorded is not None and recorded != experiment.settings:
            changed = sorted(k for k in {*recorded, *experiment.settings}
                             if recorded.get(k) != experiment.settings.get(k))
            problems.append(f"  {rel(path)}: " + ", ".join(
                f"{k} {recorded.get(k)!r} -> {experiment.settings.get(k)!r}" for k in changed))
    if problems:
        raise SystemExit("these records were made with other settings:\n" + "\n".join(problems)
                         + "\nrerun with --force to replace them, pass their settings, or use another --results-dir")


def run_experiment(experiment: Experiment, results_dir: Path, force: bool) -> None:
    """Run ``experiment`` unless its file exists (:func:`check_existing` has compared the settings); write its record."""
    path = results_dir / f"{experiment.name}.json"
    if path.exists() and not force:
        print(f"[skip] {experiment.name}: {rel(path)} exists")
        return
    print(f"[run] {experiment.name}: {experiment.command}", flush=True)
    started = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    context = {"machine": machine(), **git_state()}
    start = time.perf_counter()
    body = experiment.run()
    record = {"experiment": experiment.name, "group": experiment.group, "command": experiment.command,
              "date": started, **context, "wall_seconds": round(time.perf_counter() - start, 1),
              "settings": experiment.settings, **body}
    write_json(path, record)
    print(f"[done] {experiment.name} in {record['wall_seconds']:.0f} s -> {rel(path)}", flush=True)


def run_command(command: list[str], log: Path | None = None, quiet: bool = False) -> Completed:
    """Run ``command`` from the repository root, echoing its output; its peak RSS comes from ``wait4``."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "TOKENIZERS_PARALLELISM": "false"}
    env.setdefault("HF_HUB_OFFLINE", "1")
    text = shlex.join(["python" if part == sys.executable else part for part in command])
    start = time.perf_counter()
    proc = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert proc.stdout is not None
    lines = []
    for line in proc.stdout:
        lines.append(line)
        if not quiet:
            sys.stdout.write(line)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    output = "".join(lines)
    if log is not None:
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text(f"$ {text}\n{output}", encoding="utf-8")
    if proc.returncode:
        raise CommandError(f"`{text}` exited with {proc.returncode}; its last lines:\n{''.join(lines[-30:])}")
    return Completed(text, output, time.perf_counter() - start, usage.ru_maxrss / 1024)


def slim_metrics(metrics: dict[str, Any]) -> dict[str, Any]:
    """The figures of ``compute_erc_metrics`` that the report uses (rates as fractions, scores as percentages)."""
    keys = ("weighted_f1", "accuracy", "macro_f1", "num_examples", "unparseable_rate", "demonstration_copy_rate",
            "demonstration_label_accuracy", "labels", "confusion_matrix", "seconds", "utterances_per_second")
    return {k: metrics[k] for k in keys if k in metrics}


# --- options and commands ----------------------------------------------------------------------------------------------


def driver_command(args: argparse.Namespace, group: str, flags: list[str]) -> str:
    """The command that regenerates one experiment's file: its group, selection and size flags, and ``--force``."""
    parts = ["python", DRIVER, group, *flags]
    for flag, value, default in (("--data-dir", args.data_dir, DEFAULT_DATA),
                                 ("--results-dir", args.results_dir, DEFAULT_RESULTS),
                                 ("--work-dir", args.work_dir, DEFAULT_WORK)):
        if value.resolve() != default.resolve():
            parts += [flag, rel(value)]
    return shlex.join([*parts, "--force"])


def raw_dir(args: argparse.Namespace, dataset: str) -> Path:
    return args.data_dir / RAW[dataset]


# --- baselines -----------------------------------------------------------------------------------------------------------


def utterance_ids(dialogues: Any) -> list[str]:
    """``dialogue_id/turn`` of every utterance of a split, in order (the key of ``evaluate``'s predictions)."""
    return [f"{d.dialogue_id}/{i}" for d in dialogues for i in range(len(d.turns))]


def baselines_experiment(args: argparse.Namespace, dataset: str) -> Experiment:
    settings = {"dataset": dataset, "seed": args.seed, "raw_dir": rel(raw_dir(args, dataset))}

    def run() -> dict[str, Any]:
        from instructerc_hf.labels import get_dataset_labels
        from instructerc_hf.readers import read_corpus
        from instructerc_hf.scoring import compute_erc_metrics

        corpus = read_corpus(dataset, raw_dir(args, dataset))
        data = split_texts(corpus)
        labels = list(get_dataset_labels(dataset).labels)
        gold = data["test"][1]
        majority = Counter(data["train"][1]).most_common(1)[0][0]
        start = time.perf_counter()
        tfidf, c = tfidf_lr(data, args.seed)
        seconds = time.perf_counter() - start
        predictions = {"majority": [majority] * len(gold), "tfidf_lr": tfidf}
        metrics = {name: slim_metrics(compute_erc_metrics(p, gold, labels)) for name, p in predictions.items()}
        metrics["majority"]["label"] = majority
        metrics["tfidf_lr"].update(C=c, fit_seconds=round(seconds, 1))
        for name, m in metrics.items():
            print(f"{dataset} {name}: test weighted F1 {m['weighted_f1']:.2f}, accuracy {m['accuracy']:.2f}")
        return {"metrics": metrics, "train_utterances": len(data["train"][1]), "test_ids": utterance_ids(
            corpus.splits["test"]), "test_labels": gold, "test_predictions": predictions}

    return Experiment(f"baselines-{dataset}", "baselines", settings,
                      driver_command(args, "baselines", ["--datasets", dataset, "--seed", str(args.seed)]), run)


# --- zero-shot ------------------------------------------------------------------------------------------------------------


def zero_shot_experiment(args: argparse.Namespace, dataset: str) -> Experiment:
    settings = {"dataset": dataset, "model": "SmolLM2-135M-Instruct", "prompt": "main", "window": args.window,
                "mode": "score", "limit": args.limit, "raw_dir": rel(raw_dir(args, dataset))}

    def run() -> dict[str, Any]:
        from instructerc_hf.inference import score_labels
        from instructerc_hf.modeling import load_causal_lm, load_tokenizer, resolve_base_model
        from instructerc_hf.readers import read_corpus
        from instructerc_hf.scoring import compute_erc_metrics
        from instructerc_hf.tasks import corpus_rows, prompt_config_for

        config = prompt_config_for([dataset], "original", window=args.window)
        corpus = read_corpus(dataset, raw_dir(args, dataset), splits=("test",))
        rows = list(corpus_rows(corpus.splits["test"], "main", config))[: args.limit]
        base = resolve_base_model(None)
        tokenizer, model = load_tokenizer(base), load_causal_lm(base).eval()
        start = time.perf_counter()
        predictions = score_labels(model, tokenizer, [r["prompt"] for r in rows], config.labels, progress=False)
        seconds = time.perf_counter() - start
        metrics = slim_metrics(compute_erc_metrics([p.label for p in predictions], [r["label"] for r in rows],
                                                   config.labels))
        metrics.update(seconds=round(seconds, 1), utterances_per_second=len(rows) / seconds)
        print(f"{dataset} zero-shot: weighted F1 {metrics['weighted_f1']:.2f} on {len(rows)} test utterances "
              f"({metrics['utterances_per_second']:.2f} utt/s)")
        return {"metrics": metrics, "test_ids": [f"{r['dialogue_id']}/{r['turn']}" for r in rows]}

    flags = ["--datasets", dataset, "--window", str(args.window), "--limit", str(args.limit)]
    return Experiment(f"zero_shot-{dataset}", "zero_shot", settings, driver_command(args, "zero_shot", flags), run)


# --- ablation --------------------------------------------------------------------------------------------------------------


def ablation_settings(args: argparse.Namespace, variant: str, seed: int) -> dict[str, Any]:
    return {"dataset": "meld", "variant": variant, "title": TITLES[variant], "seed": seed,
            "fraction": args.fraction, "epochs": args.epochs, "stage1_epochs": args.stage1_epochs,
            "max_steps": args.max_steps, "window": args.window, "max_length": args.max_length,
            "eval_samples": args.eval_samples, "evals": args.evals, "test_limit": args.test_limit,
            "recipe": rel(RECIPE), "raw_dir": rel(raw_dir(args, "meld"))}


def ensure_data(args: argparse.Namespace) -> tuple[Path, Completed | None]:
    """The MELD folder of every task built with ``--window`` (built once, shared by all runs)."""
    folder = args.work_dir / "data" / f"meld-w{args.window}"
    if (folder / "README.md").is_file():
        return folder, None
    tmp = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    done = run_command([instructerc_hf_cli(), "build", "meld", "--raw_dir", rel(raw_dir(args, "meld")), "--out",
                        rel(tmp), "--window", str(args.window), "--label_spaces", "original"], quiet=args.quiet)
    tmp.replace(folder)
    return folder, done


def instructerc_hf_cli() -> str:
    found = shutil.which("instructerc-hf")
    if found is None:
        raise SystemExit("instructerc-hf is not on PATH: pip install -e . first")
    return "instructerc-hf"


def sft_command(args: argparse.Namespace, variant: str, seed: int, data: Path, out: Path) -> list[str]:
    """``examples/sft.py`` on the CPU recipe with the variant's options, the seed and the sizes."""
    command = [sys.executable, "examples/sft.py", "--config", rel(RECIPE), *VARIANTS[variant],
               "--dataset_path", rel(data), "--window", str(args.window), "--fraction", args.fraction,
               "--max_length", str(args.max_length), "--max_eval_samples", str(args.eval_samples),
               "--num_train_epochs", str(args.epochs), "--eval_steps", str(1 / args.evals),
               "--save_steps", str(1 / args.evals), "--seed", str(seed), "--output_dir", rel(out)]
    if args.max_steps > 0:
        command += ["--max_steps", str(args.max_steps)]
    if len(VARIANT_STAGES[variant]) == 2:
        command += ["--stage1_epochs", str(args.stage1_epochs)]
        if args.max_steps > 0:
            command += ["--stage1_max_steps", str(args.max_steps)]
    return command


def stage_training(state: dict[str, Any], batch: int) -> dict[str, float]:
    """Training seconds without evaluation, rows seen, tokens and evaluations of one stage's trainer state."""
    history = state["log_history"]
    runtime = next(e["train_runtime"] for e in reversed(history) if "train_runtime" in e)
    evals = [e for e in history if "eval_runtime" in e]
    eval_seconds = sum(e["eval_runtime"] for e in evals)
    return {"train_seconds": runtime - eval_seconds, "eval_seconds": eval_seconds, "evaluations": len(evals),
            "rows_seen": state["global_step"] * batch, "tokens": max(e.get("num_tokens", 0) for e in history),
            "steps": state["global_step"]}


def training_figures(out: Path, summary: dict[str, Any]) -> dict[str, Any]:
    """What the run's files (``summary``: its training summary) say about training: rows per stage, time, throughput
    and the validation history."""
    training = summary["arguments"]["training"]
    batch = training["per_device_train_batch_size"] * training["gradient_accumulation_steps"]
    states = {f: json.loads((f / STATE_FILE).read_text()) for f in (out / "stage1", out) if (f / STATE_FILE).is_file()}
    stages = [stage_training(state, batch) for state in states.values()]
    totals = {k: sum(s[k] for s in stages) for k in stages[0]}
    state = states[out]
    return {
        "rows": [s["rows"] for s in summary["stages"] if not s.get("skipped")],
        **{k: round(v, 1) for k, v in totals.items()},
        "tokens_per_second": totals["tokens"] / totals["train_seconds"] if totals["train_seconds"] else None,
        "validation_history": [{"step": e["step"], "weighted_f1": e.get("eval_weighted_f1")}
                               for e in state["log_history"] if "eval_runtime" in e],
        "best_step": state.get("best_global_step"),
    }


def ablation_experiment(args: argparse.Namespace, variant: str, seed: int) -> Experiment:
    settings = ablation_settings(args, variant, seed)
    digest = hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:8]
    out = args.work_dir / "ablation" / f"{variant}-seed{seed}-{digest}"

    def run() -> dict[str, Any]:
        data, built = ensure_data(args)
        steps = [built.step()] if built else []
        if args.force:
            shutil.rmtree(out, ignore_errors=True)
        reused = (out / SUMMARY_FILE).is_file()
        if not reused:
            command = sft_command(args, variant, seed, data, out)
            if any(out.glob("checkpoint-*")) or any(out.glob("stage1/checkpoint-*")):
                command += ["--resume_from_checkpoint", "last"]
            trained = run_command(command, log=out.with_name(out.name + ".train.log"), quiet=args.quiet)
            steps.append(trained.step())
        test_dir = out / "test"
        evaluate = [*EVALUATE, "--model", rel(out), "--dataset", rel(data), "--config",
                    "plain" if variant == "plain" else "main", "--split", "test", "--output_dir", rel(test_dir)]
        if args.test_limit:
            evaluate += ["--limit", str(args.test_limit)]
        evaluated = run_command(evaluate, log=out.with_name(out.name + ".test.log"), quiet=args.quiet)
        steps.append(evaluated.step())
        test = json.loads((test_dir / "metrics.json").read_text())
        summary = json.loads((out / SUMMARY_FILE).read_text())
        ids = [json.loads(line) for line in (test_dir / "predictions.jsonl").read_text().splitlines()]
        validation = {k.removeprefix("eval_"): v for k, v in summary["eval_metrics"].items()}
        return {
            "metrics": {"test": slim_metrics(test), "validation": slim_metrics(validation),
                        "training": training_figures(out, summary)},
            "steps": steps, "adapter": rel(out), "reused_adapter": reused, "test_ids": [f"{p['dialogue_id']}/{p['turn']}" for p in ids],
        }

    flags = ["--variants", variant, "--seeds", str(seed), "--fraction", args.fraction, "--epochs", str(args.epochs),
             "--stage1-epochs", str(args.stage1_epochs), "--max-steps", str(args.max_steps), "--window",
             str(args.window), "--max-length", str(args.max_length), "--eval-samples", str(args.eval_samples),
             "--evals", str(args.evals), "--test-limit", str(args.test_limit)]
    return Experiment(f"ablation-{variant}-seed{seed}", "ablation", settings, driver_command(args, "ablation", flags),
                      run)


# --- speed -------------------------------------------------------------------------------------------------------------------


#: Figures parsed from each benchmark's output: regular expressions whose named groups are the figures.
SPEED_FIGURES: dict[str, list[str]] = {
    "build": [rf"configs, (?P<rows>{NUMBER}) rows", rf"parquet in (?P<seconds>{NUMBER}) s \((?P<rows_per_second>{NUMBER}) rows/s\)"],
    "retrieval": [
        rf"embedding throughput: (?P<embedding_sentences_per_second>{NUMBER}) sentences/s",
        rf"(?P<query_ms_with_encoding>{NUMBER}) ms with query encoding, (?P<query_ms_search_only>{NUMBER}) ms search only",
        rf"batched search (?P<batched_queries_per_second>{NUMBER}) queries/s",
        rf"train rows: (?P<injection_seconds>{NUMBER}) s once",
        rf"balance=per_label_cap .*?weighted F1 (?P<copier_weighted_f1_balanced>{NUMBER})",
        rf"balance=none .*?weighted F1 (?P<copier_weighted_f1_unbalanced>{NUMBER})",
    ],
    "training": [
        rf"^{prefix}\s+" + r"\s+".join(f"(?P<{variant}_{name}>{NUMBER})" for name in
                                       ("tokens_per_row", "seconds_per_step", "tokens_per_second",
                                        "padded_tokens_per_second", "peak_rss_mb"))
        for variant, prefix in (("instructerc", r"instructerc \(w=\d+\)"), ("plain", "plain"))
    ],
    "inference": [
        rf"{dtype}, \d+ threads\nlabel scoring:\s+(?P<{dtype}_score_utterances_per_second>{NUMBER}) utt/s[^\n]*?"
        rf"weighted F1\s+(?P<{dtype}_score_weighted_f1>{NUMBER})[^\n]*\ngeneration:\s+"
        rf"(?P<{dtype}_generate_utterances_per_second>{NUMBER}) utt/s[^\n]*?weighted F1\s+"
        rf"(?P<{dtype}_generate_weighted_f1>{NUMBER})[^\n]*\nspeed-up: (?P<{dtype}_speedup>{NUMBER})x"
        for dtype in ("float32", "bfloat16")
    ] + [rf"bfloat16 vs float32: same label for (?P<bfloat16_float32_same_label_percent>{NUMBER})%"],
}


def parse_figures(bench: str, output: str) -> dict[str, float]:
    """The figures of :data:`SPEED_FIGURES` in a benchmark's output; a missing one is an error (format drift)."""
    figures = {}
    for pattern in SPEED_FIGURES[bench]:
        found = re.search(pattern, output, re.MULTILINE)
        if found is None:
            raise CommandError(f"bench_{bench}.py printed nothing matching {pattern!r}; its output:\n{output}")
        figures.update({k: float(v.replace(",", "")) for k, v in found.groupdict().items()})
    return figures


def bench_command(args: argparse.Namespace, bench: str) -> list[str]:
    meld = rel(raw_dir(args, "meld"))
    options = {
        "build": ["--raw-dir", meld],
        "retrieval": ["--meld", meld],
        "training": ["--raw-dir", f"{meld}/data/MELD", "--window", str(args.window), "--steps", str(args.speed_steps)],
        "inference": ["--raw-dir", meld, "--limit", str(args.speed_limit)],
    }[bench]
    return [sys.executable, f"benchmarks/bench_{bench}.py", *options]


def speed_experiment(args: argparse.Namespace, bench: str) -> Experiment:
    command = bench_command(args, bench)
    settings = {"bench": bench, "arguments": command[2:]}

    def run() -> dict[str, Any]:
        done = run_command(command, quiet=args.quiet)
        return {"metrics": parse_figures(bench, done.output), "output": done.output, "steps": [done.step()],
                "peak_rss_mb": round(done.peak_rss_mb)}

    flags = ["--benches", bench, "--window", str(args.window), "--speed-steps", str(args.speed_steps),
             "--speed-limit", str(args.speed_limit)]
    return Experiment(f"speed-{bench}", "speed", settings, driver_command(args, "speed", flags), run)


# --- the plan and its estimate ---------------------------------------------------------------------------------------------


def plan(args: argparse.Namespace) -> list[Experiment]:
    """Every selected experiment, in group order."""
    experiments: list[Experiment] = []
    for group in args.groups:
        if group == "baselines":
            experiments += [baselines_experiment(args, d) for d in args.datasets]
        elif group == "zero_shot":
            experiments += [zero_shot_experiment(args, d) for d in args.datasets]
        elif group == "ablation":
            experiments += [ablation_experiment(args, v, s) for s in args.seeds for v in args.variants]
        else:
            experiments += [speed_experiment(args, b) for b in args.benches]
    return experiments


#: The tasks of each training stage of a variant.
VARIANT_STAGES: dict[str, list[tuple[str, ...]]] = {
    "plain": [("plain",)], "window": [("main",)], "window_demos": [("main",)],
    "window_demos_aux": [("speaker",), ("main", "impact")],
    "window_demos_aux_all_labels": [("speaker",), ("main", "impact")],
}


def meld_sizes(args: argparse.Namespace) -> dict[str, int]:
    """Utterances per MELD split."""
    from instructerc_hf.readers import read_corpus

    corpus = read_corpus("meld", raw_dir(args, "meld"))
    return {split: sum(len(d.turns) for d in dialogues) for split, dialogues in corpus.splits.items()}


def plan_tokens(args: argparse.Namespace) -> tuple[dict[str, float], int]:
    """Mean tokens of a training row (prompt, completion, EOS; at most ``--max-length``) per task at ``--fraction``,
    and the training rows per task."""
    from datasets import load_dataset

    from instructerc_hf.mixing import fraction_indices, parse_fraction
    from instructerc_hf.modeling import load_tokenizer, resolve_base_model
    from instructerc_hf.training_data import sequence_lengths

    data, _ = ensure_data(args)
    tokenizer = load_tokenizer(resolve_base_model(None))
    means, rows = {}, 0
    for task in ("main", "plain", "speaker", "impact"):
        train = load_dataset(str(data), task, split="train")
        sample = train.select(fraction_indices(len(train), parse_fraction(args.fraction), 42))
        lengths = sequence_lengths(tokenizer, sample["prompt"], sample["completion"])
        means[task], rows = statistics.mean(min(n, args.max_length) for n in lengths), len(sample)
    return means, rows


def plan_training_tokens(args: argparse.Namespace, variant: str, tokens: dict[str, float], rows: int,
                         demonstration: float) -> float:
    """Tokens one run of ``variant`` trains on (all stages); ``demonstration``: tokens a demonstration adds."""
    total = 0.0
    for number, tasks in enumerate(VARIANT_STAGES[variant]):
        epochs = args.stage1_epochs if len(VARIANT_STAGES[variant]) == 2 and number == 0 else args.epochs
        seen = args.max_steps * BATCH if args.max_steps > 0 else math.ceil(len(tasks) * rows / BATCH) * BATCH * epochs
        per_row = statistics.mean(tokens[t] + (demonstration if t == "main" and "demos" in variant else 0)
                                  for t in tasks)
        total += seen * per_row
    return total


def seconds_per_token(record: dict[str, Any]) -> float:
    """Training seconds per training token of an ablation record."""
    training = record["metrics"]["training"]
    return training["train_seconds"] / max(training["tokens"], 1)


def calibration_run(calibration: dict[str, dict[str, Any]], variant: str) -> dict[str, Any] | None:
    """The ablation record of ``variant`` (or of the variant it is calibrated as) that trained fastest per token.

    Records that shared the machine with other jobs ran slower; the fastest is the nearest to an idle machine.
    """
    for name in (variant, CALIBRATED_AS.get(variant)):
        runs = [r for n, r in calibration.items() if n.startswith(f"ablation-{name}-")]
        if runs:
            return min(runs, key=seconds_per_token)
    return None


def demonstration_tokens(calibration: dict[str, dict[str, Any]]) -> float:
    """Tokens a demonstration adds to a row: the calibration's window_demos minus window tokens per row."""
    def per_row(variant: str) -> float | None:
        record = calibration_run(calibration, variant)
        training = record["metrics"]["training"] if record else None
        return training["tokens"] / training["rows_seen"] if training and training["rows_seen"] else None

    demos, window = per_row("window_demos"), per_row("window")
    return max(demos - window, 0.0) if demos is not None and window is not None else 0.0


def estimate_seconds(args: argparse.Namespace, experiment: Experiment, calibration: dict[str, dict[str, Any]],
                     sizes: dict[str, Any]) -> float | None:
    """CPU seconds of ``experiment`` from a calibration record of the same kind, scaled to the plan's sizes.

    Ablation: seconds per training token, per validation and per test utterance, and the rest of the wall time
    (loading, data, retrieval) of the variant's calibration run; the plan's training tokens from the built data.
    """
    settings = experiment.settings
    if experiment.group == "ablation":
        record = calibration_run(calibration, settings["variant"])
        if record is None:
            return None
        training = record["metrics"]["training"]
        test = record["metrics"]["test"]
        per_token = seconds_per_token(record)
        per_eval = training["eval_seconds"] / max(training["evaluations"] * record["settings"]["eval_samples"], 1)
        per_test = test["seconds"] / test["num_examples"]
        overhead = record["wall_seconds"] - training["train_seconds"] - training["eval_seconds"] - test["seconds"]
        test_rows = min(args.test_limit or sizes["test"], sizes["test"])
        tokens = plan_training_tokens(args, settings["variant"], sizes["tokens"], sizes["rows"], sizes["demonstration"])
        return (per_token * tokens + per_eval * args.evals * min(args.eval_samples, sizes["validation"])
                + per_test * test_rows + overhead)
    same = [r for r in calibration.values() if r["group"] == experiment.group]
    if experiment.group == "zero_shot":
        if not same:
            return None
        per_utterance = statistics.mean(r["metrics"]["seconds"] / r["metrics"]["num_examples"] for r in same)
        overhead = statistics.mean(r["wall_seconds"] - r["metrics"]["seconds"] for r in same)
        return per_utterance * args.limit + overhead
    record = calibration.get(experiment.name)
    if record is None:
        return None
    scale = 1.0
    if experiment.name == "speed-inference":
        scale = args.speed_limit / float(bench_argument(record, "--limit"))
    elif experiment.name == "speed-training":
        scale = args.speed_steps / float(bench_argument(record, "--steps"))
    return record["wall_seconds"] * scale


def print_estimate(args: argparse.Namespace, experiments: list[Experiment]) -> None:
    """Print the estimated CPU time of every experiment of the plan and the total."""
    source = args.calibration or args.results_dir
    calibration = load_records(source)
    sizes: dict[str, Any] = meld_sizes(args)
    sizes["tokens"], sizes["rows"] = plan_tokens(args)
    sizes["demonstration"] = demonstration_tokens(calibration)
    per_row = ", ".join(f"{task} {n:.0f}" for task, n in sizes["tokens"].items())
    print(f"MELD: {sizes['train']} train utterances, {sizes['rows']} per task at fraction {args.fraction} (tokens per "
          f"row: {per_row}; a demonstration adds {sizes['demonstration']:.0f}); {sizes['validation']} validation, "
          f"{sizes['test']} test. Calibration: {rel(source)} ({len(calibration)} records), at that machine's load.")
    total, unknown = 0.0, []
    width = max((len(e.name) for e in experiments), default=0)
    for experiment in experiments:
        seconds = estimate_seconds(args, experiment, calibration, sizes)
        if seconds is None:
            unknown.append(experiment.name)
            print(f"  {experiment.name:<{width}} unknown (no calibration record of this kind)")
            continue
        total += seconds
        print(f"  {experiment.name:<{width}} {seconds / 60:7.1f} min")
    print(f"total: {total / 3600:.1f} h" + (f" + {len(unknown)} experiment(s) without calibration" if unknown else ""))


# --- command line ----------------------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("groups", nargs="*", metavar="GROUP",
                        help=f"experiment groups to run, among {list(GROUPS)} (default: all)")
    where = parser.add_argument_group("where")
    where.add_argument("--data-dir", type=Path, default=DEFAULT_DATA, help="the shared raw data (../shared/data)")
    where.add_argument("--results-dir", type=Path, default=DEFAULT_RESULTS, help="where the JSON records go")
    where.add_argument("--work-dir", type=Path, default=DEFAULT_WORK, help="built data, adapters, evaluation outputs")
    select = parser.add_argument_group("selection")
    select.add_argument("--datasets", nargs="+", choices=DATASETS, default=list(DATASETS))
    select.add_argument("--variants", nargs="+", choices=list(VARIANTS), default=list(VARIANTS))
    select.add_argument("--seeds", nargs="+", type=int, default=[42, 43], help="ablation training seeds")
    select.add_argument("--benches", nargs="+", choices=BENCHES, default=list(BENCHES))
    sizes = parser.add_argument_group("sizes (defaults: the whole plan in about 8 h of a 2-core CPU; see --estimate)")
    sizes.add_argument("--fraction", default="1/8", help="ablation: low-resource fraction of MELD train (paper: 1/8)")
    sizes.add_argument("--epochs", type=float, default=1.0, help="ablation: epochs of the main stage")
    sizes.add_argument("--stage1-epochs", type=float, default=1.0, help="ablation: epochs of the speaker stage")
    sizes.add_argument("--max-steps", type=int, default=-1, help="ablation: optimizer steps per stage (> 0 overrides)")
    sizes.add_argument("--window", type=int, default=12, help="history window (zero-shot, ablation, bench_training)")
    sizes.add_argument("--max-length", type=int, default=384, help="ablation: tokens per training row")
    sizes.add_argument("--eval-samples", type=int, default=200, help="ablation: validation utterances for selection")
    sizes.add_argument("--evals", type=int, default=2, help="ablation: validation evaluations per run")
    sizes.add_argument("--test-limit", type=int, default=600, help="ablation: first N test utterances (0: all)")
    sizes.add_argument("--limit", type=int, default=200, help="zero-shot: first N test utterances per dataset")
    sizes.add_argument("--seed", type=int, default=42, help="baselines: logistic regression seed")
    sizes.add_argument("--speed-steps", type=int, default=6, help="speed: timed steps of bench_training.py")
    sizes.add_argument("--speed-limit", type=int, default=200, help="speed: test utterances of bench_inference.py")
    run = parser.add_argument_group("running")
    run.add_argument("--force", action="store_true", help="rerun experiments whose file exists")
    run.add_argument("--estimate", action="store_true", help="print the plan's estimated CPU time and exit")
    run.add_argument("--calibration", type=Path, help="records to estimate from (default: --results-dir)")
    run.add_argument("--quiet", action="store_true", help="do not echo the subprocesses' output")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.groups) - set(GROUPS))
    if unknown:
        parser.error(f"unknown group(s) {unknown}; choose among {list(GROUPS)}")
    args.groups = list(dict.fromkeys(args.groups or GROUPS))
    if args.evals < 1:
        parser.error("--evals must be >= 1")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    experiments = plan(args)
    if args.estimate:
        print_estimate(args, experiments)
        return
    if not args.force:
        check_existing(experiments, args.results_dir)
    for experiment in experiments:
        run_experiment(experiment, args.results_dir, args.force)
    print(f"all {len(experiments)} experiment(s) done; render with: python benchmarks/render_results.py"
          + (f" --results-dir {rel(args.results_dir)}" if args.results_dir.resolve() != DEFAULT_RESULTS else ""))


if __name__ == "__main__":
    main()
