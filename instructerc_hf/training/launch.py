"""Guards against launches that silently degrade: fewer processes than asked, an engine that was swapped, several
independent processes writing one folder.

accelerate reads the engine from the environment its launcher sets (``ACCELERATE_USE_DEEPSPEED``,
``ACCELERATE_USE_FSDP``) and the world from ``WORLD_SIZE``; on a CPU it may quietly run plain DDP for FSDP, a single
process for ``--cpu --num_processes 2``, or N unconnected processes without ``--use_cpu``. Each case is an error here.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from accelerate.utils import DistributedType

#: The engine each launcher variable asks for.
REQUESTED_ENGINES: dict[str, DistributedType] = {
    "ACCELERATE_USE_DEEPSPEED": DistributedType.DEEPSPEED,
    "ACCELERATE_USE_FSDP": DistributedType.FSDP,
}


class LaunchError(RuntimeError):
    """The processes or the engine that run differ from those the launch asked for."""


def requested_engine() -> DistributedType | None:
    """The engine the launcher's environment asks for, if any."""
    found = [engine for name, engine in REQUESTED_ENGINES.items() if os.environ.get(name, "").lower() == "true"]
    return found[0] if found else None


def launcher_num_processes() -> int | None:
    """``--num_processes`` of the ``accelerate launch`` that started this process (Linux; ``None`` when unknown)."""
    cmdline = Path(f"/proc/{os.getppid()}/cmdline")
    try:
        parts = cmdline.read_bytes().split(b"\0")
    except OSError:
        return None
    args = [p.decode(errors="replace") for p in parts if p]
    by_script = "launch" in args and any(Path(a).name == "accelerate" for a in args[:3])  # accelerate launch ...
    by_module = "accelerate.commands.launch" in args[:3]  # python -m accelerate.commands.launch ...
    if not (by_script or by_module):
        return None
    for i, arg in enumerate(args):
        match = re.fullmatch(r"--num[_-]processes(?:=(\d+))?", arg)
        if match:
            value = match.group(1) or (args[i + 1] if i + 1 < len(args) else "")
            return int(value) if value.isdigit() else None
    return None


def check_world(num_processes: int) -> None:
    """Refuse a run whose process group is not the launch's: independent processes, or fewer than asked."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world > 1 and num_processes != world:
        raise LaunchError(
            f"WORLD_SIZE={world} processes were started but each trains alone (accelerate sees {num_processes}): they "
            "would all write the same output_dir. On a CPU pass --use_cpu true (DDP over gloo); see docs/distributed.md"
        )
    asked = launcher_num_processes()
    if asked is not None and asked > num_processes:
        raise LaunchError(
            f"accelerate launch asked for --num_processes {asked} but {num_processes} runs (`accelerate launch --cpu` "
            "starts one process): on a CPU launch without --cpu and pass --use_cpu true to the script instead"
        )


def check_engine(running: DistributedType) -> None:
    """Refuse a run whose engine is not the one the launch asked for (e.g. FSDP turned into DDP on a CPU)."""
    asked = requested_engine()
    if asked is not None and running != asked:
        raise LaunchError(
            f"the launch asks for {asked.value} but accelerate runs {running.value}: accelerate runs DeepSpeed and "
            "FSDP on accelerators only, not with use_cpu. See docs/distributed.md for what runs on a CPU"
        )
