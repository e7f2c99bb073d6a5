"""Time the build of every MELD config (4 tasks x 2 label spaces, 3 splits) into a Hub-ready folder.

Target: under 15 s on the 2-core CI machine.

    python benchmarks/bench_build.py [--raw-dir ../shared/data/meld/raw/declare-lab__MELD]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from datasets.utils.logging import disable_progress_bar

from instructerc_hf.dataset_export import BuildArguments, export_dataset

DEFAULT_RAW = Path(__file__).resolve().parents[2] / "shared/data/meld/raw/declare-lab__MELD"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--raw-dir", default=str(DEFAULT_RAW))
    args = parser.parse_args()
    disable_progress_bar()
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        card = export_dataset(BuildArguments(dataset="meld", raw_dir=[args.raw_dir], out=out), command="benchmark")
        seconds = time.perf_counter() - start
        size = sum(p.stat().st_size for p in Path(out).rglob("*.parquet"))
    rows = sum(s.num_rows for c in card.configs for s in c.splits)
    print(f"MELD build: {len(card.configs)} configs, {rows} rows, {size / 2**20:.1f} MiB parquet "
          f"in {seconds:.2f} s ({rows / seconds:,.0f} rows/s); target < 15 s: {'PASS' if seconds < 15 else 'FAIL'}")


if __name__ == "__main__":
    main()
