"""Shared helpers of the report tests: observations from the raw extracts, and small hand-made frames."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[2]


@cache
def _delivery(quarter: str) -> pd.DataFrame:
    from mtm_pipeline.conform import conform
    from mtm_pipeline.countries import country_mapper
    from mtm_pipeline.ingest import read_validated_extract
    from mtm_pipeline.settings import DataPaths
    from mtm_pipeline.sources import SOURCES

    paths = DataPaths(REPO / "data")
    staged = pd.concat(
        [e.rows for s in SOURCES.values() if (e := read_validated_extract(paths, quarter, s)) is not None]
    )
    frame = conform(staged, country_mapper())
    frame.insert(1, "stage", "corrected")
    frame["corrected_fields"] = None
    return frame


def observations_for(*quarters: str) -> pd.DataFrame:
    """Corrected-stage observations of the given delivery quarters, as the warehouse would hold them."""
    return pd.concat([_delivery(q) for q in quarters], ignore_index=True)


DEFAULTS = {
    "delivery_quarter": "2024-Q1", "stage": "corrected", "source": "border_crossings", "measure": "border_crossings",
    "period": "2024-Q1", "direction": None, "country": None, "country_group": None, "purpose": None,
    "category": None, "sector": None, "education": None, "age_group": None, "unit": None, "part_of": None,
    "parts_complete": None, "change_unit": None, "change_base_period": None, "agency": "Test Agency",
    "publication": "Test publication", "publication_date": "2024", "location": "Table 9", "published_text": None,
    "note": None, "value": None, "value_precision": None, "share": None, "share_precision": None, "change": None,
    "change_precision": None, "rank": None, "file_name": "raw/x.csv", "file_sha256": "0", "row_number": 0,
    "country_iso3": None, "country_name": None, "cis_member": None, "corrected_fields": None,
}  # fmt: skip


def frame(*rows: dict) -> pd.DataFrame:
    """A small observations frame: each row is DEFAULTS updated with the given fields."""
    out = []
    for i, row in enumerate(rows, start=2):
        full = {**DEFAULTS, "row_number": i, "obs_id": f"obs_{i}", **row}
        out.append(full)
    return pd.DataFrame(out)
