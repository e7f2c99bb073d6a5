"""The package's shape: no import circle, small modules, lazy torch-free exports, facts written once."""

from __future__ import annotations

import ast
import importlib
import re
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "instructerc_hf"
MODULES = sorted(PACKAGE.rglob("*.py"))


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def is_type_checking(node: ast.If) -> bool:
    return "TYPE_CHECKING" in ast.unparse(node.test)


def module_level_imports(path: Path) -> set[str]:
    """The package modules ``path`` imports at import time (not inside functions or ``if TYPE_CHECKING``)."""
    here = module_name(path)
    package = here if path.name == "__init__.py" else here.rpartition(".")[0]
    found: set[str] = set()

    def visit(nodes: list[ast.stmt]) -> None:
        for node in nodes:
            if isinstance(node, ast.If) and not is_type_checking(node):
                visit(node.body + node.orelse)
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[: len(package.split(".")) - node.level + 1]
                    target = ".".join(base + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                if target.startswith("instructerc_hf"):
                    for alias in node.names:  # ``from . import x`` may import a submodule
                        sub = f"{target}.{alias.name}"
                        found.add(sub if (PACKAGE.parent / sub.replace(".", "/")).with_suffix(".py").exists()
                                  or (PACKAGE.parent / sub.replace(".", "/")).is_dir() else target)
            elif isinstance(node, ast.Import):
                found.update(a.name for a in node.names if a.name.startswith("instructerc_hf"))

    visit(ast.parse(path.read_text(encoding="utf-8")).body)
    found.discard(here)
    return found


def test_no_import_circle() -> None:
    graph = {module_name(p): module_level_imports(p) for p in MODULES}
    state: dict[str, int] = {}  # 1: on the stack, 2: done
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                pytest.fail("import circle: " + " -> ".join([*stack[stack.index(nxt):], nxt]))
            if nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name)


def test_no_module_over_400_lines() -> None:
    long = {module_name(p): n for p in MODULES if (n := len(p.read_text(encoding="utf-8").splitlines())) > 400}
    assert not long


def test_every_lazy_export_resolves() -> None:
    for path in MODULES:
        if path.name != "__init__.py":
            continue
        package = importlib.import_module(module_name(path))
        for name in getattr(package, "__all__", []):
            assert getattr(package, name) is not None, f"{package.__name__}.{name}"


def test_top_level_import_is_torch_free_and_lazy() -> None:
    code = (
        "import sys, instructerc_hf\n"
        "heavy = [m for m in ('torch', 'transformers', 'datasets', 'trl', 'numpy') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
        "from instructerc_hf import read_corpus, compute_erc_metrics, InstructERCTrainer, load_erc_pipeline, train\n"
        "assert callable(read_corpus) and callable(compute_erc_metrics) and callable(train)\n"
        "assert InstructERCTrainer.__name__ == 'InstructERCTrainer'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def literal_lines(pattern: str, exclude: str) -> list[str]:
    regex = re.compile(pattern)
    return [f"{p.relative_to(PACKAGE)}:{n}" for p in MODULES if p.name != exclude
            for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if regex.search(line)]


def test_the_window_default_is_written_once() -> None:
    assert literal_lines(r"window\w*(: int)? *= *\d", exclude="prompts.py") == []
    assert len(literal_lines(r"^DEFAULT_WINDOW = ", exclude="")) == 1


def code_strings(path: Path) -> set[str]:
    """The string constants of a module's code (docstrings excluded)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef)) and ast.get_docstring(node) is not None}
    return {node.value for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings}


def test_file_names_and_dataset_facts_live_in_the_registry() -> None:
    facts = {"instructerc_config.json", "instructerc_training.json", "domain_base.jsonl", "adapter_config.json",
             "adapter_model.safetensors", "metrics.json", "predictions.jsonl", "emotion-recognition-in-conversation",
             "gpl-3.0", "apache-2.0", "MELD + IEMOCAP + EmoryNLP (unified)"}
    spelled = {f"{module_name(p)}: {s}" for p in MODULES if p.name != "registry.py" for s in code_strings(p) & facts}
    assert not spelled
