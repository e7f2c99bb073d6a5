"""The ``TrlParser`` of ``examples/sft.py``: recipe, command line and the paper's defaults, unknown keys refused."""

from __future__ import annotations

import difflib
import sys
from collections.abc import Sequence

from trl import ModelConfig, SFTConfig, TrlParser

from ..errors import InputError
from .arguments import PAPER_DEFAULTS, ERCDataArguments, ERCRetrievalArguments, ERCTaskArguments
from .cpu_engines import default_ddp_backend
from .precision import bf16_available, cpu_supports_bf16


class UnknownArgumentError(InputError):
    """A recipe key or command-line option that no dataclass of the parser has."""


ScriptArguments = tuple[ERCDataArguments, ERCTaskArguments, ERCRetrievalArguments, SFTConfig, ModelConfig]


DATACLASSES = (ERCDataArguments, ERCTaskArguments, ERCRetrievalArguments, SFTConfig, ModelConfig)


def make_parser(bf16: bool | None = None) -> TrlParser:
    """The ``TrlParser`` of ``examples/sft.py``, with :data:`PAPER_DEFAULTS` (``bf16``: its default, else the GPU's
    bf16 support; TRL would turn it on everywhere, even where the hardware lacks it)."""
    # allow_abbrev=False: a misspelt option must not pass as an abbreviation of another
    parser = TrlParser(DATACLASSES, allow_abbrev=False)  # type: ignore[arg-type]
    bf16 = bf16_available() if bf16 is None else bf16
    parser.set_defaults(**PAPER_DEFAULTS, bf16=bf16, ddp_backend=default_ddp_backend())
    return parser


def _unknown_keys(strings: Sequence[str]) -> list[str]:
    return [s[2:].split("=", 1)[0] for s in strings if s.startswith("--")]


def _unknown_error(where: str, keys: list[str], parser: TrlParser) -> UnknownArgumentError:
    known = sorted({action.dest for action in parser._actions})
    hints = []
    for key in keys:
        close = difflib.get_close_matches(key, known, n=3)
        hints.append(f"{key!r}" + (f" (did you mean {', '.join(map(repr, close))}?)" if close else ""))
    names = ", ".join(cls.__name__ for cls in DATACLASSES)
    return UnknownArgumentError(f"{where} has unknown key(s): {'; '.join(hints)}. Valid keys are the fields of {names}.")


def parse_args(argv: Sequence[str] | None = None) -> ScriptArguments:
    """Parse ``--config recipe.yaml`` and the command line; unknown keys raise :class:`UnknownArgumentError`.

    With ``use_cpu`` on a CPU with bf16 units, bf16 defaults to on (transformers allows CPU bf16 only with
    ``use_cpu``, so the default is known once that is parsed: then the arguments are parsed again with it).
    """
    args = list(sys.argv[1:] if argv is None else argv)
    parsed = _parse(args, make_parser())
    if parsed[3].use_cpu and not parsed[3].bf16 and cpu_supports_bf16():
        parsed = _parse(args, make_parser(bf16=True))  # a bf16: false of the recipe or command line still wins
    return parsed


def _parse(args: list[str], parser: TrlParser) -> ScriptArguments:
    recipe = args[args.index("--config") + 1] if "--config" in args[:-1] else None
    *parsed, from_recipe, from_command_line = parser.parse_args_and_config(
        args, return_remaining_strings=True, separate_remaining_strings=True
    )
    if from_recipe:
        raise _unknown_error(f"recipe {recipe}", _unknown_keys(from_recipe), parser)
    if from_command_line:
        raise _unknown_error("the command line", _unknown_keys(from_command_line) or from_command_line, parser)
    data, tasks, retrieval, training, model = parsed
    return data, tasks, retrieval, training, model
