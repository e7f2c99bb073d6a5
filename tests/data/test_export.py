"""Hub-ready export of real MELD (and IEMOCAP): the folder load_dataset reads, and pushing it (to a fake Hub)."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest
from datasets import ClassLabel, load_dataset
from helpers import DATA, MELD_CSV, require

from instructerc_hf.data.arguments import BuildArguments
from instructerc_hf.data.export import build_and_push


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
    options = {"raw_dir": [str(require(DATA / "iemocap/raw"))], "out": str(tmp_path / "out"), "tasks": ["plain"],
               "label_spaces": ["original"]}
    for dataset in ("iemocap", "unified"):
        with pytest.raises(PermissionError, match="IEMOCAP may not be redistributed"):  # refused before building
            BuildArguments(dataset=dataset, **{**options, "raw_dir": options["raw_dir"] if dataset == "iemocap" else
                                               [f"{n}={options['raw_dir'][0]}" for n in ("meld", "iemocap", "emorynlp")]},
                           push_to_hub="someone/iemocap")
    assert not (tmp_path / "out").exists()
    private = BuildArguments(dataset="iemocap", **options, push_to_hub="someone/iemocap", private=True)
    assert private.private
