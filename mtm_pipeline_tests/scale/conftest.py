"""Synthetic data for the scale tests: generated once per session into a temporary folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from mtm_pipeline.synthetic import generate

SEED = 20240
RECORDS_QUARTER = "2018-Q2"
RECORD_ROWS = 200_000


@pytest.fixture(scope="session")
def history_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Six quarters around Ukraine's exit from the CIS (May 2018), records for 2018-Q2."""
    out = tmp_path_factory.mktemp("synthetic")
    generate(out, "2017-Q1", "2018-Q2", SEED, record_rows=RECORD_ROWS, record_quarters=[RECORDS_QUARTER])
    return out
