"""Register the ``emotion-recognition-in-conversation`` pipeline without slowing ``import instructerc_hf``.

Importing ``transformers.pipelines`` takes seconds. This module, imported by the package, registers the task at
once if ``transformers.pipelines`` is already imported, and otherwise installs an import hook that registers it right
after ``transformers.pipelines`` is first imported (``from transformers import pipeline`` does it). It imports nothing
heavy itself.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
from collections.abc import Sequence
from types import ModuleType

_TARGET = "transformers.pipelines"
_PIPELINE_MODULE = "instructerc_hf.pipeline.erc_pipeline"


def _register() -> None:
    loading = sys.modules.get(_PIPELINE_MODULE)
    if loading is not None and not hasattr(loading, "register"):
        return  # the pipeline module itself is importing transformers.pipelines; it registers at its end
    importlib.import_module(_PIPELINE_MODULE).register()


class _RegisterAfterImport(importlib.abc.MetaPathFinder):
    """Finds nothing itself: wraps the loader of ``transformers.pipelines`` to register the task after it runs."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != _TARGET:
            return None
        uninstall()
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or spec.loader is None:
            return spec
        execute = spec.loader.exec_module

        def exec_module(module: ModuleType) -> None:
            execute(module)
            _register()

        spec.loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


_HOOK = _RegisterAfterImport()


def uninstall() -> None:
    """Remove the import hook (it removes itself once used)."""
    if _HOOK in sys.meta_path:
        sys.meta_path.remove(_HOOK)


def install() -> None:
    """Register now if ``transformers.pipelines`` is imported, else when it is."""
    if _TARGET in sys.modules:
        _register()
    elif _HOOK not in sys.meta_path:
        sys.meta_path.insert(0, _HOOK)


install()
