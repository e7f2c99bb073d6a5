"""bf16 and padding-free against float32 training on this CPU: LoRA steps of SmolLM2-135M-Instruct on the same rows.

Runs ``experiments.bench_training``'s worker three times, in fresh processes: float32 with padded batches (the old
default), bf16 autocast with padded batches (the CPU recipes' default where the CPU has bf16 units: AVX512-BF16 or
AMX), and bf16 with padding-free batches (``--padding_free true``, opt-in). Prints the training tokens per second
(non-padding tokens) of each, the speedups over float32 (target for the default: 1.8x or more) and the loss of every
step side by side, which must agree up to bf16 rounding (padding-free changes nothing but the padding).

    python -m experiments.bench_precision [--prompt instructerc] [--steps 6] [--json PATH]
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

#: The runs compared: (name, precision, padding-free).
RUNS: tuple[tuple[str, str, bool], ...] = (("float32", "float32", False), ("bf16", "bf16", False),
                                           ("bf16_padding_free", "bf16", True))
#: The speedup this benchmark is checked against.
TARGET_SPEEDUP = 1.8


def run(args: argparse.Namespace, precision: str, padding_free: bool) -> dict[str, Any]:
    """One worker of ``bench_training`` at ``precision``, padded or padding-free."""
    command = worker_command(argparse.Namespace(**{**vars(args), "precision": precision, "padding_free": padding_free,
                                                   "activation_checkpointing": False}), args.prompt)
    done = subprocess.run(command, cwd=REPO, check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def report(args: argparse.Namespace, runs: dict[str, dict[str, Any]]) -> dict[str, float]:
    fp32 = runs["float32"]
    speedups = {name: r["tokens_per_second"] / fp32["tokens_per_second"] for name, r in runs.items()}
    gap = max(abs(a - b) for r in runs.values() for a, b in zip(fp32["losses"], r["losses"], strict=True))
    print(f"SmolLM2-135M-Instruct + LoRA (r=16, q/k/v), {args.prompt} prompt, batch {args.batch_size}, "
          f"{args.threads} threads, {args.steps} timed steps after {args.warmup} warm-up")
    for name, r in runs.items():
        print(f"{name:<18} {r['tokens_per_second']:>8.1f} tokens/s {r['seconds_per_step']:>7.2f} s/step "
              f"{speedups[name]:>5.2f}x  peak RSS {r['peak_rss_mb']:.0f} MiB")
    default = speedups["bf16"]
    verdict = "meets" if default >= TARGET_SPEEDUP else "misses"
    print(f"bf16 (the default) speedup over float32: {default:.2f}x ({verdict} the {TARGET_SPEEDUP}x target); "
          f"bf16 + padding-free {speedups['bf16_padding_free']:.2f}x")
    print("step" + "".join(f"  {'loss ' + name:>23}" for name in runs))
    for step, losses in enumerate(zip(*(r["losses"] for r in runs.values()), strict=True), start=1):
        print(f"{step:>4}" + "".join(f"  {loss:>23.4f}" for loss in losses))
    print(f"largest loss difference from float32: {gap:.4f}")
    return {**{f"{name}_tokens_per_second": round(r["tokens_per_second"], 1) for name, r in runs.items()},
            "speedup": round(default, 2), "padding_free_speedup": round(speedups["bf16_padding_free"], 2),
            "max_loss_difference": round(gap, 4)}


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--prompt", choices=list(TRAINING_PROMPTS), default="instructerc",
                        help="the prompt trained (default: InstructERC's main prompt with its history window)")
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
        runs = {name: run(args, precision, padding_free) for name, precision, padding_free in RUNS}
        figures = report(args, runs)
    write_figures(args.json, "precision", figures, {"runs": runs})


if __name__ == "__main__":
    main()
