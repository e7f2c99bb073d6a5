"""Your own corpus end to end: each file format -> build -> load_dataset -> smoke training -> pipeline, under its own
name, labels, licence and citation; and what a build does with bad input and with an earlier build's folder."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from datasets import load_dataset
from helpers import MELD_CSV, RECIPES, require, write_conversations

from instructerc_hf.data.arguments import BuildArguments
from instructerc_hf.data.export import export_dataset
from instructerc_hf.errors import InputError
from instructerc_hf.readers import DataFormatError

LABELS = ["glad", "upset", "calm"]
CITATION = "@misc{toy2026,\n  title={Toy talk},\n  year={2026}\n}"


def build(raw: Path, out: Path, **options: object) -> None:
    export_dataset(BuildArguments(dataset="conversations", raw_dir=[str(raw)], out=str(out), corpus_name="Toy talk",
                                  **options), command="instructerc-hf build conversations ...")


@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".parquet"])
def test_a_corpus_in_each_format_builds_loads_trains_and_labels(tmp_path: Path, suffix: str,
                                                                quiet_single_thread: None) -> None:
    from instructerc_hf.pipeline.erc_pipeline import load_erc_pipeline
    from instructerc_hf.testing import build_tiny_llama
    from instructerc_hf.training.schedule import main as train_main

    raw = write_conversations(tmp_path / "raw", suffix)
    out = tmp_path / "built"
    build(raw, out, labels=LABELS, license="cc-by-4.0", citation=CITATION)
    assert sorted(p.name for p in out.iterdir()) == ["README.md", "impact", "main", "plain", "speaker"]
    test = load_dataset(str(out), "main", split="test")
    assert len(test) == 8 and test.features["label"].names == LABELS and set(test["dataset"]) == {"Toy talk"}
    assert test[1]["prompt"].endswith('from <glad, upset, calm>:')
    for task in ("speaker", "impact", "plain"):
        assert len(load_dataset(str(out), task, split="train")) == 24
    card = (out / "README.md").read_text()
    header = yaml.safe_load(card.split("---")[1])
    assert header["license"] == "cc-by-4.0" and header["pretty_name"] == "InstructERC Toy talk"
    assert "@misc{toy2026" in card and "Toy talk is licensed `cc-by-4.0`" in card
    assert "MELD" not in card and "poria2019meld" not in card and "Friends" not in card

    tiny = build_tiny_llama(tmp_path / "tiny", vocab_words=LABELS)
    adapter = tmp_path / "adapter"
    train_main(["--config", str(RECIPES / "meld" / "smollm2_cpu_smoke.yaml"), "--dataset", "conversations",
                "--raw_dir", str(raw), "--name", "Toy talk", "--labels", *LABELS, "--model_name_or_path", tiny,
                "--output_dir", str(adapter), "--max_steps", "2", "--eval_steps", "2", "--save_steps", "2"])
    outputs = load_erc_pipeline(adapter)([{"speaker": "Ann", "text": "Hi!"}, {"speaker": "Bob", "text": "Go away."}])
    assert [o["label"] in LABELS for o in outputs] == [True, True]
    assert "Toy talk" in (adapter / "README.md").read_text()


def test_unknown_licence_and_citation_are_said_and_unified_needs_a_map(tmp_path: Path) -> None:
    raw = write_conversations(tmp_path / "raw", ".jsonl")
    build(raw, tmp_path / "plain", tasks=["main"])
    card = (tmp_path / "plain" / "README.md").read_text()
    assert yaml.safe_load(card.split("---")[1])["license"] == "unknown"
    assert "The licence of Toy talk is unknown" in card and "The citation of Toy talk is unknown" in card
    assert sorted(p.name for p in (tmp_path / "plain").iterdir()) == ["README.md", "main"]  # no unified without a map
    with pytest.raises(InputError, match="the unified label space needs --unified_map"):
        build(raw, tmp_path / "u", tasks=["main"], label_spaces=["unified"])
    build(raw, tmp_path / "mapped", tasks=["main"],
          unified_map=["calm=peaceful", "upset=mad", "glad=joyful"])
    unified = load_dataset(str(tmp_path / "mapped"), "main-unified", split="test")
    assert set(unified.features["label"].names) >= {"peaceful", "mad", "joyful"}


@pytest.mark.parametrize(("options", "error", "message"), [
    ({"raw_dir": ["/no/such/folder"]}, FileNotFoundError, "no train file in /no/such/folder"),
    ({"fraction": "2"}, InputError, "--fraction: fraction must be in"),
    ({"window": -1}, InputError, "--window must be >= 0"),
    ({"dedup": "drop"}, InputError, "unknown --dedup 'drop'"),
])
def test_bad_options_fail_before_anything_is_written(tmp_path: Path, options: dict, error: type, message: str) -> None:
    raw = write_conversations(tmp_path / "raw", ".jsonl")
    out = tmp_path / "out"
    with pytest.raises(error, match=message):
        export_dataset(BuildArguments(**{"dataset": "conversations", "raw_dir": [str(raw)], "out": str(out),
                                         "corpus_name": "T", **options}))
    assert not out.exists()


def test_bad_meld_files_fail_before_anything_is_written(tmp_path: Path) -> None:
    meld = tmp_path / "MELD"
    shutil.copytree(require(MELD_CSV), meld)
    path = meld / "test_sent_emo.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("Emotion", "Feeling", 1), encoding="utf-8")
    out = tmp_path / "out"
    with pytest.raises(DataFormatError, match=r"test_sent_emo.csv, row 1: missing column\(s\) \['Emotion'\]"):
        export_dataset(BuildArguments(dataset="meld", raw_dir=[str(meld)], out=str(out), tasks=["main"]))
    assert not out.exists() and not list(tmp_path.glob(".out-*"))
    with pytest.raises(InputError, match="unknown --source 'tsv' for meld"):
        BuildArguments(dataset="meld", raw_dir=[str(meld)], out=str(out), source="tsv")
    with pytest.raises(InputError, match=r"\['corpus_name'\] describe your own corpus"):
        BuildArguments(dataset="meld", raw_dir=[str(meld)], out=str(out), corpus_name="x")


def test_a_rebuild_replaces_the_folder_and_a_foreign_folder_is_refused(tmp_path: Path) -> None:
    raw = write_conversations(tmp_path / "raw", ".jsonl")
    out = tmp_path / "out"
    build(raw, out, tasks=["main", "speaker"])
    build(raw, out, tasks=["main"])
    assert sorted(p.name for p in out.iterdir()) == ["README.md", "main"]  # no stale speaker config to push
    (out / "notes.txt").write_text("mine")
    with pytest.raises(InputError, match="holds files no build writes"):
        build(raw, out, tasks=["main"])
    assert (out / "notes.txt").exists()


def test_the_meld_card_reports_its_repeated_dialogue(meld_folder: Path) -> None:
    card = (meld_folder / "README.md").read_text()
    assert "1 dialogue(s) of test also appear in train (text compared ignoring case and whitespace): kept" in card
