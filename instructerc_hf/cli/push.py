"""``instructerc-hf push``: an adapter (with its model card) or the metric Space to the Hub."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from ..errors import InputError
from .options import options_parser


@dataclass
class PushArguments:
    """``instructerc-hf push {adapter,metric} --repo_id ID [--folder DIR] [--include_stage1] [--private]``."""

    what: Literal["adapter", "metric"] = field(metadata={"help": "Push an adapter folder or the metric Space."})
    repo_id: str = field(metadata={"help": "Hub repo id, e.g. my-org/smollm2-meld-lora."})
    folder: str | None = field(
        default=None,
        metadata={"help": "The adapter folder (needed for an adapter), or the metric folder (default: the "
                          "repository's metrics/erc_weighted_f1)."},
    )
    include_stage1: bool = field(
        default=False, metadata={"help": "Also push the stage-1 (speaker identification) adapter, as stage1/."}
    )
    private: bool = field(default=False, metadata={"help": "Create the Hub repo as private."})

    def __post_init__(self) -> None:
        if self.what == "adapter" and not self.folder:
            raise InputError("pushing an adapter needs --folder")


def push_command(argv: Sequence[str]) -> int:
    """``instructerc-hf push {adapter,metric} --repo_id ID [--folder DIR] [--include_stage1] [--private]``."""
    parser = options_parser(
        PushArguments,
        prog="instructerc-hf push",
        description="Push a trained adapter (the files a user needs, never training state; its card written with the "
        "repo id) or the self-contained erc_weighted_f1 metric Space. "
        "Datasets are pushed by `instructerc-hf build ... --push_to_hub`. HF_ENDPOINT selects another Hub.",
        positional=("what",),
    )
    (args,) = parser.parse_args_into_dataclasses(list(argv))
    from ..hub.publish import METRIC_DIR, push_adapter, push_metric

    if args.what == "adapter":
        files = push_adapter(args.folder, args.repo_id, include_stage1=args.include_stage1, private=args.private)
        print("\n".join(files))
    else:
        push_metric(args.repo_id, args.folder or METRIC_DIR, private=args.private)
    print(f"pushed {args.what} to {args.repo_id}")
    return 0
