"""Configuration of ``examples/sft.py``: our dataclasses, the paper's defaults and the ``TrlParser`` over them.

``accelerate launch examples/sft.py --config recipes/meld/instructerc.yaml`` parses five dataclasses at once:
:class:`ERCDataArguments`, :class:`ERCTaskArguments`, :class:`ERCRetrievalArguments`, TRL's ``SFTConfig`` and
``ModelConfig``. Precedence: the command line, then the recipe (YAML keys are field names of any of the five), then
:data:`PAPER_DEFAULTS`, then the dataclass defaults. An unknown key in either place is an error naming the key.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

from ..data.options import DataOptions
from ..inference.defaults import DEFAULT_PACK_TOKENS
from ..labels import LABEL_SPACES, DatasetLabels, LabelSpace, custom_labels
from ..prompts import DEMONSTRATION_POSITIONS, PromptConfig
from ..registry import CONVERSATIONS, UNIFIED
from ..retrieval.config import RetrievalConfig
from ..tasks import EMOTION_TASKS, TASKS, check_task, emotion_task, prompt_config_for

RETRIEVAL_PREFIX = "retrieval_"
#: ``RetrievalConfig`` fields whose argument is named ``demonstration_<...>`` rather than ``retrieval_<field>``.
DEMONSTRATION_FIELDS: dict[str, str] = {
    "injection": "demonstration_injection", "strategy": "demonstration_strategy", "candidate_k": "demonstration_k",
    "inference_draws": "demonstration_draws",
}


#: The paper's / official code's recipe (LIN-SHANG/InstructERC ``main_new.py`` and ``train_and_inference_Uni.sh``),
#: applied as parser defaults: LoRA r=16, alpha=16, dropout 0.05 on q/k/v; AdamW lr 2e-4, betas 0.9/0.95, weight
#: decay 0; linear schedule with 10% warm-up; gradient clipping 1.0; 4 x 8 = 32 sequences per step; seed 42.
#: Selection on the validation split by weighted F1. :func:`make_parser` adds ``bf16`` where the hardware has it.
PAPER_DEFAULTS: dict[str, Any] = {
    "use_peft": True,
    "lora_r": 16,
    "lora_alpha": 16,
    "lora_dropout": 0.05,
    "lora_target_modules": ["q_proj", "k_proj", "v_proj"],
    "learning_rate": 2e-4,
    "adam_beta1": 0.9,
    "adam_beta2": 0.95,
    "weight_decay": 0.0,
    "lr_scheduler_type": "linear",
    "warmup_steps": 0.1,
    "max_grad_norm": 1.0,
    "per_device_train_batch_size": 4,
    "gradient_accumulation_steps": 8,
    "seed": 42,
    "activation_checkpointing": False,
    "max_length": 1024,
    "eval_strategy": "epoch",
    "save_strategy": "epoch",
    "save_total_limit": 2,
    "load_best_model_at_end": True,
    "metric_for_best_model": "weighted_f1",
    "greater_is_better": True,
    "logging_steps": 10,
    "report_to": "none",
}


@dataclass
class ERCDataArguments(DataOptions):
    """Which data to train on (the :class:`DataOptions` of ``instructerc-hf build``, or a built folder), and how much.

    Give ``raw_dir`` (raw files, built on the fly) or ``dataset_path``; mixing, fractions and the sample caps apply to
    the training split either way.
    """

    dataset_path: str | None = field(
        default=None,
        metadata={"help": "A folder or Hub dataset id made by `instructerc-hf build` (one config per task), instead "
                          "of raw_dir. Build it with the defaults --mix total --fraction 1: mixing and fractions "
                          "apply here; its window must be this window."},
    )
    label_space: str | None = field(
        default=None, metadata={"help": "original or unified (Feeling Wheel); default: unified for unified."}
    )
    max_train_samples: int | None = field(
        default=None, metadata={"help": "Keep the first N training rows of each task (smoke runs)."}
    )
    max_eval_samples: int | None = field(
        default=None, metadata={"help": "Keep the first N validation rows of each task (smoke runs)."}
    )

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.label_space is None:
            self.label_space = "unified" if self.dataset == UNIFIED else "original"
        if self.label_space not in LABEL_SPACES:
            raise ValueError(f"unknown label_space {self.label_space!r}; expected one of {list(LABEL_SPACES)}")
        if self.dataset == UNIFIED and self.label_space != "unified":
            raise ValueError("the unified dataset mixes three label sets: it needs label_space unified")
        if (self.dataset_path is None) == (self.raw_dir is None):
            raise ValueError("give exactly one of dataset_path (a built folder or Hub id) and raw_dir (raw files)")
        for name in ("max_train_samples", "max_eval_samples"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise ValueError(f"{name} must be >= 1, got {value}")

    @property
    def space(self) -> LabelSpace:
        return "unified" if self.label_space == "unified" else "original"


@dataclass
class ERCTaskArguments:
    """The paper's multi-task schedule, the auxiliary loss weight, and model selection."""

    stage1_tasks: list[str] = field(
        default_factory=lambda: ["speaker"],
        metadata={"help": f"Stage 1 tasks (speaker identification in the paper); from {list(TASKS)}."},
    )
    stage1_epochs: float = field(
        default=3.0, metadata={"help": "Epochs of stage 1 (official code: 3); 0 skips stage 1."}
    )
    stage1_max_steps: int = field(
        default=-1, metadata={"help": "Optimizer steps of stage 1; overrides stage1_epochs when > 0."}
    )
    stage2_tasks: list[str] = field(
        default_factory=lambda: ["main", "impact"],
        metadata={"help": "Stage 2 tasks, trained on the stage 1 adapter; must contain main (or plain)."},
    )
    impact_alpha: float = field(
        default=0.1,
        metadata={"help": "Loss weight of emotion impact prediction rows (paper: 0.1); 1 reproduces the official "
                          "code, which never applied the weight."},
    )
    global_batch_size: int | None = field(
        default=None,
        metadata={"help": "Sequences per optimizer step over all processes; sets gradient_accumulation_steps "
                          "= global / (per_device_train_batch_size x processes), which must divide it."},
    )
    label_eval: bool = field(
        default=True,
        metadata={"help": "Evaluate weighted F1 etc. by label scoring on the validation split (eval_weighted_f1)."},
    )
    eval_loss: bool = field(
        default=True,
        metadata={"help": "Compute eval_loss at each evaluation (a forward pass over the validation rows); false keeps "
                          "only the label-scoring metrics, which select the adapter, at a fraction of the time."},
    )
    eval_pack_tokens: int = field(default=DEFAULT_PACK_TOKENS, metadata={"help": "Tokens per label-scoring forward pass."})
    chat_template: bool = field(
        default=False,
        metadata={"help": "Render every prompt as a user turn of the backbone's chat template (saved with the adapter; "
                          "inference does the same). Default: the official raw format, for paper reproduction."},
    )
    early_stopping_patience: int | None = field(
        default=None, metadata={"help": "Stop after this many evaluations without improvement of the metric."}
    )

    def __post_init__(self) -> None:
        for task in [*self.stage1_tasks, *self.stage2_tasks]:
            check_task(task)
        if not self.stage2_tasks:
            raise ValueError("stage2_tasks is empty")
        if not any(task in self.stage2_tasks for task in EMOTION_TASKS):
            raise ValueError(f"stage2_tasks must contain one of {list(EMOTION_TASKS)}, got {self.stage2_tasks}")
        if len(set(self.stage1_tasks)) != len(self.stage1_tasks) or len(set(self.stage2_tasks)) != len(
            self.stage2_tasks
        ):
            raise ValueError("a task is listed twice in one stage")
        if self.impact_alpha < 0:
            raise ValueError(f"impact_alpha must be >= 0, got {self.impact_alpha}")
        if self.stage1_epochs < 0:
            raise ValueError(f"stage1_epochs must be >= 0, got {self.stage1_epochs}")
        if self.global_batch_size is not None and self.global_batch_size < 1:
            raise ValueError(f"global_batch_size must be >= 1, got {self.global_batch_size}")

    @property
    def evaluated_task(self) -> str:
        """The emotion task of stage 2 that label scoring evaluates (``__post_init__`` ensures there is one)."""
        return emotion_task([self.stage2_tasks])

    @property
    def has_stage1(self) -> bool:
        return bool(self.stage1_tasks) and (self.stage1_epochs > 0 or self.stage1_max_steps > 0)

    def stages(self) -> list[list[str]]:
        """The tasks of each stage that runs, in order."""
        return [list(self.stage1_tasks), list(self.stage2_tasks)] if self.has_stage1 else [list(self.stage2_tasks)]

    def task_weight(self, task: str) -> float:
        """Loss weight of ``task``'s rows: ``impact_alpha`` for impact, 1 otherwise."""
        return self.impact_alpha if task == "impact" else 1.0


@dataclass
class ERCRetrievalArguments:
    """Retrieved demonstrations (:mod:`instructerc_hf.retrieval`): ``retrieval_<name>`` is ``RetrievalConfig.<name>``;
    how they are drawn, ``demonstration_injection`` / ``_strategy`` / ``_k`` / ``_draws``, is its ``injection`` /
    ``strategy`` / ``candidate_k`` / ``inference_draws`` (:data:`DEMONSTRATION_FIELDS`; ``docs/demonstrations.md``).

    The fields carry a prefix because the parser shares one namespace (``seed`` and ``device`` would clash).
    """

    use_demonstrations: bool = field(
        default=False, metadata={"help": "Add a retrieved demonstration to every main-task prompt."}
    )
    demonstration_position: str = field(
        default="after_statement", metadata={"help": f"Where it goes: {list(DEMONSTRATION_POSITIONS)}."}
    )
    demonstration_template: str | None = field(
        default=None, metadata={"help": "Its wording with {text} and {label}; default: PromptConfig's."}
    )
    demonstration_injection: str = field(
        default="map",
        metadata={"help": "map: demonstrations drawn once, into the dataset; collator: training rows get new ones "
                          "every epoch (DemonstrationCollator)."},
    )
    demonstration_strategy: str = field(
        default="top1",
        metadata={"help": "top1 (paper: the retrieval_top_k most similar), sample_topk (retrieval_top_k of the "
                          "demonstration_k most similar, at random) or per_label (one of every label, each from its "
                          "demonstration_k most similar, in random order)."},
    )
    demonstration_k: int = field(
        default=8, metadata={"help": "Nearest candidates sample_topk and per_label (per label) draw from."}
    )
    demonstration_draws: int = field(
        default=1,
        metadata={"help": "sample_topk / per_label: draws each utterance is scored with at inference (saved with the "
                          "adapter), averaging label log-likelihoods."},
    )
    retrieval_encoder: str | None = field(
        default=None, metadata={"help": "sentence-transformers id or folder; default: the packaged MiniLM."}
    )
    retrieval_top_k: int = field(default=1, metadata={"help": "Demonstrations per prompt."})
    retrieval_train_pairing: str = field(default="same_label", metadata={"help": "same_label or all_labels."})
    retrieval_inference_pairing: str = field(default="all_labels", metadata={"help": "all_labels or same_label."})
    retrieval_balance: str = field(default="per_label_cap", metadata={"help": "per_label_cap or none."})
    retrieval_max_per_label: int | None = field(default=None, metadata={"help": "Cap per label of the domain base."})
    retrieval_all_labels_fraction: float = field(
        default=0.0,
        metadata={"help": "Share of training rows paired with all labels under same_label pairing (with injection "
                          "collator drawn anew every epoch; 1 - this is the same-label fraction)."},
    )
    retrieval_exclude_same_text: bool = field(default=True, metadata={"help": "Never retrieve the same text."})
    retrieval_seed: int = field(
        default=0, metadata={"help": "Seed of balancing, all_labels_fraction and the demonstration draws."}
    )
    retrieval_cache_dir: str | None = field(default=None, metadata={"help": "Embedding cache folder."})
    retrieval_batch_size: int = field(default=64, metadata={"help": "Encoder batch size."})
    retrieval_device: str | None = field(default=None, metadata={"help": "Encoder device."})
    retrieval_progress: bool = field(default=True, metadata={"help": "Show retrieval progress bars."})

    def __post_init__(self) -> None:
        PromptConfig(labels=(), **self.prompt_kwargs())  # validates the position and the wording
        if self.use_demonstrations:
            self.retrieval_config()  # validates

    def retrieval_config(self) -> RetrievalConfig:
        """The ``RetrievalConfig`` these arguments describe."""
        return RetrievalConfig(**{f.name: getattr(self, argument_name(f.name)) for f in fields(RetrievalConfig)})

    def prompt_kwargs(self) -> dict[str, Any]:
        """``PromptConfig`` keyword arguments for the demonstration wording and placement."""
        kwargs: dict[str, Any] = {"demonstration_position": self.demonstration_position}
        if self.demonstration_template is not None:
            kwargs["demonstration_template"] = self.demonstration_template
        return kwargs


def argument_name(field_name: str) -> str:
    """The ``ERCRetrievalArguments`` field of a ``RetrievalConfig`` field."""
    return DEMONSTRATION_FIELDS.get(field_name, RETRIEVAL_PREFIX + field_name)


def prompt_config(data: ERCDataArguments, retrieval: ERCRetrievalArguments) -> PromptConfig:
    """The prompt configuration of the data, saved beside the adapter."""
    labels = own_corpus_labels(data) if data.dataset == CONVERSATIONS else data.datasets
    return prompt_config_for(labels, data.space, data.window, **retrieval.prompt_kwargs())


def own_corpus_labels(data: ERCDataArguments) -> list[DatasetLabels]:
    """Your corpus's label set: from the raw files, or from the ``label`` feature of the built folder."""
    from datasets import load_dataset_builder

    from ..data.builder import corpus_labels
    from ..data.export import repo_config_name

    if data.dataset_path is None:
        return corpus_labels(data)
    features = load_dataset_builder(data.dataset_path, repo_config_name(data.dataset, "main", "original")).info.features
    return [custom_labels(str(data.corpus_name), features["label"].names)]
