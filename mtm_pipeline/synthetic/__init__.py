"""Deterministic synthetic delivery history: every source of the extract contract, for any range of quarters.

    python -m mtm_pipeline.synthetic --out DIR --first 2015-Q1 --last 2024-Q4 --seed 42 [--counts-only] \
        [--record-level-rows N [--record-level-quarters 2024-Q4,...] [--record-level-format parquet|csv]]

writes DIR/raw/<quarter>/<source>.csv for the five sources (same columns, valid against the pandera schemas)
and, with --record-level-rows, DIR/raw/<quarter>/border_crossing_records.parquet (one row per crossing) for
the chosen quarters (default: the last one). Point MTM_DATA_DIR at DIR to run the pipeline on it.

What the figures look like (magnitudes and seasonality taken from the published 2024 quarters):
- border crossings: arrivals about 3-4 million a quarter with a Q2/Q3 peak, departures 95-97 % of arrivals,
  CIS about 60 %, labour purpose about 1.5 %; country shares within the CIS / non-CIS group.
- residence permits: TRP holders about 100 thousand (95 % labour), TRP issued about 80 thousand a quarter,
  PRP issued about 8 thousand a quarter by country (CIS complete, non-CIS with an 'Other countries' rest).
- labour migration: foreign workers about 13-14 thousand as of the first day after the quarter, by permit
  category (complete), top sectors and countries; employers; the year's quota in each Q1 delivery.
- emigration: emigrants a quarter by destination (top 8 with ranks) and by education (aged 15+).
- remittances: personal remittances out about 150 million USD a quarter, in about 60 million, by country.
Each Q1 delivery also carries the previous year's totals (the exact sum of its quarters) where a source
publishes annual figures.

Internally consistent: every published figure is rounded from one set of integer "true" counts per
quarter, so shares sum to 100 within rounding, parts never exceed totals, complete breakdowns add up, stated
changes match the figures they compare, years equal the sum of their quarters, and CIS / non-CIS follows
the dated membership in mtm_pipeline/reference (Ukraine is CIS until 2018-Q1).

Deterministic: every random draw comes from random.Random seeded with text (seed, quarter, series), so the
same seed gives byte-identical files, and a quarter's figures do not depend on --first / --last. A quarter
that gets a record-level extract has its crossing totals scaled so that arrivals + departures = N rows; its
published border_crossings extract (and the next quarter's stated change) are computed from the scaled
counts, so the records reconcile exactly with the published extract.

Never writes into the repository's data/ directory. Countries are spelled as the real extracts spell them.

Modules: `history` (the true counts), `writer` (rows formatted as published), `published` (the default
extracts), `counts_only` (`--counts-only`), `records` (record-level crossings), `cli` (`generate`, `main`).
"""

from mtm_pipeline.synthetic.cli import RECORDS_STEM, REPO_DATA, generate, main, refuse_repository_data
from mtm_pipeline.synthetic.history import NAMES, OTHER, Crossings, History
from mtm_pipeline.synthetic.published import BUILDERS
from mtm_pipeline.synthetic.records import write_records
from mtm_pipeline.synthetic.writer import (
    ExtractWriter,
    change_text,
    direction_text,
    millions_text,
    share_text,
)

__all__ = [
    "BUILDERS",
    "NAMES",
    "OTHER",
    "RECORDS_STEM",
    "REPO_DATA",
    "Crossings",
    "ExtractWriter",
    "History",
    "change_text",
    "direction_text",
    "generate",
    "main",
    "millions_text",
    "refuse_repository_data",
    "share_text",
    "write_records",
]
