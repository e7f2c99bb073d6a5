"""Push a trained adapter (with its model card) or the ``erc_weighted_f1`` metric Space to the Hub.

A push uploads exactly what a user of the adapter needs (:func:`adapter_files`), never training state; the card is
re-rendered with the repo id in every usage line. Datasets are pushed by ``instructerc-hf build --push_to_hub``
(:mod:`instructerc_hf.data.export`). Everything goes through :func:`instructerc_hf.hub.push.push_folder`:
``HF_ENDPOINT`` selects another Hub, ``HF_TOKEN`` authenticates.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

from ..cards.model_card import ModelCardData, write_model_card
from ..configuration import ERCModelConfig
from ..registry import (
    ADAPTER_CONFIG_NAME,
    ADAPTER_WEIGHTS_NAME,
    CONFIG_NAME,
    DOMAIN_BASE_NAME,
    PIPELINE_TASK,
    RESTRICTED,
    STAGE1_DIR,
    SUMMARY_NAME,
    TOKENIZER_FILES,
)
from .metric_space import METRIC_DIR, assemble_metric_space
from .push import HubClient, push_folder

#: What every saved adapter folder holds.
REQUIRED_FILES: tuple[str, ...] = (ADAPTER_CONFIG_NAME, ADAPTER_WEIGHTS_NAME, CONFIG_NAME)
#: What a push takes when present, besides the required files and the tokenizer.
OPTIONAL_FILES: tuple[str, ...] = (SUMMARY_NAME, DOMAIN_BASE_NAME)


def is_instructerc_card(path: Path) -> bool:
    """Whether ``path`` is a card written by :mod:`instructerc_hf.cards.model_card` (not, e.g., PEFT's generic one)."""
    return path.is_file() and f"- {PIPELINE_TASK}\n" in path.read_text(encoding="utf-8").split("\n---", 1)[0]


def adapter_files(folder: str | Path, include_stage1: bool = False) -> list[str]:
    """The files of ``folder`` a push uploads, relative to it: adapter, tokenizer, InstructERC config, summary and
    domain base when present, and (``include_stage1``) the stage-1 adapter; never checkpoints or optimizer state.

    Raises:
        FileNotFoundError: ``folder`` is not a saved InstructERC adapter.
    """
    folder = Path(folder)
    missing = [name for name in REQUIRED_FILES if not (folder / name).is_file()]
    if missing:
        raise FileNotFoundError(f"{folder} is not a saved InstructERC adapter: missing {missing}")
    names = [*REQUIRED_FILES, *(n for n in (*OPTIONAL_FILES, *TOKENIZER_FILES) if (folder / n).is_file())]
    if include_stage1:
        stage1 = [f"{STAGE1_DIR}/{n}" for n in (ADAPTER_CONFIG_NAME, ADAPTER_WEIGHTS_NAME)]
        absent = [n for n in stage1 if not (folder / n).is_file()]
        if absent:
            raise FileNotFoundError(f"{folder} has no stage-1 adapter: missing {absent}")
        names += stage1
    return sorted(names)


def saved_card_data(folder: Path) -> ModelCardData:
    """The card data the training run saved in its summary, else a minimal card from ``instructerc_config.json``."""
    summary = folder / SUMMARY_NAME
    if summary.is_file():
        card = json.loads(summary.read_text(encoding="utf-8")).get("card")
        if card:
            return ModelCardData.from_dict(card)
    return ModelCardData(erc_config=ERCModelConfig.from_pretrained(folder))


def stage_adapter(folder: str | Path, repo_id: str, out: str | Path, card_data: ModelCardData | None = None,
                  include_stage1: bool = False) -> Path:
    """Copy the files a push uploads into ``out`` and write there the card for ``repo_id``."""
    folder, out = Path(folder), Path(out)
    for name in adapter_files(folder, include_stage1):
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(folder / name, out / name)
    data = card_data or saved_card_data(folder)
    data.model_id = repo_id
    write_model_card(data, out)
    return out


def push_adapter(
    folder: str | Path,
    repo_id: str,
    *,
    card_data: ModelCardData | None = None,
    include_stage1: bool = False,
    private: bool = False,
    token: str | None = None,
    api: HubClient | None = None,
) -> list[str]:
    """Upload an adapter folder as model repo ``repo_id`` (see :func:`adapter_files`); returns the files pushed.

    Raises:
        PermissionError: the adapter was trained on data that may not be redistributed (IEMOCAP) and the push is not
            private: its card, summary and domain base quote that data.
    """
    restricted = sorted(set(ERCModelConfig.from_pretrained(folder).datasets) & RESTRICTED)
    if restricted and not private:
        raise PermissionError(f"{folder} was trained on {restricted}, which may not be redistributed: push it only with "
                              "private=True (--private)")
    with tempfile.TemporaryDirectory(prefix="instructerc-push-") as staging:
        stage_adapter(folder, repo_id, staging, card_data, include_stage1)
        push_folder(staging, repo_id, "model", private=private, token=token, api=api,
                    commit_message="InstructERC adapter from instructerc_hf")
        return sorted(str(p.relative_to(staging)) for p in Path(staging).rglob("*") if p.is_file())


def push_metric(
    repo_id: str,
    folder: str | Path = METRIC_DIR,
    *,
    private: bool = False,
    token: str | None = None,
    api: HubClient | None = None,
) -> None:
    """Assemble the self-contained ``erc_weighted_f1`` Space from ``folder`` and upload it as Space ``repo_id``."""
    with tempfile.TemporaryDirectory(prefix="instructerc-metric-") as staging:
        assemble_metric_space(staging, folder)
        push_folder(staging, repo_id, "space", private=private, token=token, api=api,
                    commit_message="ERC weighted F1 metric from instructerc_hf")
