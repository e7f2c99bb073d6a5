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


REFUSALS = """
import json, sys
sys.modules["instructerc_hf"] = None
import evaluate
metric = evaluate.load(sys.argv[1])
out = {}
for name, kwargs in [("no_labels", {}), ("misspelt", {"labels": ["sad", "angry"]})]:
    references = ["sad", "sda"] if name == "misspelt" else ["sad", "sad"]
    try:
        metric.compute(predictions=["sad", "sad"], references=references, **kwargs)
    except Exception as error:
        out[name] = [type(error).__name__, [c.__name__ for c in type(error).__mro__], str(error)]
empty = metric.compute(predictions=["", "sad"], references=["sad", "sad"], labels=["sad", "angry"])
out["empty"] = [empty["num_empty"], empty["num_unparseable"], empty["accuracy"]]
print(json.dumps(out))
"""


def test_the_assembled_space_requires_labels_and_gives_empty_texts_no_label(tmp_path: Path) -> None:
    folder = assemble_metric_space(tmp_path / "erc_weighted_f1")
    done = subprocess.run([sys.executable, "-c", REFUSALS, str(folder)], cwd=tmp_path, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["no_labels"][0] == "LabelSetError" and "InputError" in out["no_labels"][1]
    assert "labels is required" in out["no_labels"][2]
    assert out["misspelt"][0] == "LabelSetError" and "references[1] = 'sda'" in out["misspelt"][2]
    assert out["empty"] == [1, 1, 50.0]
