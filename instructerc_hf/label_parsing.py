"""Map generated text to a label, the way the official InstructERC evaluation does.

The official code (``code/main_new.py``: ``match_text`` and ``optimize_output``) scans the
generated answer left to right and keeps the first label it finds, preferring the longest label
at that position; when no label occurs at all it falls back to the label with the smallest edit
distance to the whole answer. No sample is ever dropped. An empty answer (empty or whitespace only) has no label
here: it is unparseable and scores as wrong, where the official fallback would hand it the shortest label.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class ParsedLabel:
    """A label read from generated text; ``exact`` is False when the edit-distance fallback chose it, or when the text
    was empty and ``label`` is None."""

    label: str | None
    exact: bool


def validate_labels(labels: Sequence[str]) -> tuple[str, ...]:
    """Return ``labels`` as a tuple, or raise ValueError if it is empty, has duplicates or empty strings."""
    out = tuple(labels)
    if not out:
        raise ValueError("the label set is empty")
    if any(not isinstance(label, str) or not label for label in out):
        raise ValueError(f"labels must be non-empty strings, got {list(out)}")
    if len(set(out)) != len(out):
        raise ValueError(f"the label set has duplicates: {list(out)}")
    return out


def levenshtein(a: str, b: str) -> int:
    """Levenshtein edit distance (unit-cost insertions, deletions and substitutions)."""
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, start=1):
        current = [i]
        for j, char_b in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b)))
        previous = current
    return previous[-1]


def _leftmost_longest(text: str, candidates: Sequence[str]) -> int | None:
    """Index of the candidate occurring leftmost in ``text`` (longest, then first, at the same position)."""
    best: tuple[int, int, int] | None = None
    for index, candidate in enumerate(candidates):
        position = text.find(candidate)
        if position >= 0 and (best is None or (position, -len(candidate), index) < best):
            best = (position, -len(candidate), index)
    return None if best is None else best[2]


def _closest(text: str, labels: Sequence[str]) -> str:
    """The label with the smallest edit distance to ``text``; the first in ``labels`` order on ties."""
    return min(labels, key=lambda label: levenshtein(text, label))


def parse_label(generated: str, labels: Sequence[str]) -> ParsedLabel:
    """Read one label from generated text.

    Rules, in order:

    1. Case-sensitive search: the label whose first occurrence in ``generated`` starts leftmost
       wins; at the same start the longest label wins (``"sadness"`` over ``"sad"``). Occurrences
       inside words count, as in the official code (``"unhappy"`` contains ``"happy"``).
    2. If no label occurs, the same search case-insensitively (the official code has no such step).
    3. If still nothing occurs, the label with the smallest Levenshtein distance to the stripped
       text (case-sensitive, as in the official code), the first in ``labels`` order on ties;
       ``exact`` is then False.

    Empty or whitespace-only text gets no label (``ParsedLabel(None, exact=False)``): the official
    fallback would give it the shortest label, a silent guess.

    The official scanner only tries spans shorter than 12 characters; every shipped label is
    shorter, so that limit is not reproduced.
    """
    candidates = validate_labels(labels)
    if not generated.strip():
        return ParsedLabel(None, exact=False)
    index = _leftmost_longest(generated, candidates)
    if index is None:
        index = _leftmost_longest(generated.casefold(), [label.casefold() for label in candidates])
    if index is not None:
        return ParsedLabel(candidates[index], exact=True)
    return ParsedLabel(_closest(generated.strip(), candidates), exact=False)


def parse_labels(texts: Sequence[str], labels: Sequence[str]) -> tuple[list[str | None], int]:
    """Parse every text with :func:`parse_label`; return the labels (None for empty texts) and how many were not
    exact (fallback guesses and empty texts)."""
    parsed = [parse_label(text, labels) for text in texts]
    return [p.label for p in parsed], sum(not p.exact for p in parsed)
