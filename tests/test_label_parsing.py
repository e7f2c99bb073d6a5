"""Parsing generated text into labels, as the official InstructERC evaluation does."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from instructerc_hf.label_parsing import ParsedLabel, levenshtein, parse_label, parse_labels
from instructerc_hf.labels import EMORYNLP, IEMOCAP, MELD

MELD_LABELS = MELD.labels
IEMOCAP_LABELS = IEMOCAP.labels


@pytest.mark.parametrize("label", MELD_LABELS)
def test_exact_label(label: str) -> None:
    assert parse_label(label, MELD_LABELS) == ParsedLabel(label, exact=True)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The emotion is: angry.", "angry"),
        ("  joyful\n", "joyful"),
        ("I think the speaker feels sad and a bit angry", "sad"),
        ("angry, or maybe sad", "angry"),
    ],
)
def test_surrounding_text_and_leftmost_label(text: str, expected: str) -> None:
    assert parse_label(text, MELD_LABELS) == ParsedLabel(expected, exact=True)


def test_longest_label_wins_at_same_position() -> None:
    labels = ("sad", "sadness", "joy")
    assert parse_label("sadness", labels).label == "sadness"
    assert parse_label("sadness", ("sadness", "sad")).label == "sadness"
    assert parse_label("joy then sadness", labels).label == "joy"


def test_case_sensitive_match_beats_earlier_case_insensitive_one() -> None:
    assert parse_label("Angry? no: sad", MELD_LABELS) == ParsedLabel("sad", exact=True)


@pytest.mark.parametrize(("text", "expected"), [("ANGRY", "angry"), ("Joyful!", "joyful"), ("SAD or angry", "angry")])
def test_case_insensitive_second_pass(text: str, expected: str) -> None:
    assert parse_label(text, MELD_LABELS) == ParsedLabel(expected, exact=True)


def test_case_insensitive_returns_canonical_spelling() -> None:
    assert parse_label("the speaker is joyful", EMORYNLP.labels) == ParsedLabel("Joyful", exact=True)


@pytest.mark.parametrize(
    ("text", "labels", "expected"),
    [
        ("joyfl", MELD_LABELS, "joyful"),
        ("frustated", IEMOCAP_LABELS, "frustrated"),
        (" surprized ", MELD_LABELS, "surprise"),
    ],
)
def test_misspelling_falls_back_to_edit_distance(text: str, labels: tuple[str, ...], expected: str) -> None:
    assert parse_label(text, labels) == ParsedLabel(expected, exact=False)


@pytest.mark.parametrize("text", ["", "   ", "\n\t ", "\u3000"])
def test_empty_text_gets_no_label_not_the_shortest_one(text: str) -> None:
    assert parse_label(text, MELD_LABELS) == ParsedLabel(None, exact=False)  # the official fallback gave "sad"
    assert parse_label(text, ("ab", "cd", "e")) == ParsedLabel(None, exact=False)


def test_fallback_ties_broken_by_label_order() -> None:
    assert parse_label("xy", ("ab", "cd")).label == "ab"
    assert parse_label("xy", ("cd", "ab")).label == "cd"


def test_substring_of_a_word_counts_as_official_code_does() -> None:
    assert parse_label("joyfull", MELD_LABELS) == ParsedLabel("joyful", exact=True)  # not a fallback
    assert parse_label("unhappy", IEMOCAP_LABELS) == ParsedLabel("happy", exact=True)
    assert parse_label("the saddest", MELD_LABELS) == ParsedLabel("sad", exact=True)


def test_parse_labels_counts_fallbacks_and_keeps_every_sample() -> None:
    labels, fallbacks = parse_labels(["angry", "", "joyfl", "Sad", " "], MELD_LABELS)
    assert labels == ["angry", None, "joyful", "sad", None]
    assert fallbacks == 3  # the guess and both empty texts


@pytest.mark.parametrize("labels", [(), ("sad", "sad"), ("sad", "")])
def test_bad_label_sets_are_rejected(labels: tuple[str, ...]) -> None:
    with pytest.raises(ValueError):
        parse_label("sad", labels)


@pytest.mark.parametrize(
    ("a", "b", "distance"), [("", "", 0), ("", "abc", 3), ("kitten", "sitting", 3), ("ab", "ba", 2)]
)
def test_levenshtein(a: str, b: str, distance: int) -> None:
    assert levenshtein(a, b) == distance == levenshtein(b, a)


@given(st.text(max_size=40))
def test_parse_returns_a_label_unless_the_text_is_empty(text: str) -> None:
    parsed = parse_label(text, MELD_LABELS)
    assert (parsed.label is None) == (not text.strip())
    assert parsed.label is None or parsed.label in MELD_LABELS
    assert parsed.exact == any(label in text.casefold() for label in MELD_LABELS)
