"""The argparse builder over options dataclasses (``instructerc_hf.cli.options``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import pytest

from instructerc_hf.cli.options import OptionError, options_parser
from instructerc_hf.inference.arguments import EvaluateArguments, PredictArguments


@dataclass(kw_only=True)
class Example:
    name: str = field(metadata={"help": "A required name."})
    count: int = field(default=3, metadata={"help": "How many."})
    where: str | None = field(default=None, metadata={"help": "Where to write (default: stdout)."})
    tags: list[str] = field(default_factory=lambda: ["a", "b"], metadata={"help": "Tags."})
    kind: Literal["x", "y"] = field(default="x", metadata={"help": "The kind."})
    dry_run: bool = field(default=False, metadata={"aliases": ["-n"], "help": "Do nothing."})

    def __post_init__(self) -> None:
        if self.count < 0:
            raise ValueError("--count must be >= 0")


def parse(*argv: str) -> Example:
    (args,) = options_parser(Example, prog="instructerc-hf example", description="").parse_args_into_dataclasses(argv)
    return args


def test_fields_become_options() -> None:
    assert parse("--name", "n") == Example(name="n")
    args = parse("--name", "n", "--count", "5", "--tags", "c", "d", "e", "--kind", "y", "--dry-run", "--where", "o")
    assert (args.count, args.tags, args.kind, args.dry_run, args.where) == (5, ["c", "d", "e"], "y", True, "o")
    assert parse("--name", "n", "--dry_run", "false").dry_run is False
    assert parse("--name", "n", "-n").dry_run is True


def test_help_says_required_and_each_default_once(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        parse("--help")
    text = " ".join(capsys.readouterr().out.split())
    assert "A required name. (required)" in text
    assert "How many. (default: 3)" in text and "Tags. (default: a b)" in text
    assert "(default: stdout). (default" not in text and "Where to write (default: stdout)." in text
    assert "(default: None)" not in text and "(default: )" not in text


def test_errors_are_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        parse("--count", "1")
    assert exit_.value.code == 2
    assert capsys.readouterr().err == ("instructerc-hf example: error: the following arguments are required: --name "
                                       "(see `instructerc-hf example --help`)\n")
    with pytest.raises(SystemExit):
        parse("--name", "n", "--kind", "z")
    assert "invalid choice: 'z'" in capsys.readouterr().err
    with pytest.raises(OptionError, match="--count must be >= 0"):
        parse("--name", "n", "--count", "-1")


def test_the_commands_options(capsys: pytest.CaptureFixture[str]) -> None:
    parser = options_parser(PredictArguments, prog="instructerc-hf predict", description="",
                            positional=("conversation",))
    (args,) = parser.parse_args_into_dataclasses(["c.json", "--model", "m", "--no_eos"])
    assert (args.conversation, args.model, args.no_eos, args.output) == ("c.json", "m", True, None)
    parser.print_help()
    usage = " ".join(capsys.readouterr().out.split())
    assert usage.startswith("usage: instructerc-hf predict [-h] --model MODEL") and " conversation " in usage
    evaluate = options_parser(EvaluateArguments, prog="instructerc-hf evaluate", description="")
    evaluate.print_help()
    text = " ".join(capsys.readouterr().out.split())
    assert "--dataset DATASET Dataset folder made by `instructerc-hf build` (not raw files), or its Hub id. " \
        "(required)" in text
