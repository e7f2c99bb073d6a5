"""instructerc_hf: InstructERC (arXiv 2309.11911) on the Hugging Face stack."""

from __future__ import annotations

from .labels import DATASET_NAMES, UNIFIED_LABELS, get_dataset_labels
from .prompts import PromptConfig
from .readers import read_corpus
from .registration import PIPELINE_TASK
from .tasks import TASKS, prompt_config_for

__version__ = "0.1.0"

__all__ = [
    "DATASET_NAMES",
    "PIPELINE_TASK",
    "TASKS",
    "UNIFIED_LABELS",
    "PromptConfig",
    "__version__",
    "get_dataset_labels",
    "prompt_config_for",
    "read_corpus",
]
