"""Conversations as the pipeline takes them: turn lists, ``turns`` mappings or parallel ``speakers``/``utterances`` rows."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from numbers import Integral
from typing import Any

from ..errors import InputError
from ..records import Turn, number_speakers_by_appearance

Conversation = Sequence[Mapping[str, Any]] | Mapping[str, Any]


class ConversationFormatError(InputError):
    """An input that is not a conversation."""


@dataclass(frozen=True)
class ConversationInput:
    """A normalised conversation (keeps the base pipeline from iterating over the turns of a list)."""

    turns: tuple[Turn, ...]


def conversation_turns(conversation: Conversation) -> list[Turn]:
    """The turns of a conversation, numbered by order of first appearance unless every turn has a ``speaker_id``.

    Raises:
        ConversationFormatError: not a non-empty list of turns, a turn without a speaker or with an empty text, or a
            ``speaker_id`` that is not a whole number >= 0, or given on some turns only (naming the turn).
    """
    if isinstance(conversation, Mapping):
        conversation = _mapping_turns(conversation)
    if isinstance(conversation, str) or not isinstance(conversation, Sequence) or not conversation:
        raise ConversationFormatError(
            f"a conversation is a non-empty list of {{'speaker': ..., 'text': ...}} turns, got {type(conversation)}"
        )
    for index, turn in enumerate(conversation):
        if not isinstance(turn, Mapping) or not isinstance(turn.get("text"), str) or "speaker" not in turn:
            raise ConversationFormatError(f"turn {index} is not a {{'speaker': ..., 'text': str}} mapping: {turn!r}")
        if not turn["text"].strip():
            raise ConversationFormatError(f"turn {index} has an empty text ({turn['text']!r}): every turn needs words")
    speakers = [str(turn["speaker"]) for turn in conversation]
    ids = _given_speaker_ids(conversation)
    if ids is None:
        ids = number_speakers_by_appearance(speakers)
    return [
        Turn(speaker=s, speaker_id=i, text=turn["text"], label="", unified_label="", utterance_id=str(n))
        for n, (turn, s, i) in enumerate(zip(conversation, speakers, ids, strict=True))
    ]


def _given_speaker_ids(turns: Sequence[Mapping[str, Any]]) -> list[int] | None:
    """Every turn's own ``speaker_id``, or None when no turn gives one (None counts as not given)."""
    given = [turn.get("speaker_id") for turn in turns]
    if all(value is None for value in given):
        return None
    if None in given:
        lacking, having = given.index(None), next(i for i, value in enumerate(given) if value is not None)
        raise ConversationFormatError(
            f"turn {lacking} has no speaker_id but turn {having} has one: give a speaker_id on every turn or on none"
        )
    return [_speaker_id(value, index) for index, value in enumerate(given)]


def _speaker_id(value: Any, index: int) -> int:
    """A turn's ``speaker_id`` as an int: a whole number >= 0, or a string of one."""
    number = -1
    if isinstance(value, Integral) and not isinstance(value, bool) or isinstance(value, str) and value.strip().isdecimal():
        number = int(value)
    if number < 0:
        raise ConversationFormatError(f"turn {index} has speaker_id={value!r}: a speaker_id is a whole number >= 0")
    return number


def _mapping_turns(row: Mapping[str, Any]) -> Sequence[Mapping[str, Any]]:
    if "turns" in row:
        return row["turns"]
    speakers = row.get("speakers", row.get("speaker"))
    texts = row.get("utterances", row.get("texts", row.get("text")))
    if isinstance(speakers, Sequence) and isinstance(texts, Sequence) and not isinstance(texts, str):
        if len(speakers) != len(texts):
            raise ConversationFormatError(f"{len(speakers)} speakers for {len(texts)} utterances")
        return [{"speaker": s, "text": t} for s, t in zip(speakers, texts, strict=True)]
    raise ConversationFormatError(
        "a conversation mapping needs a 'turns' list or parallel 'speakers' and 'utterances' lists; "
        f"got the keys {sorted(row)}"
    )


def as_input(conversation: Conversation) -> ConversationInput:
    """One conversation, normalised for the pipeline's preprocessing."""
    return ConversationInput(tuple(conversation_turns(conversation)))


def is_conversation(inputs: Any) -> bool:
    """One conversation (rather than a list of them): a mapping, or a list of turns (mappings with a ``text``); a list
    of ``{"turns": ...}`` rows is a list of conversations."""
    if isinstance(inputs, Mapping):
        return True
    return (isinstance(inputs, Sequence) and not isinstance(inputs, str) and bool(inputs)
            and isinstance(inputs[0], Mapping) and "text" in inputs[0])
