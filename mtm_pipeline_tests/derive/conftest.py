"""Counts-only synthetic quarters (as agencies deliver them), read, validated and conformed like the assets
do."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from mtm_pipeline.conform import conform
from mtm_pipeline.countries import country_mapper
from mtm_pipeline.ingest import read_validated_extract
from mtm_pipeline.settings import DataPaths
from mtm_pipeline.sources import SOURCES
from mtm_pipeline.synthetic import generate

SEED = 11
FIRST, LAST = "2023-Q1", "2024-Q1"


def conformed_quarter(root: Path, quarter: str) -> pd.DataFrame:
    paths = DataPaths(root)
    staged = [read_validated_extract(paths, quarter, spec) for spec in SOURCES.values()]
    frame = conform(pd.concat([s.rows for s in staged if s is not None], ignore_index=True), country_mapper())
    frame.insert(1, "stage", "corrected")
    return frame


@pytest.fixture(scope="session")
def counts_only_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("counts-only")
    generate(out, FIRST, LAST, SEED, counts_only_extracts=True)
    return out


@pytest.fixture(scope="session")
def counts_only(counts_only_dir: Path) -> dict[str, pd.DataFrame]:
    """quarter -> its corrected observations (no corrections: the corrected stage equals the delivered
    one)."""
    quarters = sorted(p.name for p in (counts_only_dir / "raw").iterdir())
    return {quarter: conformed_quarter(counts_only_dir, quarter) for quarter in quarters}
