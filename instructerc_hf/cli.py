"""The ``instructerc-hf`` command line: ``instructerc-hf <command> --help`` describes each command."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Sequence

from transformers import HfArgumentParser

from .builders import BUILD_TARGETS

Command = Callable[[Sequence[str]], int]


def build_command(argv: Sequence[str]) -> int:
    """``instructerc-hf build TARGET --raw-dir PATH --out DIR [...]``."""
    from .dataset_export import BuildArguments, build_and_push

    parser = HfArgumentParser(
        BuildArguments,  # type: ignore[arg-type]
        prog="instructerc-hf build {" + ",".join(BUILD_TARGETS) + "}",
        description="Build InstructERC instruction data from raw files into a Hub-ready folder "
        "(Parquet per config and split + dataset card), optionally pushing it.",
    )
    if not argv or argv[0].startswith("-"):
        parser.print_help()
        return 0 if argv and argv[0] in ("-h", "--help") else 2
    target, rest = argv[0], list(argv[1:])
    if target not in BUILD_TARGETS:
        parser.error(f"unknown dataset {target!r}; choose one of {list(BUILD_TARGETS)}")
    (args,) = parser.parse_args_into_dataclasses(rest)
    card = build_and_push(target, args, command="instructerc-hf build " + " ".join([target, *rest]))
    for config in card.configs:
        counts = ", ".join(f"{s.name}={s.num_rows}" for s in config.splits)
        print(f"{config.name}: {counts}")
    for kind, count in card.repairs:
        print(f"repaired {count} x {kind}")
    print(f"wrote {args.out}" + (f" and pushed it to {args.push_to_hub}" if args.push_to_hub else ""))
    return 0


COMMANDS: dict[str, tuple[str, Command]] = {
    "build": ("build instruction data from raw MELD / IEMOCAP / EmoryNLP files", build_command),
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


if __name__ == "__main__":
    sys.exit(main())
