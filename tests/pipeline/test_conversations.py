"""Conversations as the pipeline takes them."""

from __future__ import annotations

from helpers import CONVERSATION

from instructerc_hf.pipeline.conversations import conversation_turns


def test_speakers_are_numbered_by_first_appearance() -> None:
    assert [t.speaker_id for t in conversation_turns(CONVERSATION)] == [0, 1, 0, 2]
    given = [{**t, "speaker_id": 5} for t in CONVERSATION]
    assert {t.speaker_id for t in conversation_turns(given)} == {5}


def test_a_list_of_turns_rows_is_a_list_of_conversations() -> None:
    from instructerc_hf.pipeline.conversations import is_conversation

    turns = [{"speaker": "A", "text": "Hi"}, {"speaker": "B", "text": "Oh"}]
    assert is_conversation(turns) and is_conversation({"turns": turns})
    assert not is_conversation([{"turns": turns}, {"turns": turns[:1]}]) and not is_conversation([turns])
