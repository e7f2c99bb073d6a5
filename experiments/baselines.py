"""Feature baselines on each dataset's test split: majority class, TF-IDF + LR and frozen MiniLM + LR.

All three see the utterance alone and are fitted on the train split, or on the low-resource ``fraction`` of it that
the LoRA runs train on (the same utterances: :func:`train_subset`). Logistic regression has its one hyperparameter
(C) chosen on the validation split's weighted F1; the frozen encoder is the embedded all-MiniLM-L6-v2 (the retrieval
encoder), its normalized sentence embeddings the features. Scores come from
``instructerc_hf.metrics.compute_erc_metrics`` (weighted F1 x100, as the paper). The driver's ``baselines`` group
runs :func:`fit_baselines` and keeps the test predictions in the record (paired comparisons need them).

    python -m experiments.baselines [--data-dir ../shared/data] [--datasets meld ...] [--fraction 1/8] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from . import DATA_DIR
from .corpora import NAMES, corpus
from .records import Scores, slim_metrics

#: The C values tried on validation.
C_GRID: tuple[float, ...] = (0.25, 1.0, 4.0, 16.0)
#: The methods of a baselines record, in table order.
METHODS: tuple[str, ...] = ("majority", "tfidf_lr", "frozen_minilm_lr")
#: The seed of the low-resource subset: the training data's ``sampling_seed`` default, so both see the same rows.
SAMPLING_SEED = 42
Texts = dict[str, tuple[list[str], list[str]]]
#: Fitted on the train texts, it returns the function that turns texts into features.
Featurizer = Callable[[list[str]], Callable[[list[str]], Any]]


def train_subset(count: int, dataset: str, fraction: str) -> list[int]:
    """The train utterances (by position, dialogues in order) that a LoRA run at ``fraction`` trains on: the
    seeded selection of ``instructerc_hf.training.data.training_indices`` for one dataset under Total Mix."""
    from instructerc_hf.mixing import parse_fraction, sample_training_rows

    return sample_training_rows({dataset: list(range(count))}, "total", parse_fraction(fraction), SAMPLING_SEED)


def split_texts(dialogue_corpus: Any, fraction: str = "1") -> Texts:
    """Per split, the utterance texts and their labels, dialogues in order; train cut to ``fraction``."""
    data = {split: ([t.text for d in ds for t in d.turns], [t.label for d in ds for t in d.turns])
            for split, ds in dialogue_corpus.splits.items()}
    texts, labels = data["train"]
    keep = train_subset(len(texts), dialogue_corpus.dataset, fraction)
    data["train"] = ([texts[i] for i in keep], [labels[i] for i in keep])
    return data


def tfidf_features(train: list[str]) -> Callable[[list[str]], Any]:
    """Word uni- and bigram TF-IDF (sublinear term frequency), the vocabulary fitted on ``train``."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True).fit(train).transform


def minilm_features(train: list[str]) -> Callable[[list[str]], Any]:
    """The embedded all-MiniLM-L6-v2's normalized sentence embeddings (frozen: nothing is fitted)."""
    from instructerc_hf.retrieval.config import default_encoder
    from instructerc_hf.retrieval.embeddings import load_encoder

    encoder = load_encoder(default_encoder(), device="cpu")
    return lambda texts: encoder.encode(texts, batch_size=64, normalize_embeddings=True, show_progress_bar=False)


def fit_lr(data: Texts, featurizer: Featurizer, seed: int) -> tuple[list[str], dict[str, Any]]:
    """Logistic regression on the features: fit on train, pick C on validation weighted F1, predict test. Returns
    the predictions and ``C``, ``parameters`` (of the regression), ``fit_seconds`` (features of train and validation
    and the C search) and ``utterances_per_second`` (test: features and prediction)."""
    from sklearn.linear_model import LogisticRegression

    from instructerc_hf.metrics import compute_erc_metrics

    start = time.perf_counter()
    features = featurizer(data["train"][0])
    train, validation = features(data["train"][0]), features(data["validation"][0])
    labels = sorted(set(data["train"][1]))
    best: tuple[float, float, Any] | None = None
    for c in C_GRID:
        model = LogisticRegression(C=c, max_iter=2000, random_state=seed).fit(train, data["train"][1])
        f1 = compute_erc_metrics(list(model.predict(validation)), data["validation"][1], labels)
        if best is None or f1["weighted_f1"] > best[0]:
            best = (f1["weighted_f1"], c, model)
    assert best is not None
    fitted = time.perf_counter()
    predictions = list(best[2].predict(features(data["test"][0])))
    return predictions, {"C": best[1], "parameters": int(best[2].coef_.size + best[2].intercept_.size),
                         "fit_seconds": round(fitted - start, 1),
                         "utterances_per_second": len(predictions) / (time.perf_counter() - fitted)}


def tfidf_lr(data: Texts, seed: int) -> tuple[list[str], float]:
    """TF-IDF + logistic regression: test predictions and the C chosen."""
    predictions, fitted = fit_lr(data, tfidf_features, seed)
    return predictions, fitted["C"]


def majority(data: Texts) -> str:
    """The most frequent training label."""
    return Counter(data["train"][1]).most_common(1)[0][0]


def fit_baselines(data: Texts, labels: Sequence[str], seed: int, encoder: bool = True
                  ) -> tuple[dict[str, Scores], dict[str, list[str]]]:
    """Each baseline's test scores and predictions (``encoder=False``: without frozen MiniLM + LR). ``majority``
    adds ``label``; the LR baselines add what :func:`fit_lr` measures."""
    from instructerc_hf.metrics import compute_erc_metrics

    gold = data["test"][1]
    predictions = {"majority": [majority(data)] * len(gold)}
    extra: dict[str, dict[str, Any]] = {"majority": {"label": predictions["majority"][0]}}
    featurizers: dict[str, Featurizer] = {"tfidf_lr": tfidf_features}
    if encoder:
        featurizers["frozen_minilm_lr"] = minilm_features
    for name, featurizer in featurizers.items():
        predictions[name], extra[name] = fit_lr(data, featurizer, seed)
    scores = {name: slim_metrics(compute_erc_metrics(p, gold, list(labels))) for name, p in predictions.items()}
    for name, values in extra.items():
        scores[name].update(values)  # type: ignore[typeddict-item]
    return scores, predictions


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=DATA_DIR)
    parser.add_argument("--datasets", nargs="+", choices=NAMES, default=list(NAMES))
    parser.add_argument("--fraction", default="1", help="low-resource fraction of the train split (1, 1/8 ...)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--json", type=Path, help="also write the scores here")
    args = parser.parse_args(argv)
    from instructerc_hf.labels import get_dataset_labels
    from instructerc_hf.readers import read_corpus

    results: dict[str, dict[str, float]] = {}
    for dataset in args.datasets:
        data = split_texts(read_corpus(dataset, corpus(dataset).raw_dir(args.data_dir)), args.fraction)
        scores, _ = fit_baselines(data, get_dataset_labels(dataset).labels, args.seed)
        for name, m in scores.items():
            results[f"{dataset}/{name}"] = {k: round(m[k], 2) for k in ("weighted_f1", "accuracy")}
            extra = f" (always {m['label']!r})" if name == "majority" else f" (C={m['C']} chosen on validation)"
            print(f"{dataset:9s} {name:16s} test weighted F1 {m['weighted_f1']:6.2f}  "
                  f"accuracy {m['accuracy']:6.2f}{extra}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
