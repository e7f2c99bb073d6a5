"""The argument parser every ``instructerc-hf`` command builds over its options dataclass."""

from __future__ import annotations

from transformers import HfArgumentParser


def options_parser(arguments: type, prog: str, description: str) -> HfArgumentParser:
    """An ``HfArgumentParser`` over one options dataclass."""
    return HfArgumentParser(arguments, prog=prog, description=description)  # type: ignore[arg-type]
