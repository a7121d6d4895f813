"""Warehouse operations for one delivery quarter: stage an extract, read stages back, publish a stage."""

from __future__ import annotations

import duckdb
import pandas as pd

from mtm_pipeline.warehouse.connection import quote_ident
from mtm_pipeline.warehouse.load import replace_rows
from mtm_pipeline.warehouse.vintages import record_vintages

STAGING = "staging.extract_rows"
OBSERVATIONS = "published.observations"
DELIVERIES = "published.deliveries"
CHECK_RESULTS = "quality.check_results"
CORRECTIONS_APPLIED = "quality.corrections_applied"
SUGGESTIONS = "quality.suggested_corrections"
UNEXPLAINED = "quality.unexplained_findings"


def stage_extract(
    con: duckdb.DuckDBPyConnection, quarter: str, source: str, rows: pd.DataFrame | None
) -> None:
    """Replace what is staged for (quarter, source); None means the source delivered nothing this quarter."""
    replace_rows(con, [(STAGING, {"delivery_quarter": quarter, "source": source}, rows)])


def read_staged(con: duckdb.DuckDBPyConnection, quarter: str) -> pd.DataFrame:
    return con.execute(
        f"SELECT * FROM {STAGING} WHERE delivery_quarter = ? ORDER BY source, row_number", [quarter]
    ).df()


def read_stage(con: duckdb.DuckDBPyConnection, quarter: str, stage: str) -> pd.DataFrame:
    return con.execute(
        f"SELECT * FROM {OBSERVATIONS} WHERE delivery_quarter = ? AND stage = ? ORDER BY source, row_number",
        [quarter, stage],
    ).df()


def read_all_corrected(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    return con.execute(
        f"SELECT * FROM {OBSERVATIONS} WHERE stage = 'corrected' "
        "ORDER BY delivery_quarter, source, row_number"
    ).df()


def deliveries_of(observations: pd.DataFrame) -> pd.DataFrame:
    grouped = observations.groupby(["delivery_quarter", "source", "file_name", "file_sha256"], as_index=False)
    return grouped.agg(
        agency=("agency", "first"), row_count=("obs_id", "size"), loaded_at=("loaded_at", "max")
    )


def publish_stage(
    con: duckdb.DuckDBPyConnection,
    quarter: str,
    stage: str,
    observations: pd.DataFrame | None,
    check_results: pd.DataFrame | None,
    corrections: pd.DataFrame | None = None,
    suggestions=None,
) -> None:
    """Swap a quarter's stage, its check results, its suggested corrections (a checks.suggest.Suggestions;
    None leaves them as they were) and for 'corrected' the corrections applied, in one transaction; a
    delivered stage also records any file not seen before as a new vintage.
    observations=None records the check results only and leaves the published stage as it was."""
    writes: list = []
    if observations is not None:
        stage_keys = {"delivery_quarter": quarter, "stage": stage}
        writes.append((OBSERVATIONS, stage_keys, observations))
        if stage == "delivered":
            writes.append((DELIVERIES, {"delivery_quarter": quarter}, deliveries_of(observations)))
        if stage == "corrected":
            applied = corrections if corrections is not None and not corrections.empty else None
            writes.append((CORRECTIONS_APPLIED, {"quarter": quarter}, applied))
    writes.append((CHECK_RESULTS, {"quarter": quarter, "stage": stage}, check_results))
    if suggestions is not None:
        writes.append((SUGGESTIONS, {"quarter": quarter, "stage": stage}, suggestions.rows()))
        writes.append((UNEXPLAINED, {"quarter": quarter, "stage": stage}, suggestions.unexplained_rows()))
    keep_vintages = observations is not None and stage == "delivered"
    replace_rows(con, writes, then=(lambda: record_vintages(con, observations)) if keep_vintages else None)


def record_check_results(
    con: duckdb.DuckDBPyConnection, keys: dict[str, str], rows: pd.DataFrame | None
) -> None:
    replace_rows(con, [(CHECK_RESULTS, keys, rows)])


def table_row_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    tables = con.execute(
        "SELECT schema_name, table_name FROM duckdb_tables() ORDER BY schema_name, table_name"
    ).fetchall()
    return {
        f"{schema}.{table}": con.execute(
            f"SELECT count(*) FROM {quote_ident(schema + '.' + table)}"
        ).fetchall()[0][0]
        for schema, table in tables
    }
