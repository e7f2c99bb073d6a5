"""The columns of every instruction-data config, written once for the builder's features and the dataset card."""

from __future__ import annotations

#: Every column but ``label`` (a ClassLabel over the config's label set), with its ``datasets`` dtype.
ROW_DTYPES: tuple[tuple[str, str], ...] = (
    ("prompt", "string"),
    ("completion", "string"),
    ("task", "string"),
    ("dataset", "string"),
    ("dialogue_id", "string"),
    ("turn", "int32"),
    ("speaker", "string"),
    ("speaker_id", "int32"),
    ("text", "string"),
)
