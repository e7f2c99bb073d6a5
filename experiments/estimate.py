"""``python -m experiments.run --estimate``: the CPU time of a plan, scaled from calibration records.

Ablation: per variant the calibration run that trained fastest per token (the nearest to an idle machine; a variant
without runs of its own uses :attr:`Variant.calibrated_as`), its seconds per training token, per validation and per
test utterance and the rest of its wall time (loading, data, retrieval), scaled to the plan's training tokens (from
the built data) and sizes. Zero-shot: seconds per utterance; baselines and speed: the record of the same name.
"""

from __future__ import annotations

import argparse
import math
import statistics
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import RECIPE
from .ablation import ensure_data
from .groups import Experiment, raw_dir
from .records import Record, load_records
from .shell import rel
from .variants import VARIANTS, Variant, variant

#: The tasks whose built rows are measured.
TASKS: tuple[str, ...] = ("main", "plain", "speaker", "impact")


@dataclass
class PlanSizes:
    """What the estimate scales to: MELD split sizes, mean tokens of a training row per task at ``--fraction``,
    training rows per task, and the tokens a demonstration adds (from the calibration)."""

    splits: dict[str, int]
    tokens: dict[str, float]
    rows: int
    demonstration: float


def recipe_batch(path: Path = RECIPE) -> int:
    """Rows per optimizer step of a CPU recipe."""
    import yaml

    recipe = yaml.safe_load(path.read_text(encoding="utf-8"))
    return int(recipe["per_device_train_batch_size"]) * int(recipe.get("gradient_accumulation_steps", 1))


def meld_sizes(args: argparse.Namespace) -> dict[str, int]:
    """Utterances per MELD split."""
    from instructerc_hf.readers import read_corpus

    corpus = read_corpus("meld", raw_dir(args, "meld"))
    return {split: sum(len(d.turns) for d in dialogues) for split, dialogues in corpus.splits.items()}


def plan_tokens(args: argparse.Namespace) -> tuple[dict[str, float], int]:
    """Mean tokens of a training row (prompt, completion, EOS; at most ``--max-length``) per task at ``--fraction``,
    and the training rows per task."""
    from datasets import load_dataset

    from instructerc_hf.mixing import fraction_indices, parse_fraction
    from instructerc_hf.modeling import load_tokenizer, resolve_base_model
    from instructerc_hf.training.fitting import sequence_lengths

    data, _ = ensure_data(args)
    tokenizer = load_tokenizer(resolve_base_model(None))
    means, rows = {}, 0
    for task in TASKS:
        train = load_dataset(str(data), task, split="train")
        sample = train.select(fraction_indices(len(train), parse_fraction(args.fraction), 42))
        lengths = sequence_lengths(tokenizer, sample["prompt"], sample["completion"])
        means[task], rows = statistics.mean(min(n, args.max_length) for n in lengths), len(sample)
    return means, rows


def training_tokens(args: argparse.Namespace, run: Variant, sizes: PlanSizes, batch: int) -> float:
    """Tokens one run of ``run`` trains on (all stages)."""
    total = 0.0
    for number, tasks in enumerate(run.stages):
        epochs = args.stage1_epochs if run.two_stage and number == 0 else args.epochs
        steps = args.max_steps if args.max_steps > 0 else math.ceil(len(tasks) * sizes.rows / batch) * epochs
        seen = steps * batch
        per_row = statistics.mean(sizes.tokens[t] + (sizes.demonstration * run.shown if t == "main" else 0)
                                  for t in tasks)
        total += seen * per_row
    return total


def seconds_per_token(record: Record) -> float:
    """Training seconds per training token of an ablation record."""
    return record.training["train_seconds"] / max(record.training["tokens"], 1)


def calibration_run(calibration: Mapping[str, Record], name: str) -> Record | None:
    """The ablation record of variant ``name`` (or of the variant it is calibrated as) that trained fastest per token.

    Records that shared the machine with other jobs ran slower; the fastest is the nearest to an idle machine.
    """
    for candidate in (name, variant(name).calibrated_as):
        runs = [r for r in calibration.values() if r.group == "ablation" and r.variant == candidate]
        if runs:
            return min(runs, key=seconds_per_token)
    return None


def demonstration_tokens(calibration: Mapping[str, Record]) -> float:
    """Tokens a demonstration adds to a row: tokens per row of a calibration variant with demonstrations minus one
    without, both single-stage on the main task."""
    def per_row(with_demonstrations: bool) -> float | None:
        for candidate in VARIANTS:
            if candidate.stages == (("main",),) and candidate.demonstrations == with_demonstrations:
                record = calibration_run(calibration, candidate.name)
                if record is not None and record.training["rows_seen"]:
                    return record.training["tokens"] / record.training["rows_seen"]
        return None

    demos, window = per_row(True), per_row(False)
    return max(demos - window, 0.0) if demos is not None and window is not None else 0.0


def estimate_seconds(args: argparse.Namespace, experiment: Experiment, calibration: Mapping[str, Record],
                     sizes: PlanSizes, batch: int) -> float | None:
    """CPU seconds of ``experiment`` from a calibration record of the same kind, scaled to the plan's sizes."""
    settings = experiment.settings
    if experiment.group == "ablation":
        record = calibration_run(calibration, settings["variant"])
        if record is None:
            return None
        training, test = record.training, record.test
        per_eval = training["eval_seconds"] / max(training["evaluations"] * record.settings["eval_samples"], 1)
        per_test = test["seconds"] / test["num_examples"]
        overhead = record.wall_seconds - training["train_seconds"] - training["eval_seconds"] - test["seconds"]
        test_rows = min(args.test_limit or sizes.splits["test"], sizes.splits["test"])
        run = variant(settings["variant"])
        tokens = training_tokens(args, run, sizes, batch)
        # inference scales with the prompt: more demonstrations than the calibration run showed cost more
        prompt = sizes.tokens[run.prompt] + sizes.demonstration * run.shown
        longer = prompt / (sizes.tokens[run.prompt] + sizes.demonstration * variant(record.settings["variant"]).shown)
        return (seconds_per_token(record) * tokens + longer * (per_eval * args.evals * min(
                args.eval_samples, sizes.splits["validation"]) + per_test * test_rows) + overhead)
    if experiment.group == "zero_shot":
        same = [r for r in calibration.values() if r.group == "zero_shot"]
        if not same:
            return None
        from instructerc_hf.registry import PUBLISHED_UTTERANCES

        size = next(n["test"] for (name, _), n in PUBLISHED_UTTERANCES.items() if name == settings["dataset"])
        per_utterance = statistics.mean(r.metrics["seconds"] / r.metrics["num_examples"] for r in same)
        rows = min(args.limit or size, size)
        return per_utterance * rows + statistics.mean(r.wall_seconds - r.metrics["seconds"] for r in same)
    record = calibration.get(experiment.name)
    if record is None:
        return None
    scale = 1.0
    if experiment.name == "speed-inference":
        scale = args.speed_limit / float(record.argument("--limit"))
    elif experiment.name == "speed-training":
        scale = args.speed_steps / float(record.argument("--steps"))
    return record.wall_seconds * scale


def print_estimate(args: argparse.Namespace, experiments: list[Experiment]) -> dict[str, Any]:
    """Print the estimated CPU time of every experiment of the plan and the total; return them (seconds)."""
    source = args.calibration or args.results_dir
    calibration = load_records(source)
    tokens, rows = plan_tokens(args)
    sizes = PlanSizes(meld_sizes(args), tokens, rows, demonstration_tokens(calibration))
    per_row = ", ".join(f"{task} {n:.0f}" for task, n in sizes.tokens.items())
    print(f"MELD: {sizes.splits['train']} train utterances, {sizes.rows} per task at fraction {args.fraction} (tokens "
          f"per row: {per_row}; a demonstration adds {sizes.demonstration:.0f}); {sizes.splits['validation']} "
          f"validation, {sizes.splits['test']} test. Calibration: {rel(source)} ({len(calibration)} records), at that "
          "machine's load.")
    batch = recipe_batch(args.recipe)
    estimates: dict[str, float | None] = {}
    width = max((len(e.name) for e in experiments), default=0)
    for experiment in experiments:
        seconds = estimates[experiment.name] = estimate_seconds(args, experiment, calibration, sizes, batch)
        print(f"  {experiment.name:<{width}} " + ("unknown (no calibration record of this kind)" if seconds is None
                                                  else f"{seconds / 60:7.1f} min"))
    known = [s for s in estimates.values() if s is not None]
    unknown = len(estimates) - len(known)
    print(f"total: {sum(known) / 3600:.1f} h"
          + (f" + {unknown} experiment(s) without calibration" if unknown else ""))
    return {"experiments": estimates, "total_seconds": sum(known), "unknown": unknown}
