"""The ``instructerc-hf`` command line: ``instructerc-hf <command> --help`` describes each command."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from transformers import HfArgumentParser

from .builders import BUILD_TARGETS

Command = Callable[[Sequence[str]], int]


def _parser(arguments: type, prog: str, description: str) -> HfArgumentParser:
    """An ``HfArgumentParser`` over one options dataclass."""
    return HfArgumentParser(arguments, prog=prog, description=description)  # type: ignore[arg-type]


def build_command(argv: Sequence[str]) -> int:
    """``instructerc-hf build TARGET --raw-dir PATH --out DIR [...]``."""
    from .dataset_export import BuildArguments, build_and_push

    parser = _parser(
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
    (args,) = parser.parse_args_into_dataclasses(rest)
    card = build_and_push(target, args, command="instructerc-hf build " + " ".join([target, *rest]))
    for config in card.configs:
        counts = ", ".join(f"{s.name}={s.num_rows}" for s in config.splits)
        print(f"{config.name}: {counts}")
    for kind, count in card.repairs:
        print(f"repaired {count} x {kind}")
    print(f"wrote {args.out}" + (f" and pushed it to {args.push_to_hub}" if args.push_to_hub else ""))
    return 0


def predict_command(argv: Sequence[str]) -> int:
    """``instructerc-hf predict --model DIR conversation.json [--mode generate] [--output FILE]``."""
    import json

    from .evaluation import PredictArguments, predict_conversations

    parser = _parser(
        PredictArguments,
        prog="instructerc-hf predict",
        description="Label every utterance of a conversation (JSON: a list of {speaker, text} turns, or a list of "
        "such conversations) with a trained adapter; each utterance sees only its past.",
    )
    args, rest = parser.parse_args_into_dataclasses(list(argv), return_remaining_strings=True)
    if len(rest) == 1 and not rest[0].startswith("-") and not args.conversation:
        args.conversation = rest[0]
    elif rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    if not args.conversation:
        parser.error("give the conversation JSON file")
    results = predict_conversations(args)
    text = json.dumps(results[0] if len(results) == 1 else results, indent=2, ensure_ascii=False)
    if args.output:
        Path(args.output).write_text(text + "\n", encoding="utf-8")
        print(f"wrote {args.output}")
    else:
        print(text)
    return 0


def evaluate_command(argv: Sequence[str]) -> int:
    """``instructerc-hf evaluate --model DIR --dataset DIR --split test [--output_dir DIR]``."""
    from .evaluation import CONFUSION_FILE, METRICS_FILE, EvaluateArguments, evaluate_adapter

    parser = _parser(
        EvaluateArguments,
        prog="instructerc-hf evaluate",
        description="Evaluate an adapter on one split of an exported dataset: writes metrics.json (weighted F1 and "
        "diagnostics), predictions.jsonl and confusion_matrix.png.",
    )
    (args,) = parser.parse_args_into_dataclasses(list(argv))
    if not args.dataset:
        parser.error("--dataset is required")
    metrics = evaluate_adapter(args)
    print(f"weighted F1 {metrics['weighted_f1']:.2f}, accuracy {metrics['accuracy']:.2f} on {metrics['num_examples']} "
          f"{args.split} examples ({metrics['utterances_per_second']:.1f} utt/s, mode {args.mode})")
    print(f"wrote {Path(args.output_dir) / METRICS_FILE} and {Path(args.output_dir) / CONFUSION_FILE}")
    return 0


def push_command(argv: Sequence[str]) -> int:
    """``instructerc-hf push {adapter,metric} --repo_id ID [--folder DIR] [--private]``."""
    import argparse

    from .publish import METRIC_DIR, push_adapter, push_metric

    parser = argparse.ArgumentParser(
        prog="instructerc-hf push",
        description="Push a trained adapter (its model card written first) or the erc_weighted_f1 metric Space. "
        "Datasets are pushed by `instructerc-hf build ... --push_to_hub`. HF_ENDPOINT selects another Hub.",
    )
    parser.add_argument("what", choices=["adapter", "metric"])
    parser.add_argument("--repo_id", required=True, help="Hub repo id, e.g. my-org/smollm2-meld-lora")
    parser.add_argument("--folder", help=f"the adapter folder, or the metric folder (default {METRIC_DIR})")
    parser.add_argument("--private", action="store_true")
    args = parser.parse_args(list(argv))
    if args.what == "adapter":
        if not args.folder:
            parser.error("pushing an adapter needs --folder")
        push_adapter(args.folder, args.repo_id, private=args.private)
    else:
        push_metric(args.repo_id, args.folder or METRIC_DIR, private=args.private)
    print(f"pushed {args.what} to {args.repo_id}")
    return 0


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


if __name__ == "__main__":
    sys.exit(main())
