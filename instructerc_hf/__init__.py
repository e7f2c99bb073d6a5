"""instructerc_hf: InstructERC (arXiv 2309.11911) on the Hugging Face stack.

Importing the package is cheap (no torch, transformers or datasets): the names below are imported on first use, and
the pipeline task is registered when ``transformers.pipelines`` is first imported.
"""

from __future__ import annotations

from ._lazy import lazy_exports
from .pipeline import registration as _registration

__version__ = "0.1.0"

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        ".configuration": ["ERCModelConfig"],
        ".data.builder": ["InstructERCBuilder"],
        ".data.export": ["BuildArguments", "export_dataset"],
        ".inference.adapter": ["load_adapter"],
        ".labels": ["UNIFIED_LABELS", "get_dataset_labels"],
        ".metrics": ["compute_erc_metrics"],
        ".pipeline.erc_pipeline": ["load_erc_pipeline"],
        ".prompts": ["PromptConfig"],
        ".readers": ["read_corpus"],
        ".registry": ["DATASET_NAMES", "PIPELINE_TASK"],
        ".retrieval.retriever": ["DemonstrationRetriever"],
        ".tasks": ["TASKS", "prompt_config_for"],
        ".training.schedule": ["train"],
        ".training.trainer": ["InstructERCTrainer"],
    },
)
__all__ = [*__all__, "__version__"]
del _registration
