"""Classical baselines on each dataset's test split: majority class and TF-IDF + logistic regression.

Both see the utterance alone, are fitted on the train split, and have their one hyperparameter (C) chosen on the
validation split. Scores come from ``instructerc_hf.scoring.compute_erc_metrics`` (weighted F1 x100, as the paper).

    python benchmarks/baselines.py [--data-dir ../shared/data] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from instructerc_hf.labels import get_dataset_labels
from instructerc_hf.readers import read_corpus
from instructerc_hf.records import DialogueCorpus
from instructerc_hf.scoring import compute_erc_metrics

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared/data"
RAW = {"meld": "meld/raw/declare-lab__MELD", "iemocap": "iemocap/raw", "emorynlp": "emorynlp/raw"}


def split_texts(corpus: DialogueCorpus) -> dict[str, tuple[list[str], list[str]]]:
    """Per split, the utterance texts and their labels, dialogues in order."""
    return {split: ([t.text for d in ds for t in d.turns], [t.label for d in ds for t in d.turns])
            for split, ds in corpus.splits.items()}


def utterances(dataset: str, data_dir: Path) -> dict[str, tuple[list[str], list[str]]]:
    return split_texts(read_corpus(dataset, data_dir / RAW[dataset]))


def tfidf_lr(data: dict[str, tuple[list[str], list[str]]], seed: int) -> tuple[list[str], float]:
    """Fit on train, pick C on validation weighted F1, predict test with the chosen model."""
    labels = sorted(set(data["train"][1]))
    best: tuple[float, float, object] | None = None
    for c in (0.25, 1.0, 4.0, 16.0):
        model = make_pipeline(TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
                              LogisticRegression(C=c, max_iter=2000, random_state=seed))
        model.fit(*data["train"])
        f1 = compute_erc_metrics(list(model.predict(data["validation"][0])), data["validation"][1], labels)["weighted_f1"]
        if best is None or f1 > best[0]:
            best = (f1, c, model)
    assert best is not None
    return list(best[2].predict(data["test"][0])), best[1]  # type: ignore[attr-defined]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    results = {}
    for dataset in RAW:
        data = utterances(dataset, args.data_dir)
        labels = list(get_dataset_labels(dataset).labels)
        gold = data["test"][1]
        majority = Counter(data["train"][1]).most_common(1)[0][0]
        tfidf, c = tfidf_lr(data, args.seed)
        for name, predictions in (("majority", [majority] * len(gold)), ("tfidf_lr", tfidf)):
            metrics = compute_erc_metrics(predictions, gold, labels)
            results[f"{dataset}/{name}"] = {"weighted_f1": round(metrics["weighted_f1"], 2),
                                            "accuracy": round(metrics["accuracy"], 2)}
            extra = f" (C={c} chosen on validation)" if name == "tfidf_lr" else f" (always {majority!r})"
            print(f"{dataset:9s} {name:9s} test weighted F1 {metrics['weighted_f1']:6.2f}  "
                  f"accuracy {metrics['accuracy']:6.2f}{extra}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
