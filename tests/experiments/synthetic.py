"""Synthetic records for the harness tests (``from synthetic import ...``; ``conftest.py`` puts this folder on
``sys.path``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from experiments.records import Record

LABELS = ["neutral", "joy", "sadness"]
GOLD = ["neutral", "joy", "sadness", "neutral", "joy", "neutral", "sadness", "neutral"]
IDS = [f"{i // 4}/{i % 4}" for i in range(len(GOLD))]
MACHINE = {"cpu_count": 2, "cpu": "Test CPU", "memory_gib": 8.0, "platform": "Linux", "python": "3.11.7",
           "load_average_at_start": 0.5}


def record(name: str, group: str, settings: dict[str, Any], **body: Any) -> Record:
    return Record.from_dict({"experiment": name, "group": group, "command": f"python -m experiments.run {name} --force",
                             "date": "2026-01-02T03:04:05+00:00", "machine": MACHINE,
                             "git_commit": "0123456789abcdef", "git_dirty": False, "wall_seconds": 60.0,
                             "settings": settings, **body})


def baseline(tfidf: list[str], dataset: str = "meld") -> Record:
    metrics = {"majority": {"weighted_f1": 20.0, "accuracy": 50.0, "num_examples": len(GOLD), "labels": LABELS,
                            "label": "neutral"},
               "tfidf_lr": {"weighted_f1": 55.5, "accuracy": 60.0, "num_examples": len(GOLD), "labels": LABELS,
                            "C": 1.0}}
    return record(f"baselines-{dataset}", "baselines", {"dataset": dataset, "seed": 42}, metrics=metrics,
                  train_utterances=1234, test_ids=IDS, test_labels=GOLD,
                  test_predictions={"majority": ["neutral"] * len(GOLD), "tfidf_lr": tfidf})


def ablation(variant: str, seed: int, f1: float, n: int = 4, copy_rate: float | None = None,
             train_seconds: float = 600.0) -> Record:
    test: dict[str, Any] = {"weighted_f1": f1, "accuracy": f1 + 1, "num_examples": n, "labels": LABELS,
                            "confusion_matrix": [[2, 0, 0], [1, 0, 0], [1, 0, 0]], "utterances_per_second": 2.0,
                            "seconds": 2.0 * n}
    validation: dict[str, Any] = {"weighted_f1": f1 - 1}
    if copy_rate is not None:
        test.update(demonstration_copy_rate=copy_rate, demonstration_label_accuracy=0.25)
        validation["demonstration_copy_rate"] = copy_rate
    training = {"rows": [{"main": 100}], "train_seconds": train_seconds, "eval_seconds": 60.0, "evaluations": 2,
                "rows_seen": 100, "tokens": 12000, "steps": 25, "tokens_per_second": 12000 / train_seconds,
                "best_step": 25,
                "validation_history": [{"step": 13, "weighted_f1": f1 - 3}, {"step": 25, "weighted_f1": f1 - 1}]}
    settings = {"dataset": "meld", "variant": variant, "seed": seed, "fraction": "1/8", "epochs": 1.0,
                "stage1_epochs": 1.0, "max_steps": -1, "window": 12, "max_length": 384, "eval_samples": 200,
                "evals": 2, "test_limit": n}
    steps = [{"command": "python examples/sft.py --config x.yaml", "seconds": 660.0, "peak_rss_mb": 4000},
             {"command": "instructerc-hf evaluate --model out", "seconds": 30.0, "peak_rss_mb": 1500}]
    return record(f"ablation-{variant}-seed{seed}", "ablation", settings, steps=steps, test_ids=IDS[:n],
                  metrics={"test": test, "validation": validation, "training": training})


def write(folder: Path, *records: Record) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for r in records:
        (folder / f"{r.experiment}.json").write_text(r.dumps())
    return folder
