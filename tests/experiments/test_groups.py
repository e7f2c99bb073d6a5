"""The baselines, zero-shot and speed experiments: settings, commands, and a speed run that reads the bench JSON."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from experiments import groups
from experiments.benches import FIGURES, BenchOutputError
from experiments.records import ADDED_SETTINGS, Record, comparable_settings
from experiments.run import parse_args
from experiments.shell import Completed


def test_settings_and_commands_match_the_real_records(real: dict[str, Record]) -> None:
    args = parse_args([])
    for dataset in ("meld", "iemocap", "emorynlp"):
        for name, experiment in ((f"baselines-{dataset}", groups.baselines_experiment(args, dataset, "1")),
                                 (f"zero_shot-{dataset}", groups.zero_shot_experiment(args, dataset, False))):
            assert experiment.name == name and experiment.settings == comparable_settings(real[name])
            assert set(experiment.settings) - set(real[name].settings) == set(ADDED_SETTINGS[experiment.group])
    for bench in FIGURES:
        assert groups.bench_options(args, bench) == real[f"speed-{bench}"].settings["arguments"]
    assert groups.driver_command(args, "speed", ["--benches", "build"]) == \
        "python -m experiments.run speed --benches build --force"


def test_a_speed_run_keeps_the_figures_the_bench_wrote(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    args = parse_args(["speed", "--work-dir", str(tmp_path), "--quiet"])
    experiment = groups.speed_experiment(args, "build")
    commands = []

    def fake_run(command: list[str], log: Path | None = None, quiet: bool = False) -> Completed:
        commands.append(command)
        path = Path(command[command.index("--json") + 1])
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"bench": "build", "metrics": {"rows": 10, "seconds": 2.0, "rows_per_second": 5},
                                    "details": {"configs": 8}}))
        return Completed("python -m experiments.bench_build", "printed\n", 2.5, 200.4)

    monkeypatch.setattr(groups, "run_command", fake_run)
    body = experiment.run()
    assert commands[0][:3] == [sys.executable, "-m", "experiments.bench_build"]
    assert body["metrics"] == {"rows": 10, "seconds": 2.0, "rows_per_second": 5}
    assert body["output"] == "printed\n" and body["peak_rss_mb"] == 200 and body["details"] == {"configs": 8}
    assert experiment.settings == {"bench": "build", "arguments": commands[0][3:-2]}  # --json left out

    def no_figures(command: list[str], log: Path | None = None, quiet: bool = False) -> Completed:
        Path(command[-1]).write_text(json.dumps({"bench": "build", "metrics": {"rows": 10}}))
        return Completed("x", "", 1.0, 1.0)

    monkeypatch.setattr(groups, "run_command", no_figures)
    with pytest.raises(BenchOutputError, match="wrote no \\['seconds', 'rows_per_second'\\]"):
        experiment.run()


def test_utterance_ids() -> None:
    class Dialogue:
        def __init__(self, dialogue_id: str, turns: int) -> None:
            self.dialogue_id, self.turns = dialogue_id, [None] * turns

    assert groups.utterance_ids([Dialogue("a", 2), Dialogue("b", 1)]) == ["a/0", "a/1", "b/0"]
