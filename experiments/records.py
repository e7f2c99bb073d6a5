"""The experiment record: one JSON file per experiment in ``experiments/results/``, written by the driver and read by
the renderer and the estimate through :class:`Record`.

The layout is that of the files already there: the keys below in this order, the group's optional keys left out when
absent. ``Record.from_dict(json).to_dict() == json`` for every record (``tests/experiments/test_records.py``).
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import subprocess
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, NotRequired, TypedDict

from . import REPO

GROUPS: tuple[str, ...] = ("baselines", "classifier", "zero_shot", "ablation", "speed")
#: What the driver writes, so that its own outputs do not make the working tree count as dirty.
OUTPUTS: tuple[str, ...] = ("experiments/results", "docs/RESULTS.md", "docs/results.png")
#: Paths in the settings of records written before the harness moved from ``benchmarks/`` to ``experiments/``: the
#: same files, so such a record's settings still match a plan's (:func:`comparable_settings`).
MOVED_PATHS: dict[str, str] = {"benchmarks/recipes/meld_smollm2_cpu.yaml": "experiments/recipes/meld_smollm2_cpu.yaml"}
#: Settings a group gained after its first records, with the value those records were made at
#: (:func:`comparable_settings`): the whole train split, and the official raw prompt.
ADDED_SETTINGS: dict[str, dict[str, Any]] = {"baselines": {"fraction": "1"}, "zero_shot": {"chat_template": False}}
#: The figures of ``compute_erc_metrics`` a record keeps (rates as fractions, scores as percentages).
SLIM_KEYS: tuple[str, ...] = (
    "weighted_f1", "accuracy", "macro_f1", "num_examples", "unparseable_rate", "demonstration_copy_rate",
    "demonstration_label_accuracy", "labels", "confusion_matrix", "seconds", "utterances_per_second",
)


class Scores(TypedDict, total=False):
    """Test or validation figures (:data:`SLIM_KEYS`); a baseline's also has ``label`` (majority) or ``C`` and
    ``fit_seconds`` (the LR baselines; newer records also ``parameters``)."""

    weighted_f1: float
    accuracy: float
    macro_f1: float
    num_examples: int
    unparseable_rate: float
    demonstration_copy_rate: float
    demonstration_label_accuracy: float
    labels: list[str]
    confusion_matrix: list[list[int]]
    seconds: float
    utterances_per_second: float
    label: str
    C: float
    fit_seconds: float
    parameters: int


class Training(TypedDict):
    """What an ablation run's trainer states say about its training (all stages)."""

    rows: list[dict[str, int]]
    train_seconds: float
    eval_seconds: float
    evaluations: int
    rows_seen: int
    tokens: int
    steps: int
    tokens_per_second: float | None
    validation_history: list[dict[str, Any]]
    best_step: int | None
    trainable_parameters: NotRequired[int]  # newer records


def slim_metrics(metrics: dict[str, Any]) -> Scores:
    """The :data:`SLIM_KEYS` of ``metrics``."""
    return Scores(**{k: metrics[k] for k in SLIM_KEYS if k in metrics})  # type: ignore[typeddict-item]


@dataclass
class Machine:
    cpu_count: int | None
    cpu: str | None
    memory_gib: float | None
    platform: str
    python: str
    load_average_at_start: float

    @classmethod
    def current(cls) -> Machine:
        """This machine: CPU cores, CPU model, memory, platform and the load now."""
        cpu = next((line.split(":", 1)[1].strip() for line in _read_lines("/proc/cpuinfo")
                    if line.startswith("model name")), platform.processor() or None)
        memory = next((int(line.split()[1]) / 2**20 for line in _read_lines("/proc/meminfo")
                       if line.startswith("MemTotal")), None)
        return cls(os.cpu_count(), cpu, round(memory, 1) if memory else None, platform.platform(),
                   platform.python_version(), round(os.getloadavg()[0], 2))


@dataclass
class Step:
    """One subprocess an experiment ran."""

    command: str
    seconds: float
    peak_rss_mb: float


def _optional() -> Any:
    """A key the record has only in some groups (or, ``git_changes``, only from some date on)."""
    return field(default=None, metadata={"optional": True})


@dataclass
class Record:
    experiment: str  # the file stem
    group: str
    #: The driver command that regenerates exactly this file (with ``--force``); old records: the old driver's.
    command: str
    date: str
    machine: Machine
    git_commit: str | None
    git_dirty: bool
    git_changes: list[str] | None = _optional()
    wall_seconds: float = 0.0
    settings: dict[str, Any] = field(default_factory=dict)
    #: baselines: ``{method: Scores}``; zero_shot: Scores; ablation: ``{"test", "validation": Scores,
    #: "training": Training}``; classifier: the same with its own training figures
    #: (:func:`experiments.classifier.train_classifier`); speed: the benchmark's figures (:mod:`experiments.benches`).
    metrics: dict[str, Any] = field(default_factory=dict)
    output: str | None = _optional()  # speed: what the benchmark printed
    steps: list[Step] | None = _optional()  # ablation, speed
    adapter: str | None = _optional()  # ablation
    reused_adapter: bool | None = _optional()  # ablation
    train_utterances: int | None = _optional()  # baselines, classifier
    test_ids: list[str] | None = _optional()  # every group but speed: ``dialogue_id/turn`` scored
    test_labels: list[str] | None = _optional()  # baselines, classifier, newer others: the gold labels of test_ids
    #: baselines: per method; classifier, newer ablation and zero-shot records: ``{method or variant: labels}``
    #: (paired comparisons on the same utterances)
    test_predictions: dict[str, list[str]] | None = _optional()
    peak_rss_mb: float | None = _optional()  # speed
    details: dict[str, Any] | None = _optional()  # speed, newer records: the benchmark's other figures

    def __post_init__(self) -> None:
        if self.group not in GROUPS:
            raise ValueError(f"record {self.experiment!r}: unknown group {self.group!r}")

    # --- reading the settings ---

    @property
    def dataset(self) -> str:
        return self.settings["dataset"]

    @property
    def variant(self) -> str:
        return self.settings["variant"]

    @property
    def seed(self) -> int:
        return self.settings["seed"]

    @property
    def bench(self) -> str:
        return self.settings["bench"]

    def argument(self, flag: str) -> str:
        """The value of ``flag`` in a speed record's benchmark arguments."""
        arguments = self.settings["arguments"]
        return arguments[arguments.index(flag) + 1]

    # --- the ablation's metrics ---

    @property
    def test(self) -> Scores:
        return self.metrics["test"]

    @property
    def validation(self) -> Scores:
        return self.metrics["validation"]

    @property
    def training(self) -> Training:
        return self.metrics["training"]

    def training_peak_rss_mb(self) -> float | None:
        """Peak RSS of the run's training subprocess (``None``: the adapter was reused)."""
        found = [s.peak_rss_mb for s in self.steps or [] if "examples/sft.py" in s.command]
        return found[0] if found else None

    # --- JSON ---

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Record:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"record {data.get('experiment')!r} has unknown keys {unknown}")
        values = dict(data)
        values["machine"] = Machine(**data["machine"])
        if data.get("steps") is not None:
            values["steps"] = [Step(**s) for s in data["steps"]]
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None and f.metadata.get("optional"):
                continue
            if f.name == "machine":
                value = asdict(value)
            elif f.name == "steps":
                value = [asdict(s) for s in value]
            data[f.name] = value
        return data

    def dumps(self) -> str:
        return json.dumps(self.to_dict(), indent=1, ensure_ascii=False) + "\n"


def comparable_settings(record: Record) -> dict[str, Any]:
    """``record``'s settings as a plan writes them now: the paths of :data:`MOVED_PATHS` moved, the
    :data:`ADDED_SETTINGS` of its group filled in where absent."""
    settings = {k: MOVED_PATHS.get(v, v) if isinstance(v, str) else v for k, v in record.settings.items()}
    return {**settings, **{k: v for k, v in ADDED_SETTINGS.get(record.group, {}).items() if k not in settings}}


def load_record(path: Path) -> Record:
    return Record.from_dict(json.loads(path.read_text(encoding="utf-8")))


def load_records(results_dir: Path) -> dict[str, Record]:
    """Every record of ``results_dir`` by experiment name (the file stem), in name order."""
    return {p.stem: load_record(p) for p in sorted(results_dir.glob("*.json"))}


def save_record(path: Path, record: Record) -> None:
    """Write atomically (a crash never leaves half a file that would be skipped as done)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(record.dumps(), encoding="utf-8")
    tmp.replace(path)


def now() -> str:
    """The record's ``date``: UTC, to the second."""
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


def git_state() -> dict[str, Any]:
    """The commit the working tree is on, and whether it has uncommitted changes (the harness's outputs aside)."""
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, check=False).stdout.strip()

    changes = git("status", "--porcelain", "--", ".", *(f":!{p}" for p in OUTPUTS)).splitlines()
    return {"git_commit": git("rev-parse", "HEAD") or None, "git_dirty": bool(changes), "git_changes": changes}


def _read_lines(path: str) -> list[str]:
    try:
        return Path(path).read_text().splitlines()
    except OSError:
        return []
