"""Helpers shared by test files: real-data paths, a tiny InstructERC adapter, shared inputs (``from helpers import``).

``tests/`` is on ``sys.path`` through ``pythonpath = tests`` in setup.cfg; fixtures live in ``tests/conftest.py``.
"""

from __future__ import annotations

import filecmp
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:  # the helpers import heavy modules only when called: conftest imports this file for every test
    import datasets

    from instructerc_hf.prompts import PromptConfig
    from instructerc_hf.records import Dialogue, DialogueCorpus
    from instructerc_hf.retrieval.retriever import DemonstrationRetriever

# --- paths ---------------------------------------------------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[1]
RECIPES = ROOT / "recipes"
SHARED = Path(os.environ.get("INSTRUCTERC_SHARED", Path(__file__).resolve().parents[2] / "shared"))
DATA = SHARED / "data"
REFERENCE = SHARED / "reference"

MELD_CSV = DATA / "meld/raw/declare-lab__MELD/data/MELD"
MELD_LEGACY_CSV = DATA / "meld/raw/declare-lab__MELD@pre-utf8-fix/data/MELD"
MELD_RAW = DATA / "meld/raw"
EMORYNLP_RAW = DATA / "emorynlp/raw"
IEMOCAP_RAW = DATA / "iemocap/raw"
IEMOCAP_TSV = DATA / "iemocap/raw/rungjoo__CoMPM/dataset/iemocap"

#: Prompts of the official InstructERC data files, and the dataset names those files use.
SAMPLES = REFERENCE / "official_prompt_samples"
OFFICIAL_NAMES = {"meld": "meld", "emorynlp": "EmoryNLP", "iemocap": "iemocap"}


def require(path: Path) -> Path:
    """Skip the test when ``path`` (real shared data) is not on this machine."""
    if not path.exists():
        pytest.skip(f"real data not found at {path}")
    return path


def same_tree(left: Path, right: Path) -> bool:
    """Identical file names and contents, recursively."""
    names = sorted(p.relative_to(left) for p in left.rglob("*") if p.is_file())
    if names != sorted(p.relative_to(right) for p in right.rglob("*") if p.is_file()):
        return False
    return all(filecmp.cmp(left / n, right / n, shallow=False) for n in names)


# --- a tiny, untrained InstructERC adapter folder for fast format and plumbing tests ---------------------------------

MELD_LABELS = ("neutral", "surprise", "fear", "sad", "joyful", "disgust", "angry")


def build_tiny_adapter(folder: Path, base_dir: Path | None = None, **config: Any) -> Path:
    """A tiny random Llama (in ``base_dir``) with a fresh LoRA on q/k/v, its tokenizer and ``instructerc_config.json``.

    ``config`` overrides :class:`ERCModelConfig` fields (default: MELD, original labels, no retrieval). LoRA's B matrix
    is randomised so that the adapter changes the base model's outputs.
    """
    from peft import LoraConfig, get_peft_model

    from instructerc_hf.configuration import ERCModelConfig
    from instructerc_hf.modeling import load_causal_lm, load_tokenizer
    from instructerc_hf.quiet import peft_wrapping
    from instructerc_hf.tasks import prompt_config_for
    from instructerc_hf.testing import build_tiny_llama

    base = build_tiny_llama(base_dir or folder.parent / f"{folder.name}-base")
    with peft_wrapping():
        model = get_peft_model(
            load_causal_lm(base),
            LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "k_proj", "v_proj"], task_type="CAUSAL_LM",
                       init_lora_weights=False),
        )
    model.save_pretrained(folder)
    load_tokenizer(base).save_pretrained(folder)
    fields: dict[str, Any] = {"base_model": base, "datasets": ["meld"], "label_space": "original",
                              "prompt": prompt_config_for(["meld"], "original")}
    fields.update(config)
    ERCModelConfig(**fields).save_pretrained(folder)
    return folder


def build_stub_card_adapter(folder: Path) -> Path:
    """A tiny adapter with PEFT's stub model card, as ``save_pretrained`` leaves it (pushing replaces the card)."""
    from instructerc_hf.registry import CARD_NAME

    build_tiny_adapter(folder)
    (folder / CARD_NAME).write_text("---\nlibrary_name: peft\n---\n# Model Card for Model ID\n")  # PEFT's stub
    return folder


# --- shared inputs ---------------------------------------------------------------------------------------------------

#: A conversation as the pipeline takes it.
CONVERSATION = [
    {"speaker": "Joey", "text": "How you doin'?"},
    {"speaker": "Rachel", "text": "Oh my God! I can't believe it!"},
    {"speaker": "Joey", "text": "What? What's wrong?"},
    {"speaker": "Ross", "text": "We were on a break!"},
]

#: The domain base (text, label) of the ``retrieval_adapter`` fixture.
DOMAIN_BASE = [
    ("I'm so happy for you guys!", "joyful"), ("This is the worst day of my life.", "sad"),
    ("Get out of my apartment!", "angry"), ("What?! No way!", "surprise"), ("Okay, see you tomorrow.", "neutral"),
    ("That is so gross.", "disgust"), ("I'm scared, there's someone outside.", "fear"),
]

#: Prompts the inference tests score and generate from: two real-looking ones, two that share no structure.
PROMPTS = [
    "Now you are expert of sentiment and emotional analysis. ### \t Speaker_0:\"Hey!\" ### Please select <x>:",
    "Now you are expert of sentiment and emotional analysis. ### \t Speaker_0:\"Hey!\"\t Speaker_1:\"What?\" ### "
    "Please select <x>:",
    "Why did you do that??",
    "I love you.",
]


def numbered_dialogue(n: int) -> Dialogue:
    """A MELD test dialogue of ``n`` turns ``utterance 0`` ... by three speakers in turn."""
    from instructerc_hf.records import Dialogue, Turn

    turns = [Turn(f"S{i % 3}", i % 3, f"utterance {i}", "neutral", "neutral", str(i)) for i in range(n)]
    return Dialogue("meld", "test", "d", turns)


# --- retrieval on real MELD rows -------------------------------------------------------------------------------------


def rows(corpus: DialogueCorpus, split: str, n: int, config: PromptConfig, task: str = "main") -> datasets.Dataset:
    """The ``task`` rows of the first ``n`` dialogues of ``corpus``'s ``split``, as a ``datasets.Dataset``."""
    import datasets

    from instructerc_hf.tasks import corpus_rows

    return datasets.Dataset.from_list(list(corpus_rows(corpus.splits[split][:n], task, config)))


def make_retriever(train_rows: datasets.Dataset, cache_dir: str, **kwargs: object) -> DemonstrationRetriever:
    """A retriever fitted on ``train_rows``, with embeddings cached in ``cache_dir``."""
    from instructerc_hf.retrieval.config import RetrievalConfig
    from instructerc_hf.retrieval.domain_base import DomainBase
    from instructerc_hf.retrieval.retriever import DemonstrationRetriever

    config = RetrievalConfig(cache_dir=cache_dir, progress=False, **kwargs)  # type: ignore[arg-type]
    return DemonstrationRetriever(config).fit(DomainBase.from_rows(train_rows, config))


# --- your own conversations, written in each file format -------------------------------------------------------------


def conversation_rows(split: str, dialogues: int, labels: tuple[str, ...] = ("calm", "upset", "glad")) -> list[dict]:
    """``dialogues`` four-turn dialogues of two speakers, one utterance a row."""
    return [{"dialogue_id": f"{split}{d}", "speaker": ("Ann", "Bob")[t % 2],
             "text": f"{split} {d} line {t}: how are you today?", "label": labels[(d + t) % len(labels)]}
            for d in range(dialogues) for t in range(4)]


def write_conversations(folder: Path, suffix: str, train: list[dict] | None = None,
                        train_labels: tuple[str, ...] = ("calm", "upset", "glad")) -> Path:
    """A folder with train/validation/test files in ``suffix`` format (``.jsonl``, ``.csv``, ``.parquet``)."""
    import datasets

    folder.mkdir(parents=True, exist_ok=True)
    splits = {"train": train if train is not None else conversation_rows("train", 6, train_labels),
              "validation": conversation_rows("validation", 2), "test": conversation_rows("test", 2)}
    for split, rows in splits.items():
        path = folder / f"{split}{suffix}"
        data = datasets.Dataset.from_list(rows)
        if suffix == ".jsonl":
            path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
        elif suffix == ".csv":
            data.to_csv(str(path), index=False)
        else:
            data.to_parquet(str(path))
    return folder


def built_folder(folder: Path, rows: dict[str, list[Any]], config: str = "main") -> Path:
    """A folder laid out as ``instructerc-hf build`` writes it, holding ``rows`` as the ``config`` test split."""
    from datasets import Dataset

    (folder / config).mkdir(parents=True)
    (folder / "README.md").write_text(
        f"---\nconfigs:\n- config_name: {config}\n  data_files:\n  - split: test\n    path: {config}/test-*.parquet\n"
        "---\n"
    )
    Dataset.from_dict(rows).to_parquet(str(folder / config / "test-00000-of-00001.parquet"))
    return folder
