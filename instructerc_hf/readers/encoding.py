"""Decoding raw text files: UTF-8, or cp1252 only when the whole file is cp1252; never a silent mix."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from .errors import DataFormatError

#: A UTF-8 multi-byte sequence: a file holding one is UTF-8, whatever else it holds.
_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xf4][\x80-\xbf]{1,3}")
#: The report's repair kind for a cp1252 file.
CP1252_FALLBACK = "file decoded as cp1252 (not valid UTF-8)"


def _position(raw: bytes, offset: int) -> str:
    line = raw.count(b"\n", 0, offset) + 1
    return f"byte {offset} (line {line})"


def decode_file(path: Path, counts: Counter[str]) -> str:
    """The text of ``path``: UTF-8 (a BOM is dropped), else cp1252 when the file has no UTF-8 sequence and decodes
    cleanly as cp1252 (counted in ``counts``), else a :class:`DataFormatError` with the byte offset."""
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        utf8_error = err
    if _UTF8_MULTIBYTE.search(raw):  # a UTF-8 file with damaged bytes: a cp1252 reading would garble the rest
        raise DataFormatError(path, f"not valid UTF-8 at {_position(raw, utf8_error.start)} "
                                    f"({raw[utf8_error.start:utf8_error.start + 1]!r}); fix or remove that byte")
    try:
        text = raw.decode("cp1252")
    except UnicodeDecodeError as err:
        raise DataFormatError(path, f"neither UTF-8 nor cp1252: undecodable {raw[err.start:err.start + 1]!r} at "
                                    f"{_position(raw, err.start)}") from None
    counts[CP1252_FALLBACK] += 1
    return text
