"""The ``instructerc-hf`` command line: ``instructerc-hf <command> --help`` describes each command.

A user-input error (:class:`~instructerc_hf.errors.InputError`, a missing or misplaced file, a file that is not JSON)
is one line on stderr, ``instructerc-hf <command>: error: <message>``, and exit status 2; ``--debug`` anywhere on the
command line shows the traceback instead.
"""

from __future__ import annotations

import difflib
import json
import logging
import re
import sys
from collections.abc import Callable, Sequence

from ..errors import InputError
from .build import build_command
from .evaluate import evaluate_command
from .predict import predict_command
from .push import push_command

Command = Callable[[Sequence[str]], int]

PROG = "instructerc-hf"

COMMANDS: dict[str, tuple[str, Command]] = {
    "build": ("build instruction data from raw MELD / IEMOCAP / EmoryNLP files", build_command),
    "predict": ("label every utterance of a conversation JSON file with a trained adapter", predict_command),
    "evaluate": ("evaluate an adapter on a dataset split: metrics.json + confusion matrix", evaluate_command),
    "push": ("push a trained adapter (with its model card) or the metric Space to the Hub", push_command),
}

#: What a user got wrong, reported in one line; anything else is a bug and keeps its traceback.
USER_ERRORS: tuple[type[Exception], ...] = (
    InputError, FileNotFoundError, NotADirectoryError, IsADirectoryError, PermissionError, json.JSONDecodeError,
)

DEBUG_FLAG = "--debug"


def overview() -> str:
    """The general help: the commands and how to get each one's options."""
    lines = [f"usage: {PROG} <command> [options] [{DEBUG_FLAG}]", "", "commands:"]
    lines += [f"  {name:<10} {help_text}" for name, (help_text, _) in COMMANDS.items()]
    lines += ["", f"Run `{PROG} <command> --help` for the options of a command; {DEBUG_FLAG} shows the traceback "
              "of an error."]
    return "\n".join(lines)


def describe(error: Exception) -> str:
    """One line for ``error``: an OS error as its reason and file, JSON errors with their position."""
    if isinstance(error, OSError) and error.strerror and error.filename is not None:
        return f"{error.strerror}: {error.filename}"
    if isinstance(error, json.JSONDecodeError):
        return f"not valid JSON: {error.msg} (line {error.lineno}, column {error.colno})"
    return re.sub(r"\s*\n\s*", " ", str(error).strip()) or type(error).__name__


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``instructerc-hf``."""
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = DEBUG_FLAG in argv
    argv = [arg for arg in argv if arg != DEBUG_FLAG]
    if not argv or argv[0] in ("-h", "--help"):
        print(overview())
        return 0 if argv else 2
    name, rest = argv[0], argv[1:]
    if name not in COMMANDS:
        close = difflib.get_close_matches(name, COMMANDS, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        print(f"{PROG}: error: unknown command {name!r}{hint}\n\n{overview()}", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        return COMMANDS[name][1](rest)
    except USER_ERRORS as error:
        if debug:
            raise
        print(f"{PROG} {name}: error: {describe(error)}", file=sys.stderr)
        return 2
