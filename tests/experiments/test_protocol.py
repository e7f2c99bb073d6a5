"""The fair protocol's table: rows from every group's records, the paired bootstrap against the strongest other."""

from __future__ import annotations

import random
from typing import Any

from synthetic import record

from experiments.bootstrap import paired_bootstrap
from experiments.protocol import demonstration_lines, protocol_lines, protocol_rows, strongest_other
from experiments.render import Report
from instructerc_hf.metrics import compute_erc_metrics

LABELS = ["neutral", "joy", "anger"]
rng = random.Random(0)
GOLD = [rng.choice(LABELS) for _ in range(300)]
IDS = [f"{i // 10}/{i % 10}" for i in range(len(GOLD))]


def guesses(right: float, seed: int) -> list[str]:
    draw = random.Random(seed)
    return [g if draw.random() < right else draw.choice(LABELS) for g in GOLD]


def scores(predicted: list[str], **extra: Any) -> dict[str, Any]:
    m = compute_erc_metrics(predicted, GOLD, LABELS)
    return {"weighted_f1": m["weighted_f1"], "accuracy": m["accuracy"], "num_examples": len(GOLD), "labels": LABELS,
            **extra}


def paired(predicted: dict[str, list[str]]) -> dict[str, Any]:
    return {"test_ids": IDS, "test_labels": GOLD, "test_predictions": predicted}


def records() -> list:
    tfidf, frozen = guesses(0.3, 1), guesses(0.45, 2)
    baselines = record("baselines-meld", "baselines", {"dataset": "meld", "seed": 42, "fraction": "1"}, metrics={
        "majority": scores(["neutral"] * len(GOLD), label="neutral"),
        "tfidf_lr": scores(tfidf, C=1.0, parameters=3000, fit_seconds=12.0, utterances_per_second=900.0),
        "frozen_minilm_lr": scores(frozen, C=4.0, parameters=1155, fit_seconds=60.0, utterances_per_second=80.0)},
        train_utterances=1000, **paired({"majority": ["neutral"] * len(GOLD), "tfidf_lr": tfidf,
                                          "frozen_minilm_lr": frozen}))
    out = [baselines]
    for seed in (42, 43):
        clf = guesses(0.55, seed)
        out.append(record(f"classifier-meld-context12-seed{seed}", "classifier", {
            "dataset": "meld", "context_turns": 12, "fraction": "1", "seed": seed}, metrics={
            "test": scores(clf, utterances_per_second=50.0), "validation": {"weighted_f1": 50.0},
            "training": {"train_seconds": 300.0, "trainable_parameters": 22_000_000}}, **paired({"classifier": clf})))
        lora = guesses(0.7, 100 + seed)
        training = {"rows": [{"main": 1000}], "train_seconds": 1800.0, "eval_seconds": 60.0, "evaluations": 2,
                    "rows_seen": 1000, "tokens": 1, "steps": 250, "tokens_per_second": 1.0, "best_step": 250,
                    "validation_history": [], "trainable_parameters": 1_290_240}
        out.append(record(f"ablation-window-seed{seed}", "ablation", {
            "dataset": "meld", "variant": "window", "seed": seed, "fraction": "1"}, metrics={
            "test": scores(lora, utterances_per_second=4.0), "validation": {"weighted_f1": 60.0},
            "training": training}, **paired({"window": lora})))
    out.append(record("zero_shot-meld-chat", "zero_shot", {"dataset": "meld", "chat_template": True},
                      metrics=scores(guesses(0.1, 7), utterances_per_second=5.0), **paired(
                          {"zero_shot": guesses(0.1, 7)})))
    return out


def test_rows_are_ranked_and_each_meets_its_strongest_other() -> None:
    rows = protocol_rows(records(), "meld")
    assert [r.title for r in rows] == [
        "LoRA SmolLM2-135M: window prompt", "fine-tuned MiniLM, 12 previous turns", "frozen MiniLM + LR",
        "TF-IDF + LR", "majority class", "zero-shot SmolLM2-135M, chat template"]  # by training data, then F1
    lora, clf = rows[0], rows[1]
    assert len(lora.records) == 2 and lora.parameters == 1_290_240 and lora.train_minutes == [30.0, 30.0]
    assert strongest_other(lora, rows) is clf and strongest_other(clf, rows) is lora
    assert strongest_other(rows[-1], rows) is lora  # trained on nothing: against any
    gap = paired_bootstrap(GOLD, lora.predictions, clf.predictions, LABELS)
    lines = protocol_lines(rows, lambda *r: "[1]")
    assert lines[0].startswith("| method | train data | seeds | test weighted F1 |")
    assert f"{gap.difference:+.2f} [{gap.low:+.2f}, {gap.high:+.2f}] vs fine-tuned MiniLM" in lines[2]
    assert "| 1,290,240 | 30.0 ± 0.0 | 4.0 ± 0.0 |" in lines[2] and "[1] | all | 2 |" in lines[2] and "| none |" in lines[7]
    sentence = lines[-1]
    assert sentence.startswith("- Trained on the whole train split, LoRA SmolLM2-135M: window prompt")
    assert f"**beats fine-tuned MiniLM, 12 previous turns by {gap.difference:.2f} points**" in sentence
    assert gap.excludes_zero and "excludes zero" in sentence


def test_a_row_without_predictions_is_not_compared() -> None:
    old = records()
    for r in old:
        if r.group == "classifier":
            r.test_predictions = None
    rows = protocol_rows(old, "meld")
    clf = next(r for r in rows if r.title.startswith("fine-tuned"))
    assert not clf.paired and "n/a" in protocol_lines([clf], lambda *r: "")[2]
    assert strongest_other(rows[0], rows).title == "frozen MiniLM + LR"


def test_the_report_renders_the_protocol_block() -> None:
    assert Report({}).protocol_block() == ["*not yet run*: no record in `experiments/results-whole` yet."]
    block = Report({}, {r.experiment: r for r in records()}).protocol_block()
    assert block[0] == "**MELD**" and block[2].startswith("| method |") and block[-1].startswith("- Trained on")


def test_each_demonstration_variant_meets_the_window_prompt_on_the_same_data() -> None:
    base = records()
    window = [r for r in base if r.experiment.startswith("ablation-window-")]
    assert protocol_lines and demonstration_lines(protocol_rows(base, "meld"), lambda *r: "") == []
    copier = guesses(0.2, 9)
    demos = record("ablation-window_per_label-seed42", "ablation", {
        "dataset": "meld", "variant": "window_per_label", "seed": 42, "fraction": "1"}, metrics={
        "test": scores(copier, demonstration_copy_rate=0.9, demonstration_label_accuracy=0.25),
        "validation": {"weighted_f1": 20.0}, "training": window[0].training}, **paired({"window_per_label": copier}))
    rows = protocol_rows([*base, demos], "meld")
    lines = demonstration_lines(rows, lambda *r: f"[{len(r)}]")
    gap = paired_bootstrap(GOLD, [copier], next(r for r in rows if r.records[0] is window[0]).predictions, LABELS)
    assert lines[0].startswith("| demonstration variant | train data | seeds | copy rate (test, %) |") and len(lines) == 3
    assert lines[2].startswith("| window + one demonstration of every label, drawn per epoch (beyond the paper) [1] "
                               "| all | 1 | 90.00 | 25.00 |")
    assert gap.difference < 0 and f"{gap.difference:+.2f} [{gap.low:+.2f}, {gap.high:+.2f}] (" in lines[2]
    assert lines[2].endswith(" [2]) |")  # the window prompt's two seeds, cited
    block = Report({}, {r.experiment: r for r in [*base, demos]}).demonstrations_block()
    assert block[0] == "**MELD**" and block[2] == lines[0] and len(block) == 5
    assert block[4].split("|")[2:7] == lines[2].split("|")[2:7]  # the same cells, with the report's citations
    assert Report({}).demonstrations_block()[0].startswith("*not yet run*")
