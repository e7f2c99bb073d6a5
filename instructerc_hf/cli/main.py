"""The ``instructerc-hf`` command line: ``instructerc-hf <command> --help`` describes each command."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Sequence

from .build import build_command
from .evaluate import evaluate_command
from .predict import predict_command
from .push import push_command

Command = Callable[[Sequence[str]], int]


COMMANDS: dict[str, tuple[str, Command]] = {
    "build": ("build instruction data from raw MELD / IEMOCAP / EmoryNLP files", build_command),
    "predict": ("label every utterance of a conversation JSON file with a trained adapter", predict_command),
    "evaluate": ("evaluate an adapter on a dataset split: metrics.json + confusion matrix", evaluate_command),
    "push": ("push a trained adapter (with its model card) or the metric Space to the Hub", push_command),
}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``instructerc-hf``."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help") or argv[0] not in COMMANDS:
        print("usage: instructerc-hf <command> [options]\n\ncommands:")
        for name, (help_text, _) in COMMANDS.items():
            print(f"  {name:<10} {help_text}")
        print("\nRun `instructerc-hf <command> --help` for the options of a command.")
        return 0 if argv and argv[0] in ("-h", "--help") else 2
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    return COMMANDS[argv[0]][1](argv[1:])
