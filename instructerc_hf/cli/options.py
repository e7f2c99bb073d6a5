"""The argument parser every ``instructerc-hf`` command builds over its options dataclass.

Our own small builder over :mod:`argparse`, not transformers' ``HfArgumentParser``: importing transformers takes
about a second, which ``--help`` and a mistyped option should not pay. The dataclass fields (type, default,
``metadata["help"]`` and ``metadata["aliases"]``, as ``HfArgumentParser`` reads them) stay the single source of truth.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import types
import typing
from collections.abc import Sequence
from typing import Any, Literal, NoReturn

from ..errors import InputError

_TRUE, _FALSE = ("true", "yes", "1", "y", "t"), ("false", "no", "0", "n", "f")


class OptionError(InputError):
    """An option value its dataclass refused (``__post_init__``)."""


def to_bool(text: str | bool) -> bool:
    """``true``/``false`` (and yes/no, 1/0) as a bool, as ``HfArgumentParser`` reads them."""
    if isinstance(text, bool):
        return text
    if text.lower() in _TRUE:
        return True
    if text.lower() in _FALSE:
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, got {text!r}")


def _argument_kind(annotation: Any) -> dict[str, Any]:
    """The ``add_argument`` keywords (type, nargs, choices) of a field annotation."""
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        if len(args) != 1:
            raise TypeError(f"unsupported option type {annotation}")
        annotation, args = args[0], list(typing.get_args(args[0]))
    origin = typing.get_origin(annotation)
    if annotation is bool:
        return {"type": to_bool, "nargs": "?", "const": True, "metavar": "BOOL"}
    if origin is list:
        return {**_argument_kind(args[0]), "nargs": "+"}
    if origin is Literal:
        return {"type": type(args[0]), "choices": args}
    if annotation in (str, int, float):
        return {"type": annotation}
    raise TypeError(f"unsupported option type {annotation}")


def _help(field: dataclasses.Field[Any], required: bool, default: Any) -> str:
    """The field's help, said to be required or ending with its default (unless the help states it already)."""
    text = field.metadata.get("help", "")
    if required:
        return f"{text} (required)".strip()
    if default is None or default == "" or "default" in text.lower():
        return text
    shown = " ".join(map(str, default)) if isinstance(default, list) else str(default).lower() \
        if isinstance(default, bool) else str(default)
    return f"{text} (default: {shown})".strip()


class OptionsParser(argparse.ArgumentParser):
    """An :class:`argparse.ArgumentParser` over one options dataclass; its errors are one line on stderr."""

    def __init__(self, arguments: type, prog: str, description: str, positional: Sequence[str] = ()) -> None:
        super().__init__(prog=prog, description=description)
        self.arguments = arguments
        hints = typing.get_type_hints(arguments)
        for field in dataclasses.fields(arguments):
            if field.init:
                self._add_field(field, hints[field.name], field.name in positional)

    def _add_field(self, field: dataclasses.Field[Any], annotation: Any, positional: bool) -> None:
        """One argument for ``field``: ``--name`` (and ``--name-with-dashes``, its aliases), or a positional one."""
        default: Any = field.default
        if field.default_factory is not dataclasses.MISSING:
            default = field.default_factory()
        required = default is dataclasses.MISSING
        kwargs: dict[str, Any] = {**_argument_kind(annotation), "help": _help(field, required and not positional,
                                                                               default)}
        if not required:
            kwargs["default"] = default
        if positional:
            if not required:
                kwargs.setdefault("nargs", "?")
            self.add_argument(field.name, **kwargs)
            return
        names = [f"--{field.name}", *([f"--{field.name.replace('_', '-')}"] if "_" in field.name else []),
                 *field.metadata.get("aliases", [])]
        self.add_argument(*names, dest=field.name, required=required, **kwargs)

    @property
    def command(self) -> str:
        """``instructerc-hf <command>``: the first two words of ``prog`` (``build``'s names its targets too)."""
        return " ".join(self.prog.split()[:2])

    def error(self, message: str) -> NoReturn:
        """Print ``instructerc-hf <command>: error: <message>`` (one line, no usage) and exit with status 2."""
        print(f"{self.command}: error: {message} (see `{self.command} --help`)", file=sys.stderr)
        sys.exit(2)

    def parse_args_into_dataclasses(self, args: Sequence[str] | None = None) -> tuple[Any, ...]:
        """The options dataclass of ``args`` (a one-element tuple, as ``HfArgumentParser`` returns it).

        Raises:
            OptionError: the dataclass refused a value (its ``__post_init__`` raised ``ValueError``).
        """
        namespace = self.parse_args(args)
        try:
            return (self.arguments(**vars(namespace)),)
        except InputError:
            raise
        except ValueError as error:
            raise OptionError(str(error)) from error


def options_parser(
    arguments: type, prog: str, description: str, positional: Sequence[str] = ()
) -> OptionsParser:
    """An :class:`OptionsParser` over one options dataclass; ``positional`` fields are given without ``--``."""
    return OptionsParser(arguments, prog=prog, description=description, positional=positional)

