"""Render the tables of ``docs/RESULTS.md`` and the plot ``docs/results.png`` from the records in
``experiments/results/*.json`` and, for the fair protocol's block, ``experiments/results-whole/*.json``.

    python -m experiments.render [--results-dir experiments/results] [--whole-dir experiments/results-whole] \\
        [--output docs/RESULTS.md] [--plot docs/results.png] [--check]

The document is hand-written prose around generated blocks: each ``<!-- BEGIN generated:NAME -->`` ...
``<!-- END generated:NAME -->`` pair is replaced in place by the table (or list) :data:`BLOCKS` names; the prose is
left alone. The blocks hold numbers and generic comparisons only; what they mean is the prose's to say. Each figure
cites ``[n]``, the command that produced its record (the ``commands`` block). A missing document is created with
every block and no prose.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from . import DRIVER, REPO, RESULTS_DIR, WHOLE_RESULTS_DIR, corpora
from .benches import BENCHES
from .figures import NOT_RUN, baseline_on, comparison, fmt_mean_std, mean_test_f1, predicted_shares
from .markdown import table
from .plot import plot
from .protocol import demonstration_lines, protocol_lines, protocol_rows
from .records import Record, load_records
from .shell import rel
from .variants import VARIANTS, Variant, full_variant, variant

DEFAULT_OUTPUT = REPO / "docs" / "RESULTS.md"
DEFAULT_PLOT = REPO / "docs" / "results.png"
BEGIN, END = "<!-- BEGIN generated:{} -->", "<!-- END generated:{} -->"
BLOCK = re.compile(r"<!-- BEGIN generated:(?P<name>[\w-]+) -->\n.*?<!-- END generated:(?P=name) -->", re.DOTALL)
#: The ablation settings listed with the runs (``python -m experiments.run`` flags).
SETTINGS = ("fraction", "epochs", "stage1_epochs", "max_steps", "window", "max_length", "eval_samples", "evals",
            "test_limit")
Runs = list[tuple[str, list[Record]]]


class Report:
    """The records, split by group, and the blocks built from them; commands are numbered as first cited."""

    def __init__(self, records: dict[str, Record], whole: dict[str, Record] | None = None) -> None:
        self.records = records
        self.whole = whole or {}
        self.numbers: dict[str, int] = {}
        by_group = {g: [r for r in records.values() if r.group == g] for g in ("baselines", "zero_shot", "speed")}
        self.baselines = {r.dataset: r for r in by_group["baselines"]}
        self.zero_shot = {r.dataset: r for r in by_group["zero_shot"]}
        self.speed = {r.bench: r for r in by_group["speed"]}
        self.ablation: dict[str, list[Record]] = {}
        for record in sorted((r for r in records.values() if r.group == "ablation"), key=lambda r: r.seed):
            self.ablation.setdefault(record.variant, []).append(record)
        self.ordered: Runs = [(v.name, self.ablation[v.name]) for v in VARIANTS if v.name in self.ablation]

    def cite(self, *records: Record) -> str:
        for record in records:
            self.numbers.setdefault(record.command, len(self.numbers) + 1)
        return "".join(f"[{self.numbers[r.command]}]" for r in records)

    @staticmethod
    def not_run(arguments: str) -> str:
        """``not yet run``, and the command that runs it."""
        return f"*{NOT_RUN}*: `{f'{DRIVER} {arguments}'.strip()}`"

    # --- blocks -------------------------------------------------------------------------------------------------

    def summary(self) -> list[str]:
        if not self.records:
            return [f"No experiment has run yet: {self.not_run('')}."]
        records = self.records.values()
        commits = sorted({(r.git_commit or "unknown")[:7] + _changes(r) for r in records})
        dates = sorted({r.date[:10] for r in records})
        span = dates[0] if len(dates) == 1 else f"{dates[0]} to {dates[-1]}"
        machines = sorted({(r.machine.cpu_count, r.machine.cpu, r.machine.memory_gib) for r in records}, key=str)
        return [f"- {len(self.records)} experiment records, run {span}, at commit(s) {', '.join(commits)}.",
                *(f"- Machine: {cores} CPU cores ({cpu}), {memory} GiB memory, no GPU; shared with other jobs, so "
                  "timings are indicative." for cores, cpu, memory in machines)]

    def baselines_block(self) -> list[str]:
        rows = []
        for c in corpora.CORPORA:
            cells: list[str] = [c.title]
            baseline = self.baselines.get(c.name)
            for method in ("majority", "tfidf_lr"):
                if baseline is None:
                    cells.append(NOT_RUN)
                    continue
                m = baseline.metrics[method]
                extra = f", always `{m['label']}`" if method == "majority" else f", C={m['C']}"
                cells.append(f"{m['weighted_f1']:.2f} / {m['accuracy']:.2f} (n={m['num_examples']}{extra}) "
                             f"{self.cite(baseline)}")
            cells.append(str(baseline.train_utterances) if baseline else NOT_RUN)
            zero = self.zero_shot.get(c.name)
            cells.append(NOT_RUN if zero is None else f"{zero.metrics['weighted_f1']:.2f} / "
                         f"{zero.metrics['accuracy']:.2f} (first {zero.metrics['num_examples']}, window "
                         f"{zero.settings['window']}) {self.cite(zero)}")
            rows.append(cells)
        lines = table(["dataset", "majority class", "TF-IDF + LR", "train utterances (fitted on)",
                       "zero-shot SmolLM2-135M"], rows)
        for group, found in (("baselines", self.baselines), ("zero_shot", self.zero_shot)):
            missing = [c.name for c in corpora.CORPORA if c.name not in found]
            if missing:
                lines += ["", f"{group}: {self.not_run(f'{group} --datasets ' + ' '.join(missing))}."]
        return lines

    def ablation_block(self) -> list[str]:
        if not self.ablation:
            return [f"Ablation: {self.not_run('ablation')}."]
        settings = [r.settings for _, runs in self.ordered for r in runs]
        distinct = ", ".join(f"{k}={'/'.join(sorted({str(s[k]) for s in settings}))}" for k in SETTINGS)
        lines = [f"Settings of the runs (`{DRIVER}` flags): {distinct}.", "", "Mean ± sample standard deviation over "
                 "seeds:", ""]
        rows: list[list[object]] = []
        for v in self.shown():
            runs = self.ablation.get(v.name)
            if not runs:
                rows.append([v.title, self.not_run(f"ablation --variants {v.name}"), "", "", "", "", ""])
                continue
            speeds = [t for t in (r.training["tokens_per_second"] for r in runs) if t]
            rows.append([v.title, f"{', '.join(str(r.seed) for r in runs)} {self.cite(*runs)}",
                         fmt_mean_std([r.validation["weighted_f1"] for r in runs]),
                         fmt_mean_std([r.test["weighted_f1"] for r in runs]),
                         fmt_mean_std([r.test["accuracy"] for r in runs]),
                         fmt_mean_std(speeds, 1) if speeds else "n/a",
                         fmt_mean_std([r.training["train_seconds"] / 60 for r in runs], 1)])
        lines += table(["variant", "seeds", "validation weighted F1", "test weighted F1", "test accuracy",
                        "train tokens/s", "train time (min)"], rows)
        rows = []
        for name, runs in self.ordered:
            for r in runs:
                t = r.training
                history = " → ".join(f"{h['weighted_f1']:.1f}" for h in t["validation_history"])
                stages = " → ".join(" + ".join(f"{task} {n}" for task, n in stage.items()) for stage in t["rows"])
                rss = r.training_peak_rss_mb()
                rows.append([variant(name).title, f"{r.seed} {self.cite(r)}", stages, t["steps"],
                             f"{r.validation['weighted_f1']:.2f} ({history})", t["best_step"],
                             f"{r.test['weighted_f1']:.2f}", f"{r.test['accuracy']:.2f}", r.test["num_examples"],
                             "reused" if rss is None else rss, f"{r.wall_seconds / 60:.1f}"])
        lines += ["", "Every run:", "", *table(
            ["variant", "seed", "training rows per stage", "optimizer steps", "validation weighted F1 (history)",
             "best step", "test weighted F1", "test accuracy", "test utterances", "train peak RSS (MiB)",
             "wall (min)"], rows)]
        return [*lines, "", "What the runs predict on test (all seeds together):", "", *self.predictions_table(),
                *self.steps_details()]

    def predictions_table(self) -> list[str]:
        baseline = self.baselines.get("meld")
        rows = []
        for name, runs in self.ordered:
            label, share, gold = predicted_shares(runs)
            majority = "n/a"
            if baseline is not None:
                value, n = baseline_on(baseline, "majority", runs)
                majority = f"{value:.2f} ({f'same {n}' if n else 'whole test'}) {self.cite(baseline)}"
            rows.append([variant(name).title, f"`{label}`", f"{share:.1f}", f"{gold:.1f}", majority])
        return table(["variant", "most predicted label", "its share of the predictions (%)",
                      "its share of the gold labels (%)", "majority class, weighted F1"], rows)

    def steps_details(self) -> list[str]:
        lines = ["", "<details><summary>The training and evaluation commands of each run</summary>", ""]
        for _, runs in self.ordered:
            for r in runs:
                lines.append(f"- `{r.experiment}`:")
                lines += [f"  - `{s.command}` ({s.seconds / 60:.1f} min)" for s in r.steps or []]
        return [*lines, "", "</details>"]

    def comparison_block(self) -> list[str]:
        """Every variant against each MELD baseline on the same test utterances."""
        baseline = self.baselines.get("meld")
        if not self.ordered or baseline is None:
            missing = " ".join(g for g, ok in (("baselines", baseline), ("ablation", self.ordered)) if not ok)
            return [f"The comparison needs the MELD baseline and the ablation: {self.not_run(missing)}."]
        lines = []
        for method, reference in (("tfidf_lr", "TF-IDF + LR"), ("majority", "the majority class")):
            whole = baseline.metrics[method]["weighted_f1"]
            for name, runs in self.ordered:
                value, n = baseline_on(baseline, method, runs)
                where = (f" on the same {n} test utterances (on the whole test split it scores {whole:.2f})" if n
                         else f" on the whole test split ({baseline.metrics[method]['num_examples']} utterances)")
                sentence, _ = comparison(f"{variant(name).title} ({len(runs)} seed(s))",
                                         [r.test["weighted_f1"] for r in runs], reference, value, where,
                                         self.cite(*runs, baseline))
                lines.append(f"- {sentence}")
            lines.append("")
        return lines[:-1]

    def shown(self) -> list[Variant]:
        """The variants of the tables: those of the default plan, and any other with records."""
        return [v for v in VARIANTS if v.planned or v.name in self.ablation]

    def copy_block(self) -> list[str]:
        rows: list[list[object]] = []
        for v in (v for v in self.shown() if v.demonstrations):
            runs = self.ablation.get(v.name)
            if not runs:
                rows.append([v.title, self.not_run(f"ablation --variants {v.name}"), "", "", ""])
                continue
            tests = [r.test for r in runs]
            validation = [r.validation.get("demonstration_copy_rate") for r in runs]
            rows.append([f"{v.title} {self.cite(*runs)}",
                         fmt_mean_std([100 * t["demonstration_copy_rate"] for t in tests]),
                         fmt_mean_std([100 * t["demonstration_label_accuracy"] for t in tests]),
                         "n/a" if None in validation else fmt_mean_std([100 * (c or 0) for c in validation]),
                         fmt_mean_std([t["weighted_f1"] for t in tests])])
        lines = table(["variant", "copy rate (test)", "demonstration label accuracy (test)", "copy rate (validation)",
                       "test weighted F1"], rows)
        retrieval = self.speed.get("retrieval")
        if retrieval is not None:
            m = retrieval.metrics
            lines += ["", *table(["a pure label copier on MELD test (whole split)", "test weighted F1"], [
                [f"label-balanced domain base of the full train split {self.cite(retrieval)}",
                 f"{m['copier_weighted_f1_balanced']:.1f}"],
                [f"unbalanced domain base {self.cite(retrieval)}", f"{m['copier_weighted_f1_unbalanced']:.1f}"]])]
        return lines

    def bench_rows(self, bench: str, record: Record) -> list[tuple[str, str, str]]:
        """(what, figures, peak RSS) rows of one benchmark record."""
        m, rss, cite = record.metrics, str(record.peak_rss_mb), self.cite(record)
        if bench == "build":
            return [("data build, every MELD config and split", f"{m['rows']:.0f} rows in {m['seconds']:.2f} s "
                     f"({m['rows_per_second']:.0f} rows/s) {cite}", rss)]
        if bench == "retrieval":
            return [("retrieval: SBERT embedding of MELD train",
                     f"{m['embedding_sentences_per_second']:.0f} sentences/s {cite}", rss),
                    ("retrieval: top-1 query over the whole MELD train base",
                     f"{m['query_ms_with_encoding']:.1f} ms with query encoding, {m['query_ms_search_only']:.2f} ms "
                     f"search only; {m['batched_queries_per_second']:.0f} queries/s batched {cite}", "″"),
                    ("retrieval: demonstrations added to every MELD train row",
                     f"{m['injection_seconds']:.1f} s once {cite}", "″")]
        if bench == "training":
            return [(f"training, {name} prompt{window}, LoRA", f"{m[f'{key}_tokens_per_second']:.1f} tokens/s "
                     f"({m[f'{key}_seconds_per_step']:.2f} s/step, {m[f'{key}_tokens_per_row']:.0f} tokens/row) {cite}",
                     f"{m[f'{key}_peak_rss_mb']:.0f}")
                    for key, name, window in (("instructerc", "window", f" (w={record.argument('--window')})"),
                                              ("plain", "plain", ""))]
        limit, rows = record.argument("--limit"), []
        for dtype in ("float32", "bfloat16"):
            rows += [(f"inference, label scoring, {dtype} (first {limit} MELD test utterances, InstructERC prompt)",
                      f"{m[f'{dtype}_score_utterances_per_second']:.2f} utt/s {cite}", rss),
                     (f"inference, greedy generation, {dtype} (same utterances)",
                      f"{m[f'{dtype}_generate_utterances_per_second']:.2f} utt/s; scoring is "
                      f"{m[f'{dtype}_speedup']:.2f}x faster {cite}", "″")]
        return rows

    def speed_block(self) -> list[str]:
        rows: list[tuple[str, str, object]] = []
        for bench in BENCHES:
            record = self.speed.get(bench)
            rows += (self.bench_rows(bench, record) if record else
                     [(f"experiments.bench_{bench}", self.not_run(f"speed --benches {bench}"), "")])
        for name, runs in self.ordered:
            title, cites = variant(name).title, self.cite(*runs)
            speeds = [s for s in (r.training["tokens_per_second"] for r in runs) if s is not None]
            rss = [x for x in (r.training_peak_rss_mb() for r in runs) if x is not None]
            if len(speeds) == len(runs):
                rows.append((f"ablation training, {title} (without evaluation)",
                             f"{fmt_mean_std(speeds, 1)} tokens/s {cites}", max(rss) if rss else "reused"))
            rows.append((f"ablation test scoring, {title}",
                         f"{fmt_mean_std([r.test['utterances_per_second'] for r in runs])} utt/s {cites}", ""))
        for dataset, record in self.zero_shot.items():
            rows.append((f"zero-shot label scoring, {corpora.corpus(dataset).title} (window "
                         f"{record.settings['window']})",
                         f"{record.metrics['utterances_per_second']:.2f} utt/s {self.cite(record)}", ""))
        return table(["what", "measured", "peak RSS (MiB)"], rows)

    def shown_runs(self) -> Runs:
        """The full variant (when it ran), then the best variant by mean test weighted F1 when it is another one."""
        if not self.ordered:
            return []
        best = max(self.ordered, key=lambda item: mean_test_f1(item[1]))
        full = [item for item in self.ordered if item[0] == full_variant().name]
        return full + ([best] if not full or best[0] != full[0][0] else [])

    def paper_block(self) -> list[str]:
        rows = []
        for c in corpora.CORPORA:
            ours = NOT_RUN if c.name == "meld" else "not trained at this scale"
            if c.name == "meld" and self.ordered:
                ours = "; ".join(f"{label}{fmt_mean_std([r.test['weighted_f1'] for r in runs])} "
                                 f"({variant(name).title}, first {runs[0].test['num_examples']} test utterances) "
                                 f"{self.cite(*runs)}" for (name, runs), label
                                 in zip(self.shown_runs(), ("", "best variant: "), strict=False))
            baseline = self.baselines.get(c.name)
            cells = [f"{baseline.metrics[m]['weighted_f1']:.2f} {self.cite(baseline)}" if baseline else NOT_RUN
                     for m in ("tfidf_lr", "majority")]
            rows.append([c.title, f"{c.paper_weighted_f1:.2f}", ours, *cells])
        return table(["dataset", "paper: InstructERC, Llama-2-7B (published)", "ours: InstructERC, SmolLM2-135M, CPU",
                      "TF-IDF + LR", "majority class"], rows)

    def protocol_block(self) -> list[str]:
        """The fair protocol's methods per dataset (:mod:`experiments.protocol`)."""
        lines: list[str] = []
        for c in corpora.CORPORA:
            rows = protocol_rows(list(self.whole.values()), c.name)
            if rows:
                lines += [f"**{c.title}**", "", *protocol_lines(rows, self.cite), ""]
        return lines[:-1] if lines else [f"*{NOT_RUN}*: no record in `{rel(WHOLE_RESULTS_DIR)}` yet."]

    def demonstrations_block(self) -> list[str]:
        """The fair protocol's demonstration variants against the window prompt (issue 17)."""
        lines: list[str] = []
        for c in corpora.CORPORA:
            found = demonstration_lines(protocol_rows(list(self.whole.values()), c.name), self.cite)
            if found:
                lines += [f"**{c.title}**", "", *found, ""]
        return lines[:-1] if lines else [f"*{NOT_RUN}*: no demonstration record in `{rel(WHOLE_RESULTS_DIR)}` yet."]

    def commands_block(self) -> list[str]:
        return [f"{n}. `{command}`" for command, n in self.numbers.items()]

    def blocks(self) -> dict[str, Callable[[], list[str]]]:
        return {"summary": self.summary, "baselines": self.baselines_block, "ablation": self.ablation_block,
                "comparison": self.comparison_block, "copy": self.copy_block, "speed": self.speed_block,
                "paper": self.paper_block, "protocol": self.protocol_block,
                "demonstrations": self.demonstrations_block, "commands": self.commands_block}


#: The blocks a document holds, in the order of a new document.
BLOCKS: tuple[str, ...] = tuple(Report({}).blocks())


def _changes(record: Record) -> str:
    """`` (uncommitted changes: ...)`` when the record's working tree had any (older records: no list)."""
    if not record.git_dirty:
        return ""
    listed = record.git_changes
    return f" (uncommitted changes: {', '.join(f'`{c}`' for c in listed)})" if listed else " (uncommitted changes)"


def skeleton() -> str:
    """A document with every block and no prose."""
    return "# Measured results\n\n" + "\n\n".join(f"{BEGIN.format(b)}\n{END.format(b)}" for b in BLOCKS) + "\n"


def fill(document: str, report: Report) -> str:
    """``document`` with every generated block rewritten (``commands`` last, so that it lists every citation)."""
    found = [m.group("name") for m in BLOCK.finditer(document)]
    unknown, missing = sorted(set(found) - set(BLOCKS)), [b for b in BLOCKS if b not in found]
    if unknown or missing or len(found) != len(set(found)):
        raise ValueError(f"generated blocks: unknown {unknown}, missing {missing}, found {found}")
    makers = report.blocks()
    content = {name: makers[name]() for name in sorted(found, key=lambda n: n == "commands")}
    return BLOCK.sub(lambda m: "\n".join([BEGIN.format(m["name"]), *content[m["name"]], END.format(m["name"])]),
                     document)


def load_report(results_dir: Path, whole_dir: Path | None) -> Report:
    """The report of both record folders (no or a missing fair-protocol folder: no such records)."""
    return Report(load_records(results_dir), load_records(whole_dir) if whole_dir and whole_dir.is_dir() else {})


def render(results_dir: Path, output: Path, plot_path: Path | None, whole_dir: Path | None = None) -> str:
    """Rewrite the generated blocks of ``output`` (created when missing) and the plot; return the document."""
    report = load_report(results_dir, whole_dir)
    text = fill(output.read_text(encoding="utf-8") if output.exists() else skeleton(), report)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text, encoding="utf-8")
    if plot_path is not None:
        plot(plot_path, report.ordered, report.baselines, report.zero_shot)
    return text


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m experiments.render", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR)
    parser.add_argument("--whole-dir", type=Path, default=WHOLE_RESULTS_DIR,
                        help="the fair protocol's records (the protocol block)")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="the document with generated blocks")
    parser.add_argument("--plot", type=Path, default=DEFAULT_PLOT)
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 when the document's generated blocks are not up to date")
    args = parser.parse_args(argv)
    if args.check:
        current = args.output.read_text(encoding="utf-8")
        if fill(current, load_report(args.results_dir, args.whole_dir)) != current:
            sys.exit(f"{args.output} is out of date: run python -m experiments.render")
        print(f"{args.output} is up to date")
        return
    render(args.results_dir, args.output, args.plot, args.whole_dir)
    count = len(list(args.results_dir.glob("*.json")))
    print(f"wrote {os.path.relpath(args.output)} and {os.path.relpath(args.plot)} from {count} record(s)")


if __name__ == "__main__":
    main()
