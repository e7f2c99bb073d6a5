"""Registering the pipeline task: a light import that installs the hook, registration on import."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from helpers import ROOT

from instructerc_hf.pipeline.erc_pipeline import TASK


def run_python(code: str) -> str:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_import_is_light_and_installs_the_registration_hook() -> None:
    code = (
        "import sys, time; t = time.perf_counter(); import instructerc_hf; t = time.perf_counter() - t\n"
        "from instructerc_hf.pipeline import registration\n"
        "assert 'transformers' not in sys.modules and 'torch' not in sys.modules, 'import pulled in heavy modules'\n"
        "assert registration._HOOK in sys.meta_path\n"
        "print(t)"
    )
    assert float(run_python(code).split()[-1]) < 1.0


def test_task_is_registered_once_transformers_pipelines_is_imported() -> None:
    from transformers.pipelines import PIPELINE_REGISTRY

    assert TASK in PIPELINE_REGISTRY.get_supported_tasks()  # transformers.pipelines was imported before: at once


@pytest.mark.slow
def test_import_hook_registers_the_task_on_first_import_of_transformers_pipelines() -> None:
    code = (
        "import instructerc_hf\n"
        "from transformers import pipeline\n"
        "from transformers.pipelines import PIPELINE_REGISTRY\n"
        "assert instructerc_hf.PIPELINE_TASK in PIPELINE_REGISTRY.get_supported_tasks()\n"
    )
    run_python(code)


def test_importing_the_pipeline_module_first_registers_the_task() -> None:
    code = (
        "import instructerc_hf.pipeline.erc_pipeline\n"
        "from transformers.pipelines import PIPELINE_REGISTRY\n"
        "assert instructerc_hf.PIPELINE_TASK in PIPELINE_REGISTRY.get_supported_tasks()\n"
    )
    run_python(code)
