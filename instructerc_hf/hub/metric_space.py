"""The ``erc_weighted_f1`` metric Space, assembled into one self-contained folder from a single source.

The repository's ``metrics/erc_weighted_f1/erc_weighted_f1.py`` delegates to :mod:`instructerc_hf.metrics`; the
assembled module inlines that module, :mod:`instructerc_hf.label_parsing` and :mod:`instructerc_hf.errors` (the base
of its errors) in its place, so that ``evaluate.load(folder)`` (and the Space) work where ``instructerc_hf`` is not
installed. No copy is kept by hand.
"""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

from .. import errors, label_parsing, metrics

#: The metric folder of a source checkout (not part of an installed wheel).
METRIC_DIR = Path(__file__).resolve().parents[2] / "metrics" / "erc_weighted_f1"
METRIC_MODULE = "erc_weighted_f1.py"
#: The line of the repository module that the inlined sources replace.
DELEGATION = "from instructerc_hf.metrics import compute_erc_metrics"
#: Inlined in this order (each module's own imports of the package dropped).
INLINED = (errors, label_parsing, metrics)


def _split(source: str) -> tuple[list[str], str]:
    """``(import lines, the rest)`` of a module: its docstring, ``__future__`` and package imports dropped."""
    tree = ast.parse(source)
    lines = source.splitlines(keepends=True)
    imports: list[str] = []
    body_start = 0
    for node in tree.body:
        is_docstring = isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and node is tree.body[0]
        if not (is_docstring or isinstance(node, ast.Import | ast.ImportFrom)):
            break
        text = "".join(lines[node.lineno - 1:node.end_lineno]).strip()
        local = isinstance(node, ast.ImportFrom) and (node.level > 0 or node.module == "__future__"
                                                      or (node.module or "").startswith("instructerc_hf"))
        if isinstance(node, ast.Import | ast.ImportFrom) and not local:
            imports.append(" ".join(text.replace("(", "").replace(")", "").split()))
        body_start = node.end_lineno or 0
    return imports, "".join(lines[body_start:]).strip() + "\n"


def assembled_module(template: str) -> str:
    """``template`` (the repository module) with :data:`DELEGATION` replaced by the inlined sources."""
    if DELEGATION not in template:
        raise ValueError(f"the metric module has no line {DELEGATION!r} to replace")
    head, _, tail = template.partition(DELEGATION + "\n")
    head_imports, _ = _split(head + "pass\n")  # the template's docstring and imports precede the delegation
    doc = ast.get_docstring(ast.parse(template)) or ""
    imports = list(head_imports)
    bodies = []
    for module in INLINED:
        found, body = _split(Path(str(module.__file__)).read_text(encoding="utf-8"))
        imports += [line for line in found if line not in imports]
        bodies.append(f"# --- inlined from {module.__name__} ---\n\n{body}")
    return (f'"""{doc}\n\nAssembled by instructerc_hf.hub.metric_space: self-contained, no instructerc_hf needed."""\n\n'
            "from __future__ import annotations\n\n" + "\n".join(imports) + "\n\n\n" + "\n\n".join(bodies)
            + "\n# --- the metric ---\n" + tail)


def assemble_metric_space(out: str | Path, source: str | Path = METRIC_DIR) -> Path:
    """Write the Space folder (card, app, requirements, self-contained module) into ``out``.

    ``evaluate.load(folder)`` wants the module named like the folder: name ``out`` ``erc_weighted_f1`` to load it.
    """
    source, out = Path(source), Path(out)
    module = source / METRIC_MODULE
    if not module.is_file():
        raise FileNotFoundError(f"no {METRIC_MODULE} in {source}; pass the metrics/erc_weighted_f1 folder")
    out.mkdir(parents=True, exist_ok=True)
    for path in source.iterdir():
        if path.is_file() and path.name != METRIC_MODULE and not path.name.endswith(".pyc"):
            shutil.copy2(path, out / path.name)
    (out / METRIC_MODULE).write_text(assembled_module(module.read_text(encoding="utf-8")), encoding="utf-8")
    return out
