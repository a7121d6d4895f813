"""Warehouse operations for one delivery quarter: stage an extract, read it back, publish the quarter."""

from __future__ import annotations

import duckdb
import pandas as pd

from mtm_pipeline.warehouse.connection import quote_ident
from mtm_pipeline.warehouse.load import replace_rows

STAGING = "staging.extract_rows"
OBSERVATIONS = "published.observations"
DELIVERIES = "published.deliveries"


def stage_extract(
    con: duckdb.DuckDBPyConnection, quarter: str, source: str, rows: pd.DataFrame | None
) -> None:
    """Replace what is staged for (quarter, source); None means the source delivered nothing this quarter."""
    replace_rows(con, [(STAGING, {"delivery_quarter": quarter, "source": source}, rows)])


def read_staged(con: duckdb.DuckDBPyConnection, quarter: str) -> pd.DataFrame:
    return con.execute(
        f"SELECT * FROM {STAGING} WHERE delivery_quarter = ? ORDER BY source, row_number", [quarter]
    ).df()


def deliveries_of(observations: pd.DataFrame) -> pd.DataFrame:
    grouped = observations.groupby(["delivery_quarter", "source", "file_name", "file_sha256"], as_index=False)
    return grouped.agg(
        agency=("agency", "first"), row_count=("obs_id", "size"), loaded_at=("loaded_at", "max")
    )


def publish_quarter(con: duckdb.DuckDBPyConnection, quarter: str, observations: pd.DataFrame) -> None:
    """Swap the quarter's published observations and delivery list in one transaction."""
    keys = {"delivery_quarter": quarter}
    replace_rows(con, [(OBSERVATIONS, keys, observations), (DELIVERIES, keys, deliveries_of(observations))])


def table_row_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    tables = con.execute(
        "SELECT schema_name, table_name FROM duckdb_tables() ORDER BY schema_name, table_name"
    ).fetchall()
    counts = {}
    for schema, table in tables:
        counts[f"{schema}.{table}"] = con.execute(
            f"SELECT count(*) FROM {quote_ident(schema + '.' + table)}"
        ).fetchone()[0]
    return counts
