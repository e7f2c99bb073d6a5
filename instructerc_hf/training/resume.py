"""Where a run resumes: the newest checkpoint of the stage that was running."""

from __future__ import annotations

from pathlib import Path

from transformers.trainer_utils import get_last_checkpoint
from trl import SFTConfig

from ..registry import ADAPTER_CONFIG_NAME, ADAPTER_WEIGHTS_NAME, STAGE1_DIR

RESUME_LAST = ("last", "true")


def stage_finished(folder: Path) -> bool:
    """A stage folder holding its final adapter."""
    return (folder / ADAPTER_WEIGHTS_NAME).is_file() and (folder / ADAPTER_CONFIG_NAME).is_file()


def _last_checkpoint(folder: Path) -> str | None:
    return get_last_checkpoint(str(folder)) if folder.is_dir() else None


def resume_points(training: SFTConfig, has_stage1: bool) -> tuple[str | None, str | None, bool]:
    """``(stage 1 checkpoint, stage 2 checkpoint, run stage 1)`` for ``resume_from_checkpoint``."""
    output = Path(str(training.output_dir))
    stage1 = output / STAGE1_DIR
    resume = training.resume_from_checkpoint
    if not resume:
        return None, None, has_stage1
    if str(resume).lower() not in RESUME_LAST:
        if not Path(resume).is_dir():
            raise FileNotFoundError(f"resume_from_checkpoint={resume!r} is neither 'last' nor a checkpoint folder")
        return None, str(resume), False
    stage2_checkpoint = _last_checkpoint(output)
    if stage2_checkpoint is not None or not has_stage1 or stage_finished(stage1):
        return None, stage2_checkpoint, False
    return _last_checkpoint(stage1), None, True
