"""The ``ablation`` group: LoRA on MELD per variant (:mod:`experiments.variants`) and seed.

A run builds the MELD data once (shared by all runs), trains ``examples/sft.py`` with the CPU recipe and the variant's
options (the adapter with the best validation weighted F1 kept), then scores the first ``--test-limit`` test utterances
with ``instructerc-hf evaluate`` (label scoring). A finished adapter is reused; an interrupted training resumes from
its last checkpoint.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import shlex
import shutil
import sys
from pathlib import Path
from typing import Any

from instructerc_hf.registry import ADAPTER_WEIGHTS_NAME, METRICS_FILE, PREDICTIONS_FILE, STAGE1_DIR, SUMMARY_NAME

from . import RECIPE
from .groups import Body, Experiment, driver_command, raw_dir
from .records import Training, slim_metrics
from .shell import Completed, instructerc_hf_cli, rel, run_command
from .variants import variant as lookup

#: The ``run`` flags that size an ablation run (also its settings, under the same names with ``_``).
SIZE_FLAGS: tuple[str, ...] = ("fraction", "epochs", "stage1_epochs", "max_steps", "window", "max_length",
                               "eval_samples", "evals", "test_limit")


def ablation_settings(args: argparse.Namespace, name: str, seed: int) -> dict[str, Any]:
    """The settings of one run; ``sft_args`` only when given (the records made without it keep their settings)."""
    sizes = {key: getattr(args, key) for key in SIZE_FLAGS}
    sizes["max_length"] = lookup(name).max_length or args.max_length
    return {"dataset": "meld", "variant": name, "title": lookup(name).title, "seed": seed, **sizes,
            "recipe": rel(args.recipe), "raw_dir": rel(raw_dir(args, "meld")),
            **({"sft_args": args.sft_args} if args.sft_args else {})}


def data_folder(args: argparse.Namespace) -> Path:
    return args.work_dir / "data" / f"meld-w{args.window}"


def ensure_data(args: argparse.Namespace) -> tuple[Path, Completed | None]:
    """The MELD folder of every task built with ``--window`` (built once, shared by all runs)."""
    folder = data_folder(args)
    if (folder / "README.md").is_file():
        return folder, None
    tmp = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    done = run_command([instructerc_hf_cli(), "build", "meld", "--raw_dir", rel(raw_dir(args, "meld")), "--out",
                        rel(tmp), "--window", str(args.window), "--label_spaces", "original"], quiet=args.quiet)
    tmp.replace(folder)
    return folder, done


def sft_command(args: argparse.Namespace, name: str, seed: int, data: Path, out: Path) -> list[str]:
    """``examples/sft.py`` on the CPU recipe with the variant's options, the seed and the sizes."""
    command = [sys.executable, "examples/sft.py", "--config", rel(args.recipe), *lookup(name).sft_options(),
               "--dataset_path", rel(data), "--window", str(args.window), "--fraction", args.fraction,
               "--max_length", str(lookup(name).max_length or args.max_length), "--max_eval_samples", str(args.eval_samples),
               "--num_train_epochs", str(args.epochs), "--eval_steps", str(1 / args.evals),
               "--save_steps", str(1 / args.evals), "--seed", str(seed), "--output_dir", rel(out)]
    if args.max_steps > 0:
        command += ["--max_steps", str(args.max_steps)]
    if lookup(name).two_stage:
        command += ["--stage1_epochs", str(args.stage1_epochs)]
        if args.max_steps > 0:
            command += ["--stage1_max_steps", str(args.max_steps)]
    return command + shlex.split(args.sft_args)  # last: they override the recipe and the sizes


def evaluate_command(args: argparse.Namespace, name: str, data: Path, out: Path) -> list[str]:
    """``instructerc-hf evaluate`` (label scoring) of the adapter in ``out`` on the first ``--test-limit`` test
    utterances, in bfloat16 where the CPU has bf16 units."""
    from instructerc_hf.training.precision import cpu_supports_bf16

    command = ["instructerc-hf", "evaluate", "--model", rel(out), "--dataset", rel(data), "--config",
               lookup(name).prompt, "--split", "test", "--output_dir", rel(out / "test")]
    if cpu_supports_bf16():  # the dtype the recipe trains in here (bf16 autocast on such CPUs)
        command += ["--dtype", "bfloat16"]
    return command + (["--limit", str(args.test_limit)] if args.test_limit else [])


def stage_training(state: dict[str, Any], batch: int) -> dict[str, float]:
    """Training seconds without evaluation, rows seen, tokens and evaluations of one stage's trainer state."""
    history = state["log_history"]
    runtime = next(e["train_runtime"] for e in reversed(history) if "train_runtime" in e)
    evals = [e for e in history if "eval_runtime" in e]
    eval_seconds = sum(e["eval_runtime"] for e in evals)
    return {"train_seconds": runtime - eval_seconds, "eval_seconds": eval_seconds, "evaluations": len(evals),
            "rows_seen": state["global_step"] * batch, "tokens": max(e.get("num_tokens", 0) for e in history),
            "steps": state["global_step"]}


def adapter_parameters(out: Path) -> int:
    """The trained parameters of the run: every tensor of its saved adapter (LoRA matrices, any saved modules)."""
    from safetensors import safe_open

    with safe_open(str(out / ADAPTER_WEIGHTS_NAME), framework="np") as weights:
        return sum(math.prod(weights.get_slice(name).get_shape()) for name in weights.keys())  # noqa: SIM118


def training_figures(out: Path, summary: dict[str, Any]) -> Training:
    """What the run's files (``summary``: its training summary) say about training: rows per stage, time, throughput
    and the validation history."""
    from transformers.trainer import TRAINER_STATE_NAME

    training = summary["arguments"]["training"]
    batch = training["per_device_train_batch_size"] * training["gradient_accumulation_steps"]
    states = {folder: json.loads((folder / TRAINER_STATE_NAME).read_text()) for folder in (out / STAGE1_DIR, out)
              if (folder / TRAINER_STATE_NAME).is_file()}
    stages = [stage_training(state, batch) for state in states.values()]
    totals = {k: sum(s[k] for s in stages) for k in stages[0]}
    state = states[out]
    figures: dict[str, Any] = {
        "rows": [s["rows"] for s in summary["stages"] if not s.get("skipped")],
        **{k: round(v, 1) for k, v in totals.items()},
        "tokens_per_second": totals["tokens"] / totals["train_seconds"] if totals["train_seconds"] else None,
        "validation_history": [{"step": e["step"], "weighted_f1": e.get("eval_weighted_f1")}
                               for e in state["log_history"] if "eval_runtime" in e],
        "best_step": state.get("best_global_step"),
        "trainable_parameters": adapter_parameters(out),
    }
    return Training(**figures)  # type: ignore[typeddict-item]


def ablation_experiment(args: argparse.Namespace, name: str, seed: int) -> Experiment:
    settings = ablation_settings(args, name, seed)
    digest = hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:8]
    out = args.work_dir / "ablation" / f"{name}-seed{seed}-{digest}"

    def run() -> Body:
        data, built = ensure_data(args)
        steps = [built.step()] if built else []
        if args.force:
            shutil.rmtree(out, ignore_errors=True)
        reused = (out / SUMMARY_NAME).is_file()
        if not reused:
            command = sft_command(args, name, seed, data, out)
            if any(out.glob("checkpoint-*")) or any(out.glob(f"{STAGE1_DIR}/checkpoint-*")):
                command += ["--resume_from_checkpoint", "last"]
            steps.append(run_command(command, log=out.with_name(out.name + ".train.log"), quiet=args.quiet).step())
        evaluated = run_command(evaluate_command(args, name, data, out), log=out.with_name(out.name + ".test.log"),
                                quiet=args.quiet)
        steps.append(evaluated.step())
        test = json.loads((out / "test" / METRICS_FILE).read_text())
        summary = json.loads((out / SUMMARY_NAME).read_text())
        predictions = [json.loads(line) for line in (out / "test" / PREDICTIONS_FILE).read_text().splitlines()]
        validation = {k.removeprefix("eval_"): v for k, v in summary["eval_metrics"].items()}
        return {
            "metrics": {"test": slim_metrics(test), "validation": slim_metrics(validation),
                        "training": training_figures(out, summary)},
            "steps": steps, "adapter": rel(out), "reused_adapter": reused,
            "test_ids": [f"{p['dialogue_id']}/{p['turn']}" for p in predictions],
            "test_labels": [p["gold"] for p in predictions],
            "test_predictions": {name: [p.get("label") or "" for p in predictions]},  # "": no label (unparseable)
        }

    flags = ["--variants", name, "--seeds", str(seed)]
    for key in SIZE_FLAGS:
        flags += [f"--{key.replace('_', '-')}", str(getattr(args, key))]
    if args.recipe.resolve() != RECIPE.resolve():
        flags += ["--recipe", rel(args.recipe)]
    if args.sft_args:
        flags += ["--sft-args", args.sft_args]
    return Experiment(f"ablation-{name}-seed{seed}", "ablation", settings, driver_command(args, "ablation", flags),
                      run)
