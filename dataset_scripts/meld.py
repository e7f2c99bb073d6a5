"""Build the InstructERC meld dataset repo folder (Parquet + card) and optionally push it.

MELD (GPL-3.0) from the declare-lab/MELD CSVs (data/MELD), or its COSMIC pickle with --official.

    python dataset_scripts/meld.py --raw-dir MELD/data/MELD --out hub/meld --push-to-hub instructerc/meld

All options: `python dataset_scripts/meld.py --help` (the same as `instructerc-hf build meld`).
"""

import sys

from instructerc_hf.cli import main

if __name__ == "__main__":
    sys.exit(main(["build", "meld", *sys.argv[1:]]))
