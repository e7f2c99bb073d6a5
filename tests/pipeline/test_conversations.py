"""Conversations as the pipeline takes them."""

from __future__ import annotations

from helpers import CONVERSATION

from instructerc_hf.pipeline.conversations import conversation_turns


def test_speakers_are_numbered_by_first_appearance() -> None:
    assert [t.speaker_id for t in conversation_turns(CONVERSATION)] == [0, 1, 0, 2]
    given = [{**t, "speaker_id": 5} for t in CONVERSATION]
    assert {t.speaker_id for t in conversation_turns(given)} == {5}
