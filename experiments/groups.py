"""The experiments of the ``baselines``, ``zero_shot`` and ``speed`` groups (``ablation``: :mod:`experiments.ablation`).

Each is an :class:`Experiment`: its record name, its settings (compared with an existing record's before anything
runs), the driver command that regenerates it, and a function that runs it and returns the record's group-specific
fields (:class:`experiments.records.Record`).
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from . import DATA_DIR, DRIVER, RESULTS_DIR, WORK_DIR, corpora
from .baselines import fit_baselines, split_texts
from .benches import read_figures
from .records import slim_metrics
from .shell import rel, run_command

#: What an experiment's run returns: the record's group-specific fields.
Body = dict[str, Any]


@dataclass
class Experiment:
    """One experiment: its file stem, group, settings, the command that regenerates it, and how to run it."""

    name: str
    group: str
    settings: dict[str, Any]
    command: str
    run: Callable[[], Body]


def driver_command(args: argparse.Namespace, group: str, flags: list[str]) -> str:
    """The command that regenerates one experiment's file: its group, selection and size flags, and ``--force``."""
    parts = [*DRIVER.split(), group, *flags]
    for flag, value, default in (("--data-dir", args.data_dir, DATA_DIR), ("--results-dir", args.results_dir,
                                 RESULTS_DIR), ("--work-dir", args.work_dir, WORK_DIR)):
        if value.resolve() != default.resolve():
            parts += [flag, rel(value)]
    return shlex.join([*parts, "--force"])


def raw_dir(args: argparse.Namespace, dataset: str) -> Path:
    return corpora.corpus(dataset).raw_dir(args.data_dir)


def utterance_ids(dialogues: Any) -> list[str]:
    """``dialogue_id/turn`` of every utterance of a split, in order (the key of ``evaluate``'s predictions)."""
    return [f"{d.dialogue_id}/{i}" for d in dialogues for i in range(len(d.turns))]


# --- baselines --------------------------------------------------------------------------------------------------------


def fraction_suffix(fraction: str) -> str:
    """The record-name part of a low-resource fraction: ``""`` for the whole train split, ``-1_8`` for 1/8."""
    return "" if fraction == "1" else "-" + fraction.replace("/", "_")


def baselines_experiment(args: argparse.Namespace, dataset: str, fraction: str) -> Experiment:
    settings = {"dataset": dataset, "seed": args.seed, "raw_dir": rel(raw_dir(args, dataset)), "fraction": fraction}

    def run() -> Body:
        from instructerc_hf.labels import get_dataset_labels
        from instructerc_hf.readers import read_corpus

        dialogue_corpus = read_corpus(dataset, raw_dir(args, dataset))
        data = split_texts(dialogue_corpus, fraction)
        metrics, predictions = fit_baselines(data, get_dataset_labels(dataset).labels, args.seed)
        for name, m in metrics.items():
            print(f"{dataset} {name}: test weighted F1 {m['weighted_f1']:.2f}, accuracy {m['accuracy']:.2f}")
        return {"metrics": metrics, "train_utterances": len(data["train"][1]),
                "test_ids": utterance_ids(dialogue_corpus.splits["test"]), "test_labels": data["test"][1],
                "test_predictions": predictions}

    flags = ["--datasets", dataset, "--fractions", fraction, "--seed", str(args.seed)]
    return Experiment(f"baselines-{dataset}{fraction_suffix(fraction)}", "baselines", settings,
                      driver_command(args, "baselines", flags), run)


# --- the fine-tuned classifier ----------------------------------------------------------------------------------------


def classifier_experiment(args: argparse.Namespace, dataset: str, context_turns: int, fraction: str,
                          seed: int) -> Experiment:
    from .classifier import ClassifierRecipe, train_classifier

    recipe = ClassifierRecipe(context_turns=context_turns, max_length=128 if context_turns == 0 else 256)
    settings = {"dataset": dataset, "model": "all-MiniLM-L6-v2", **asdict(recipe), "fraction": fraction,
                "seed": seed, "raw_dir": rel(raw_dir(args, dataset))}
    name = f"classifier-{dataset}-context{context_turns}{fraction_suffix(fraction)}-seed{seed}"

    def run() -> Body:
        from instructerc_hf.labels import get_dataset_labels
        from instructerc_hf.readers import read_corpus

        dialogue_corpus = read_corpus(dataset, raw_dir(args, dataset))
        metrics, test, predicted = train_classifier(dialogue_corpus, get_dataset_labels(dataset).labels, recipe,
                                                    fraction, seed, args.work_dir / "classifier" / name)
        print(f"{name}: test weighted F1 {metrics['test']['weighted_f1']:.2f}, "
              f"validation {metrics['validation']['weighted_f1']:.2f}")
        return {"metrics": metrics, "train_utterances": metrics["training"]["train_utterances"],
                "test_ids": test.ids, "test_labels": test.labels, "test_predictions": {"classifier": predicted}}

    flags = ["--datasets", dataset, "--context-turns", str(context_turns), "--fractions", fraction,
             "--seeds", str(seed)]
    return Experiment(name, "classifier", settings, driver_command(args, "classifier", flags), run)


# --- zero-shot --------------------------------------------------------------------------------------------------------


def zero_shot_experiment(args: argparse.Namespace, dataset: str, chat_template: bool) -> Experiment:
    settings = {"dataset": dataset, "model": "SmolLM2-135M-Instruct", "prompt": "main", "window": args.window,
                "mode": "score", "limit": args.limit, "raw_dir": rel(raw_dir(args, dataset)),
                "chat_template": chat_template}

    def run() -> Body:
        from instructerc_hf.chat import render_all
        from instructerc_hf.inference import score_labels
        from instructerc_hf.metrics import compute_erc_metrics
        from instructerc_hf.modeling import load_causal_lm, load_tokenizer, resolve_base_model
        from instructerc_hf.readers import read_corpus
        from instructerc_hf.tasks import corpus_rows, prompt_config_for

        config = prompt_config_for([dataset], "original", window=args.window)
        dialogue_corpus = read_corpus(dataset, raw_dir(args, dataset), splits=("test",))
        rows = list(corpus_rows(dialogue_corpus.splits["test"], "main", config))[: args.limit or None]
        base = resolve_base_model(None)
        tokenizer, model = load_tokenizer(base), load_causal_lm(base).eval()
        prompts = render_all([r["prompt"] for r in rows], tokenizer, chat_template)
        start = time.perf_counter()
        predictions = score_labels(model, tokenizer, prompts, config.labels, progress=False)
        seconds = time.perf_counter() - start
        gold = [r["label"] for r in rows]
        metrics = slim_metrics(compute_erc_metrics([p.label for p in predictions], gold, config.labels))
        metrics["seconds"], metrics["utterances_per_second"] = round(seconds, 1), len(rows) / seconds
        print(f"{dataset} zero-shot{' (chat template)' if chat_template else ''}: weighted F1 "
              f"{metrics['weighted_f1']:.2f} on {len(rows)} test utterances "
              f"({metrics['utterances_per_second']:.2f} utt/s)")
        return {"metrics": metrics, "test_ids": [f"{r['dialogue_id']}/{r['turn']}" for r in rows],
                "test_labels": gold, "test_predictions": {"zero_shot": [p.label or "" for p in predictions]}}

    flags = ["--datasets", dataset, "--window", str(args.window), "--limit", str(args.limit),
             "--zero-shot-formats", "chat" if chat_template else "raw"]
    return Experiment(f"zero_shot-{dataset}{'-chat' if chat_template else ''}", "zero_shot", settings,
                      driver_command(args, "zero_shot", flags), run)


# --- speed ------------------------------------------------------------------------------------------------------------


def bench_options(args: argparse.Namespace, bench: str) -> list[str]:
    """The options the driver gives ``experiments.bench_<bench>`` (the record's ``settings.arguments``)."""
    meld = rel(raw_dir(args, "meld"))
    return {
        "build": ["--raw-dir", meld],
        "retrieval": ["--meld", meld],
        "training": ["--raw-dir", f"{meld}/{corpora.MELD_CSV}", "--window", str(args.window), "--steps",
                     str(args.speed_steps)],
        "inference": ["--raw-dir", meld, "--limit", str(args.speed_limit)],
    }[bench]


def speed_experiment(args: argparse.Namespace, bench: str) -> Experiment:
    options = bench_options(args, bench)
    figures = args.work_dir / "speed" / f"{bench}.json"

    def run() -> Body:
        figures.unlink(missing_ok=True)
        command = [sys.executable, "-m", f"experiments.bench_{bench}", *options, "--json", rel(figures)]
        done = run_command(command, quiet=args.quiet)
        written = read_figures(figures, bench)
        return {"metrics": written["metrics"], "output": done.output, "steps": [done.step()],
                "peak_rss_mb": round(done.peak_rss_mb), "details": written.get("details") or None}

    flags = ["--benches", bench, "--window", str(args.window), "--speed-steps", str(args.speed_steps),
             "--speed-limit", str(args.speed_limit)]
    return Experiment(f"speed-{bench}", "speed", {"bench": bench, "arguments": options},
                      driver_command(args, "speed", flags), run)
