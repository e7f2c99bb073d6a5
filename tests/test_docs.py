"""The README's and docs/*.md's ```bash and ```python blocks run, verbatim, from the repository root.

Each document's blocks run in order (a later block may read what an earlier one wrote) in a mirror of the repository
root: a temporary folder holding a link to every top-level entry of the checkout except the folders the commands
write (:data:`WRITTEN`), which start empty, and a sibling ``shared`` linking to the real ``../shared``. So the
commands run as written, and nothing lands in the checkout. Blocks over ~20 s run with ``-m slow``
(:data:`SLOW`); blocks that cannot run here are listed with the reason (:data:`NOT_RUN`), and every block is one or
the other (:func:`test_every_block_is_run_or_listed`).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^```(bash|python)[ \t]*\n(.*?)^```[ \t]*$", re.S | re.M)
#: Top-level folders the documented commands write into: empty in the mirror, never linked to the checkout's.
WRITTEN = ("outputs", "data", "hub", "eval", "out")

#: Blocks that are not run: (document, a string only that block of it contains) -> why.
NOT_RUN: dict[tuple[str, str], str] = {
    ("README.md", "bash install.sh && accelerate launch"): "install, run by .ci/run",
    ("README.md", "bash install.sh && ruff check"): "install, run by .ci/run (this test is part of it)",
    ("README.md", "--push-to-hub my-org/meld"): "pushes to the Hub: needs HF_TOKEN and a network",
    ("README.md", "recipes/accelerate_configs/single_gpu.yaml"): "GPU: Llama-2-7B on single_gpu.yaml",
    ("docs/RESULTS.md", "single_gpu.yaml"): "GPU: the paper's MELD run on Llama-2-7B",
    ("docs/distributed.md", "multi_gpu_ddp.yaml   examples/sft.py"): "GPU: 4 processes per engine on Llama-2-7B",
    ("docs/distributed.md", "instructerc_hf.cli evaluate --model DIR"):
        "placeholders DIR and DATA (an adapter and a built folder); tests/inference/test_sharding.py runs it",
    ("docs/distributed.md", "instructerc_hf.cli predict --model DIR"):
        "placeholder DIR (an adapter); tests/inference/test_sharding.py runs it",
    ("docs/experiments.md", "# everything, in order"):
        "the whole experiment plan: about 6 h of CPU, and render rewrites docs/RESULTS.md; tests/experiments tests "
        "each module",
    ("docs/inference.md", "load_adapter(\"path/to/adapter\")"): "fragment: a placeholder adapter and `prompts`",
    ("docs/inference.md", "model=\"path/or/hub-id\""): "fragment: a placeholder adapter and `conversation`",
    ("docs/inference.md", "instructerc-hf predict --model DIR"): "synopsis: placeholders and [optional] parts",
    ("docs/retrieval.md", "demonstrate_splits(splits"): "fragment: `splits` and `prompt_config` from the text",
    ("docs/retrieval.md", "DomainBase.from_corpus(corpus"): "fragment: `corpus`, `train_rows`, `test_rows`",
    ("docs/retrieval.md", "base.save(\"out/adapter\")"): "fragment: `base` from the block above",
    ("docs/retrieval.md", "compute_erc_metrics(predictions"): "fragment: `predictions`, `test` and `labels`",
}

#: Blocks run only with ``-m slow`` (minutes; the default part stays under a minute): (document, string) -> time.
SLOW: dict[tuple[str, str], str] = {
    ("README.md", "--official --out hub/meld-official"): "three builds, ~25 s",
    ("README.md", "python examples/sft.py --config"): "CPU training of the whole schedule and an evaluation, minutes",
    ("docs/demonstrations.md", "--demonstration_injection collator"): "a CPU training with demonstrations, ~1 min",
    ("docs/distributed.md", "# DDP and FSDP2"): "three 2-process trainings on CPU (DDP, FSDP2, ZeRO-3), many minutes",
    ("docs/experiments.md", "--results-dir /tmp/erc-smoke/results --work-dir"): "the harness smoke run, ~9 min",
}


@dataclass(frozen=True)
class Block:
    """One fenced block: its document (relative to the root), first line, language and code."""

    document: str
    line: int
    language: str
    code: str

    def __str__(self) -> str:
        return f"{self.document}:{self.line}"


def doc_blocks() -> list[Block]:
    """Every ```bash and ```python block of the README and docs/*.md, in document order."""
    found = []
    for path in DOCUMENTS:
        text = path.read_text(encoding="utf-8")
        for match in FENCE.finditer(text):
            found.append(Block(str(path.relative_to(ROOT)), text.count("\n", 0, match.start()) + 1, match.group(1),
                               match.group(2)))
    return found


BLOCKS = doc_blocks()


def listed(block: Block, table: dict[tuple[str, str], str]) -> str | None:
    """The reason ``table`` gives for ``block``, if it lists it."""
    return next((why for (document, text), why in table.items() if document == block.document and text in block.code),
                None)


#: The blocks run, the slow ones marked.
RUN = [
    pytest.param(b, id=str(b), marks=[pytest.mark.slow] if listed(b, SLOW) else [])
    for b in BLOCKS if not listed(b, NOT_RUN)
]


def test_every_block_is_run_or_listed() -> None:
    for table in (NOT_RUN, SLOW):
        for document, text in table:
            matches = [b for b in BLOCKS if b.document == document and text in b.code]
            assert len(matches) == 1, f"{document}: {text!r} matches {len(matches)} blocks"
    both = [str(b) for b in BLOCKS if listed(b, NOT_RUN) and listed(b, SLOW)]
    assert not both, f"both skipped and slow: {both}"
    assert len(RUN) + sum(bool(listed(b, NOT_RUN)) for b in BLOCKS) == len(BLOCKS)


@pytest.fixture(scope="session")
def mirrors() -> dict[str, Path]:
    """The mirror root of each document (made on first use), shared by its blocks."""
    return {}


def mirror_root(mirrors: dict[str, Path], document: str, base: Path) -> Path:
    """A folder that looks like the repository root (see the module docstring), one per document."""
    if document not in mirrors:
        folder = base / re.sub(r"\W", "_", document)
        root = folder / ROOT.name
        root.mkdir(parents=True)
        for entry in ROOT.iterdir():
            if entry.name not in WRITTEN and entry.name != ".git":
                (root / entry.name).symlink_to(entry)
        (folder / "shared").symlink_to((ROOT.parent / "shared").resolve())
        mirrors[document] = root
    return mirrors[document]


@pytest.mark.parametrize("block", RUN)
def test_block_runs(block: Block, mirrors: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> None:
    if not (ROOT.parent / "shared" / "data").is_dir():
        pytest.skip("the raw data is not at ../shared/data")
    root = mirror_root(mirrors, block.document, tmp_path_factory.getbasetemp() / "docs")
    command = ["bash", "-euo", "pipefail", "-c", block.code] if block.language == "bash" \
        else [sys.executable, "-c", block.code]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    done = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True,
                          timeout=3600 if listed(block, SLOW) else 300)
    assert done.returncode == 0, f"{block} failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
