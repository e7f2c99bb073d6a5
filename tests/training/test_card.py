"""The model card a training run assembles: where its data came from."""

from __future__ import annotations

from pathlib import Path

from instructerc_hf.training.arguments import ERCDataArguments
from instructerc_hf.training.card import data_source


def test_data_is_named_by_hub_id_only_when_one_is_known(tmp_path: Path) -> None:
    assert data_source(ERCDataArguments(dataset_path="my-org/meld-erc")) == ("my-org/meld-erc", "")
    pushed, never = tmp_path / "pushed", tmp_path / "never"
    for folder, line in ((pushed, 'load_dataset("my-org/meld-erc", "main")'),
                         (never, 'load_dataset("path/to/this/folder", "main")')):
        folder.mkdir()
        (folder / "README.md").write_text(f"# card\n\n```python\ndata = {line}\n```\n", encoding="utf-8")
    assert data_source(ERCDataArguments(dataset_path=str(pushed))) == ("my-org/meld-erc", "")
    repo, source = data_source(ERCDataArguments(dataset_path=str(never)))
    assert repo is None and "local folder" in source
    repo, source = data_source(ERCDataArguments(raw_dir=["/data/MELD"]))
    assert repo is None and source.startswith("the raw MELD files")
