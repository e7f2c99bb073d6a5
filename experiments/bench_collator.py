"""Cost of drawing demonstrations per batch: ``DemonstrationCollator`` time against a SmolLM2-135M LoRA step, CPU.

Real MELD: the main-task prompts (history window 12) of a seeded sample of train rows; the domain base is the
balanced full train split (1,876 utterances, all-MiniLM-L6-v2, embeddings cached). Per strategy (``top1``,
``sample_topk``, ``per_label``) it prints the one-off set-up (ranking every row's candidates, fitting needs none
here: ``max_length`` is off), the memory of the candidate table, and the collator's time per batch: drawing and
wording the demonstrations alone, and the whole call (draw, word, tokenize like TRL, mask, pad). Then it times LoRA
steps of ``InstructERCTrainer`` (r=16, alpha=16, q/k/v; batch 4; rows in order) on the ``per_label`` prompts, the
longest, with the collator in the loop, and reports the collator's share of a step (target: under 5%).

    python -m experiments.bench_collator [--steps 3] [--batches 40] [--threads 2] [--precision auto] [--json PATH]

CPU timings on a shared machine are noisy: the share compares figures of the same run.
"""

from __future__ import annotations

import argparse
import dataclasses
import random
import time
import tracemalloc
from collections.abc import Sequence
from typing import Any

from . import DATA_DIR, corpora
from .bench_training import add_precision_option, resolve_precision, rss_peak_mb
from .benches import add_json_option, reporting, write_figures

DEFAULT_RAW = corpora.corpus("meld").raw_dir(DATA_DIR) / corpora.MELD_CSV
STRATEGIES: tuple[str, ...] = ("top1", "sample_topk", "per_label")


def main_rows(raw_dir: str, window: int, count: int, seed: int) -> tuple[Any, Any]:
    """The full MELD train split's main rows, and ``count`` of them sampled with ``seed`` (in order)."""
    from datasets import Dataset

    from instructerc_hf.data import InstructERCBuilder

    rows = InstructERCBuilder(config_name="meld-main", raw_dir=raw_dir, window=window).split_rows("train")
    full = Dataset.from_list(rows)
    return full, full.select(sorted(random.Random(seed).sample(range(len(rows)), count)))


def time_batches(function: Any, batches: Sequence[list[dict[str, Any]]]) -> float:
    """Mean seconds of ``function(batch)`` over ``batches``."""
    start = time.perf_counter()
    for batch in batches:
        function(batch)
    return (time.perf_counter() - start) / len(batches)


def bench_strategy(name: str, retriever: Any, rows: Any, prompt_config: Any, tokenizer: Any,
                   args: argparse.Namespace) -> tuple[dict[str, Any], Any, Any]:
    """Set up collator injection under ``name`` and time its batches; also returns the plain rows and collator."""
    from instructerc_hf.training.demonstration_collator import CollatorRows

    changes: dict[str, Any] = {"strategy": name, "candidate_k": args.candidate_k}
    if name == "sample_topk":
        changes["top_k"] = 1
    strategy = dataclasses.replace(retriever.config, **changes)
    retriever.config = strategy
    start = time.perf_counter()
    setup = CollatorRows(retriever, prompt_config, tokenizer)
    plain = setup.finish(setup.prepare(rows))
    seconds = time.perf_counter() - start
    collator = setup.collator(None)
    assert setup.draws is not None
    table = setup.draws.table
    table_bytes = sum(a.nbytes for a in (table.by_label, table.by_label_scores, table.overall, table.overall_scores))
    examples = [plain[i] for i in range(len(plain))]
    batches = [[examples[(b * args.batch_size + j) % len(examples)] for j in range(args.batch_size)]
               for b in range(args.batches)]
    draw = time_batches(lambda batch: [collator.prompt(e) for e in batch], batches)
    collate = time_batches(collator, batches)
    tracemalloc.start()  # after the timings: tracing slows every allocation
    time_batches(collator, batches[:5])
    call_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    record = {"strategy": name, "setup_seconds": seconds, "table_mb": table_bytes / 2**20,
              "draw_ms_per_batch": draw * 1e3, "collate_ms_per_batch": collate * 1e3,
              "collate_peak_kb": call_peak / 1024}
    return record, plain, collator


def time_steps(plain: Any, collator: Any, tokenizer: Any, args: argparse.Namespace) -> float:
    """Mean seconds of a LoRA optimizer step of SmolLM2-135M-Instruct with ``collator`` in the loop."""
    import tempfile

    from peft import LoraConfig
    from transformers import TrainerCallback
    from trl import SFTConfig

    from instructerc_hf.modeling import load_causal_lm, resolve_base_model
    from instructerc_hf.training import InstructERCTrainer
    from instructerc_hf.training.data import with_loss_weight

    class StepTimer(TrainerCallback):
        def __init__(self) -> None:
            self.times: list[tuple[float, float]] = []

        def on_step_begin(self, *_: Any, **__: Any) -> None:
            self.times.append((time.perf_counter(), 0.0))

        def on_step_end(self, *_: Any, **__: Any) -> None:
            self.times[-1] = (self.times[-1][0], time.perf_counter())

    timer = StepTimer()
    steps = args.warmup + args.steps
    with tempfile.TemporaryDirectory() as out:
        config = SFTConfig(
            output_dir=out, use_cpu=True, bf16=resolve_precision(args.precision) == "bf16",
            activation_checkpointing=False, max_steps=steps, per_device_train_batch_size=args.batch_size,
            gradient_accumulation_steps=1, learning_rate=2e-4, max_length=None, train_sampling_strategy="sequential",
            save_strategy="no", report_to=[], logging_steps=1, disable_tqdm=True, seed=args.seed,
            dataloader_num_workers=0,
        )
        lora = LoraConfig(r=16, lora_alpha=16, lora_dropout=0.05, target_modules=["q_proj", "k_proj", "v_proj"],
                          task_type="CAUSAL_LM")
        trainer = InstructERCTrainer(model=load_causal_lm(resolve_base_model(None)), args=config,
                                     data_collator=collator, train_dataset=with_loss_weight(plain, 1.0),
                                     processing_class=tokenizer, peft_config=lora, callbacks=[timer])
        trainer.train()
    timed = timer.times[args.warmup:]
    return sum(end - start for start, end in timed) / len(timed)


def run(args: argparse.Namespace) -> dict[str, Any]:
    import torch
    from datasets.utils.logging import disable_progress_bar
    from transformers.utils import logging as hf_logging

    from instructerc_hf.modeling import load_tokenizer, resolve_base_model
    from instructerc_hf.retrieval import DemonstrationRetriever, DomainBase, RetrievalConfig
    from instructerc_hf.tasks import prompt_config_for

    disable_progress_bar()
    hf_logging.set_verbosity_error()
    torch.set_num_threads(args.threads)
    tokenizer = load_tokenizer(resolve_base_model(None))
    full, rows = main_rows(str(args.raw_dir), args.window, max(args.rows, args.batch_size * args.batches), args.seed)
    config = RetrievalConfig(progress=False)
    retriever = DemonstrationRetriever(config).fit(DomainBase.from_rows(full, config))
    retriever.embed(list(rows["text"]))  # cached before the timed set-ups, as on a second run
    prompt_config = dataclasses.replace(prompt_config_for(["meld"], "original", args.window),
                                        demonstration_position=args.position)
    results, last = [], None
    for name in STRATEGIES:
        record, plain, collator = bench_strategy(name, retriever, rows, prompt_config, tokenizer, args)
        results.append(record)
        last = (plain, collator)
    assert last is not None
    step = time_steps(*last, tokenizer, args)
    per_label = results[-1]
    return {"strategies": results, "seconds_per_step": step, "rows": len(rows), "base": len(retriever.base),
            "collator_share_percent": 100 * per_label["collate_ms_per_batch"] / 1e3 / step,
            "peak_rss_mb": rss_peak_mb(), "precision": resolve_precision(args.precision)}


def report(args: argparse.Namespace, result: dict[str, Any]) -> None:
    print(f"DemonstrationCollator on {result['rows']} MELD train rows (window {args.window}), base of "
          f"{result['base']} utterances, candidate_k {args.candidate_k}, batch {args.batch_size}, "
          f"{args.threads} threads, {args.batches} batches per figure")
    print(f"{'strategy':<13}{'set-up s':>10}{'table MiB':>11}{'draw ms/batch':>15}{'collate ms/batch':>18}"
          f"{'collate peak KiB':>18}")
    for r in result["strategies"]:
        print(f"{r['strategy']:<13}{r['setup_seconds']:>10.2f}{r['table_mb']:>11.2f}{r['draw_ms_per_batch']:>15.2f}"
              f"{r['collate_ms_per_batch']:>18.2f}{r['collate_peak_kb']:>18.0f}")
    print(f"SmolLM2-135M-Instruct + LoRA step on the per_label prompts ({result['precision']}, {args.steps} timed "
          f"after {args.warmup} warm-up): {result['seconds_per_step']:.2f} s; the collator is "
          f"{result['collator_share_percent']:.2f}% of it (target < 5%); peak RSS {result['peak_rss_mb']:.0f} MiB")


def figures(result: dict[str, Any]) -> dict[str, float]:
    out = {f"{r['strategy']}_{k}": round(r[k], 3) for r in result["strategies"]
           for k in ("setup_seconds", "table_mb", "draw_ms_per_batch", "collate_ms_per_batch")}
    out.update(seconds_per_step=round(result["seconds_per_step"], 3),
               collator_share_percent=round(result["collator_share_percent"], 3))
    return out


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--raw-dir", default=str(DEFAULT_RAW), help="MELD CSV folder (declare-lab/MELD data/MELD)")
    parser.add_argument("--rows", type=int, default=2000, help="training rows whose candidates are ranked")
    parser.add_argument("--batches", type=int, default=40, help="collator batches per timing (default 40)")
    parser.add_argument("--steps", type=int, default=3, help="timed optimizer steps (default 3)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed first steps (default 1)")
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--window", type=int, default=12, help="history window of the main prompt")
    parser.add_argument("--candidate-k", type=int, default=8, help="nearest candidates per draw (default 8)")
    parser.add_argument("--position", default="before_history", help="demonstration_position (default before_history)")
    parser.add_argument("--threads", type=int, default=2, help="torch intra-op threads (default 2)")
    parser.add_argument("--seed", type=int, default=42)
    add_precision_option(parser)
    add_json_option(parser)
    args = parser.parse_args(argv)
    with reporting(args.json):
        result = run(args)
        report(args, result)
    write_figures(args.json, "collator", figures(result), result)


if __name__ == "__main__":
    main()
