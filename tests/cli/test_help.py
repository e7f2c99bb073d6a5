"""``instructerc-hf --help`` and ``instructerc-hf <command> --help`` are fast: nothing heavy is imported to parse."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

HEAVY = ("torch", "transformers", "datasets", "accelerate", "peft", "trl")
COMMANDS = ["", "build", "evaluate", "predict", "push"]

#: Run in a fresh interpreter: parse ``--help`` in-process, then list the heavy modules it imported.
PROBE = """
import sys
from instructerc_hf.cli import main
try:
    code = main([a for a in sys.argv[1:] if a])
except SystemExit as exit_:
    code = exit_.code
assert code == 0, code
print("imported:", [m for m in {heavy!r} if m in sys.modules])
"""


@pytest.mark.parametrize("command", COMMANDS)
def test_help_imports_nothing_heavy(command: str) -> None:
    done = subprocess.run([sys.executable, "-c", PROBE.format(heavy=HEAVY), command, "--help"], capture_output=True,
                          text=True, check=True)
    assert "usage: instructerc-hf" in done.stdout
    assert done.stdout.strip().splitlines()[-1] == "imported: []"


@pytest.mark.parametrize("command", ["", "build", "evaluate", "predict", "push"])
def test_help_runs_in_about_a_second(command: str) -> None:
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "instructerc_hf.cli", *([command] if command else []), "--help"],
                          capture_output=True, text=True, check=True)
    seconds = time.perf_counter() - start
    assert "usage: instructerc-hf" in done.stdout
    assert seconds < 3.0, f"{command or 'instructerc-hf'} --help took {seconds:.1f} s (target: under 1 s)"
