"""The ablation variants: one row per variant holding every fact about it.

Each variant is the CPU recipe (``experiments/recipes/meld_smollm2_cpu.yaml``, the full method as written) with the
``examples/sft.py`` options that :meth:`Variant.sft_options` derives from the row. The driver, the estimate and the
renderer read nothing about a variant from anywhere else.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Variant:
    """One ablation variant.

    ``stage1_tasks`` empty: one training stage (``--stage1_epochs 0``); else a first stage on those tasks (the speaker
    identification stage) before ``stage2_tasks`` on the same adapter.
    """

    name: str
    #: How the documents name it; also part of the record's settings (changing it invalidates the records).
    title: str
    stage1_tasks: tuple[str, ...]
    stage2_tasks: tuple[str, ...]
    #: Retrieved demonstrations in the prompt (training and inference).
    demonstrations: bool
    #: Weight of the emotion impact loss, when ``impact`` is a stage-2 task.
    impact_alpha: float | None = None
    #: ``--retrieval_train_pairing`` when not the paper's (same label in training).
    train_pairing: str | None = None
    #: ``--demonstration_strategy`` when not the paper's ``top1``: drawn anew every epoch by the collator and placed
    #: before the history (``docs/demonstrations.md``).
    strategy: str | None = None
    #: The paper's full method: the variant compared with the paper and the baselines first.
    full: bool = False
    #: Part of the paper's ablation (else an addition of this repository).
    in_paper: bool = True
    #: Without a calibration run of its own, ``--estimate`` scales this variant's record.
    calibrated_as: str | None = None
    #: Tokens per training row when the plan's ``--max-length`` is too short for its prompts (per_label's seven
    #: demonstrations need 512 where the window prompt takes 384).
    max_length: int | None = None
    #: Part of the default plan (``python -m experiments.run``); else run with ``--variants`` and rendered once it has
    #: records.
    planned: bool = True

    @property
    def stages(self) -> tuple[tuple[str, ...], ...]:
        """The tasks of each training stage, in order."""
        return (self.stage1_tasks, self.stage2_tasks) if self.stage1_tasks else (self.stage2_tasks,)

    @property
    def two_stage(self) -> bool:
        return bool(self.stage1_tasks)

    @property
    def auxiliary(self) -> bool:
        """Trains an auxiliary task (speaker identification or emotion impact) beside the main one."""
        return any(task in ("speaker", "impact") for stage in self.stages for task in stage)

    @property
    def shown(self) -> int:
        """Demonstrations per main-task prompt: one, or under ``per_label`` one of every MELD label."""
        if not self.demonstrations:
            return 0
        if self.strategy == "per_label":
            from instructerc_hf.labels import get_dataset_labels

            return len(get_dataset_labels("meld").labels)
        return 1

    @property
    def prompt(self) -> str:
        """The emotion task (built config) it is trained and evaluated on: ``plain`` or ``main``."""
        return "plain" if "plain" in self.stage2_tasks else "main"

    def sft_options(self) -> list[str]:
        """The ``examples/sft.py`` options on top of the recipe."""
        options = ["--stage1_tasks", *self.stage1_tasks] if self.stage1_tasks else ["--stage1_epochs", "0"]
        options += ["--stage2_tasks", *self.stage2_tasks]
        if self.impact_alpha is not None:
            options += ["--impact_alpha", f"{self.impact_alpha:g}"]
        options += ["--use_demonstrations", "true" if self.demonstrations else "false"]
        if self.train_pairing is not None:
            options += ["--retrieval_train_pairing", self.train_pairing]
        if self.strategy is not None:
            options += ["--demonstration_injection", "collator", "--demonstration_strategy", self.strategy,
                        "--demonstration_position", "before_history"]
        return options


#: In the order of the tables.
VARIANTS: tuple[Variant, ...] = (
    Variant("plain", "plain prompt (utterance only)", (), ("plain",), demonstrations=False),
    Variant("window", "window prompt", (), ("main",), demonstrations=False),
    Variant("window_demos", "window + demonstrations", (), ("main",), demonstrations=True),
    Variant("window_demos_aux", "window + demonstrations + auxiliary tasks (InstructERC)", ("speaker",),
            ("main", "impact"), demonstrations=True, impact_alpha=0.1, full=True),
    # Beyond the paper: the full schedule with training demonstrations drawn like inference ones (any label), so that
    # the demonstration's label no longer gives the answer away in training (docs/retrieval.md).
    Variant("window_demos_aux_all_labels", "InstructERC, training demonstrations of any label (beyond the paper)",
            ("speaker",), ("main", "impact"), demonstrations=True, impact_alpha=0.1, train_pairing="all_labels",
            in_paper=False, calibrated_as="window_demos_aux"),
    # Beyond the paper (LM-BFF's remedy for the copying): one demonstration of every label, each drawn from that
    # label's 8 nearest, in random order, anew every epoch; and one of the 8 nearest of any label, anew every epoch.
    Variant("window_per_label", "window + one demonstration of every label, drawn per epoch (beyond the paper)", (),
            ("main",), demonstrations=True, strategy="per_label", in_paper=False, calibrated_as="window_demos",
            max_length=512, planned=False),
    Variant("window_sample_topk", "window + a demonstration drawn from the 8 nearest per epoch (beyond the paper)", (),
            ("main",), demonstrations=True, strategy="sample_topk", in_paper=False, calibrated_as="window_demos",
            planned=False),
)
BY_NAME: dict[str, Variant] = {v.name: v for v in VARIANTS}
NAMES: tuple[str, ...] = tuple(BY_NAME)
#: The variants of the default plan.
PLANNED: tuple[str, ...] = tuple(v.name for v in VARIANTS if v.planned)


def variant(name: str) -> Variant:
    """The variant called ``name``."""
    try:
        return BY_NAME[name]
    except KeyError:
        raise KeyError(f"unknown variant {name!r}; known: {list(NAMES)}") from None


def full_variant() -> Variant:
    """The paper's full method."""
    return next(v for v in VARIANTS if v.full)
