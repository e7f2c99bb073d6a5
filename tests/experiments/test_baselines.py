"""The feature baselines on a tiny corpus and on real MELD."""

from __future__ import annotations

from experiments.baselines import C_GRID, METHODS, fit_baselines, majority, split_texts, tfidf_lr, train_subset


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
    scores, predictions = fit_baselines(data(), ["joy", "sadness"], seed=42, encoder=False)
    assert predictions["majority"] == ["joy", "joy"] and predictions["tfidf_lr"] == ["joy", "sadness"]
    assert scores["majority"]["label"] == "joy" and scores["majority"]["accuracy"] == 50.0
    assert scores["tfidf_lr"]["weighted_f1"] == 100.0 and {"C", "fit_seconds"} <= set(scores["tfidf_lr"])
    assert scores["tfidf_lr"]["parameters"] > 0 and scores["tfidf_lr"]["utterances_per_second"] > 0
    assert list(scores) == ["majority", "tfidf_lr"]


def test_frozen_minilm_lr_separates_what_the_encoder_separates() -> None:
    scores, predictions = fit_baselines(data(), ["joy", "sadness"], seed=42, encoder=True)
    assert list(scores) == list(METHODS) and predictions["frozen_minilm_lr"] == ["joy", "sadness"]
    assert scores["frozen_minilm_lr"]["C"] in C_GRID and scores["frozen_minilm_lr"]["fit_seconds"] >= 0
    assert scores["frozen_minilm_lr"]["parameters"] == 384 + 1  # two labels: one weight per embedding dimension


def test_split_texts_cuts_train_to_the_fraction_and_keeps_the_other_splits(corpus) -> None:
    whole, eighth = split_texts(corpus), split_texts(corpus, "1/8")
    assert len(eighth["train"][0]) == round(len(whole["train"][0]) / 8)
    assert eighth["test"] == whole["test"] and eighth["validation"] == whole["validation"]
    keep = train_subset(len(whole["train"][0]), "meld", "1/8")
    assert eighth["train"][1] == [whole["train"][1][i] for i in keep]
