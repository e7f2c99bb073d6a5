"""``docs/results.png``: MELD test weighted F1 per ablation variant (mean over seeds, error bars one standard
deviation, dots the seeds), the baselines as horizontal lines (on the variants' test utterances when available)."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path

from .figures import NOT_RUN, baseline_on, mean_std
from .records import Record
from .variants import variant

#: (method, label, line style, colour) of the baselines drawn across the plot.
BASELINE_LINES: tuple[tuple[str, str, str, str], ...] = (("tfidf_lr", "TF-IDF + LR", "--", "tab:red"),
                                                         ("majority", "majority", ":", "gray"))


def reference_lines(ordered: Sequence[tuple[str, list[Record]]], baselines: Mapping[str, Record],
                    zero_shot: Mapping[str, Record]) -> list[tuple[str, float, str, str]]:
    """(label, weighted F1, line style, colour) of the lines drawn across the plot."""
    lines = []
    baseline = baselines.get("meld")
    if baseline is not None:
        for method, name, style, color in BASELINE_LINES:
            value, n = baseline_on(baseline, method, ordered[0][1][:1]) if ordered else (
                baseline.metrics[method]["weighted_f1"], None)
            lines.append((name + (" (same utterances)" if n else " (whole test)"), value, style, color))
    zero = zero_shot.get("meld")
    if zero is not None:
        lines.append((f"zero-shot (first {zero.metrics['num_examples']})", zero.metrics["weighted_f1"], "-.",
                      "tab:green"))
    return lines


def plot(path: Path, ordered: Sequence[tuple[str, list[Record]]], baselines: Mapping[str, Record],
         zero_shot: Mapping[str, Record]) -> None:
    """Write the plot of the ablation runs ``ordered`` (variant name, runs) to ``path``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 5))
    for x, (_, runs) in enumerate(ordered):
        scores = [r.test["weighted_f1"] for r in runs]
        mean, std = mean_std(scores)
        ax.bar(x, mean, yerr=std or 0.0, capsize=6, color="tab:blue", alpha=0.8)
        ax.scatter([x] * len(scores), scores, color="black", s=14, zorder=3)
    ax.set_xticks(range(len(ordered)), [textwrap.fill(variant(v).title, 18) for v, _ in ordered], fontsize=8)
    if not ordered:
        ax.text(0.5, 0.65, f"ablation {NOT_RUN}", transform=ax.transAxes, ha="center", va="center")
    lines = reference_lines(ordered, baselines, zero_shot)
    for label, value, style, color in lines:
        ax.axhline(value, linestyle=style, color=color, linewidth=1.2)
        ax.text(ax.get_xlim()[1], value, f" {label}: {value:.1f}", va="center", fontsize=8)
    ax.set_ylabel("MELD test weighted F1 (%)")
    values = [v for _, v, _, _ in lines] + [r.test["weighted_f1"] for _, runs in ordered for r in runs]
    ax.set_ylim(0, max(values, default=0) * 1.2 + 5)
    ax.set_title("InstructERC ablation, SmolLM2-135M + LoRA on a CPU")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
