"""The driver: the plan, its settings against the real records, running and skipping, the command line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from experiments import REPO, RESULTS_DIR
from experiments.groups import Experiment
from experiments.records import Record, load_record
from experiments.run import parse_args, plan, run_experiment, settings_conflicts


def test_the_default_plan() -> None:
    args = parse_args([])
    assert args.groups == ["baselines", "classifier", "zero_shot", "ablation", "speed"]
    names = [e.name for e in plan(args)]
    classifier = [n for n in names if n.startswith("classifier-")]
    assert classifier[:4] == ["classifier-meld-context0-seed42", "classifier-meld-context0-seed43",
                              "classifier-meld-context12-seed42", "classifier-meld-context12-seed43"]
    assert len(classifier) == 12 and len(names) == 32
    assert sorted(set(names) - set(classifier)) == sorted(p.stem for p in RESULTS_DIR.glob("*.json"))
    assert names[18:20] == ["ablation-plain-seed42", "ablation-window-seed42"]  # seed by seed, variants in order


def test_the_real_records_are_the_default_plan_done(real: dict[str, Record]) -> None:
    """Same settings (records made before the move, or before a group gained a setting, included): a plain run skips
    all of them; the ablation and speed commands are those of the old driver."""
    experiments = [e for e in plan(parse_args([])) if e.group != "classifier"]
    assert settings_conflicts(experiments, RESULTS_DIR) == []
    for experiment in experiments:
        old = real[experiment.name].command.split(" ", 2)[2]  # python benchmarks/run_experiments.py <arguments>
        if experiment.group in ("ablation", "speed"):
            assert experiment.command == f"python -m experiments.run {old}"
    assert plan(parse_args(["baselines", "--datasets", "meld"]))[0].command == \
        "python -m experiments.run baselines --datasets meld --fractions 1 --seed 42 --force"


def test_other_settings_are_reported(tmp_path: Path) -> None:
    experiments = plan(parse_args(["zero_shot", "--datasets", "meld", "--limit", "300"]))
    conflicts = settings_conflicts(experiments, RESULTS_DIR)
    assert conflicts == ["  experiments/results/zero_shot-meld.json: limit 200 -> 300"]
    assert settings_conflicts(experiments, tmp_path) == []


def test_a_run_writes_a_record_in_the_new_command_form(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = parse_args(["zero_shot", "--datasets", "meld", "--results-dir", str(tmp_path)])
    planned = plan(args)[0]
    assert planned.command.startswith("python -m experiments.run zero_shot --datasets meld")
    calls: list[int] = []

    def run() -> dict[str, Any]:
        calls.append(1)
        return {"metrics": {"weighted_f1": 1.0}, "test_ids": ["0/0"]}

    experiment = Experiment(planned.name, planned.group, planned.settings, planned.command, run)
    written = run_experiment(experiment, tmp_path, force=False)
    assert written is not None and calls == [1]
    path = tmp_path / "zero_shot-meld.json"
    assert load_record(path) == written and written.command == planned.command
    data = json.loads(path.read_text())
    assert data["settings"] == planned.settings and data["metrics"] == {"weighted_f1": 1.0}
    assert isinstance(data["git_changes"], list) and data["machine"]["cpu_count"]
    assert run_experiment(experiment, tmp_path, force=False) is None and calls == [1]  # skipped
    assert "[skip] zero_shot-meld" in capsys.readouterr().out
    assert run_experiment(experiment, tmp_path, force=True) is not None and calls == [1, 1]


def test_options() -> None:
    with pytest.raises(SystemExit):
        parse_args(["nope"])
    with pytest.raises(SystemExit):
        parse_args(["--evals", "0"])
    args = parse_args(["ablation", "baselines", "ablation", "--results-dir", "/tmp/elsewhere"])
    assert args.groups == ["ablation", "baselines"]
    assert plan(args)[0].command.endswith("--results-dir /tmp/elsewhere --force")


def test_the_command_line() -> None:
    done = subprocess.run([sys.executable, "-m", "experiments.run", "--help"], cwd=REPO, capture_output=True,
                          text=True, check=True)
    assert "--test-limit" in done.stdout and "--estimate" in done.stdout and "python -m experiments.run" in done.stdout
