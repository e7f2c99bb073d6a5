"""The renderer: generated blocks replaced in place, the prose kept, the numbers of the records in the tables."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from synthetic import GOLD, ablation, baseline, record, write

from experiments import REPO, RESULTS_DIR, WHOLE_RESULTS_DIR
from experiments.records import Record
from experiments.render import BLOCKS, DEFAULT_OUTPUT, Report, fill, load_report, render, skeleton, table


def block(text: str, name: str) -> str:
    return text.split(f"<!-- BEGIN generated:{name} -->\n")[1].split(f"\n<!-- END generated:{name} -->")[0]


def rows(text: str) -> list[list[str]]:
    """The cells of every table row of ``text`` (header and separator left out)."""
    found = [[c.strip() for c in line.strip("|").split("|")] for line in text.splitlines() if line.startswith("|")]
    return [r for r in found if not all(set(c) <= {"-"} for c in r) and r[0] not in ("variant", "dataset", "what")
            and not r[0].startswith("a pure")]


def test_the_committed_document_is_up_to_date() -> None:
    """docs/RESULTS.md shows what the records hold: rendering it again changes nothing."""
    current = DEFAULT_OUTPUT.read_text(encoding="utf-8")
    assert fill(current, load_report(RESULTS_DIR, WHOLE_RESULTS_DIR)) == current


def test_the_real_numbers(real: dict[str, Record]) -> None:
    report = Report(real)
    ablation_rows = rows("\n".join(report.ablation_block()))
    means = {r[0]: r for r in ablation_rows[:5]}
    assert means["window prompt"][2:5] == ["37.63 ± 4.11", "44.10 ± 2.89", "49.92 ± 2.24"]
    assert means["window + demonstrations + auxiliary tasks (InstructERC)"][3] == "23.19 ± 0.00"
    assert len(ablation_rows) == 5 + 10 + 5  # means, every run, what they predict
    assert ablation_rows[-2][1:4] == ["`surprise`", "19.3", "9.8"]
    baselines = {r[0]: r for r in rows("\n".join(report.baselines_block()))}
    assert baselines["MELD"][2].startswith("46.15 / 51.99 (n=2610, C=4.0)") and baselines["MELD"][3] == "9989"
    speed = {r[0]: r[1] for r in rows("\n".join(report.speed_block()))}
    assert speed["data build, every MELD config and split"].startswith("109664 rows in 3.19 s (34368 rows/s)")
    assert speed["training, window prompt (w=12), LoRA"].startswith("95.6 tokens/s (8.57 s/step, 205 tokens/row)")
    assert "13.10 utt/s" in speed["inference, label scoring, bfloat16 (first 200 MELD test utterances, InstructERC "
                                  "prompt)"]
    paper = rows("\n".join(report.paper_block()))
    assert [r[1] for r in paper] == ["69.15", "71.39", "41.37"]
    assert paper[0][2].startswith("23.19 ± 0.00 (window + demonstrations + auxiliary tasks")
    assert "best variant: 44.10 ± 2.89 (window prompt" in paper[0][2]


def test_the_comparisons_of_the_real_records(real: dict[str, Record]) -> None:
    lines = Report(real).comparison_block()
    gaps = [float(m) for m in re.findall(r"by (\d+\.\d+) points", "\n".join(lines))]
    assert gaps == [3.02, 2.98, 23.89, 23.89, 7.59, 13.83, 13.87, 7.04, 7.04, 9.26]
    assert [("beats" in line) for line in lines if line] == [False] * 5 + [True, True, False, False, True]
    assert all("47.09 for TF-IDF + LR on the same 600" in line for line in lines[:5])


def test_commands_are_numbered_as_first_cited(real: dict[str, Record]) -> None:
    report = Report(real)
    text = fill(skeleton(), report)
    commands = block(text, "commands").splitlines()
    assert len(commands) == 20 and commands[0].startswith("1. `python benchmarks/run_experiments.py baselines")
    cited = {int(n) for n in re.findall(r"\[(\d+)\]", text)}
    assert cited == set(range(1, 21))


def test_prose_outside_the_markers_is_kept_and_blocks_are_checked(tmp_path: Path) -> None:
    results = write(tmp_path / "results", baseline(GOLD), ablation("window", 42, 25.0))
    document = "Intro.\n\n" + skeleton().replace("<!-- BEGIN generated:copy -->", "Copy prose.\n\n"
                                                 "<!-- BEGIN generated:copy -->") + "\nEnd.\n"
    output = tmp_path / "RESULTS.md"
    output.write_text(document)
    text = render(results, output, tmp_path / "results.png")
    assert text.startswith("Intro.\n\n# Measured results") and text.endswith("\nEnd.\n") and "Copy prose.\n\n" in text
    assert (tmp_path / "results.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert render(results, output, None) == text  # idempotent
    with pytest.raises(ValueError, match="missing \\['paper'\\]"):
        fill(re.sub(r"<!-- BEGIN generated:paper -->\n<!-- END generated:paper -->", "", skeleton()), Report({}))
    with pytest.raises(ValueError, match="unknown \\['other'\\]"):
        fill(skeleton() + "<!-- BEGIN generated:other -->\n<!-- END generated:other -->\n", Report({}))


def test_missing_experiments_say_how_to_run_them(tmp_path: Path) -> None:
    text = render(write(tmp_path / "results", baseline(GOLD), ablation("window", 42, 25.0)), tmp_path / "R.md", None)
    assert rows(block(text, "baselines"))[1][1:] == ["not yet run"] * 4
    assert "`python -m experiments.run zero_shot --datasets meld iemocap emorynlp`" in block(text, "baselines")
    assert "`python -m experiments.run ablation --variants window_demos_aux`" in block(text, "ablation")
    assert "`python -m experiments.run speed --benches inference`" in block(text, "speed")
    empty = render(write(tmp_path / "none"), tmp_path / "E.md", None)
    assert "`python -m experiments.run`" in block(empty, "summary")
    assert "`python -m experiments.run baselines ablation`" in block(empty, "comparison")
    assert set(BLOCKS) == {"summary", "baselines", "ablation", "comparison", "copy", "speed", "paper", "protocol", "demonstrations",
                           "commands"}


def test_the_comparison_uses_the_same_test_utterances(tmp_path: Path) -> None:
    # TF-IDF is right on the first 4 test utterances (the runs') and wrong on the rest
    tfidf = GOLD[:4] + ["joy" if g != "joy" else "sadness" for g in GOLD[4:]]
    report = Report({r.experiment: r for r in (baseline(tfidf), ablation("window", 42, 30.0),
                                                ablation("window", 43, 32.0))})
    line = report.comparison_block()[0]
    assert "31.00 ± 1.41 against 100.00" in line and "falls short of TF-IDF + LR by 69.00 points" in line
    assert "scores 55.50" in line  # the whole split, for reference
    wrong = ["joy" if g != "joy" else "sadness" for g in GOLD]
    line = Report({r.experiment: r for r in (baseline(wrong), ablation("window", 42, 30.0))}).comparison_block()[0]
    assert "against 0.00" in line and "beats TF-IDF + LR by 30.00 points" in line


def test_speed_rows_read_the_bench_figures(real: dict[str, Record]) -> None:
    speed = real["speed-inference"]
    rows_ = Report({"speed-inference": speed}).bench_rows("inference", speed)
    assert [r[1].split(" [")[0] for r in rows_] == ["5.71 utt/s", "2.44 utt/s; scoring is 2.34x faster",
                                                   "13.10 utt/s", "5.29 utt/s; scoring is 2.47x faster"]
    made_up = record("speed-build", "speed", {"bench": "build", "arguments": []},
                     metrics={"rows": 10, "seconds": 2.0, "rows_per_second": 5}, peak_rss_mb=100)
    assert Report({}).bench_rows("build", made_up)[0][1:] == ("10 rows in 2.00 s (5 rows/s) [1]", "100")


def test_table() -> None:
    assert table(["a", "b"], [[1, ""]]) == ["| a | b |", "|---|---|", "| 1 | |"]


def test_the_command_line(tmp_path: Path) -> None:
    shutil.copy(DEFAULT_OUTPUT, tmp_path / "RESULTS.md")
    done = subprocess.run([sys.executable, "-m", "experiments.render", "--output", str(tmp_path / "RESULTS.md"),
                           "--plot", str(tmp_path / "results.png")], cwd=REPO, capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip().endswith("from 20 record(s)")
    assert (tmp_path / "RESULTS.md").read_text() == DEFAULT_OUTPUT.read_text()
    check = subprocess.run([sys.executable, "-m", "experiments.render", "--check"], cwd=REPO, capture_output=True,
                           text=True)
    assert check.returncode == 0, check.stderr
    helped = subprocess.run([sys.executable, "-m", "experiments.render", "--help"], cwd=REPO, capture_output=True,
                            text=True, check=True)
    assert "--results-dir" in helped.stdout and "--check" in helped.stdout
