"""Fixtures of the harness tests: the real records of ``experiments/results``.

The harness is the top-level package ``experiments`` (not installed): the repository root goes on ``sys.path`` so that
``import experiments`` finds it whichever way pytest was started. This folder has no ``__init__.py``, so it never
shadows the package (a regular package wins over a namespace folder on ``sys.path``); it goes on ``sys.path`` too, for
``from synthetic import ...`` (records made up to vary the real ones).
"""

from __future__ import annotations

import copy
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
for folder in (REPO, Path(__file__).resolve().parent):
    if str(folder) not in sys.path:
        sys.path.append(str(folder))

from experiments import RESULTS_DIR  # noqa: E402
from experiments.records import Record, load_records  # noqa: E402


@pytest.fixture(scope="session")
def real() -> dict[str, Record]:
    """The committed records (read-only: tests that change one take a copy)."""
    return load_records(RESULTS_DIR)


@pytest.fixture
def real_copy(real: dict[str, Record]) -> dict[str, Record]:
    return copy.deepcopy(real)
