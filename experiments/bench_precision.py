"""bf16 against float32 training on this CPU: LoRA steps of SmolLM2-135M-Instruct on the same MELD rows.

Runs ``experiments.bench_training``'s worker twice per prompt, in fresh processes, once per precision (bf16 autocast
needs a CPU with bf16 units: AVX512-BF16 or AMX). Prints the training tokens per second of each, the speedup (target:
1.8x or more) and the loss of every step side by side, which must agree up to bf16 rounding.

    python -m experiments.bench_precision [--prompt plain] [--steps 6] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import subprocess
from collections.abc import Sequence
from typing import Any

from . import REPO
from .bench_training import DEFAULT_RAW, worker_command
from .benches import TRAINING_PROMPTS, add_json_option, reporting, write_figures

PRECISIONS: tuple[str, ...] = ("float32", "bf16")
#: The speedup this benchmark is checked against.
TARGET_SPEEDUP = 1.8


def run(args: argparse.Namespace, precision: str) -> dict[str, Any]:
    """One worker of ``bench_training`` at ``precision``."""
    command = worker_command(argparse.Namespace(**{**vars(args), "precision": precision,
                                                   "activation_checkpointing": False}), args.prompt)
    done = subprocess.run(command, cwd=REPO, check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def report(args: argparse.Namespace, runs: dict[str, dict[str, Any]]) -> dict[str, float]:
    fp32, bf16 = runs["float32"], runs["bf16"]
    speedup = bf16["tokens_per_second"] / fp32["tokens_per_second"]
    gap = max(abs(a - b) for a, b in zip(fp32["losses"], bf16["losses"], strict=True))
    print(f"SmolLM2-135M-Instruct + LoRA (r=16, q/k/v), {args.prompt} prompt, batch {args.batch_size}, "
          f"{args.threads} threads, {args.steps} timed steps after {args.warmup} warm-up")
    for name, r in runs.items():
        print(f"{name:<8} {r['tokens_per_second']:>8.1f} tokens/s {r['seconds_per_step']:>7.2f} s/step "
              f"peak RSS {r['peak_rss_mb']:.0f} MiB")
    verdict = "meets" if speedup >= TARGET_SPEEDUP else "misses"
    print(f"bf16 speedup: {speedup:.2f}x ({verdict} the {TARGET_SPEEDUP}x target)")
    print("step  loss float32  loss bf16")
    for step, (a, b) in enumerate(zip(fp32["losses"], bf16["losses"], strict=True), start=1):
        print(f"{step:>4}  {a:>12.4f}  {b:>9.4f}")
    print(f"largest loss difference: {gap:.4f}")
    return {"float32_tokens_per_second": round(fp32["tokens_per_second"], 1),
            "bf16_tokens_per_second": round(bf16["tokens_per_second"], 1), "speedup": round(speedup, 2),
            "max_loss_difference": round(gap, 4)}


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--prompt", choices=list(TRAINING_PROMPTS), default="plain")
    parser.add_argument("--raw-dir", default=str(DEFAULT_RAW), help="MELD CSV folder (declare-lab/MELD data/MELD)")
    parser.add_argument("--steps", type=int, default=6, help="timed optimizer steps per precision (default 6)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed first steps (default 1)")
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--window", type=int, default=12, help="history window of the InstructERC prompt")
    parser.add_argument("--threads", type=int, default=2, help="torch intra-op threads (default 2)")
    parser.add_argument("--seed", type=int, default=42)
    add_json_option(parser)
    args = parser.parse_args(argv)
    with reporting(args.json):
        runs = {precision: run(args, precision) for precision in PRECISIONS}
        figures = report(args, runs)
    write_figures(args.json, "precision", figures, {"runs": runs})


if __name__ == "__main__":
    main()
