"""``instructerc-hf build``: raw files to a Hub-ready instruction-data folder."""

from __future__ import annotations

import shlex
from collections.abc import Sequence

from ..registry import BUILD_TARGETS
from .options import options_parser


def build_command(argv: Sequence[str]) -> int:
    """``instructerc-hf build TARGET --raw-dir PATH --out DIR [...]``."""
    from ..data.arguments import BuildArguments

    parser = options_parser(
        BuildArguments,
        prog="instructerc-hf build",
        description="Build InstructERC instruction data from raw files into a Hub-ready folder "
        f"(Parquet per config and split + dataset card), optionally pushing it. DATASET: one of {list(BUILD_TARGETS)}.",
        positional=["dataset"],
    )
    if not argv or argv[0].startswith("-"):
        parser.print_help()
        return 0 if argv and argv[0] in ("-h", "--help") else 2
    (args,) = parser.parse_args_into_dataclasses(list(argv))
    from ..data.export import build_and_push  # after parsing: it imports datasets

    card = build_and_push(args, command=shlex.join(["instructerc-hf", "build", *argv]))
    for config in card.configs:
        counts = ", ".join(f"{s.name}={s.num_rows}" for s in config.splits)
        print(f"{config.name}: {counts}")
    for kind, count in card.repairs:
        print(f"repaired {count} x {kind}")
    print(f"wrote {args.out}" + (f" and pushed it to {args.push_to_hub}" if args.push_to_hub else ""))
    return 0
