"""The driver's subprocesses: run from the repository root, echoed, timed, their peak memory from ``wait4``."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from . import REPO
from .records import Step


class CommandError(RuntimeError):
    """A subprocess of an experiment failed."""


@dataclass
class Completed:
    """A finished subprocess."""

    command: str
    output: str
    seconds: float
    peak_rss_mb: float

    def step(self) -> Step:
        return Step(self.command, round(self.seconds, 1), round(self.peak_rss_mb))


def rel(path: Path) -> str:
    """``path`` relative to the repository root (commands run from there) when it is beside it, else absolute."""
    path = Path(os.path.abspath(path))  # not resolve(): a linked ../shared stays beside the repository
    return os.path.relpath(path, REPO) if path.is_relative_to(REPO.parent) else str(path)


def shown(command: list[str]) -> str:
    """How a command is written in a record: ``python`` for this interpreter."""
    return shlex.join(["python" if part == sys.executable else part for part in command])


def run_command(command: list[str], log: Path | None = None, quiet: bool = False) -> Completed:
    """Run ``command`` from the repository root, echoing its output unless ``quiet``; ``log`` keeps a copy."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "TOKENIZERS_PARALLELISM": "false"}
    env.setdefault("HF_HUB_OFFLINE", "1")
    text = shown(command)
    start = time.perf_counter()
    proc = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert proc.stdout is not None
    lines = []
    for line in proc.stdout:
        lines.append(line)
        if not quiet:
            sys.stdout.write(line)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    output = "".join(lines)
    if log is not None:
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text(f"$ {text}\n{output}", encoding="utf-8")
    if proc.returncode:
        raise CommandError(f"`{text}` exited with {proc.returncode}; its last lines:\n{''.join(lines[-30:])}")
    return Completed(text, output, time.perf_counter() - start, usage.ru_maxrss / 1024)


def instructerc_hf_cli() -> str:
    """The package's command line (installed by ``pip install -e .``)."""
    if shutil.which("instructerc-hf") is None:
        raise SystemExit("instructerc-hf is not on PATH: pip install -e . first")
    return "instructerc-hf"
