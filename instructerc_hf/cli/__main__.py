"""``python -m instructerc_hf.cli`` (what ``accelerate launch`` runs as a module)."""

import sys

from .main import main

sys.exit(main())
