"""Classical baselines on each dataset's test split: majority class and TF-IDF + logistic regression.

Both see the utterance alone, are fitted on the train split, and have their one hyperparameter (C) chosen on the
validation split. Scores come from ``instructerc_hf.metrics.compute_erc_metrics`` (weighted F1 x100, as the paper).
The driver's ``baselines`` group runs :func:`fit_baselines` and keeps the test predictions in the record.

    python -m experiments.baselines [--data-dir ../shared/data] [--datasets meld ...] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from . import DATA_DIR
from .corpora import NAMES, corpus
from .records import Scores, slim_metrics

#: The C values tried on validation.
C_GRID: tuple[float, ...] = (0.25, 1.0, 4.0, 16.0)
Texts = dict[str, tuple[list[str], list[str]]]


def split_texts(dialogue_corpus: Any) -> Texts:
    """Per split, the utterance texts and their labels, dialogues in order."""
    return {split: ([t.text for d in ds for t in d.turns], [t.label for d in ds for t in d.turns])
            for split, ds in dialogue_corpus.splits.items()}


def tfidf_lr(data: Texts, seed: int) -> tuple[list[str], float]:
    """Fit on train, pick C on validation weighted F1, predict test with the chosen model."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    from instructerc_hf.metrics import compute_erc_metrics

    labels = sorted(set(data["train"][1]))
    best: tuple[float, float, Any] | None = None
    for c in C_GRID:
        model = make_pipeline(TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
                              LogisticRegression(C=c, max_iter=2000, random_state=seed))
        model.fit(*data["train"])
        f1 = compute_erc_metrics(list(model.predict(data["validation"][0])), data["validation"][1], labels)
        if best is None or f1["weighted_f1"] > best[0]:
            best = (f1["weighted_f1"], c, model)
    assert best is not None
    return list(best[2].predict(data["test"][0])), best[1]


def majority(data: Texts) -> str:
    """The most frequent training label."""
    return Counter(data["train"][1]).most_common(1)[0][0]


def fit_baselines(data: Texts, labels: Sequence[str], seed: int) -> tuple[dict[str, Scores], dict[str, list[str]]]:
    """Both baselines' test scores (``majority``: ``label``; ``tfidf_lr``: ``C``, ``fit_seconds``) and predictions."""
    from instructerc_hf.metrics import compute_erc_metrics

    gold = data["test"][1]
    start = time.perf_counter()
    tfidf, c = tfidf_lr(data, seed)
    seconds = time.perf_counter() - start
    predictions = {"majority": [majority(data)] * len(gold), "tfidf_lr": tfidf}
    scores = {name: slim_metrics(compute_erc_metrics(p, gold, list(labels))) for name, p in predictions.items()}
    scores["majority"]["label"] = predictions["majority"][0]
    scores["tfidf_lr"]["C"] = c
    scores["tfidf_lr"]["fit_seconds"] = round(seconds, 1)
    return scores, predictions


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=DATA_DIR)
    parser.add_argument("--datasets", nargs="+", choices=NAMES, default=list(NAMES))
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--json", type=Path, help="also write the scores here")
    args = parser.parse_args(argv)
    from instructerc_hf.labels import get_dataset_labels
    from instructerc_hf.readers import read_corpus

    results: dict[str, dict[str, float]] = {}
    for dataset in args.datasets:
        data = split_texts(read_corpus(dataset, corpus(dataset).raw_dir(args.data_dir)))
        scores, _ = fit_baselines(data, get_dataset_labels(dataset).labels, args.seed)
        for name, m in scores.items():
            results[f"{dataset}/{name}"] = {k: round(m[k], 2) for k in ("weighted_f1", "accuracy")}
            extra = f" (C={m['C']} chosen on validation)" if name == "tfidf_lr" else f" (always {m['label']!r})"
            print(f"{dataset:9s} {name:9s} test weighted F1 {m['weighted_f1']:6.2f}  "
                  f"accuracy {m['accuracy']:6.2f}{extra}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
