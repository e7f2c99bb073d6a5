"""Repair of the cp1252 damage in pre-2020 MELD text (C1 control characters and mojibake)."""

from __future__ import annotations

import re
from collections import Counter

_C1 = re.compile("[\x80-\x9f]")
_MOJIBAKE = re.compile("[ÂÃâ][\x80-\xbf\u0152-\u2122]")


def _c1_to_cp1252(match: re.Match[str]) -> str:
    try:
        return bytes([ord(match.group())]).decode("cp1252")
    except UnicodeDecodeError:  # 0x81, 0x8d, 0x8f, 0x90, 0x9d are unassigned in cp1252
        return match.group()


def repair_text(text: str, counts: Counter[str] | None = None) -> str:
    """Return ``text`` with cp1252 damage undone, counting each kind of repair in ``counts``.

    - UTF-8 read as cp1252 (``companyâ€™s``, ``companyÂ’s``) is decoded back first.
    - C1 control characters (``company\\x92s``: cp1252 bytes decoded as latin-1) become the
      cp1252 character (``company’s``).
    - No-break spaces become plain spaces, as in the fixed MELD release.
    """
    counts = counts if counts is not None else Counter()
    fixed = text
    if _MOJIBAKE.search(fixed):
        try:
            fixed = fixed.encode("cp1252").decode("utf-8")
            counts["utf-8 mojibake"] += 1
        except UnicodeError:
            pass
    if _C1.search(fixed):
        fixed = _C1.sub(_c1_to_cp1252, fixed)
        counts["C1 control characters"] += 1
    if "\xa0" in fixed:
        fixed = fixed.replace("\xa0", " ")
        counts["no-break space"] += 1
    return fixed
