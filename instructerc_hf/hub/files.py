"""Reading one file of a local model folder or a Hub repo."""

from __future__ import annotations

from pathlib import Path


def model_file(model_dir: str | Path, filename: str) -> Path | None:
    """``filename`` of a local model folder, or downloaded from the Hub repo ``model_dir``; ``None`` when it has none.

    A path that exists locally is never looked up on the Hub. Offline, a file not in the Hub cache raises
    ``huggingface_hub``'s error.
    """
    path = Path(model_dir) / filename
    if path.is_file():
        return path
    if Path(model_dir).exists():
        return None
    from huggingface_hub import hf_hub_download
    from huggingface_hub.errors import EntryNotFoundError

    try:
        return Path(hf_hub_download(str(model_dir), filename))
    except EntryNotFoundError:
        return None
