"""Narrow filters for two known third-party messages that every run would otherwise print, each matched exactly.

- transformers 5 deprecates ``PreTrainedModel.is_gradient_checkpointing`` with a ``FutureWarning``; PEFT's
  ``PeftModel.__init__`` reads it (``peft/peft_model.py``), so every adapter load or wrap warns. Not our call: the
  warning is ignored only around the PEFT calls we make (:func:`peft_wrapping`).
- ``save_pretrained`` unwraps the model through accelerate, which imports DeepSpeed whenever it is installed (the dev
  extra), and DeepSpeed logs ``Setting accelerator to CPU`` on a machine without a GPU. The import cannot be avoided
  from here; :func:`quiet_deepspeed_cpu_notice` drops that one record from DeepSpeed's logger.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

#: The start of transformers' deprecation message (``modeling_utils.PreTrainedModel.is_gradient_checkpointing``).
GRADIENT_CHECKPOINTING_DEPRECATION = "`is_gradient_checkpointing` is deprecated"
#: DeepSpeed's logger and the start of its CPU notice (``deepspeed/accelerator/real_accelerator.py``).
DEEPSPEED_LOGGER = "DeepSpeed"
DEEPSPEED_CPU_NOTICE = "Setting accelerator to CPU."


@contextmanager
def peft_wrapping() -> Iterator[None]:
    """Around a PEFT call that wraps a model: ignore transformers' ``is_gradient_checkpointing`` FutureWarning only."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=GRADIENT_CHECKPOINTING_DEPRECATION, category=FutureWarning)
        yield


def _not_cpu_notice(record: logging.LogRecord) -> bool:
    return not record.getMessage().startswith(DEEPSPEED_CPU_NOTICE)


def quiet_deepspeed_cpu_notice() -> None:
    """Drop DeepSpeed's ``Setting accelerator to CPU`` record (idempotent; other DeepSpeed messages pass)."""
    logging.getLogger(DEEPSPEED_LOGGER).addFilter(_not_cpu_notice)
