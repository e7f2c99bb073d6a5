"""Push a trained adapter (with its model card) or the ``erc_weighted_f1`` metric Space to the Hub.

Datasets are pushed by ``instructerc-hf build --push_to_hub`` (:mod:`instructerc_hf.data.export`). Everything goes
through :func:`instructerc_hf.hub.push.push_folder`: ``HF_ENDPOINT`` selects another Hub, ``HF_TOKEN`` authenticates.
"""

from __future__ import annotations

from pathlib import Path

from ..cards.model_card import ModelCardData, write_model_card
from ..configuration import ERCModelConfig
from ..registry import ADAPTER_CONFIG_NAME, CARD_NAME, CONFIG_NAME, PIPELINE_TASK
from .push import HubClient, push_folder

#: The metric Space folder of a source checkout (not part of an installed wheel).
METRIC_DIR = Path(__file__).resolve().parents[2] / "metrics" / "erc_weighted_f1"
ADAPTER_FILES: tuple[str, ...] = (ADAPTER_CONFIG_NAME, CONFIG_NAME)


def is_instructerc_card(path: Path) -> bool:
    """Whether ``path`` is a card written by :mod:`instructerc_hf.cards.model_card` (not, e.g., PEFT's generic one)."""
    return path.is_file() and f"- {PIPELINE_TASK}\n" in path.read_text(encoding="utf-8").split("\n---", 1)[0]


def prepare_adapter_folder(folder: str | Path, repo_id: str, card_data: ModelCardData | None = None) -> Path:
    """Check an adapter folder and give it its card: ``card_data`` (its ``model_id`` set to ``repo_id``), else the
    instructerc card already there, else a minimal card from ``instructerc_config.json``."""
    folder = Path(folder)
    missing = [name for name in ADAPTER_FILES if not (folder / name).is_file()]
    if missing or not any(folder.glob("adapter_model.*")):
        needed = missing or ["adapter_model.*"]
        raise FileNotFoundError(f"{folder} is not a saved InstructERC adapter: missing {needed}")
    if card_data is None and is_instructerc_card(folder / CARD_NAME):
        return folder
    data = card_data or ModelCardData(erc_config=ERCModelConfig.from_pretrained(folder))
    data.model_id = repo_id
    write_model_card(data, folder)
    return folder


def push_adapter(
    folder: str | Path,
    repo_id: str,
    *,
    card_data: ModelCardData | None = None,
    private: bool = False,
    token: str | None = None,
    api: HubClient | None = None,
) -> None:
    """Write the adapter's card (see :func:`prepare_adapter_folder`) and upload the folder as model repo ``repo_id``."""
    prepare_adapter_folder(folder, repo_id, card_data)
    push_folder(folder, repo_id, "model", private=private, token=token, api=api,
                commit_message="InstructERC adapter from instructerc_hf")


def push_metric(
    repo_id: str,
    folder: str | Path = METRIC_DIR,
    *,
    private: bool = False,
    token: str | None = None,
    api: HubClient | None = None,
) -> None:
    """Upload the ``erc_weighted_f1`` metric folder (card, module, Gradio app) as Space ``repo_id``."""
    folder = Path(folder)
    if not (folder / "erc_weighted_f1.py").is_file():
        raise FileNotFoundError(f"no erc_weighted_f1 metric folder at {folder}; pass the metrics/erc_weighted_f1 path")
    push_folder(folder, repo_id, "space", private=private, token=token, api=api,
                commit_message="ERC weighted F1 metric from instructerc_hf")
