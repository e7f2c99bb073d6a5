"""Write ``docs/RESULTS.md`` and ``docs/results.png`` from the experiment records in ``benchmarks/results/*.json``.

    python benchmarks/render_results.py [--results-dir benchmarks/results] [--output docs/RESULTS.md] \\
        [--plot docs/results.png]

Every figure of the document comes from a record written by ``benchmarks/run_experiments.py`` and is shown with the
command that produced it; experiments without a record are listed as not yet run. The only numbers typed here are
the paper's published scores (:data:`PAPER_WEIGHTED_F1`), labelled as such.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DEFAULT_RESULTS = REPO / "benchmarks" / "results"
DEFAULT_OUTPUT = REPO / "docs" / "RESULTS.md"
DEFAULT_PLOT = REPO / "docs" / "results.png"
DRIVER = "python benchmarks/run_experiments.py"
NOT_RUN = "not yet run"

DATASETS: dict[str, str] = {"meld": "MELD", "iemocap": "IEMOCAP", "emorynlp": "EmoryNLP"}
VARIANTS: dict[str, str] = {
    "plain": "plain prompt (utterance only)",
    "window": "window prompt",
    "window_demos": "window + demonstrations",
    "window_demos_aux": "window + demonstrations + auxiliary tasks (InstructERC)",
    "window_demos_aux_all_labels": "InstructERC, training demonstrations of any label (beyond the paper)",
}
#: The variants trained with retrieved demonstrations.
DEMO_VARIANTS: tuple[str, ...] = ("window_demos", "window_demos_aux", "window_demos_aux_all_labels")
#: A mean test copy rate from which the copy section says that the model copies.
COPYING = 0.9
FULL_VARIANT = "window_demos_aux"
ALL_LABELS_VARIANT = "window_demos_aux_all_labels"
BENCHES: tuple[str, ...] = ("build", "retrieval", "training", "inference")

#: Published by the paper (Lei et al. 2023, arXiv 2309.11911): InstructERC on Llama-2-7B with LoRA, trained on the
#: full training splits on GPUs; test weighted F1. Not measured here: a different model scale and data size.
PAPER_WEIGHTED_F1: dict[str, float] = {"meld": 69.15, "iemocap": 71.39, "emorynlp": 41.37}
#: What a GPU user runs to reproduce the paper's MELD figure (recipes/meld/instructerc.yaml: Llama-2-7B, window 12,
#: speaker stage then main + impact, the full training split).
GPU_RECIPE: tuple[str, ...] = (
    "instructerc-hf build meld --raw-dir ../shared/data/meld/raw/declare-lab__MELD --out data/meld",
    "accelerate launch --config_file recipes/accelerate_configs/single_gpu.yaml examples/sft.py "
    "--config recipes/meld/instructerc.yaml",
    "instructerc-hf evaluate --model outputs/meld-instructerc --dataset data/meld --split test "
    "--output_dir outputs/meld-instructerc/test",
)

Record = dict[str, Any]


# --- figures -------------------------------------------------------------------------------------------------------------


def load_records(results_dir: Path) -> dict[str, Record]:
    """Every record of ``results_dir`` by experiment name (the file stem)."""
    return {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted(results_dir.glob("*.json"))}


def mean_test_f1(runs: Sequence[Record]) -> float:
    return statistics.mean(r["metrics"]["test"]["weighted_f1"] for r in runs)


def mean_std(values: Sequence[float]) -> tuple[float, float | None]:
    """Mean and sample standard deviation (``None`` for a single value)."""
    return statistics.mean(values), statistics.stdev(values) if len(values) > 1 else None


def fmt_mean_std(values: Sequence[float], digits: int = 2) -> str:
    """``mean ± std`` over seeds, or the single value."""
    mean, std = mean_std(values)
    return f"{mean:.{digits}f}" if std is None else f"{mean:.{digits}f} ± {std:.{digits}f}"


def subset_metrics(baseline: Record, method: str, ids: Sequence[str]) -> dict[str, float] | None:
    """A baseline's weighted F1 and accuracy on the test utterances ``ids`` (``None`` if one is missing)."""
    from instructerc_hf.scoring import compute_erc_metrics

    index = {key: i for i, key in enumerate(baseline["test_ids"])}
    if not ids or any(key not in index for key in ids):
        return None
    rows = [index[key] for key in ids]
    predictions = baseline["test_predictions"][method]
    metrics = compute_erc_metrics([predictions[i] for i in rows], [baseline["test_labels"][i] for i in rows],
                                  baseline["metrics"][method]["labels"])
    return {"weighted_f1": metrics["weighted_f1"], "accuracy": metrics["accuracy"]}


def predicted_shares(records: Sequence[Record]) -> tuple[str, float, float]:
    """The label predicted most often over the runs' test predictions, its share and its gold share (percent)."""
    labels = records[0]["metrics"]["test"]["labels"]
    predicted = [0] * len(labels)
    gold = [0] * len(labels)
    for record in records:
        for i, row in enumerate(record["metrics"]["test"]["confusion_matrix"]):
            gold[i] += sum(row)
            for j, count in enumerate(row):
                predicted[j] += count
    top = max(range(len(labels)), key=predicted.__getitem__)
    total = sum(predicted)
    return labels[top], 100 * predicted[top] / total, 100 * gold[top] / total


class Commands:
    """Numbered commands: a figure cites ``[n]``; the document ends with the list."""

    def __init__(self) -> None:
        self.numbers: dict[str, int] = {}

    def cite(self, command: str) -> str:
        if command not in self.numbers:
            self.numbers[command] = len(self.numbers) + 1
        return f"[{self.numbers[command]}]"

    def section(self) -> list[str]:
        """The cited commands, as a markdown section."""
        lines = ["## Commands", "", "Each `[n]` above was produced by command n (run from the repository root; "
                 "`--force` reruns an experiment whose record exists).", ""]
        return [*lines, *(f"{n}. `{c}`" for c, n in self.numbers.items()), ""]


# --- sections ------------------------------------------------------------------------------------------------------------


class Report:
    """The records, split by group, and the markdown built from them."""

    def __init__(self, records: dict[str, Record], plot_link: str, results_dir: str) -> None:
        self.records = records
        self.results_dir = results_dir
        self.plot_link = plot_link
        self.commands = Commands()
        self.baselines = {r["settings"]["dataset"]: r for r in records.values() if r["group"] == "baselines"}
        self.zero_shot = {r["settings"]["dataset"]: r for r in records.values() if r["group"] == "zero_shot"}
        self.speed = {r["settings"]["bench"]: r for r in records.values() if r["group"] == "speed"}
        self.ablation: dict[str, list[Record]] = {}
        for record in sorted((r for r in records.values() if r["group"] == "ablation"),
                             key=lambda r: r["settings"]["seed"]):
            self.ablation.setdefault(record["settings"]["variant"], []).append(record)

    def cite(self, record: Record) -> str:
        return self.commands.cite(record["command"])

    def not_run(self, command: str) -> str:
        return f"*{NOT_RUN}*: `{command}`"

    # header

    def header(self) -> list[str]:
        lines = ["# Measured results", "",
                 f"Generated by `python benchmarks/render_results.py` from the records in `{self.results_dir}/` "
                 "(one JSON file per experiment, written by `benchmarks/run_experiments.py`); do not edit by hand. "
                 "Each figure cites the command that produced it. Rerun everything with "
                 f"`{DRIVER}` (resumable; `--estimate` prints its CPU time) and then "
                 "`python benchmarks/render_results.py`.", ""]
        if not self.records:
            return [*lines, f"No experiment has run yet: {self.not_run(DRIVER)}.", ""]
        machines = {(r["machine"]["cpu_count"], r["machine"]["cpu"], r["machine"]["memory_gib"])
                    for r in self.records.values()}
        commits = sorted({(r["git_commit"] or "unknown")[:7] + _changes(r) for r in self.records.values()})
        dates = sorted({r["date"][:10] for r in self.records.values()})
        span = dates[0] if len(dates) == 1 else f"{dates[0]} to {dates[-1]}"
        lines += [f"- {len(self.records)} experiment records, run {span}, at commit(s) {', '.join(commits)}."]
        lines += [f"- Machine: {cores} CPU cores ({cpu}), {memory} GiB memory, no GPU; shared with other jobs, so "
                  "timings are indicative." for cores, cpu, memory in sorted(machines, key=str)]
        return [*lines, ""]

    # baselines

    def baselines_section(self) -> list[str]:
        lines = ["## Baselines on each dataset's test split", "",
                 "Majority class and TF-IDF (word 1-2 grams) + logistic regression see the utterance alone, are fitted "
                 "on the train split with C chosen on validation (`benchmarks/baselines.py`). Zero-shot is the "
                 "untrained SmolLM2-135M-Instruct on the InstructERC main prompt, by label scoring, on the first "
                 "test utterances (dialogues in order). Weighted F1 / accuracy, in percent.", "",
                 "| dataset | majority class | TF-IDF + LR | zero-shot SmolLM2-135M |", "|---|---|---|---|"]
        for dataset, name in DATASETS.items():
            cells = []
            baseline = self.baselines.get(dataset)
            for method in ("majority", "tfidf_lr"):
                if baseline is None:
                    cells.append(NOT_RUN)
                    continue
                m = baseline["metrics"][method]
                extra = f", always `{m['label']}`" if method == "majority" else f", C={m['C']}"
                cells.append(f"{m['weighted_f1']:.2f} / {m['accuracy']:.2f} (n={m['num_examples']}{extra}) "
                             f"{self.cite(baseline)}")
            zero = self.zero_shot.get(dataset)
            if zero is None:
                cells.append(NOT_RUN)
            else:
                m = zero["metrics"]
                cells.append(f"{m['weighted_f1']:.2f} / {m['accuracy']:.2f} (first {m['num_examples']}, window "
                             f"{zero['settings']['window']}) {self.cite(zero)}")
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
        for group, found in (("baselines", self.baselines), ("zero_shot", self.zero_shot)):
            missing = [d for d in DATASETS if d not in found]
            if missing:
                lines += ["", f"{group}: {self.not_run(f'{DRIVER} {group} --datasets ' + ' '.join(missing))}."]
        return [*lines, ""]

    # ablation

    def ablation_settings(self) -> list[str]:
        settings = [r["settings"] for runs in self.ablation.values() for r in runs]
        keys = ("fraction", "epochs", "stage1_epochs", "max_steps", "window", "max_length", "eval_samples", "evals",
                "test_limit")
        distinct = {k: sorted({str(s[k]) for s in settings}) for k in keys}
        text = ", ".join(f"{k}={'/'.join(v)}" for k, v in distinct.items())
        return [f"Settings of the runs (`run_experiments.py` flags): {text}. The training subset is the seeded sample "
                "of the MELD train split (sampling seed 42 in every run); the seed varies LoRA initialisation and "
                "batch order. Each run keeps the adapter with the best validation weighted F1 (label scoring on the "
                "first `eval_samples` validation utterances, `evals` times per run), then scores the first "
                "`test_limit` test utterances (0: all) with `instructerc-hf evaluate` (label scoring).", ""]

    def ablation_section(self) -> list[str]:
        lines = ["## InstructERC with SmolLM2-135M + LoRA on MELD, trained on this CPU (ablation)", "",
                 "The paper's ablation at small scale: the plain prompt (utterance only), the window prompt "
                 "(history), + retrieved demonstrations, + the auxiliary tasks (speaker identification stage, "
                 "emotion impact with alpha 0.1). Beyond the paper, the full schedule once more with training "
                 "demonstrations of any label (`--retrieval_train_pairing all_labels`), so that a demonstration's "
                 "label is no longer the answer of every training row. Recipe: "
                 "`benchmarks/recipes/meld_smollm2_cpu.yaml`.", ""]
        if not self.ablation:
            return [*lines, f"Ablation: {self.not_run(f'{DRIVER} ablation')}.", ""]
        lines += self.ablation_settings()
        lines += ["Mean ± sample standard deviation over seeds:", "",
                  "| variant | seeds | validation weighted F1 | test weighted F1 | test accuracy | train tokens/s | "
                  "train time (min) |", "|---|---|---|---|---|---|---|"]
        for variant, title in VARIANTS.items():
            runs = self.ablation.get(variant)
            if not runs:
                lines.append(f"| {title} | {self.not_run(f'{DRIVER} ablation --variants {variant}')} | | | | | |")
                continue
            cites = "".join(self.cite(r) for r in runs)
            training = [r["metrics"]["training"] for r in runs]
            speeds = [t["tokens_per_second"] for t in training if t["tokens_per_second"]]
            lines.append(
                f"| {title} | {', '.join(str(r['settings']['seed']) for r in runs)} {cites} | "
                f"{fmt_mean_std([r['metrics']['validation']['weighted_f1'] for r in runs])} | "
                f"{fmt_mean_std([r['metrics']['test']['weighted_f1'] for r in runs])} | "
                f"{fmt_mean_std([r['metrics']['test']['accuracy'] for r in runs])} | "
                f"{fmt_mean_std(speeds, 1) if speeds else 'n/a'} | "
                f"{fmt_mean_std([t['train_seconds'] / 60 for t in training], 1)} |")
        lines += ["", "Every run:", "",
                  "| variant | seed | training rows per stage | validation weighted F1 (history) | best step | "
                  "test weighted F1 | test accuracy | test utterances | train peak RSS (MiB) | wall (min) |",
                  "|---|---|---|---|---|---|---|---|---|---|"]
        for variant, runs in self.ordered_ablation():
            for r in runs:
                training, test = r["metrics"]["training"], r["metrics"]["test"]
                history = " → ".join(f"{h['weighted_f1']:.1f}" for h in training["validation_history"])
                train_rss = [s["peak_rss_mb"] for s in r["steps"] if "examples/sft.py" in s["command"]]
                rows = " → ".join(" + ".join(f"{task} {n}" for task, n in stage.items()) for stage in training["rows"])
                lines.append(
                    f"| {VARIANTS[variant]} | {r['settings']['seed']} {self.cite(r)} | {rows} | "
                    f"{r['metrics']['validation']['weighted_f1']:.2f} ({history}) | {training['best_step']} | "
                    f"{test['weighted_f1']:.2f} | {test['accuracy']:.2f} | {test['num_examples']} | "
                    f"{train_rss[0] if train_rss else 'reused'} | {r['wall_seconds'] / 60:.1f} |")
        return [*lines, *self.steps_details(), ""]

    def ordered_ablation(self) -> list[tuple[str, list[Record]]]:
        return [(v, self.ablation[v]) for v in VARIANTS if v in self.ablation]

    def steps_details(self) -> list[str]:
        """The training and evaluation commands each ablation run executed."""
        lines = ["", "<details><summary>The training and evaluation commands of each run</summary>", ""]
        for _, runs in self.ordered_ablation():
            for r in runs:
                lines.append(f"- `{r['experiment']}`:")
                lines += [f"  - `{s['command']}` ({s['seconds'] / 60:.1f} min)" for s in r["steps"]]
        return [*lines, "", "</details>"]

    # comparison with TF-IDF + LR

    def best_runs(self) -> tuple[str, list[Record]] | None:
        """The variant with the best mean test weighted F1."""
        if not self.ablation:
            return None
        return max(self.ablation.items(), key=lambda item: mean_test_f1(item[1]))

    def compared_runs(self) -> tuple[str, list[Record]] | None:
        """The full InstructERC variant if it ran, else the best variant."""
        if FULL_VARIANT in self.ablation:
            return FULL_VARIANT, self.ablation[FULL_VARIANT]
        return self.best_runs()

    def shown_runs(self) -> list[tuple[str, list[Record]]]:
        """The compared variant, then the best variant when it is another one."""
        shown = [item for item in (self.compared_runs(), self.best_runs()) if item is not None]
        return shown[:1] if len(shown) == 2 and shown[0][0] == shown[1][0] else shown

    def comparison_section(self) -> list[str]:
        lines = ["## InstructERC against TF-IDF + logistic regression on MELD test", ""]
        shown = self.shown_runs()
        baseline = self.baselines.get("meld")
        if not shown or baseline is None:
            missing = " ".join(g for g, ok in (("baselines", baseline), ("ablation", shown)) if not ok)
            return [*lines, f"The comparison needs the MELD baseline and the ablation: "
                            f"{self.not_run(f'{DRIVER} {missing}')}.", ""]
        (variant, runs), *best = shown
        who = f"InstructERC with SmolLM2-135M ({VARIANTS[variant]}, {len(runs)} seed(s))"
        if variant != FULL_VARIANT:
            who += f"; the full InstructERC variant has {NOT_RUN}, so this is the best variant run so far"
        sentence, gap = self.against_tfidf(who, runs, baseline)
        lines += [sentence, ""]
        for best_variant, best_records in best:
            sentence, _ = self.against_tfidf(f"The best variant, {VARIANTS[best_variant]} ({len(best_records)} "
                                             "seed(s)),", best_records, baseline)
            lines += [sentence, ""]
        if gap <= 0:
            lines += self.shortfall_reasons(runs, baseline)
        return [*lines, ""]

    def against_tfidf(self, who: str, runs: Sequence[Record], baseline: Record) -> tuple[str, float]:
        """``who``'s mean test weighted F1 against TF-IDF + LR on the same test utterances, and the gap."""
        ids = runs[0]["test_ids"]
        same_ids = all(r["test_ids"] == ids for r in runs)
        tfidf = subset_metrics(baseline, "tfidf_lr", ids) if same_ids else None
        full = baseline["metrics"]["tfidf_lr"]
        if tfidf is None:
            tfidf, where = full, f"TF-IDF + LR on the whole test split ({full['num_examples']} utterances)"
        else:
            where = (f"TF-IDF + LR on the same {len(ids)} test utterances (on the whole test split it scores "
                     f"{full['weighted_f1']:.2f})")
        ours = [r["metrics"]["test"]["weighted_f1"] for r in runs]
        mean, std = mean_std(ours)
        gap = mean - tfidf["weighted_f1"]
        verdict = "beats" if gap > 0 else "falls short of"
        sentence = (f"{who} reaches a test weighted F1 of {fmt_mean_std(ours)} against {tfidf['weighted_f1']:.2f} "
                    f"for {where}: it **{verdict} TF-IDF + LR by {abs(gap):.2f} points**")
        if std is not None and abs(gap) <= std:
            sentence += f", which is within the spread over seeds ({std:.2f})"
        return sentence + f" {''.join(self.cite(r) for r in runs)}{self.cite(baseline)}.", gap

    def shortfall_reasons(self, runs: Sequence[Record], baseline: Record) -> list[str]:
        """Why it falls short, from the records: scale, data, schedule and what it predicts."""
        settings = runs[0]["settings"]
        training = runs[0]["metrics"]["training"]
        rows = " then ".join(", ".join(f"{n} {task}" for task, n in stage.items()) for stage in training["rows"])
        label, share, gold = predicted_shares(runs)
        paper = PAPER_WEIGHTED_F1["meld"]
        length = (f"at most {settings['max_steps']} optimizer steps per stage" if settings["max_steps"] > 0
                  else f"{settings['epochs']:g} epoch(s) (speaker stage: {settings['stage1_epochs']:g})")
        majority = subset_metrics(baseline, "majority", runs[0]["test_ids"]) or baseline["metrics"]["majority"]
        copying = []
        if all("demonstration_copy_rate" in r["metrics"]["test"] for r in runs):
            tests = [r["metrics"]["test"] for r in runs]
            copying = [
                f"- **Copying.** It predicts the retrieved demonstration's label on "
                f"{fmt_mean_std([100 * t['demonstration_copy_rate'] for t in tests])}% of the test utterances, and "
                f"that label is the gold one on {fmt_mean_std([100 * t['demonstration_label_accuracy'] for t in tests])}%"
                " of them (see the copy-rate section below)."
            ]
        return [
            "Why, from the records:", "",
            *copying,
            f"- **Data.** Each run trained on {rows} rows (fraction {settings['fraction']} of MELD train) for "
            f"{length}, {training['steps']} optimizer steps in all; TF-IDF + LR was fitted on "
            f"all {baseline['train_utterances']} training utterances.",
            f"- **Scale.** SmolLM2-135M with LoRA on q/k/v, trained in float32 on a CPU; the paper's {paper:.2f} comes "
            "from Llama-2-7B on the full training split (see the paper's table below).",
            f"- **What it predicts.** `{label}` is {share:.1f}% of its test predictions (all seeds) against "
            f"{gold:.1f}% of the gold labels; always predicting `{baseline['metrics']['majority']['label']}` scores "
            f"{majority['weighted_f1']:.2f} on the same utterances.",
            f"- **Selection and test sets are small.** {settings['eval_samples']} validation utterances select the "
            f"adapter and the first {runs[0]['metrics']['test']['num_examples']} test utterances score it.",
            "",
        ]

    # demonstrations

    def copy_section(self) -> list[str]:
        lines = ["## Copy-the-demonstration rate", "",
                 "Share of test predictions equal to the label of the retrieved demonstration (`demonstration_copy_rate`"
                 " of `instructerc-hf evaluate`), and how often that label is the gold one; a model that only copied "
                 "would have a copy rate of 100%. Mean ± std over seeds, in percent.", "",
                 "| variant | copy rate (test) | demonstration label accuracy (test) | copy rate (validation) | "
                 "test weighted F1 |", "|---|---|---|---|---|"]
        for variant in DEMO_VARIANTS:
            runs = self.ablation.get(variant)
            if not runs:
                lines.append(f"| {VARIANTS[variant]} | {self.not_run(f'{DRIVER} ablation --variants {variant}')} "
                             "| | | |")
                continue
            cells = self.copy_cells(runs)
            lines.append(f"| {VARIANTS[variant]} {cells['cites']} | {cells['copy_rate']} | "
                         f"{cells['label_accuracy']} | {cells['validation_copy_rate']} | {cells['weighted_f1']} |")
        retrieval = self.speed.get("retrieval")
        if retrieval is not None:
            m = retrieval["metrics"]
            lines += ["", f"For scale: a model that always copies the demonstration scores a MELD test weighted F1 of "
                          f"{m['copier_weighted_f1_balanced']:.1f} with the label-balanced domain base of the full "
                          f"train split (and {m['copier_weighted_f1_unbalanced']:.1f} unbalanced) {self.cite(retrieval)}."]
        copiers = [v for v in DEMO_VARIANTS if self.ablation.get(v) and statistics.mean(
            r["metrics"]["test"]["demonstration_copy_rate"] for r in self.ablation[v]) >= COPYING]
        if copiers:
            names = " and ".join(VARIANTS[v] for v in copiers)
            lines += ["", f"**{names} {'copies' if len(copiers) == 1 else 'copy'} the demonstration's label** (mean "
                          f"test copy rate at least {COPYING:.0%})."]
            if any(v != ALL_LABELS_VARIANT for v in copiers):
                lines[-1] += (" With the paper's pairing every training row gets a demonstration of its own label, "
                              "so the label is a perfect predictor in training, while at inference the demonstration "
                              "is the nearest neighbour of any label. `docs/retrieval.md` lists the opt-in "
                              "mitigations (`all_labels_fraction`, `train_pairing=all_labels`).")
            if ALL_LABELS_VARIANT in copiers:
                lines[-1] += (" Training demonstrations of any label do not stop it: the model copies a label that "
                              "is not the answer in training either.")
            elif FULL_VARIANT in copiers and self.ablation.get(ALL_LABELS_VARIANT):
                lines[-1] += " " + self.pairing_effect()
            always = [v for v in copiers if len(self.ablation[v]) > 1 and all(
                r["metrics"]["test"]["demonstration_copy_rate"] == 1.0 for r in self.ablation[v])]
            if always:
                lines[-1] += (f" {' and '.join(VARIANTS[v] for v in always)} copied on every test utterance in every "
                              "seed, so their predictions are the retrieved labels whatever the seed: their spread "
                              "over seeds is zero.")
        return [*lines, ""]

    def copy_cells(self, runs: Sequence[Record]) -> dict[str, str]:
        """Mean ± std over ``runs`` of the copy figures (in percent) and test weighted F1, and their citations."""
        tests = [r["metrics"]["test"] for r in runs]
        validation = [r["metrics"]["validation"].get("demonstration_copy_rate") for r in runs]
        return {"copy_rate": fmt_mean_std([100 * t["demonstration_copy_rate"] for t in tests]),
                "label_accuracy": fmt_mean_std([100 * t["demonstration_label_accuracy"] for t in tests]),
                "validation_copy_rate": "n/a" if None in validation else fmt_mean_std([100 * v for v in validation]),
                "weighted_f1": fmt_mean_std([t["weighted_f1"] for t in tests]),
                "cites": "".join(self.cite(r) for r in runs)}

    def pairing_effect(self) -> str:
        """The full schedule with the paper's pairing against training demonstrations of any label."""
        paper, any_label = self.copy_cells(self.ablation[FULL_VARIANT]), self.copy_cells(self.ablation[ALL_LABELS_VARIANT])
        return (f"The pairing is the cause: the same schedule with training demonstrations of any label copies on "
                f"{any_label['copy_rate']}% of the test utterances instead of {paper['copy_rate']}%, and its test "
                f"weighted F1 is {any_label['weighted_f1']} instead of {paper['weighted_f1']} "
                f"{any_label['cites']}{paper['cites']}.")

    # speed and memory

    def bench_rows(self, bench: str, record: Record) -> list[tuple[str, str, str]]:
        """(what, figures, peak RSS) rows of one benchmark record."""
        m = record["metrics"]
        if bench == "build":
            return [("data build, every MELD config and split",
                     f"{m['rows']:.0f} rows in {m['seconds']:.2f} s ({m['rows_per_second']:.0f} rows/s)",
                     str(record["peak_rss_mb"]))]
        if bench == "retrieval":
            return [
                ("retrieval: SBERT embedding of MELD train", f"{m['embedding_sentences_per_second']:.0f} sentences/s",
                 str(record["peak_rss_mb"])),
                ("retrieval: top-1 query over the whole MELD train base",
                 f"{m['query_ms_with_encoding']:.1f} ms with query encoding, {m['query_ms_search_only']:.2f} ms "
                 f"search only; {m['batched_queries_per_second']:.0f} queries/s batched", "″"),
                ("retrieval: demonstrations added to every MELD train row", f"{m['injection_seconds']:.1f} s once",
                 "″")]
        if bench == "training":
            return [(f"training, {name} prompt{window}, LoRA",
                     f"{m[f'{key}_tokens_per_second']:.1f} tokens/s ({m[f'{key}_seconds_per_step']:.2f} s/step, "
                     f"{m[f'{key}_tokens_per_row']:.0f} tokens/row)", f"{m[f'{key}_peak_rss_mb']:.0f}")
                    for key, name, window in (("instructerc", "window", f" (w={bench_argument(record, '--window')})"),
                                              ("plain", "plain", ""))]
        limit = bench_argument(record, "--limit")
        rows = []
        for dtype in ("float32", "bfloat16"):
            rows += [(f"inference, label scoring, {dtype} (first {limit} MELD test utterances, InstructERC prompt)",
                      f"{m[f'{dtype}_score_utterances_per_second']:.2f} utt/s", str(record["peak_rss_mb"])),
                     (f"inference, greedy generation, {dtype} (same utterances)",
                      f"{m[f'{dtype}_generate_utterances_per_second']:.2f} utt/s; scoring is "
                      f"{m[f'{dtype}_speedup']:.2f}x faster", "″")]
        return rows

    def speed_section(self) -> list[str]:
        lines = ["## Speed and memory", "",
                 "Peak memory is the peak resident set size of the benchmark's or run's process (from `wait4`).", "",
                 "| what | measured | peak RSS (MiB) |", "|---|---|---|"]
        for bench in BENCHES:
            record = self.speed.get(bench)
            if record is None:
                lines.append(f"| bench_{bench}.py | {self.not_run(f'{DRIVER} speed --benches {bench}')} | |")
                continue
            lines += [f"| {what} | {text} {self.cite(record)} | {peak} |"
                      for what, text, peak in self.bench_rows(bench, record)]
        for variant, runs in self.ordered_ablation():
            speeds = [r["metrics"]["training"]["tokens_per_second"] for r in runs]
            rss = [s["peak_rss_mb"] for r in runs for s in r["steps"] if "examples/sft.py" in s["command"]]
            scoring = [r["metrics"]["test"]["utterances_per_second"] for r in runs]
            cites = "".join(self.cite(r) for r in runs)
            if None not in speeds:
                lines.append(f"| ablation training, {VARIANTS[variant]} (without evaluation) | "
                             f"{fmt_mean_std(speeds, 1)} tokens/s {cites} | {max(rss) if rss else 'reused'} |")
            lines.append(f"| ablation test scoring, {VARIANTS[variant]} | {fmt_mean_std(scoring)} utt/s {cites} | |")
        for dataset, record in self.zero_shot.items():
            lines.append(f"| zero-shot label scoring, {DATASETS[dataset]} (window {record['settings']['window']}) | "
                         f"{record['metrics']['utterances_per_second']:.2f} utt/s {self.cite(record)} | |")
        return [*lines, ""]

    # the paper

    def paper_section(self) -> list[str]:
        lines = ["## The paper's results beside ours (a different scale)", "",
                 "The paper's figures are **published numbers, not measured here**: InstructERC on **Llama-2-7B** "
                 "with LoRA, the full training splits, GPUs (Lei et al. 2023, arXiv 2309.11911). Ours: SmolLM2-135M "
                 "trained on a fraction of MELD train in a few CPU hours. Test weighted F1.", "",
                 "| dataset | paper: InstructERC, Llama-2-7B (published) | ours: InstructERC, SmolLM2-135M, CPU | "
                 "TF-IDF + LR | majority class |", "|---|---|---|---|---|"]
        shown = self.shown_runs()
        for dataset, name in DATASETS.items():
            ours = NOT_RUN if dataset == "meld" else "not trained at this scale"
            if dataset == "meld" and shown:
                ours = "; best variant: ".join(
                    f"{fmt_mean_std([r['metrics']['test']['weighted_f1'] for r in runs])} ({VARIANTS[variant]}, "
                    f"first {runs[0]['metrics']['test']['num_examples']} test utterances) "
                    f"{''.join(self.cite(r) for r in runs)}"
                    for variant, runs in shown
                )
            baseline = self.baselines.get(dataset)
            cells = [f"{baseline['metrics'][m]['weighted_f1']:.2f} {self.cite(baseline)}" if baseline else NOT_RUN
                     for m in ("tfidf_lr", "majority")]
            lines.append(f"| {name} | {PAPER_WEIGHTED_F1[dataset]:.2f} | {ours} | {' | '.join(cells)} |")
        lines += ["", "To reproduce the paper's MELD figure on a GPU (`recipes/meld/instructerc.yaml`: Llama-2-7B, "
                      "window 12, speaker stage then main + impact, the full training split; recipes for IEMOCAP and "
                      "EmoryNLP sit beside it):", "", "```bash", *GPU_RECIPE, "```"]
        return [*lines, ""]

    def plot_section(self) -> list[str]:
        return ["## Plot", "", f"![MELD test weighted F1 per variant, baselines as lines]({self.plot_link})", "",
                "MELD test weighted F1 of each ablation variant (mean over seeds, error bars one standard deviation, "
                "dots the seeds) with the baselines as horizontal lines (TF-IDF + LR and majority on the same test "
                "utterances as the variants when available). Written by `python benchmarks/render_results.py`.", ""]

    def markdown(self) -> str:
        sections = [self.header(), self.baselines_section(), self.ablation_section(), self.comparison_section(),
                    self.copy_section(), self.speed_section(), self.paper_section(), self.plot_section(),
                    self.commands.section()]
        return "\n".join(line for section in sections for line in section).rstrip() + "\n"

    # the plot

    def plot(self, path: Path) -> None:
        """MELD test weighted F1 per variant with error bars; baselines as horizontal lines."""
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(9, 5))
        ordered = self.ordered_ablation()
        for x, (_, runs) in enumerate(ordered):
            scores = [r["metrics"]["test"]["weighted_f1"] for r in runs]
            mean, std = mean_std(scores)
            ax.bar(x, mean, yerr=std or 0.0, capsize=6, color="tab:blue", alpha=0.8)
            ax.scatter([x] * len(scores), scores, color="black", s=14, zorder=3)
        ax.set_xticks(range(len(ordered)), [textwrap.fill(VARIANTS[v], 18) for v, _ in ordered], fontsize=8)
        if not ordered:
            ax.text(0.5, 0.65, f"ablation {NOT_RUN}", transform=ax.transAxes, ha="center", va="center")
        for label, value, style, color in self.plot_lines(ordered):
            ax.axhline(value, linestyle=style, color=color, linewidth=1.2)
            ax.text(ax.get_xlim()[1], value, f" {label}: {value:.1f}", va="center", fontsize=8)
        ax.set_ylabel("MELD test weighted F1 (%)")
        values = [v for _, v, _, _ in self.plot_lines(ordered)]
        values += [r["metrics"]["test"]["weighted_f1"] for _, runs in ordered for r in runs]
        ax.set_ylim(0, max(values, default=0) * 1.2 + 5)
        ax.set_title("InstructERC ablation, SmolLM2-135M + LoRA on a CPU")
        fig.tight_layout()
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=120)
        plt.close(fig)

    def plot_lines(self, ordered: list[tuple[str, list[Record]]]) -> list[tuple[str, float, str, str]]:
        """(label, weighted F1, line style, colour) of the baselines drawn across the plot."""
        lines = []
        baseline = self.baselines.get("meld")
        if baseline is not None:
            ids = ordered[0][1][0]["test_ids"] if ordered else []
            for method, name, style, color in (("tfidf_lr", "TF-IDF + LR", "--", "tab:red"),
                                               ("majority", "majority", ":", "gray")):
                subset = subset_metrics(baseline, method, ids)
                value = subset["weighted_f1"] if subset else baseline["metrics"][method]["weighted_f1"]
                lines.append((name + (" (same utterances)" if subset else " (whole test)"), value, style, color))
        zero = self.zero_shot.get("meld")
        if zero is not None:
            lines.append((f"zero-shot (first {zero['metrics']['num_examples']})", zero["metrics"]["weighted_f1"], "-.",
                          "tab:green"))
        return lines


def _changes(record: Record) -> str:
    """`` (uncommitted changes: ...)`` when the record's working tree had any (older records: no list)."""
    if not record["git_dirty"]:
        return ""
    listed = record.get("git_changes")
    return f" (uncommitted changes: {', '.join(f'`{c}`' for c in listed)})" if listed else " (uncommitted changes)"


def bench_argument(record: Record, flag: str) -> str:
    """The value of ``flag`` in a speed record's benchmark arguments."""
    arguments = record["settings"]["arguments"]
    return arguments[arguments.index(flag) + 1]


def render(results_dir: Path, output: Path, plot: Path) -> str:
    """Write the markdown and the plot; return the markdown."""
    shown = os.path.relpath(results_dir.resolve(), REPO) if results_dir.resolve().is_relative_to(REPO) else results_dir
    report = Report(load_records(results_dir), os.path.relpath(plot.resolve(), output.resolve().parent), str(shown))
    text = report.markdown()
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text, encoding="utf-8")
    report.plot(plot)
    return text


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--results-dir", type=Path, default=DEFAULT_RESULTS)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--plot", type=Path, default=DEFAULT_PLOT)
    args = parser.parse_args(argv)
    render(args.results_dir, args.output, args.plot)
    print(f"wrote {args.output} and {args.plot} from {len(list(args.results_dir.glob('*.json')))} record(s)")


if __name__ == "__main__":
    main()
