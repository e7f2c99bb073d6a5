"""Run the experiments behind ``docs/RESULTS.md``: one JSON record per experiment in ``experiments/results/``.

Groups (all by default, in this order):

- ``baselines``: majority class, TF-IDF + LR and frozen MiniLM + LR (``experiments/baselines.py``) on each
  dataset's test split, fitted on each of ``--fractions`` of its train split, with their test predictions (so a
  subset can be compared later);
- ``classifier``: all-MiniLM-L6-v2 fine-tuned as a classifier (``experiments/classifier.py``) per dataset,
  ``--fractions``, ``--context-turns`` (0: the utterance alone) and seed, selected on the validation split;
- ``zero_shot``: SmolLM2-135M-Instruct, untrained, on the InstructERC main prompt, label scoring, the first
  ``--limit`` test utterances of each dataset (0: all), in the official raw format and/or through its chat template
  (``--zero-shot-formats``);
- ``ablation``: LoRA on MELD at ``--fraction`` of the training split, per variant (``experiments/variants.py``) and
  seed: ``examples/sft.py`` with ``experiments/recipes/meld_smollm2_cpu.yaml``, the adapter selected on
  ``--eval-samples`` validation utterances, then ``instructerc-hf evaluate`` (label scoring) on the first
  ``--test-limit`` test utterances;
- ``speed``: ``python -m experiments.bench_{build,retrieval,training,inference}``, their output and the figures they
  write as JSON.

Every record holds the command that regenerates it, the git commit, the date, the machine, the wall time and the
metrics. Experiments whose record exists are skipped (``--force`` reruns them); a record made with other settings is
an error. A training run whose adapter is finished is reused; an interrupted one resumes from its last checkpoint.

    python -m experiments.run                          # the whole plan (hours of CPU, see --estimate)
    python -m experiments.run baselines zero_shot --datasets meld --limit 200
    python -m experiments.run ablation --variants window --seeds 42
    python -m experiments.run --estimate               # CPU time of the plan, from the records so far
    python -m experiments.render                       # then the tables of docs/RESULTS.md and docs/results.png
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from pathlib import Path

from . import DATA_DIR, RECIPE, RENDERER, RESULTS_DIR, WORK_DIR, corpora, variants
from .ablation import ablation_experiment
from .benches import BENCHES
from .groups import Experiment, baselines_experiment, classifier_experiment, speed_experiment, zero_shot_experiment
from .records import GROUPS, Machine, Record, comparable_settings, git_state, load_record, now, save_record
from .shell import rel


def plan(args: argparse.Namespace) -> list[Experiment]:
    """Every selected experiment, in group order (ablation: seed by seed, the variants in table order)."""
    experiments: list[Experiment] = []
    for group in args.groups:
        if group == "baselines":
            experiments += [baselines_experiment(args, d, f) for d in args.datasets for f in args.fractions]
        elif group == "classifier":
            experiments += [classifier_experiment(args, d, c, f, s) for d in args.datasets for f in args.fractions
                            for c in args.context_turns for s in args.seeds]
        elif group == "zero_shot":
            experiments += [zero_shot_experiment(args, d, f == "chat") for d in args.datasets
                            for f in args.zero_shot_formats]
        elif group == "ablation":
            experiments += [ablation_experiment(args, v, s) for s in args.seeds for v in args.variants]
        else:
            experiments += [speed_experiment(args, b) for b in args.benches]
    return experiments


def settings_conflicts(experiments: Sequence[Experiment], results_dir: Path) -> list[str]:
    """``path: key old -> new`` for each existing record whose settings differ from the planned experiment's."""
    problems = []
    for experiment in experiments:
        path = results_dir / f"{experiment.name}.json"
        if not path.exists():
            continue
        recorded = comparable_settings(load_record(path))
        if recorded != experiment.settings:
            changed = sorted(k for k in {*recorded, *experiment.settings}
                             if recorded.get(k) != experiment.settings.get(k))
            problems.append(f"  {rel(path)}: " + ", ".join(
                f"{k} {recorded.get(k)!r} -> {experiment.settings.get(k)!r}" for k in changed))
    return problems


def run_experiment(experiment: Experiment, results_dir: Path, force: bool) -> Record | None:
    """Run ``experiment`` unless its record exists (settings compared before); write and return its record."""
    path = results_dir / f"{experiment.name}.json"
    if path.exists() and not force:
        print(f"[skip] {experiment.name}: {rel(path)} exists")
        return None
    print(f"[run] {experiment.name}: {experiment.command}", flush=True)
    date, machine, git = now(), Machine.current(), git_state()
    start = time.perf_counter()
    body = experiment.run()
    record = Record(experiment=experiment.name, group=experiment.group, command=experiment.command, date=date,
                    machine=machine, **git, wall_seconds=round(time.perf_counter() - start, 1),
                    settings=experiment.settings, **body)
    save_record(path, record)
    print(f"[done] {experiment.name} in {record.wall_seconds:.0f} s -> {rel(path)}", flush=True)
    return record


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m experiments.run", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("groups", nargs="*", metavar="GROUP",
                        help=f"experiment groups to run, among {list(GROUPS)} (default: all)")
    where = parser.add_argument_group("where")
    where.add_argument("--data-dir", type=Path, default=DATA_DIR, help="the shared raw data (../shared/data)")
    where.add_argument("--results-dir", type=Path, default=RESULTS_DIR, help="where the JSON records go")
    where.add_argument("--work-dir", type=Path, default=WORK_DIR, help="built data, adapters, evaluation outputs")
    where.add_argument("--recipe", type=Path, default=RECIPE, help="ablation: the examples/sft.py recipe")
    select = parser.add_argument_group("selection")
    select.add_argument("--datasets", nargs="+", choices=corpora.NAMES, default=list(corpora.NAMES))
    select.add_argument("--variants", nargs="+", choices=variants.NAMES, default=list(variants.PLANNED))
    select.add_argument("--seeds", nargs="+", type=int, default=[42, 43], help="training seeds (ablation, classifier)")
    select.add_argument("--fractions", nargs="+", default=["1"],
                        help="baselines, classifier: fractions of the train split to fit on (equal-data rows: 1 1/8)")
    select.add_argument("--context-turns", nargs="+", type=int, default=[0, 12],
                        help="classifier: previous turns shown before the utterance (0: the utterance alone)")
    select.add_argument("--zero-shot-formats", nargs="+", choices=("raw", "chat"), default=["raw"],
                        help="zero_shot: the official raw prompt and/or the prompt through the chat template")
    select.add_argument("--benches", nargs="+", choices=BENCHES, default=list(BENCHES))
    sizes = parser.add_argument_group("sizes (defaults: the whole plan in about 6 h of a 2-core CPU; see --estimate)")
    sizes.add_argument("--fraction", default="1/8", help="ablation: low-resource fraction of MELD train (paper: 1/8)")
    sizes.add_argument("--epochs", type=float, default=1.0, help="ablation: epochs of the main stage")
    sizes.add_argument("--stage1-epochs", type=float, default=1.0, help="ablation: epochs of the speaker stage")
    sizes.add_argument("--max-steps", type=int, default=-1, help="ablation: optimizer steps per stage (> 0 overrides)")
    sizes.add_argument("--window", type=int, default=12, help="history window (zero-shot, ablation, bench_training)")
    sizes.add_argument("--max-length", type=int, default=384, help="ablation: tokens per training row")
    sizes.add_argument("--eval-samples", type=int, default=200, help="ablation: validation utterances for selection")
    sizes.add_argument("--sft-args", default="", help="ablation: more examples/sft.py options, last (they override the "
                       "recipe and the sizes), e.g. \"--learning_rate 1e-3 --lora_target_modules all-linear\"")
    sizes.add_argument("--evals", type=int, default=2, help="ablation: validation evaluations per run")
    sizes.add_argument("--test-limit", type=int, default=600, help="ablation: first N test utterances (0: all)")
    sizes.add_argument("--limit", type=int, default=200, help="zero-shot: first N test utterances per dataset (0: all)")
    sizes.add_argument("--seed", type=int, default=42, help="baselines: logistic regression seed")
    sizes.add_argument("--speed-steps", type=int, default=6, help="speed: timed steps of bench_training")
    sizes.add_argument("--speed-limit", type=int, default=200, help="speed: test utterances of bench_inference")
    run = parser.add_argument_group("running")
    run.add_argument("--force", action="store_true", help="rerun experiments whose record exists")
    run.add_argument("--estimate", action="store_true", help="print the plan's estimated CPU time and exit")
    run.add_argument("--calibration", type=Path, help="records to estimate from (default: --results-dir)")
    run.add_argument("--quiet", action="store_true", help="do not echo the subprocesses' output")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.groups) - set(GROUPS))
    if unknown:
        parser.error(f"unknown group(s) {unknown}; choose among {list(GROUPS)}")
    args.groups = list(dict.fromkeys(args.groups or GROUPS))
    if args.evals < 1:
        parser.error("--evals must be >= 1")
    return args


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    experiments = plan(args)
    if args.estimate:
        from .estimate import print_estimate

        print_estimate(args, experiments)
        return
    if not args.force:
        problems = settings_conflicts(experiments, args.results_dir)
        if problems:
            raise SystemExit("these records were made with other settings:\n" + "\n".join(problems) + "\nrerun "
                             "with --force to replace them, pass their settings, or use another --results-dir")
    for experiment in experiments:
        run_experiment(experiment, args.results_dir, args.force)
    print(f"all {len(experiments)} experiment(s) done; render with: {RENDERER}"
          + (f" --results-dir {rel(args.results_dir)}" if args.results_dir.resolve() != RESULTS_DIR else ""))


if __name__ == "__main__":
    main()
