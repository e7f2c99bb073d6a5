"""The benchmark protocol: each ``experiments.bench_<name>`` prints its figures for people and writes them as JSON for
the driver (``--json PATH``, ``-`` for stdout); the driver keeps them as the speed record's ``metrics``.

The JSON is ``{"bench": name, "metrics": {figure: number}, "details": {...}}``; :data:`FIGURES` lists the figures each
benchmark writes with its default options, the keys the speed records hold and the renderer reads.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

BENCHES: tuple[str, ...] = ("build", "retrieval", "training", "inference")
#: The prompts ``bench_training`` compares (figure prefix: task).
TRAINING_PROMPTS: dict[str, str] = {"instructerc": "main", "plain": "plain"}
TRAINING_FIGURES: tuple[str, ...] = ("tokens_per_row", "seconds_per_step", "tokens_per_second",
                                     "padded_tokens_per_second", "peak_rss_mb")
INFERENCE_DTYPES: tuple[str, ...] = ("float32", "bfloat16")
INFERENCE_FIGURES: tuple[str, ...] = ("score_utterances_per_second", "score_weighted_f1",
                                      "generate_utterances_per_second", "generate_weighted_f1", "speedup")


def inference_figures(dtypes: Iterable[str]) -> tuple[str, ...]:
    """The figures of ``bench_inference`` for ``dtypes``: per dtype, then each later dtype's agreement with the
    first."""
    dtypes = list(dtypes)
    keys = [f"{dtype}_{name}" for dtype in dtypes for name in INFERENCE_FIGURES]
    return (*keys, *(f"{other}_{dtypes[0]}_same_label_percent" for other in dtypes[1:]))


FIGURES: dict[str, tuple[str, ...]] = {
    "build": ("rows", "seconds", "rows_per_second"),
    "retrieval": ("embedding_sentences_per_second", "query_ms_with_encoding", "query_ms_search_only",
                  "batched_queries_per_second", "injection_seconds", "copier_weighted_f1_balanced",
                  "copier_weighted_f1_unbalanced"),
    "training": tuple(f"{prompt}_{name}" for prompt in TRAINING_PROMPTS for name in TRAINING_FIGURES),
    "inference": inference_figures(INFERENCE_DTYPES),
}


class BenchOutputError(RuntimeError):
    """A benchmark's JSON lacks figures the records hold (the protocol drifted)."""


def add_json_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", metavar="PATH",
                        help="also write the figures as JSON here (`-`: to stdout, the printed report to stderr)")


def reporting(json_path: str | None) -> contextlib.AbstractContextManager[Any]:
    """Where a benchmark prints its report: to stderr when its JSON goes to stdout, else unchanged."""
    return contextlib.redirect_stdout(sys.stderr) if json_path == "-" else contextlib.nullcontext()


def write_figures(json_path: str | None, bench: str, metrics: Mapping[str, float | int | None],
                  details: Mapping[str, Any] | None = None) -> None:
    """Write a benchmark's figures (nothing when ``json_path`` is ``None``)."""
    if json_path is None:
        return
    text = json.dumps({"bench": bench, "metrics": dict(metrics), "details": dict(details or {})}, indent=1) + "\n"
    if json_path == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        Path(json_path).parent.mkdir(parents=True, exist_ok=True)
        Path(json_path).write_text(text, encoding="utf-8")


def read_figures(path: Path, bench: str) -> dict[str, Any]:
    """The figures a benchmark wrote to ``path``; every one of :data:`FIGURES` must be there."""
    data = json.loads(path.read_text(encoding="utf-8"))
    if data.get("bench") != bench:
        raise BenchOutputError(f"{path} holds the figures of bench {data.get('bench')!r}, not {bench!r}")
    missing = [k for k in FIGURES[bench] if k not in data["metrics"]]
    if missing:
        raise BenchOutputError(f"bench_{bench} wrote no {missing} to {path}")
    return data
