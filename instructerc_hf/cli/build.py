"""``instructerc-hf build``: raw files to a Hub-ready instruction-data folder."""

from __future__ import annotations

import shlex
from collections.abc import Sequence

from ..registry import BUILD_TARGETS
from .options import options_parser


def build_command(argv: Sequence[str]) -> int:
    """``instructerc-hf build TARGET --raw-dir PATH --out DIR [...]``."""
    from ..data.export import BuildArguments, build_and_push

    parser = options_parser(
        BuildArguments,
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
    (args,) = parser.parse_args_into_dataclasses(["--dataset", target, *rest])
    card = build_and_push(args, command=shlex.join(["instructerc-hf", "build", target, *rest]))
    for config in card.configs:
        counts = ", ".join(f"{s.name}={s.num_rows}" for s in config.splits)
        print(f"{config.name}: {counts}")
    for kind, count in card.repairs:
        print(f"repaired {count} x {kind}")
    print(f"wrote {args.out}" + (f" and pushed it to {args.push_to_hub}" if args.push_to_hub else ""))
    return 0
