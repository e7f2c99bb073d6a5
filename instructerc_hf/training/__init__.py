"""Multi-task LoRA training with TRL, the logic behind ``examples/sft.py``.

:mod:`.arguments` (the options), :mod:`.parser` (recipe + command line), :mod:`.data` and :mod:`.fitting` (the rows of
each task, fitted to ``max_length``), :mod:`.trainer` (``SFTTrainer`` with per-example loss weights and label-scoring
evaluation), :mod:`.model` (the base model), :mod:`.schedule` (the two stages), :mod:`.resume`, :mod:`.summary` and
:mod:`.card` (what a run writes), :mod:`.demonstration_collator` (demonstrations drawn anew every epoch).
"""

from .._lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(
    __name__,
    {
        ".demonstration_collator": ["DemonstrationCollator", "DemonstrationEpochCallback", "tokenize_prompt_completion"],
        ".arguments": ["PAPER_DEFAULTS", "ERCDataArguments", "ERCRetrievalArguments", "ERCTaskArguments"],
        ".parser": ["make_parser", "parse_args"],
        ".schedule": ["main", "train"],
        ".summary": ["StageResult", "TrainingSummary"],
        ".trainer": ["InstructERCTrainer", "LossWeightCollator"],
    },
)
