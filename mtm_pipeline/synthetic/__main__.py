"""python -m mtm_pipeline.synthetic --out DIR ... (see mtm_pipeline/synthetic/__init__.py)."""

import sys

from mtm_pipeline.synthetic.cli import main

sys.exit(main())
