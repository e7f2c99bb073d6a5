"""Cost of the InstructERC prompt in training: LoRA steps on SmolLM2-135M-Instruct, CPU.

Trains the same MELD training utterances (a seeded sample of the real train split) with two prompts:

- ``instructerc``: the main-task prompt with the history window (default 12 turns, the paper's);
- ``plain``: the utterance alone (the paper's "LoRA + Backbone" baseline).

Each variant runs in a fresh process: the offline SmolLM2-135M-Instruct with a LoRA adapter (r=16, alpha=16, q/k/v),
``InstructERCTrainer`` (TRL's ``SFTTrainer``), batch 4, rows in order, bf16 autocast where the CPU has bf16 units
(``--precision``; float32 elsewhere). It prints, per variant, the tokens
per row, seconds per optimizer step, training tokens per second (non-padding tokens of prompt + completion) and peak
resident memory: of the whole process and of the timed steps alone (VmHWM after resetting it before the steps).

    python -m experiments.bench_training [--steps 6] [--window 12] [--threads 2] [--precision auto] [--padding-free]
        [--json PATH]

CPU timings on a shared machine are noisy: compare variants of the same run.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast

from . import DATA_DIR, REPO, corpora
from .benches import TRAINING_FIGURES, TRAINING_PROMPTS, add_json_option, reporting, write_figures

DEFAULT_RAW = corpora.corpus("meld").raw_dir(DATA_DIR) / corpora.MELD_CSV
#: Decimals of each figure in the JSON.
DIGITS: dict[str, int] = {"tokens_per_row": 1, "seconds_per_step": 2, "tokens_per_second": 1,
                          "padded_tokens_per_second": 1, "peak_rss_mb": 0}


def rss_peak_mb() -> float:
    """The process's peak resident set size (VmHWM), in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def reset_rss_peak() -> bool:
    """Reset VmHWM to the current RSS (Linux ``clear_refs``); False where not allowed."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def training_rows(task: str, raw_dir: str, window: int, count: int, seed: int) -> Any:
    """``count`` seeded MELD training rows of ``task`` (the same utterances for every task)."""
    from datasets import Dataset

    from instructerc_hf.data import InstructERCBuilder

    builder = InstructERCBuilder(config_name=f"meld-{task}", raw_dir=raw_dir, window=window)
    rows = builder.split_rows("train")
    chosen = sorted(random.Random(seed).sample(range(len(rows)), count))
    return Dataset.from_list([{k: rows[i][k] for k in ("prompt", "completion", "task")} for i in chosen])


def run_variant(args: argparse.Namespace) -> dict[str, Any]:
    """Time ``args.warmup + args.steps`` LoRA steps of one variant in this process."""
    import torch
    from datasets import Dataset
    from datasets.utils.logging import disable_progress_bar
    from peft import LoraConfig
    from transformers import TrainerCallback
    from transformers.utils import logging as hf_logging
    from trl import SFTConfig

    from instructerc_hf.modeling import load_causal_lm, load_tokenizer, resolve_base_model
    from instructerc_hf.training import InstructERCTrainer

    disable_progress_bar()
    hf_logging.set_verbosity_error()
    torch.set_num_threads(args.threads)
    base = resolve_base_model(None)
    tokenizer = load_tokenizer(base)
    steps = args.warmup + args.steps
    rows = training_rows(TRAINING_PROMPTS[args.worker], args.raw_dir, args.window, steps * args.batch_size, args.seed)

    class StepTimer(TrainerCallback):
        def __init__(self) -> None:
            self.starts: list[float] = []
            self.ends: list[float] = []
            self.measured = False  # VmHWM was reset before the first timed step

        def on_step_begin(self, *_: Any, **__: Any) -> None:
            if len(self.starts) == args.warmup:
                self.measured = reset_rss_peak()
            self.starts.append(time.perf_counter())

        def on_step_end(self, *_: Any, **__: Any) -> None:
            self.ends.append(time.perf_counter())

    class LossLog(TrainerCallback):
        def __init__(self) -> None:
            self.losses: list[float] = []

        def on_log(self, *_: Any, logs: dict[str, float] | None = None, **__: Any) -> None:
            if logs and "loss" in logs:
                self.losses.append(float(logs["loss"]))

    timer, loss_log = StepTimer(), LossLog()
    with tempfile.TemporaryDirectory() as out:
        config = SFTConfig(
            output_dir=out, use_cpu=True, bf16=args.precision == "bf16",
            activation_checkpointing=args.activation_checkpointing,
            max_steps=steps,
            per_device_train_batch_size=args.batch_size, gradient_accumulation_steps=1, learning_rate=2e-4,
            max_length=None, train_sampling_strategy="sequential", save_strategy="no", report_to=[],
            logging_strategy="steps", logging_steps=1, disable_tqdm=True, seed=args.seed, dataloader_num_workers=0,
            padding_free=args.padding_free,
        )
        lora = LoraConfig(r=16, lora_alpha=16, lora_dropout=0.05, target_modules=["q_proj", "k_proj", "v_proj"],
                          task_type="CAUSAL_LM")
        trainer = InstructERCTrainer(model=load_causal_lm(base), args=config, train_dataset=rows,
                                     processing_class=tokenizer, peft_config=lora, callbacks=[timer, loss_log])
        lengths = [len(ids) for ids in cast(Dataset, trainer.train_dataset)["input_ids"]]
        before = rss_peak_mb()
        trainer.train()
    timed = slice(args.warmup, steps)
    seconds = sum(e - s for s, e in zip(timer.starts[timed], timer.ends[timed], strict=True))
    tokens = sum(lengths[args.warmup * args.batch_size : steps * args.batch_size])
    padded = tokens if args.padding_free else sum(  # the tokens computed: with padding unless padding-free
        max(lengths[i : i + args.batch_size]) * args.batch_size
        for i in range(args.warmup * args.batch_size, steps * args.batch_size, args.batch_size))
    return {
        "variant": args.worker,
        "precision": args.precision,
        "padding_free": args.padding_free,
        "losses": loss_log.losses,
        "tokens_per_row": tokens / (args.steps * args.batch_size),
        "seconds_per_step": seconds / args.steps,
        "tokens_per_second": tokens / seconds,
        "padded_tokens_per_second": padded / seconds,
        "peak_rss_mb": rss_peak_mb(),
        "rss_before_training_mb": before,
        "step_peak_rss_mb": rss_peak_mb() if timer.measured else None,
    }


def resolve_precision(precision: str) -> str:
    """``auto``: bf16 where the CPU has bf16 units (the CPU recipes' default), else float32."""
    if precision != "auto":
        return precision
    from instructerc_hf.training.precision import cpu_supports_bf16

    return "bf16" if cpu_supports_bf16() else "float32"


def add_precision_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--precision", choices=["auto", "float32", "bf16"], default="auto",
                        help="training precision (default auto: bf16 autocast where the CPU has bf16 units)")


def figures(results: Sequence[dict[str, Any]]) -> dict[str, float]:
    """The JSON figures of the workers' results: ``<prompt>_<figure>`` for each of :data:`TRAINING_FIGURES`."""
    return {f"{r['variant']}_{name}": round(r[name], DIGITS[name]) for r in results for name in TRAINING_FIGURES}


def worker_command(args: argparse.Namespace, variant: str) -> list[str]:
    """This benchmark on one prompt, in a fresh process (its peak memory is its own)."""
    command = [sys.executable, "-m", "experiments.bench_training", "--raw-dir", str(args.raw_dir), "--steps",
               str(args.steps), "--warmup", str(args.warmup), "--batch-size", str(args.batch_size), "--window",
               str(args.window), "--threads", str(args.threads), "--seed", str(args.seed), "--precision",
               resolve_precision(args.precision), "--worker", variant]
    return command + (["--activation-checkpointing"] if args.activation_checkpointing else []) + (
        ["--padding-free"] if getattr(args, "padding_free", False) else [])


def report(args: argparse.Namespace, results: Sequence[dict[str, Any]]) -> None:
    print(f"SmolLM2-135M-Instruct + LoRA (r=16, q/k/v), batch {args.batch_size}, {resolve_precision(args.precision)}, "
          f"{args.threads} threads, "
          f"{args.steps} timed steps after {args.warmup} warm-up, MELD train rows (seed {args.seed})"
          + (", activation checkpointing" if args.activation_checkpointing else "")
          + (", padding-free" if args.padding_free else ""))
    header = (f"{'prompt':<22}{'tokens/row':>11}{'s/step':>9}{'tokens/s':>10}{'padded tok/s':>14}"
              f"{'peak RSS MiB':>14}{'steps peak MiB':>16}")
    print(header)
    for r in results:
        name = f"instructerc (w={args.window})" if r["variant"] == "instructerc" else "plain"
        step_peak = f"{r['step_peak_rss_mb']:.0f}" if r["step_peak_rss_mb"] is not None else "n/a"
        print(f"{name:<22}{r['tokens_per_row']:>11.1f}{r['seconds_per_step']:>9.2f}{r['tokens_per_second']:>10.1f}"
              f"{r['padded_tokens_per_second']:>14.1f}{r['peak_rss_mb']:>14.0f}{step_peak:>16}")
    ours, plain = results
    print(f"InstructERC prompt: {ours['tokens_per_row'] / plain['tokens_per_row']:.1f}x the tokens per row, "
          f"{ours['seconds_per_step'] / plain['seconds_per_step']:.1f}x the time per step, "
          f"{ours['peak_rss_mb'] - plain['peak_rss_mb']:+.0f} MiB peak memory")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--raw-dir", default=str(DEFAULT_RAW), help="MELD CSV folder (declare-lab/MELD data/MELD)")
    parser.add_argument("--steps", type=int, default=6, help="timed optimizer steps per variant (default 6)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed first steps (default 1)")
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--window", type=int, default=12, help="history window of the InstructERC prompt")
    parser.add_argument("--threads", type=int, default=2, help="torch intra-op threads (default 2)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--activation-checkpointing", action="store_true",
                        help="recompute activations in the backward pass (less memory, more time)")
    parser.add_argument("--padding-free", action="store_true",
                        help="flatten each batch into one row without padding (SFTConfig padding_free)")
    add_precision_option(parser)
    parser.add_argument("--worker", choices=list(TRAINING_PROMPTS), help=argparse.SUPPRESS)
    add_json_option(parser)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(run_variant(args)))  # the last line: read by the parent process below
        return
    with reporting(args.json):
        results = []
        for variant in TRAINING_PROMPTS:
            done = subprocess.run(worker_command(args, variant), cwd=REPO, check=True, capture_output=True, text=True)
            results.append(json.loads(done.stdout.strip().splitlines()[-1]))
        report(args, results)
    write_figures(args.json, "training", figures(results), {"runs": results})


if __name__ == "__main__":
    main()
