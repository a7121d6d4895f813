"""The derived stage in the warehouse: published.derived_figures, replaced per quarter in one transaction."""

from __future__ import annotations

import duckdb
import pandas as pd

from mtm_pipeline.warehouse.load import replace_rows

DERIVED_FIGURES = "published.derived_figures"


def publish_derived(con: duckdb.DuckDBPyConnection, quarter: str, derived: pd.DataFrame) -> None:
    """Swap the quarter's derived figures (DELETE the quarter, INSERT, COMMIT); no rows leaves it with
    none."""
    if not derived.empty and set(derived["delivery_quarter"]) != {quarter}:
        raise ValueError(
            f"derived figures of {sorted(set(derived['delivery_quarter']))} published as {quarter}"
        )
    replace_rows(con, [(DERIVED_FIGURES, {"delivery_quarter": quarter}, None if derived.empty else derived)])


def read_derived(con: duckdb.DuckDBPyConnection, quarter: str | None = None) -> pd.DataFrame:
    """The derived figures of one quarter, or of every quarter (ordered by quarter, derivation, obs_id)."""
    where, params = ("WHERE delivery_quarter = ?", [quarter]) if quarter else ("", [])
    return con.execute(
        f"SELECT * FROM {DERIVED_FIGURES} {where} ORDER BY delivery_quarter, derivation, obs_id", params
    ).df()
