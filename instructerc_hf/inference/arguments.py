"""Options of ``instructerc-hf predict`` and ``instructerc-hf evaluate`` (torch-free)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..errors import InputError
from .defaults import DEFAULT_MAX_NEW_TOKENS, DEFAULT_PACK_TOKENS, DTYPES, MODES


@dataclass
class InferenceArguments:
    """Options shared by ``predict`` and ``evaluate``."""

    model: str = field(metadata={"help": "Adapter folder or Hub id (with instructerc_config.json)."})
    mode: str = field(default="score", metadata={"help": f"Inference mode: {list(MODES)}."})
    base_model: str | None = field(default=None, metadata={"help": "Override the adapter's base model."})
    pack_tokens: int = field(default=DEFAULT_PACK_TOKENS, metadata={"help": "Label scoring: tokens per pass."})
    no_eos: bool = field(default=False, metadata={"help": "Label scoring: score the label without the EOS token."})
    batch_size: int = field(default=8, metadata={"help": "Generation: batch size."})
    max_new_tokens: int = field(default=DEFAULT_MAX_NEW_TOKENS, metadata={"help": "Generation: new tokens."})
    demonstration_draws: int | None = field(
        default=None,
        metadata={"help": "Adapters with demonstrations drawn by sample_topk or per_label: score each utterance under "
                  "N draws and average the label log-likelihoods (label scoring). Default: the adapter's saved "
                  "inference_draws (1)."},
    )
    dtype: str = field(
        default="float32",
        metadata={"help": f"Weights dtype, one of {list(DTYPES)}. bfloat16 halves memory and is faster on GPUs and on "
                  "CPUs with bf16 units (AVX512-BF16, AMX); elsewhere use float32."},
    )

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise InputError(f"--mode must be one of {list(MODES)}, got {self.mode!r}")
        if self.dtype not in DTYPES:
            raise InputError(f"--dtype must be one of {list(DTYPES)}, got {self.dtype!r}")
        if self.demonstration_draws is not None and self.demonstration_draws < 1:
            raise InputError(f"--demonstration_draws must be >= 1, got {self.demonstration_draws}")
        if (self.demonstration_draws or 1) > 1 and self.mode != "score":
            raise InputError("--demonstration_draws averages label log-likelihoods: it needs --mode score")

    def options(self) -> dict[str, Any]:
        """Keyword arguments of :func:`instructerc_hf.inference.predict` for :attr:`mode`."""
        if self.mode == "score":
            return {"pack_tokens": self.pack_tokens, "append_eos": not self.no_eos}
        return {"batch_size": self.batch_size, "max_new_tokens": self.max_new_tokens}


@dataclass(kw_only=True)
class PredictArguments(InferenceArguments):
    """``instructerc-hf predict --model DIR conversation.json``."""

    conversation: str = field(
        metadata={"help": "JSON file (a conversation or a list of them) or JSONL (one conversation a line)."}
    )
    output: str | None = field(default=None, metadata={"help": "Write the predictions here (default: stdout)."})


@dataclass(kw_only=True)
class EvaluateArguments(InferenceArguments):
    """``instructerc-hf evaluate --model DIR --dataset DIR --split test``."""

    dataset: str = field(metadata={"help": "Dataset folder made by `instructerc-hf build` (not raw files), or its "
                                           "Hub id."})
    config: str | None = field(
        default=None,
        metadata={"help": "Dataset config (task rows with prompts). Default: the adapter's emotion task, main or plain."},
    )
    split: str = field(default="test", metadata={"help": "Split to evaluate."})
    output_dir: str = field(default="eval", metadata={"help": "Where metrics.json and the plots go."})
    limit: int | None = field(default=None, metadata={"help": "Evaluate the first N rows only."})

    def dataset_config(self) -> str:
        """``config``, or the adapter's emotion task (``main`` or ``plain``, from its ``instructerc_config.json``)."""
        if self.config is not None:
            return self.config
        from ..configuration import ERCModelConfig

        return ERCModelConfig.from_pretrained(self.model).task
