"""Raw ERC files given where built data is expected: recognise them and say which ``instructerc-hf build`` to run.

``instructerc-hf evaluate`` reads a folder written by ``instructerc-hf build`` (one ``<config>/<split>-*.parquet``
folder per config) and ``predict`` reads JSON conversations; given the raw MELD / EmoryNLP / IEMOCAP files instead,
both stop with one line naming the build command. The file names are the readers' own.
"""

from __future__ import annotations

import shlex
from pathlib import Path

from .errors import InputError
from .readers.cosmic import LAYOUTS
from .readers.emorynlp import CSV_FILES as EMORYNLP_CSV
from .readers.emorynlp import JSON_FILES as EMORYNLP_JSON
from .readers.iemocap import TSV_FILES as IEMOCAP_TSV
from .readers.meld import CSV_FILES as MELD_CSV
from .registry import SOURCES, TITLES

#: The raw files of each (dataset, source), in the order a guess prefers (each dataset's default source first).
RAW_FILES: dict[tuple[str, str], tuple[str, ...]] = {
    ("meld", "csv"): tuple(MELD_CSV.values()),
    ("emorynlp", "csv"): tuple(EMORYNLP_CSV.values()),
    ("iemocap", "tsv"): tuple(IEMOCAP_TSV.values()),
    ("emorynlp", "json"): tuple(EMORYNLP_JSON.values()),
    **{(name, "pickle"): (layout.filename,) for name, layout in LAYOUTS.items()},
}

#: The suffixes of the raw files (what a search for them looks at).
RAW_SUFFIXES = frozenset(Path(name).suffix for files in RAW_FILES.values() for name in files)

#: The file pattern of a built config's splits (``instructerc_hf.data.export``).
BUILT_SPLITS = "*/*-of-*.parquet"


class NotBuiltError(InputError):
    """Raw files, or a folder not made by ``instructerc-hf build``, where built data was expected."""


def raw_datasets(path: str | Path) -> dict[tuple[str, str], Path]:
    """The (dataset, source) pairs whose raw files are ``path`` or lie below it, in :data:`RAW_FILES` order, each
    with the folder of its files (the first, sorted, of several copies)."""
    path = Path(path)
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.suffix in RAW_SUFFIXES)
    found = {}
    for key, names in RAW_FILES.items():
        folders = [f.parent for f in files if f.name in names]
        if folders:
            found[key] = folders[0]
    return found


def build_command(raw_dir: str | Path, dataset: str, source: str) -> str:
    """The ``instructerc-hf build`` command line for ``dataset`` read from ``raw_dir`` (into ``data/<dataset>``)."""
    extra = [] if source == SOURCES[dataset][0] else ["--source", source]
    return shlex.join(["instructerc-hf", "build", dataset, "--raw-dir", str(raw_dir), *extra,
                       "--out", f"data/{dataset}"])


def build_advice(path: str | Path) -> str:
    """What to build from ``path``: the exact command when its files are recognised, else the general form."""
    found = raw_datasets(path)
    if not found:
        return ("build a dataset first: `instructerc-hf build {meld,emorynlp,iemocap} --raw-dir RAW_DIR --out DIR` "
                "(your own labelled conversations: `instructerc-hf build conversations --raw-dir DIR --name NAME "
                "--out DIR`), then pass `--dataset DIR` to `instructerc-hf evaluate`")
    (dataset, source), folder = next(iter(found.items()))
    others = [TITLES[d] for d in dict.fromkeys(d for d, _ in found) if d != dataset]
    also = f" (it also holds {' and '.join(others)} files)" if others else ""
    return (f"it holds raw {TITLES[dataset]} files{also}: build them first with "
            f"`{build_command(folder, dataset, source)}`, then pass `--dataset data/{dataset}` to "
            "`instructerc-hf evaluate`")


def check_built_dataset(dataset: str, config: str | None) -> None:
    """Refuse a local folder that ``instructerc-hf build`` did not write, or that lacks ``config`` (if given).

    A name that is no local folder is left to ``load_dataset`` (a Hub id).

    Raises:
        NotBuiltError: the folder holds raw files (the message gives the build command) or no built config.
    """
    folder = Path(dataset)
    if folder.is_file():
        raise NotBuiltError(f"{folder} is a file, not a dataset folder made by `instructerc-hf build`; "
                            + build_advice(folder))
    if not folder.is_dir():
        return
    configs = sorted({p.parent.name for p in folder.glob(BUILT_SPLITS)})
    if not configs:
        raise NotBuiltError(f"{folder} is not a dataset built by `instructerc-hf build` (no <config>/<split>-*.parquet "
                            "files); " + build_advice(folder))
    if config is not None and config not in configs:
        raise NotBuiltError(f"{folder} has no config {config!r}; its configs: {configs} (--config)")
