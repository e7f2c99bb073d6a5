"""The classical baselines on a tiny corpus."""

from __future__ import annotations

from experiments.baselines import fit_baselines, majority, tfidf_lr


def data() -> dict[str, tuple[list[str], list[str]]]:
    texts = {"joy": ["great day", "so happy", "wonderful news"], "sadness": ["so sad", "terrible loss", "I cry"]}
    train = [(t, label) for label, ts in texts.items() for t in ts] + [("happy happy", "joy")]
    split = ([t for t, _ in train], [label for _, label in train])
    return {"train": split, "validation": split, "test": (["happy news", "sad loss"], ["joy", "sadness"])}


def test_tfidf_lr_and_majority() -> None:
    predictions, c = tfidf_lr(data(), seed=42)
    assert predictions == ["joy", "sadness"] and c in (0.25, 1.0, 4.0, 16.0)
    assert majority(data()) == "joy"


def test_fit_baselines_keeps_what_the_record_holds() -> None:
    scores, predictions = fit_baselines(data(), ["joy", "sadness"], seed=42)
    assert predictions["majority"] == ["joy", "joy"] and predictions["tfidf_lr"] == ["joy", "sadness"]
    assert scores["majority"]["label"] == "joy" and scores["majority"]["accuracy"] == 50.0
    assert scores["tfidf_lr"]["weighted_f1"] == 100.0 and {"C", "fit_seconds"} <= set(scores["tfidf_lr"])
    assert list(scores) == ["majority", "tfidf_lr"]
