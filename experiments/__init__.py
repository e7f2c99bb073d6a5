"""The research harness behind ``docs/RESULTS.md``: run from the repository root as ``python -m experiments.<verb>``.

- ``python -m experiments.run``: plan, run, resume and estimate the experiments; one JSON record per experiment in
  ``experiments/results/`` (:mod:`experiments.records`);
- ``python -m experiments.render``: the tables of ``docs/RESULTS.md`` (between its ``generated`` markers) and
  ``docs/results.png`` from those records;
- ``python -m experiments.baselines`` and ``python -m experiments.bench_{build,retrieval,training,inference}``: the
  measurements the driver runs, each printing its figures and writing them as JSON (``--json PATH``).

Facts live once: the ablation variants in :mod:`experiments.variants`, the datasets in :mod:`experiments.corpora`, the
record layout in :mod:`experiments.records`, the benchmark protocol in :mod:`experiments.benches`.
"""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
#: The harness itself, its records and its training recipe.
HOME = REPO / "experiments"
RESULTS_DIR = HOME / "results"
#: The fair protocol's records (issue 18): every method selected on the whole validation split, scored on the whole
#: test split, with its test predictions (:mod:`experiments.protocol`).
WHOLE_RESULTS_DIR = HOME / "results-whole"
RECIPE = HOME / "recipes" / "meld_smollm2_cpu.yaml"
#: Built data, adapters, logs and bench figures (git-ignored).
WORK_DIR = REPO / "outputs" / "experiments"
#: The shared raw data beside the repository.
DATA_DIR = REPO.parent / "shared" / "data"
#: What the driver's records write as their regenerating command.
DRIVER = "python -m experiments.run"
RENDERER = "python -m experiments.render"
