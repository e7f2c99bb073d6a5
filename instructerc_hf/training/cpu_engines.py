"""DeepSpeed and FSDP on a CPU process group (gloo), where accelerate alone does not run them.

Both engines train on a CPU with PyTorch's gloo backend, but accelerate 1.x sets them up for accelerator process
groups only:

* DeepSpeed: launched without ``--cpu`` on a machine without an accelerator, accelerate picks no backend and counts one
  process while DeepSpeed's own group holds all of them, so DeepSpeed's batch check fails
  (``train_batch_size ... 2 != 2 * 1 * 2``). Naming ``gloo`` as the backend gives both the same group.
* FSDP: ``AcceleratorState`` turns an ``ACCELERATE_USE_FSDP`` launch into FSDP only for accelerator groups; for a
  ``MULTI_CPU`` group it runs plain DDP. FSDP2 (``fully_shard``) itself runs on gloo, so while the Trainer builds its
  Accelerator the CPU group is presented as an accelerator group; afterwards the group says ``FSDP``, as on GPUs
  (every later ``AcceleratorState()`` copies the group's type, so it must agree with the engine).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import torch
from accelerate import PartialState
from accelerate.state import AcceleratorState
from accelerate.utils import DistributedType

from .launch import LaunchError, requested_engine

#: The backend both engines use on a CPU process group.
CPU_BACKEND = "gloo"


def has_accelerator() -> bool:
    """Whether this machine has an accelerator (then accelerate runs DeepSpeed and FSDP as it is)."""
    return torch.accelerator.is_available()


def default_ddp_backend() -> str | None:
    """The ``ddp_backend`` default: gloo for a multi-process DeepSpeed launch on a CPU, else accelerate's choice.

    A default of the parser, since ``TrainingArguments`` sets up the process group as it is constructed.
    """
    launched = int(os.environ.get("WORLD_SIZE", "1")) > 1
    if requested_engine() is DistributedType.DEEPSPEED and launched and not has_accelerator():
        return CPU_BACKEND
    return None


@contextmanager
def fsdp_on_cpu_group() -> Iterator[None]:
    """Inside, an FSDP2 launch on a ``MULTI_CPU`` group gets accelerate's FSDP engine instead of DDP."""
    state = PartialState()
    promote = (
        requested_engine() is DistributedType.FSDP
        and state.distributed_type in (DistributedType.MULTI_CPU, DistributedType.FSDP)  # FSDP: a later stage
        and state.device.type == "cpu"
    )
    version = os.environ.get("FSDP_VERSION", "1")
    if promote and version != "2":
        raise LaunchError(f"FSDP version {version} needs an accelerator; on a CPU only FSDP2 runs (fsdp_version: 2, as "
                          "in recipes/accelerate_configs/fsdp.yaml)")
    if not promote:
        yield
        return
    state.distributed_type = DistributedType.MULTI_GPU  # the type AcceleratorState enables FSDP for
    try:
        yield
    finally:
        sharded = AcceleratorState._shared_state.get("fsdp_plugin") is not None
        state.distributed_type = DistributedType.FSDP if sharded else DistributedType.MULTI_CPU
