"""Time the build of every MELD config (4 tasks x 2 label spaces, 3 splits) into a Hub-ready folder.

Target: under 15 s on the 2-core CI machine.

    python -m experiments.bench_build [--raw-dir ../shared/data/meld/raw/declare-lab__MELD] [--json PATH]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from . import DATA_DIR
from .benches import add_json_option, reporting, write_figures
from .corpora import corpus

DEFAULT_RAW = corpus("meld").raw_dir(DATA_DIR)


def figures(rows: int, seconds: float) -> dict[str, float]:
    return {"rows": rows, "seconds": round(seconds, 2), "rows_per_second": round(rows / seconds)}


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--raw-dir", default=str(DEFAULT_RAW))
    add_json_option(parser)
    args = parser.parse_args(argv)
    from datasets.utils.logging import disable_progress_bar

    from instructerc_hf.data import BuildArguments, export_dataset

    disable_progress_bar()
    with reporting(args.json), tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        card = export_dataset(BuildArguments(dataset="meld", raw_dir=[args.raw_dir], out=out), command="benchmark")
        seconds = time.perf_counter() - start
        size = sum(p.stat().st_size for p in Path(out).rglob("*.parquet"))
        rows = sum(s.num_rows for c in card.configs for s in c.splits)
        print(f"MELD build: {len(card.configs)} configs, {rows} rows, {size / 2**20:.1f} MiB parquet "
              f"in {seconds:.2f} s ({rows / seconds:,.0f} rows/s); target < 15 s: {'PASS' if seconds < 15 else 'FAIL'}")
    write_figures(args.json, "build", figures(rows, seconds),
                  {"configs": len(card.configs), "parquet_mib": round(size / 2**20, 1)})


if __name__ == "__main__":
    main()
