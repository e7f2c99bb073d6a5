"""Subprocesses of the driver."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from experiments import REPO
from experiments.records import Step
from experiments.shell import CommandError, rel, run_command, shown


def test_paths_and_commands_are_written_from_the_repository_root() -> None:
    assert rel(REPO / "experiments" / "results") == "experiments/results"
    assert rel(REPO.parent / "shared" / "data") == "../shared/data"
    assert rel(Path("/")) == "/"
    assert shown([sys.executable, "-m", "experiments.run", "a b"]) == "python -m experiments.run 'a b'"


def test_run_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    done = run_command([sys.executable, "-c", "import os; print(os.getcwd())"], log=tmp_path / "log.txt")
    assert done.output.strip() == str(REPO) and done.output in capsys.readouterr().out
    assert done.peak_rss_mb > 0 and (tmp_path / "log.txt").read_text().startswith("$ python -c ")
    step = done.step()
    assert isinstance(step, Step) and step.command == done.command
    with pytest.raises(CommandError, match="exited with 3; its last lines:\nboom"):
        run_command([sys.executable, "-c", "print('boom'); raise SystemExit(3)"], quiet=True)
