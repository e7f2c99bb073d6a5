"""The metric Space is assembled from one source and loads with ``evaluate.load(folder)`` without instructerc_hf."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from instructerc_hf.hub.metric_space import DELEGATION, METRIC_DIR, assemble_metric_space
from instructerc_hf.metrics import compute_erc_metrics

PREDICTIONS = ["joyful", "The emotion is: sad.", "neutral", "angry!!", "I think fear"]
REFERENCES = ["joyful", "angry", "neutral", "angry", "sad"]
LABELS = ["neutral", "sad", "joyful", "angry", "fear"]

WITHOUT_PACKAGE = """
import json, sys
sys.modules["instructerc_hf"] = None  # importing it fails, as where it is not installed
import evaluate
metric = evaluate.load(sys.argv[1])
print(json.dumps(metric.compute(predictions=json.loads(sys.argv[2]), references=json.loads(sys.argv[3]),
                                labels=json.loads(sys.argv[4]))))
"""


def test_the_repository_module_delegates_to_the_package() -> None:
    assert DELEGATION in (METRIC_DIR / "erc_weighted_f1.py").read_text(encoding="utf-8")
    assert "instructerc" not in (METRIC_DIR / "requirements.txt").read_text(encoding="utf-8")


def test_the_assembled_space_loads_without_instructerc_hf_and_scores_the_same(tmp_path: Path) -> None:
    folder = assemble_metric_space(tmp_path / "erc_weighted_f1")
    assert sorted(p.name for p in folder.iterdir()) == ["README.md", "app.py", "erc_weighted_f1.py", "requirements.txt"]
    module = (folder / "erc_weighted_f1.py").read_text(encoding="utf-8")
    assert not [line for line in module.splitlines() if line.startswith(("import ", "from ")) and "instructerc" in line]
    assert module.count("from __future__ import annotations") == 1
    done = subprocess.run(
        [sys.executable, "-c", WITHOUT_PACKAGE, str(folder), json.dumps(PREDICTIONS), json.dumps(REFERENCES),
         json.dumps(LABELS)], cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    expected = compute_erc_metrics(PREDICTIONS, REFERENCES, LABELS, parse=True)
    assert result == json.loads(json.dumps(expected))
