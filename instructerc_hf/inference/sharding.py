"""Inference over several processes (``accelerate launch``): whole conversations per process, gathered in order.

A conversation's prompts share their history, which label scoring encodes once per conversation; splitting rows
evenly would cut conversations and lose that. So each process takes contiguous whole conversations, about the same
number of rows each, and the predictions are gathered back into row order: identical to one process.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    import torch
    from accelerate import PartialState

T = TypeVar("T")


def conversation_shards(keys: Sequence[Hashable], num_shards: int) -> list[list[int]]:
    """Row indices per shard: contiguous runs of equal ``keys`` (conversations) kept whole, rows balanced, in order."""
    if num_shards < 1:
        raise ValueError(f"num_shards must be >= 1, got {num_shards}")
    runs: list[list[int]] = []
    for index, key in enumerate(keys):
        if runs and keys[runs[-1][0]] == key:
            runs[-1].append(index)
        else:
            runs.append([index])
    shards: list[list[int]] = [[] for _ in range(num_shards)]
    done = 0
    for shard in range(num_shards):
        target = round(len(keys) * (shard + 1) / num_shards)  # cumulative row target after this shard
        while runs and (shard == num_shards - 1 or done + len(runs[0]) / 2 <= target):
            run = runs.pop(0)
            shards[shard] += run
            done += len(run)
    return shards


def predict_sharded(run: Callable[[list[int]], list[T]], keys: Sequence[Hashable]) -> list[T]:
    """``run(row indices)`` on this process's conversations, gathered from every process in row order.

    With one process (no ``accelerate launch``, or one process) it is ``run(all rows)``.
    """
    from accelerate.utils import gather_object

    state = process_state()
    if state.num_processes == 1:
        return run(list(range(len(keys))))
    mine = conversation_shards(keys, state.num_processes)[state.process_index]
    gathered = gather_object([(mine, run(mine) if mine else [])])
    out: list[T | None] = [None] * len(keys)
    for indices, results in gathered:
        for index, result in zip(indices, results, strict=True):
            out[index] = result
    missing = [i for i, r in enumerate(out) if r is None]
    if missing:
        raise RuntimeError(f"rows {missing[:5]} were predicted by no process")
    return out  # type: ignore[return-value]


def process_state() -> PartialState:
    """This process's accelerate state; on a CPU, a gloo group over the processes ``accelerate launch`` started."""
    import torch
    from accelerate import PartialState

    return PartialState(cpu=not torch.cuda.is_available())


def process_device() -> torch.device:
    """The device this process infers on (its own GPU under ``accelerate launch``, else the CPU or the one GPU)."""
    return process_state().device


def is_main_process() -> bool:
    """Whether this process writes the outputs (the only one outside ``accelerate launch``)."""
    return process_state().is_main_process
