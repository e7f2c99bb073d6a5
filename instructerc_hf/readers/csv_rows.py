"""Strict CSV reading shared by the MELD and EmoryNLP readers."""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from .encoding import decode_file
from .errors import DataFormatError


def read_csv_rows(path: Path, required: tuple[str, ...], counts: Counter[str]) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield ``(line_number, row)`` for every record of ``path``.

    Raises :class:`DataFormatError` naming the file and line for a missing column, a row with
    the wrong number of fields, or a truncated file (an unterminated quoted field).
    """
    text = decode_file(path, counts)
    # not str.splitlines(): it breaks lines at U+0085, which legacy MELD text contains
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader)
    except StopIteration:
        raise DataFormatError(path, "empty file (no header)") from None
    missing = [c for c in required if c not in header]
    if missing:
        raise DataFormatError(path, f"missing column(s) {missing}; header is {header}", row=1)
    try:
        for record in reader:
            if not record:
                continue
            if len(record) != len(header):
                raise DataFormatError(
                    path, f"expected {len(header)} fields, found {len(record)} (truncated or malformed row)",
                    row=reader.line_num,
                )
            yield reader.line_num, dict(zip(header, record, strict=True))
    except csv.Error as err:
        raise DataFormatError(path, f"malformed CSV ({err}); the file may be truncated", row=reader.line_num) from err
