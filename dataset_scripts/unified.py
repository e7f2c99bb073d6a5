"""Build the InstructERC unified dataset repo folder (Parquet + card) and optionally push it.

The unified Feeling Wheel data of all three datasets (Total Mix or Ratio Mix, low-resource fractions).
It contains IEMOCAP: keep it local or push it --private only.

    python dataset_scripts/unified.py --raw-dir meld=MELD/data/MELD iemocap=path/to/iemocap emorynlp=MELD/data/emorynlp --out hub/unified --mix ratio --fraction 1/8

All options: `python dataset_scripts/unified.py --help` (the same as `instructerc-hf build unified`).
"""

import sys

from instructerc_hf.cli import main

if __name__ == "__main__":
    sys.exit(main(["build", "unified", *sys.argv[1:]]))
