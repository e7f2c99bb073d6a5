"""Lazy package exports (PEP 562): ``from package import name`` imports the module that owns ``name`` on first use.

Keeps ``import instructerc_hf`` and its subpackages cheap: nothing heavy (torch, transformers) is imported before it
is needed.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any


def lazy_exports(
    package: str, modules: Mapping[str, Sequence[str]]
) -> tuple[Callable[[str], Any], Callable[[], list[str]], list[str]]:
    """``__getattr__``, ``__dir__`` and ``__all__`` for ``package``, exporting each module's names (module: ``.name``)."""
    owners = {name: module for module, names in modules.items() for name in names}

    def __getattr__(name: str) -> Any:
        if name not in owners:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(owners[name], package), name)
        globals_ = importlib.import_module(package).__dict__
        globals_[name] = value  # cached: later lookups skip __getattr__
        return value

    def __dir__() -> list[str]:
        return sorted({*importlib.import_module(package).__dict__, *owners})

    return __getattr__, __dir__, sorted(owners)
