"""``instructerc-hf push``: an adapter (with its model card) or the metric Space to the Hub."""

from __future__ import annotations

from collections.abc import Sequence


def push_command(argv: Sequence[str]) -> int:
    """``instructerc-hf push {adapter,metric} --repo_id ID [--folder DIR] [--include_stage1] [--private]``."""
    import argparse

    from ..hub.publish import METRIC_DIR, push_adapter, push_metric

    parser = argparse.ArgumentParser(
        prog="instructerc-hf push",
        description="Push a trained adapter (the files a user needs, never training state; its card written with the "
        "repo id) or the self-contained erc_weighted_f1 metric Space. "
        "Datasets are pushed by `instructerc-hf build ... --push_to_hub`. HF_ENDPOINT selects another Hub.",
    )
    parser.add_argument("what", choices=["adapter", "metric"])
    parser.add_argument("--repo_id", required=True, help="Hub repo id, e.g. my-org/smollm2-meld-lora")
    parser.add_argument("--folder", help=f"the adapter folder, or the metric folder (default {METRIC_DIR})")
    parser.add_argument("--include_stage1", action="store_true",
                        help="also push the stage-1 (speaker identification) adapter, as stage1/")
    parser.add_argument("--private", action="store_true")
    args = parser.parse_args(list(argv))
    if args.what == "adapter":
        if not args.folder:
            parser.error("pushing an adapter needs --folder")
        files = push_adapter(args.folder, args.repo_id, include_stage1=args.include_stage1, private=args.private)
        print("\n".join(files))
    else:
        push_metric(args.repo_id, args.folder or METRIC_DIR, private=args.private)
    print(f"pushed {args.what} to {args.repo_id}")
    return 0
