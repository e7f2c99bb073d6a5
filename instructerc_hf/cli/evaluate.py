"""``instructerc-hf evaluate``: an adapter on one split of an exported dataset."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from .options import options_parser


def evaluate_command(argv: Sequence[str]) -> int:
    """``instructerc-hf evaluate --model DIR --dataset DIR --split test [--output_dir DIR]``."""
    from ..inference.arguments import EvaluateArguments
    from ..raw_files import check_built_dataset
    from ..registry import CONFUSION_FILE, METRICS_FILE

    parser = options_parser(
        EvaluateArguments,
        prog="instructerc-hf evaluate",
        description="Evaluate an adapter on one split of a dataset built by `instructerc-hf build` (raw files: build "
        "them first): writes metrics.json (weighted F1 and diagnostics), predictions.jsonl and confusion_matrix.png.",
    )
    (args,) = parser.parse_args_into_dataclasses(list(argv))
    check_built_dataset(args.dataset, args.config)  # before torch is imported: raw files are refused at once
    from ..inference.evaluation import evaluate_adapter
    from ..inference.sharding import is_main_process

    metrics = evaluate_adapter(args)
    if not is_main_process():  # under accelerate launch, one report
        return 0
    print(f"weighted F1 {metrics['weighted_f1']:.2f}, accuracy {metrics['accuracy']:.2f} on {metrics['num_examples']} "
          f"{args.split} examples ({metrics['utterances_per_second']:.1f} utt/s, mode {args.mode})")
    print(f"wrote {Path(args.output_dir) / METRICS_FILE} and {Path(args.output_dir) / CONFUSION_FILE}")
    return 0
