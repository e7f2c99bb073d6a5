"""The two third-party messages every run printed are gone, and only those (``instructerc_hf.quiet``)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from instructerc_hf.quiet import DEEPSPEED_CPU_NOTICE, peft_wrapping


def test_loading_an_adapter_emits_no_future_warning(adapter: Path, recwarn: pytest.WarningsRecorder) -> None:
    from instructerc_hf.inference.adapter import load_adapter

    load_adapter(adapter)
    assert [str(w.message) for w in recwarn if issubclass(w.category, FutureWarning)] == []


def test_peft_wrapping_ignores_that_warning_only() -> None:
    with pytest.warns(FutureWarning, match="something else"), peft_wrapping():
        warnings.warn("`is_gradient_checkpointing` is deprecated and will be removed in v6.", FutureWarning,
                      stacklevel=1)
        warnings.warn("something else", FutureWarning, stacklevel=1)


def test_saving_the_tiny_model_prints_no_deepspeed_notice(tmp_path: Path) -> None:
    if importlib.util.find_spec("deepspeed") is None:
        pytest.skip("deepspeed is not installed (the dev extra): nothing imports it")
    code = ("import sys\nfrom instructerc_hf.testing import build_tiny_llama\n"
            f"build_tiny_llama({str(tmp_path)!r})\nassert 'deepspeed' in sys.modules  # save_pretrained imported it\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert DEEPSPEED_CPU_NOTICE not in done.stdout + done.stderr
