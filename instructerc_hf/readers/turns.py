"""Turning raw fields into :class:`~instructerc_hf.records.Turn` objects with checked labels."""

from __future__ import annotations

from pathlib import Path

from ..labels import DatasetLabels, UnknownLabelError
from ..records import Dialogue, Turn
from .errors import DataFormatError


def make_turn(
    labels: DatasetLabels,
    *,
    speaker: str,
    speaker_id: int,
    text: str,
    raw_label: str,
    utterance_id: str,
    path: Path,
    row: int | str,
) -> Turn:
    """Build a turn, raising :class:`DataFormatError` for an empty text or an unknown label."""
    if not text.strip():
        raise DataFormatError(path, "empty utterance text", row=row)
    try:
        label = labels.normalize(raw_label)
    except UnknownLabelError as err:
        raise DataFormatError(path, str(err), row=row) from err
    return Turn(
        speaker=speaker,
        speaker_id=speaker_id,
        text=text,
        label=label,
        unified_label=labels.unified.get(label, ""),
        utterance_id=utterance_id,
    )


def check_not_empty(dialogues: list[Dialogue], path: Path) -> list[Dialogue]:
    """Raise when a split holds no dialogue or a dialogue holds no turn."""
    if not dialogues:
        raise DataFormatError(path, "no dialogues found")
    for dialogue in dialogues:
        if not dialogue.turns:
            raise DataFormatError(path, f"dialogue {dialogue.dialogue_id} has no utterances")
    return dialogues
