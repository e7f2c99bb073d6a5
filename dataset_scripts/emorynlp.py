"""Build the InstructERC emorynlp dataset repo folder (Parquet + card) and optionally push it.

EmoryNLP (Apache-2.0) from the ERC-standard CSVs (declare-lab/MELD data/emorynlp), the official JSON (--source json) or the COSMIC pickle.

    python dataset_scripts/emorynlp.py --raw-dir MELD/data/emorynlp --out hub/emorynlp --push-to-hub instructerc/emorynlp

All options: `python dataset_scripts/emorynlp.py --help` (the same as `instructerc-hf build emorynlp`).
"""

import sys

from instructerc_hf.cli import main

if __name__ == "__main__":
    sys.exit(main(["build", "emorynlp", *sys.argv[1:]]))
