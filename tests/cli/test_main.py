"""``instructerc-hf``'s first contact: one-line errors (status 2), ``--debug`` tracebacks, unknown commands."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import MELD_CSV, require

from instructerc_hf.cli import main as cli
from instructerc_hf.cli.main import describe
from instructerc_hf.errors import InputError


def error_line(capsys: pytest.CaptureFixture[str]) -> str:
    """The one line a failed command wrote to stderr (and nothing on stdout)."""
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    return lines[0]


def test_an_unknown_command_is_named_with_the_closest_before_the_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(["evalute", "--model", "x"]) == 2
    err = capsys.readouterr().err
    first, rest = err.split("\n", 1)
    assert first == "instructerc-hf: error: unknown command 'evalute'; did you mean 'evaluate'?"
    assert "usage: instructerc-hf <command>" in rest and "predict" in rest
    assert cli(["zzz"]) == 2
    assert "unknown command 'zzz'\n" in capsys.readouterr().err


def test_help_and_no_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(["--help"]) == 0
    assert "commands:" in capsys.readouterr().out
    assert cli([]) == 2


def test_a_missing_file_is_one_line_and_debug_shows_the_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nowhere.json"
    assert cli(["predict", "--model", "m", str(missing)]) == 2
    assert error_line(capsys) == f"instructerc-hf predict: error: No such file or directory: {missing}"
    with pytest.raises(FileNotFoundError):
        cli(["predict", "--debug", "--model", "m", str(missing)])
    folder = tmp_path / "dir.json"
    folder.mkdir()
    assert cli(["predict", "--model", "m", str(folder)]) == 2
    assert error_line(capsys) == f"instructerc-hf predict: error: Is a directory: {folder}"


def test_bad_json_names_the_file_and_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = tmp_path / "conversations.jsonl"
    broken.write_text(json.dumps([{"speaker": "A", "text": "hi"}]) + "\n{oops\n", encoding="utf-8")
    assert cli(["predict", "--model", "m", str(broken)]) == 2
    line = error_line(capsys)
    assert line.startswith(f"instructerc-hf predict: error: {broken}: not valid JSON at line 2, column 2")


def test_option_errors_are_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as exit_:
        cli(["evaluate", "--model", "m"])
    assert exit_.value.code == 2
    assert error_line(capsys) == ("instructerc-hf evaluate: error: the following arguments are required: --dataset "
                                  "(see `instructerc-hf evaluate --help`)")
    assert cli(["evaluate", "--model", "m", "--dataset", str(tmp_path), "--mode", "beam"]) == 2
    assert error_line(capsys) == ("instructerc-hf evaluate: error: --mode must be one of ['score', 'generate'], "
                                  "got 'beam'")
    assert cli(["push", "adapter", "--repo_id", "me/x"]) == 2
    assert error_line(capsys) == "instructerc-hf push: error: pushing an adapter needs --folder"


def test_evaluate_on_raw_meld_csvs_says_to_build_first(capsys: pytest.CaptureFixture[str]) -> None:
    raw = require(MELD_CSV)
    assert cli(["evaluate", "--model", "m", "--dataset", str(raw)]) == 2
    line = error_line(capsys)
    assert line.startswith(f"instructerc-hf evaluate: error: {raw} is not a dataset built by `instructerc-hf build`")
    assert f"`instructerc-hf build meld --raw-dir {raw} --out data/meld`" in line


def test_predict_on_a_csv_says_to_build_first(capsys: pytest.CaptureFixture[str]) -> None:
    csv = require(MELD_CSV) / "test_sent_emo.csv"
    assert cli(["predict", "--model", "m", str(csv)]) == 2
    line = error_line(capsys)
    assert "predict reads conversations as JSON or JSONL (.json, .jsonl), not .csv" in line
    assert f"`instructerc-hf build meld --raw-dir {csv.parent} --out data/meld`" in line


def test_describe_keeps_one_line() -> None:
    assert describe(InputError("first\n  second")) == "first second"
    assert describe(FileNotFoundError(2, "No such file or directory", "x.json")) == "No such file or directory: x.json"
    assert describe(json.JSONDecodeError("Expecting value", "{", 1)) == "not valid JSON: Expecting value (line 1, " \
        "column 2)"
