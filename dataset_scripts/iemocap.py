"""Build the InstructERC iemocap dataset repo folder (Parquet + card) and optionally push it.

IEMOCAP from YOUR licensed copy (COSMIC pickle, or CoMPM TSV with --source tsv). IEMOCAP may not be redistributed:
the folder stays local, and a push is refused unless --private.

    python dataset_scripts/iemocap.py --raw-dir path/to/iemocap --out hub/iemocap

All options: `python dataset_scripts/iemocap.py --help` (the same as `instructerc-hf build iemocap`).
"""

import sys

from instructerc_hf.cli import main

if __name__ == "__main__":
    sys.exit(main(["build", "iemocap", *sys.argv[1:]]))
