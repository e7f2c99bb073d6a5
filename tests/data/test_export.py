"""Builders, Hub-ready export, the dataset card, mixing/fractions and the build CLI on real MELD."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest
import yaml
from conftest import DATA, MELD_CSV, require
from datasets import ClassLabel, load_dataset

from instructerc_hf.cli import main as cli_main
from instructerc_hf.data.builder import InstructERCBuilder
from instructerc_hf.data.export import BuildArguments, build_and_push, export_dataset
from instructerc_hf.mixing import fraction_indices, mix_sizes, parse_fraction, subsample


class FakeHub:
    """Stands in for HfApi: records the calls and copies the uploaded folder into a 'remote' repo."""

    def __init__(self, remote: Path) -> None:
        self.remote = remote
        self.calls: list[tuple[str, dict[str, object]]] = []

    def create_repo(self, repo_id: str, **kwargs: object) -> None:
        self.calls.append(("create_repo", {"repo_id": repo_id, **kwargs}))

    def upload_folder(self, **kwargs: object) -> None:
        self.calls.append(("upload_folder", kwargs))
        shutil.copytree(str(kwargs["folder_path"]), self.remote / str(kwargs["repo_id"]), dirs_exist_ok=True)


@pytest.fixture(scope="module")
def meld_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("meld_repo")
    export_dataset(BuildArguments(dataset="meld", raw_dir=[str(require(MELD_CSV))], out=str(out), tasks=["main", "speaker"]))
    return out


def test_export_folder_loads_with_load_dataset(meld_folder: Path) -> None:
    test = load_dataset(str(meld_folder), "main", split="test")
    assert len(test) == 2610
    assert isinstance(test.features["label"], ClassLabel)
    assert test.features["label"].names == ["neutral", "surprise", "fear", "sad", "joyful", "disgust", "angry"]
    row = test[0]
    assert set(row) >= {"prompt", "completion", "dialogue_id", "turn", "speaker", "label"}
    assert row["prompt"].startswith("Now you are expert") and row["completion"] == " surprise"
    unified = load_dataset(str(meld_folder), "main-unified", split="train")
    assert Counter(unified.features["label"].int2str(unified["label"]))["powerful"] == 1205  # surprise -> powerful
    assert {p.relative_to(meld_folder).as_posix() for p in meld_folder.rglob("*.parquet")} == {
        f"{c}/{s}-00000-of-00001.parquet" for c in ("main", "main-unified", "speaker", "speaker-unified")
        for s in ("train", "validation", "test")
    }


def test_dataset_card(meld_folder: Path) -> None:
    card = (meld_folder / "README.md").read_text()
    header = yaml.safe_load(card.split("---")[1])
    assert header["license"] == "gpl-3.0"
    assert [c["config_name"] for c in header["configs"]] == ["main", "main-unified", "speaker", "speaker-unified"]
    assert header["configs"][0]["default"] is True
    assert header["configs"][0]["data_files"][2] == {"split": "test", "path": "main/test-*.parquet"}
    assert "| `main` | main | original | 9989 | 1109 | 2610 |" in card
    assert "load_dataset(\"instructerc/meld\", \"main\")" in card
    assert "@inproceedings{poria2019meld" in card and "@article{lei2023instructerc" in card
    assert "No record was repaired or skipped." in card


def test_push_uploads_exactly_the_folder_load_dataset_reads(tmp_path: Path) -> None:
    hub = FakeHub(tmp_path / "hub")
    out = tmp_path / "out"
    args = BuildArguments(raw_dir=[str(require(MELD_CSV))], out=str(out), tasks=["plain"], label_spaces=["original"],
                          push_to_hub="someone/meld-erc")
    import instructerc_hf.data.export as export

    original = export.push_folder
    export.push_folder = lambda *a, **k: original(*a, **k, api=hub)  # type: ignore[assignment]
    try:
        build_and_push(args)
    finally:
        export.push_folder = original  # type: ignore[assignment]
    assert [name for name, _ in hub.calls] == ["create_repo", "upload_folder"]
    assert hub.calls[0][1]["repo_type"] == "dataset"
    remote = tmp_path / "hub" / "someone/meld-erc"
    assert sorted(p.relative_to(remote) for p in remote.rglob("*") if p.is_file()) == sorted(
        p.relative_to(out) for p in out.rglob("*") if p.is_file())
    assert len(load_dataset(str(remote), "plain", split="validation")) == 1109
    assert 'load_dataset("someone/meld-erc", "plain")' in (remote / "README.md").read_text()


def test_iemocap_is_never_pushed_publicly(tmp_path: Path) -> None:
    args = BuildArguments(dataset="iemocap", raw_dir=[str(require(DATA / "iemocap/raw"))], out=str(tmp_path), tasks=["plain"],
                          label_spaces=["original"], push_to_hub="someone/iemocap")
    with pytest.raises(PermissionError, match="IEMOCAP may not be redistributed"):
        build_and_push(args)
    assert len(load_dataset(str(tmp_path), "plain", split="test")) == 1623


def test_official_legacy_characters_kept_only_in_official_mode(tmp_path: Path) -> None:
    raw = str(require(DATA / "meld/raw"))
    official = InstructERCBuilder(config_name="meld-plain", cache_dir=str(tmp_path), raw_dir=raw, official=True)
    repaired = InstructERCBuilder(config_name="meld-plain", cache_dir=str(tmp_path), raw_dir=raw, source="pickle")
    assert "company\x92s" in official.split_rows("train")[0]["prompt"]
    assert "company’s" in repaired.split_rows("train")[0]["prompt"]


def test_unified_ratio_mix_and_fraction_are_seeded(tmp_path: Path) -> None:
    raw_dirs = [f"meld={require(MELD_CSV)}", f"iemocap={require(DATA / 'iemocap/raw')}",
                f"emorynlp={require(DATA / 'emorynlp/raw')}"]

    def rows(**kwargs: object) -> list[dict[str, object]]:
        builder = InstructERCBuilder(config_name="unified-plain-unified", cache_dir=str(tmp_path), raw_dir=raw_dirs,
                                     **kwargs)
        return builder.split_rows("train")

    total = rows()
    assert Counter(r["dataset"] for r in total) == {"iemocap": 5163, "meld": 9989, "emorynlp": 7551}
    ratio = rows(mix="ratio", fraction=0.125, sampling_seed=7)
    assert len(ratio) == round(3 * 5163 / 8)
    assert ratio == rows(mix="ratio", fraction=0.125, sampling_seed=7)
    assert ratio != rows(mix="ratio", fraction=0.125, sampling_seed=8)
    test_rows = InstructERCBuilder(config_name="unified-plain-unified", cache_dir=str(tmp_path), raw_dir=raw_dirs,
                                   mix="ratio", fraction=0.125).split_rows("test")
    assert len(test_rows) == 1623 + 2610 + 984  # evaluation splits are never sampled


def test_mixing_helpers() -> None:
    assert parse_fraction("1/64") == pytest.approx(1 / 64) and parse_fraction(1) == 1.0
    for bad in ("0", "2", "x", "1/0"):
        with pytest.raises(ValueError):
            parse_fraction(bad)
    assert fraction_indices(100, 0.5, 1) == sorted(fraction_indices(100, 0.5, 1))
    assert len(subsample(list(range(10)), 1 / 64, 0)) == 1
    assert mix_sizes({"a": 10, "b": 4}, "ratio", {"a": 2.0}) == {"a": 8, "b": 4}
    with pytest.raises(ValueError, match="unknown mix strategy"):
        mix_sizes({"a": 1}, "half")  # type: ignore[arg-type]


def test_build_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "emorynlp"
    code = cli_main(["build", "emorynlp", "--raw-dir", str(require(DATA / "emorynlp/raw")), "--out", str(out),
                     "--tasks", "main", "--label_spaces", "original", "--window", "3"])
    assert code == 0
    printed = capsys.readouterr().out
    assert "main: train=7551, validation=954, test=984" in printed
    first = load_dataset(str(out), "main", split="train")[2]["prompt"]
    assert first.count("\t Speaker_") == 3
    assert cli_main(["build", "--help"]) == 0
    assert "--raw_dir" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        cli_main(["build", "friends", "--raw-dir", ".", "--out", str(out)])
    with pytest.raises(ValueError, match="unified needs --raw_dir NAME=PATH"):
        cli_main(["build", "unified", "--raw-dir", str(MELD_CSV), "--out", str(out)])
