"""The record schema: the real records load and write back unchanged; new records keep the layout."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from synthetic import ablation, baseline

from experiments import RESULTS_DIR
from experiments.records import (
    GROUPS,
    MOVED_PATHS,
    Machine,
    Record,
    Step,
    comparable_settings,
    git_state,
    load_record,
    load_records,
    save_record,
    slim_metrics,
)


def test_the_real_records() -> None:
    records = load_records(RESULTS_DIR)
    assert len(records) == 20
    assert Counter(r.group for r in records.values()) == {"ablation": 10, "baselines": 3, "zero_shot": 3, "speed": 4}
    assert all(name == r.experiment for name, r in records.items())


@pytest.mark.parametrize("path", sorted(RESULTS_DIR.glob("*.json")), ids=lambda p: p.stem)
def test_a_real_record_reads_and_writes_back_unchanged(path: Path) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    record = Record.from_dict(data)
    assert record.to_dict() == data
    if list(data) == list(record.to_dict()):  # files written by the driver (a few had a key added by hand later)
        assert record.dumps() == path.read_text(encoding="utf-8")


def test_typed_parts(real: dict[str, Record]) -> None:
    run = real["ablation-window-seed42"]
    assert isinstance(run.machine, Machine) and run.machine.cpu_count == 2
    assert all(isinstance(s, Step) for s in run.steps or [])
    assert (run.variant, run.seed, run.dataset) == ("window", 42, "meld")
    assert run.test["weighted_f1"] == pytest.approx(42.06, abs=0.005)
    assert run.training["rows"] == [{"main": 1249}]
    assert run.training_peak_rss_mb() == 5592
    speed = real["speed-inference"]
    assert speed.bench == "inference" and speed.argument("--limit") == "200"


def test_a_new_record_has_the_layout_of_the_driver(tmp_path: Path) -> None:
    record = ablation("window", 42, 30.0)
    record.git_changes = []
    path = tmp_path / "results" / f"{record.experiment}.json"
    save_record(path, record)
    assert not list(path.parent.glob("*.tmp"))
    keys = list(json.loads(path.read_text()))
    assert keys == ["experiment", "group", "command", "date", "machine", "git_commit", "git_dirty", "git_changes",
                    "wall_seconds", "settings", "metrics", "steps", "test_ids"]
    assert load_record(path) == record
    keys = list(baseline(["neutral"] * 8).to_dict())
    assert keys[-5:] == ["metrics", "train_utterances", "test_ids", "test_labels", "test_predictions"]


def test_schema_errors() -> None:
    data = ablation("window", 42, 30.0).to_dict()
    with pytest.raises(ValueError, match="unknown keys \\['surprise'\\]"):
        Record.from_dict({**data, "surprise": 1})
    with pytest.raises(ValueError, match="unknown group"):
        Record.from_dict({**data, "group": "other"})


def test_the_settings_of_records_written_before_the_move(real: dict[str, Record]) -> None:
    old = real["ablation-plain-seed42"].settings
    assert old["recipe"] in MOVED_PATHS
    assert comparable_settings(real["ablation-plain-seed42"]) == {**old,
                                                                  "recipe": "experiments/recipes/meld_smollm2_cpu.yaml"}
    assert (RESULTS_DIR.parent / "recipes" / "meld_smollm2_cpu.yaml").is_file()


def test_slim_metrics_and_the_context() -> None:
    assert slim_metrics({"weighted_f1": 1.0, "loss": 2.0, "labels": ["a"]}) == {"weighted_f1": 1.0, "labels": ["a"]}
    machine = Machine.current()
    assert machine.cpu_count and machine.python
    state = git_state()
    assert set(state) == {"git_commit", "git_dirty", "git_changes"}
    assert not any("experiments/results" in change for change in state["git_changes"])
    assert GROUPS == ("baselines", "classifier", "zero_shot", "ablation", "speed")
