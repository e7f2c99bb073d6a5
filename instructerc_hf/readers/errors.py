"""Errors raised on bad raw input; each names the file and, where there is one, the row."""

from __future__ import annotations

from pathlib import Path

from ..errors import InputError


class DataFormatError(InputError):
    """Raw input that cannot be read as the expected format."""

    def __init__(self, path: str | Path, message: str, row: int | str | None = None) -> None:
        where = f"{path}" if row is None else f"{path}, row {row}"
        super().__init__(f"{where}: {message}")
        self.path = str(path)
        self.row = row


def find_file(raw_dir: str | Path, filename: str, hint: str) -> Path:
    """Find the file called ``filename`` in ``raw_dir``, or else the only one below it.

    Raises FileNotFoundError when there is none and ValueError when several match, listing them,
    so that the user can point ``raw_dir`` at the right copy.
    """
    root = Path(raw_dir)
    if not root.exists():
        raise FileNotFoundError(f"raw data folder {root} does not exist")
    if root.is_file():
        if root.name == filename:
            return root
        raise FileNotFoundError(f"{root} is a file; expected a folder containing {filename} ({hint})")
    if (root / filename).is_file():
        return root / filename
    matches = sorted(root.rglob(filename))
    if not matches:
        raise FileNotFoundError(f"no {filename} at or below {root} ({hint})")
    if len(matches) > 1:
        listing = "\n  ".join(str(m) for m in matches)
        raise ValueError(
            f"{len(matches)} copies of {filename} below {root}; pass the folder of the one to use:\n  {listing}"
        )
    return matches[0]
