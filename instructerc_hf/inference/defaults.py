"""Inference modes and defaults (torch-free, so that argument parsers can import them)."""

from __future__ import annotations

from typing import Literal

Mode = Literal["score", "generate"]


MODES: tuple[str, ...] = ("score", "generate")


#: Weight dtypes offered by the CLI and the benchmarks.
DTYPES: tuple[str, ...] = ("float32", "bfloat16", "float16")


DEFAULT_MAX_NEW_TOKENS = 8


#: Default number of tokens one label-scoring forward pass encodes (about 6 MELD utterances; on the 2-core CPU passes of
#: 400-500 new tokens were fastest: fewer mean more per-pass overhead, more mean quadratic attention).
DEFAULT_PACK_TOKENS = 512
