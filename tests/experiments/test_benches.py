"""The benchmark protocol: the figures each bench writes are the keys the speed records hold."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from experiments import REPO
from experiments.bench_build import figures as build_figures
from experiments.bench_training import figures as training_figures
from experiments.bench_training import worker_command
from experiments.benches import (
    BENCHES,
    FIGURES,
    BenchOutputError,
    inference_figures,
    read_figures,
    reporting,
    write_figures,
)
from experiments.records import Record


@pytest.mark.parametrize("bench", BENCHES)
def test_the_figures_are_the_keys_of_the_speed_records(real: dict[str, Record], bench: str) -> None:
    """The records parsed from printed text before the JSON protocol: the same keys, in the same order."""
    assert list(real[f"speed-{bench}"].metrics) == list(FIGURES[bench])


def test_inference_figures_follow_the_dtypes() -> None:
    assert inference_figures(["float32"]) == ("float32_score_utterances_per_second", "float32_score_weighted_f1",
                                              "float32_generate_utterances_per_second",
                                              "float32_generate_weighted_f1", "float32_speedup")
    assert inference_figures(["float32", "bfloat16"])[-1] == "bfloat16_float32_same_label_percent"


def test_write_and_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "out" / "build.json"
    write_figures(str(path), "build", {"rows": 10, "seconds": 2.0, "rows_per_second": 5}, {"configs": 8})
    assert read_figures(path, "build") == {"bench": "build", "metrics": {"rows": 10, "seconds": 2.0,
                                                                         "rows_per_second": 5},
                                           "details": {"configs": 8}}
    with pytest.raises(BenchOutputError, match="not 'training'"):
        read_figures(path, "training")
    write_figures(str(path), "build", {"rows": 10})
    with pytest.raises(BenchOutputError, match="wrote no"):
        read_figures(path, "build")
    write_figures(None, "build", {"rows": 1})
    with reporting("-"):
        print("report")
    write_figures("-", "build", {"rows": 1})
    out, err = capsys.readouterr()
    assert json.loads(out)["metrics"] == {"rows": 1} and err == "report\n"


def test_the_figure_functions_of_the_benches() -> None:
    assert list(build_figures(109664, 3.19)) == list(FIGURES["build"])
    assert build_figures(109664, 3.19)["rows_per_second"] == 34377
    run = {"tokens_per_row": 204.83, "seconds_per_step": 8.571, "tokens_per_second": 95.61,
           "padded_tokens_per_second": 135.33, "peak_rss_mb": 4954.2, "step_peak_rss_mb": None}
    results = [{**run, "variant": "instructerc"}, {**run, "variant": "plain"}]
    figures = training_figures(results)
    assert list(figures) == list(FIGURES["training"])
    assert (figures["instructerc_tokens_per_row"], figures["plain_seconds_per_step"], figures["plain_peak_rss_mb"]) \
        == (204.8, 8.57, 4954.0)


def test_the_training_worker_runs_as_a_module() -> None:
    import argparse

    args = argparse.Namespace(raw_dir="raw", steps=6, warmup=1, batch_size=4, window=12, threads=2, seed=42,
                              activation_checkpointing=True, precision="float32")
    command = worker_command(args, "plain")
    assert command[:3] == [sys.executable, "-m", "experiments.bench_training"]
    assert command[-3:] == ["--worker", "plain", "--activation-checkpointing"] and "--json" not in command
    assert command[command.index("--precision") + 1] == "float32"


@pytest.mark.parametrize("bench", ["build", "training"])  # the others import torch first
def test_the_command_line(bench: str) -> None:
    done = subprocess.run([sys.executable, "-m", f"experiments.bench_{bench}", "--help"], cwd=REPO,
                          capture_output=True, text=True, check=True)
    assert "--json" in done.stdout
