"""Whether bf16 training pays off here: on GPUs that support it and on CPUs with bf16 units (AVX512-BF16, AMX).

Measured on a 2-core AMD EPYC with ``avx512_bf16``: a bf16-autocast LoRA step of SmolLM2-135M runs at about twice
the float32 tokens per second, with the same loss curve (``python -m experiments.bench_precision``).
"""

from __future__ import annotations

import torch


def cpu_supports_bf16() -> bool:
    """The CPU has bf16 matrix units (AVX512-BF16 or AMX), so bf16 autocast is faster than float32, not slower."""
    checks = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")  # torch.cpu's own probes (private, hence getattr)
    return any(bool(getattr(torch.cpu, name, lambda: False)()) for name in checks)


def bf16_available() -> bool:
    """A GPU with bf16 (on a CPU, transformers takes bf16 only with ``use_cpu``: see :func:`cpu_supports_bf16`)."""
    return torch.cuda.is_available() and torch.cuda.is_bf16_supported()
