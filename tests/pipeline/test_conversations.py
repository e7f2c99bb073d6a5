"""Conversations as the pipeline takes them."""

from __future__ import annotations

import re

import pytest
from helpers import CONVERSATION

from instructerc_hf.pipeline.conversations import ConversationFormatError, conversation_turns


def test_speakers_are_numbered_by_first_appearance() -> None:
    assert [t.speaker_id for t in conversation_turns(CONVERSATION)] == [0, 1, 0, 2]
    given = [{**t, "speaker_id": 5} for t in CONVERSATION]
    assert {t.speaker_id for t in conversation_turns(given)} == {5}


def test_a_list_of_turns_rows_is_a_list_of_conversations() -> None:
    from instructerc_hf.pipeline.conversations import is_conversation

    turns = [{"speaker": "A", "text": "Hi"}, {"speaker": "B", "text": "Oh"}]
    assert is_conversation(turns) and is_conversation({"turns": turns})
    assert not is_conversation([{"turns": turns}, {"turns": turns[:1]}]) and not is_conversation([turns])


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_an_empty_text_is_an_error_naming_the_turn(text: str) -> None:
    from instructerc_hf.errors import InputError

    with pytest.raises(ConversationFormatError, match=r"turn 2 has an empty text") as caught:
        conversation_turns([*CONVERSATION[:2], {"speaker": "Joey", "text": text}, CONVERSATION[3]])
    assert isinstance(caught.value, InputError)


@pytest.mark.parametrize(
    ("speaker_id", "message"),
    [("abc", "turn 1 has speaker_id='abc'"), (-1, "turn 1 has speaker_id=-1"), ("-2", "turn 1 has speaker_id='-2'"),
     (1.5, "turn 1 has speaker_id=1.5"), (True, "turn 1 has speaker_id=True")],
)
def test_a_bad_speaker_id_is_an_error_naming_the_turn_and_value(speaker_id: object, message: str) -> None:
    turns = [{**CONVERSATION[0], "speaker_id": 0}, {**CONVERSATION[1], "speaker_id": speaker_id}]
    with pytest.raises(ConversationFormatError, match=re.escape(message) + ": a speaker_id is a whole number >= 0"):
        conversation_turns(turns)


def test_speaker_ids_are_whole_numbers_given_on_every_turn_or_none() -> None:
    import numpy as np

    given = [{**t, "speaker_id": i} for t, i in zip(CONVERSATION, [1, "0", np.int64(1), " 2 "], strict=True)]
    assert [t.speaker_id for t in conversation_turns(given)] == [1, 0, 1, 2]
    unset = [{**t, "speaker_id": None} for t in CONVERSATION]  # None is not given
    assert [t.speaker_id for t in conversation_turns(unset)] == [0, 1, 0, 2]
    partial = [{**CONVERSATION[0], "speaker_id": 0}, {**CONVERSATION[1], "speaker_id": 1}, CONVERSATION[2]]
    with pytest.raises(ConversationFormatError, match="turn 2 has no speaker_id but turn 0 has one"):
        conversation_turns(partial)
    with pytest.raises(ConversationFormatError, match="turn 0 has no speaker_id but turn 1 has one"):
        conversation_turns([CONVERSATION[0], {**CONVERSATION[1], "speaker_id": 1}])


def test_real_meld_turns_with_their_own_speaker_ids_pass(corpus) -> None:  # noqa: ANN001
    dialogue = corpus.splits["test"][0]
    rows = [{"speaker": t.speaker, "text": t.text, "speaker_id": t.speaker_id} for t in dialogue.turns]
    assert [(t.text, t.speaker_id) for t in conversation_turns(rows)] == [(t.text, t.speaker_id) for t in dialogue.turns]
