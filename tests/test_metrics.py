"""ERC metrics: agreement with sklearn, diagnostics, and the offline `evaluate` module."""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import accuracy_score, f1_score

from instructerc_hf.labels import MELD
from instructerc_hf.metrics import compute_erc_metrics

METRIC_DIR = Path(__file__).resolve().parents[1] / "metrics" / "erc_weighted_f1"
LABELS = ("neutral", "surprise", "fear", "sad", "joyful", "disgust", "angry")


@st.composite
def label_pairs(draw: st.DrawFn) -> tuple[list[str], list[str]]:
    """Gold and predicted sequences over LABELS, often using only a few labels on either side."""
    n = draw(st.integers(min_value=1, max_value=40))
    gold_pool = draw(st.lists(st.sampled_from(LABELS), min_size=1, max_size=len(LABELS), unique=True))
    pred_pool = draw(st.lists(st.sampled_from(LABELS), min_size=1, max_size=len(LABELS), unique=True))
    gold = draw(st.lists(st.sampled_from(gold_pool), min_size=n, max_size=n))
    pred = draw(st.lists(st.sampled_from(pred_pool), min_size=n, max_size=n))
    return gold, pred


@settings(max_examples=150, deadline=None)
@given(label_pairs())
def test_scores_equal_sklearn(pair: tuple[list[str], list[str]]) -> None:
    gold, pred = pair
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = compute_erc_metrics(pred, gold, LABELS)
        official = 100 * f1_score(gold, pred, average="weighted")  # the official call, without labels=
    weighted = 100 * f1_score(gold, pred, labels=list(LABELS), average="weighted", zero_division=0)
    macro = 100 * f1_score(gold, pred, labels=list(LABELS), average="macro", zero_division=0)
    assert result["weighted_f1"] == weighted
    assert math.isclose(result["weighted_f1"], official, abs_tol=1e-9)
    assert result["macro_f1"] == macro
    assert result["accuracy"] == 100 * accuracy_score(gold, pred)
    assert sum(map(sum, result["confusion_matrix"])) == len(gold)
    assert [row[i] for i, row in enumerate(result["confusion_matrix"])] == [
        sum(g == p == label for g, p in zip(gold, pred, strict=True)) for label in LABELS
    ]
    assert [result["per_class"][label]["support"] for label in LABELS] == [gold.count(label) for label in LABELS]


def test_hand_computed_example() -> None:
    gold = ["sad", "sad", "angry", "neutral"]
    pred = ["sad", "angry", "angry", "sad"]
    result = compute_erc_metrics(pred, gold, LABELS)
    # sad: P=1/2 R=1/2 F1=1/2 (support 2); angry: P=1/2 R=1 F1=2/3 (1); neutral: 0 (1)
    assert result["weighted_f1"] == pytest.approx(100 * (2 * 0.5 + 2 / 3) / 4)
    assert result["macro_f1"] == pytest.approx(100 * (0.5 + 2 / 3) / 7)
    assert result["accuracy"] == 50.0
    assert result["per_class"]["angry"] == pytest.approx(
        {"precision": 50.0, "recall": 100.0, "f1": 200 / 3, "support": 1}
    )
    sad, angry, neutral = LABELS.index("sad"), LABELS.index("angry"), LABELS.index("neutral")
    assert result["confusion_matrix"][sad][sad] == 1
    assert result["confusion_matrix"][sad][angry] == 1
    assert result["confusion_matrix"][neutral][sad] == 1
    assert result["labels"] == list(LABELS)
    assert result["num_examples"] == 4
    assert result["unparseable_rate"] == 0.0
    assert "demonstration_copy_rate" not in result


def test_parse_flag_parses_generated_text_and_counts_fallbacks() -> None:
    generated = ["The emotion is: sad.", "angry", "joyfl", ""]
    result = compute_erc_metrics(generated, ["sad", "angry", "joyful", "fear"], MELD.labels, parse=True)
    assert result["accuracy"] == 75.0  # "" has no label: wrong
    assert result["unparseable_rate"] == 0.5
    assert result["num_unparseable"] == 2 and result["num_empty"] == 1


def test_empty_generations_are_unparseable_and_wrong_never_the_shortest_label() -> None:
    generated, gold = ["", "  \n", "sad", "The emotion is: sad"], ["sad", "sad", "sad", "sad"]
    result = compute_erc_metrics(generated, gold, MELD.labels, parse=True)  # "" used to become "sad": 100
    assert result["accuracy"] == 50.0
    assert result["num_unparseable"] == result["num_empty"] == 2 and result["unparseable_rate"] == 0.5
    assert result["per_class"]["sad"] == pytest.approx({"precision": 100.0, "recall": 50.0, "f1": 200 / 3,
                                                        "support": 4})
    assert sum(map(sum, result["confusion_matrix"])) == 2  # no label, no column
    assert result["weighted_f1"] == pytest.approx(200 / 3)


def test_none_predictions_are_empty_generations_counted_in_fallback_count() -> None:
    parsed = compute_erc_metrics(["", "sad", "angry"], ["sad", "sad", "fear"], LABELS, parse=True)
    assert compute_erc_metrics([None, "sad", "angry"], ["sad", "sad", "fear"], LABELS, fallback_count=1) == parsed
    with pytest.raises(ValueError, match="fallback_count is 0"):
        compute_erc_metrics([None, "sad"], ["sad", "sad"], LABELS)
    with pytest.raises(ValueError, match=r"predictions\[1\] = None is not a generated text"):
        compute_erc_metrics(["sad", None], ["sad", "sad"], LABELS, parse=True)


def test_a_misspelt_reference_is_an_error_naming_it_and_its_index() -> None:
    from instructerc_hf.errors import InputError
    from instructerc_hf.metrics import LabelSetError

    with pytest.raises(LabelSetError, match=r"references\[2\] = 'sda' is not one of the labels") as caught:
        compute_erc_metrics(["sad", "sad", "sad"], ["sad", "fear", "sda"], LABELS, parse=True)
    assert isinstance(caught.value, InputError)
    with pytest.raises(LabelSetError, match="labels is required"):
        compute_erc_metrics(["sad"], ["sad"], None, parse=True)


def test_fallback_count_is_reported() -> None:
    result = compute_erc_metrics(["sad", "sad"], ["sad", "fear"], LABELS, fallback_count=1)
    assert result["unparseable_rate"] == 0.5


def test_demonstration_copy_rate() -> None:
    gold = ["sad", "angry", "joyful", "neutral"]
    demos = ["sad", "sad", "sad", "neutral"]  # demonstration label right for examples 0 and 3
    pred = ["sad", "sad", "sad", "joyful"]  # copies the demonstration on examples 0, 1 and 2
    result = compute_erc_metrics(pred, gold, LABELS, demonstration_labels=demos)
    assert result["demonstration_copy_rate"] == 0.75
    assert result["demonstration_label_accuracy"] == 0.5
    assert result["accuracy"] == 25.0


@pytest.mark.parametrize(
    ("predictions", "references", "kwargs", "message"),
    [
        (["sad"], ["sad", "fear"], {}, "predictions has 1 elements"),
        ([], [], {}, "no references"),
        (["sad"], ["happy"], {}, r"references\[0\] = 'happy'"),
        (["happy"], ["sad"], {}, "parse=True"),
        (["sad"], ["sad"], {"demonstration_labels": []}, "demonstration_labels has 0"),
        (["sad"], ["sad"], {"demonstration_labels": ["mad"]}, "demonstration_labels"),
        (["sad"], ["sad"], {"fallback_count": 2}, "fallback_count"),
        (["sad"], ["sad"], {"fallback_count": 1, "parse": True}, "fallback_count"),
    ],
)
def test_invalid_input_raises(predictions: list[str], references: list[str], kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        compute_erc_metrics(predictions, references, LABELS, **kwargs)


def test_evaluate_module_loads_offline_and_matches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    evaluate = pytest.importorskip("evaluate")
    metric = evaluate.load(str(METRIC_DIR))
    generated = ["The emotion is: angry.", "sad", "joyfl", "neutral", "Surprise!"]
    gold = ["angry", "sad", "joyful", "fear", "neutral"]
    demos = ["angry", "fear", "joyful", "fear", "sad"]
    result = metric.compute(predictions=generated, references=gold, labels=list(LABELS), demonstration_labels=demos)
    assert result == compute_erc_metrics(generated, gold, LABELS, parse=True, demonstration_labels=demos)
    assert result["unparseable_rate"] == 0.2
    assert "lei2023instructerc" in metric.citation


def test_evaluate_module_requires_labels_and_refuses_a_misspelt_reference() -> None:
    from instructerc_hf.metrics import LabelSetError

    evaluate = pytest.importorskip("evaluate")
    metric = evaluate.load(str(METRIC_DIR))
    with pytest.raises(LabelSetError, match="labels is required"):  # once inferred: a misspelt class scored 100
        metric.compute(predictions=["sda", "sad"], references=["sda", "sad"])
    with pytest.raises(LabelSetError, match=r"references\[0\] = 'sda'"):
        metric.compute(predictions=["sad", "sad"], references=["sda", "sad"], labels=list(LABELS))
