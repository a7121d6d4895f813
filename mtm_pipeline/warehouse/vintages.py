"""Vintages of delivered figures: record each new delivered file once, list revisions, query 'as of'."""

from __future__ import annotations

from datetime import UTC, datetime

import duckdb
import pandas as pd

from mtm_pipeline.warehouse.load import insert_frame

VINTAGE_COLUMNS = (
    "delivery_id",
    "delivery_quarter",
    "source",
    "obs_id",
    "measure",
    "period",
    "direction",
    "country_iso3",
    "country_group",
    "purpose",
    "category",
    "sector",
    "education",
    "age_group",
    "value",
    "value_precision",
    "share",
    "share_precision",
    "row_number",
)
FIGURE_KEY = (
    "measure",
    "period",
    "direction",
    "country_iso3",
    "country_group",
    "purpose",
    "category",
    "sector",
    "education",
    "age_group",
)


def delivery_id(quarter: str, source: str, sha256: str) -> str:
    return f"{quarter}/{source}/{sha256[:16]}"


def record_vintages(con: duckdb.DuckDBPyConnection, delivered: pd.DataFrame) -> list[str]:
    """Add the delivered files not seen before (by content) and their rows; return the new delivery ids.

    Runs inside the caller's transaction.
    """
    frame = delivered.copy()
    frame["delivery_id"] = [
        delivery_id(q, s, h)
        for q, s, h in zip(frame["delivery_quarter"], frame["source"], frame["file_sha256"])
    ]
    known = {row[0] for row in con.execute("SELECT delivery_id FROM history.deliveries").fetchall()}
    new = frame[~frame["delivery_id"].isin(known)]
    if new.empty:
        return []
    ((next_sequence,),) = con.execute(
        "SELECT coalesce(max(sequence), 0) + 1 FROM history.deliveries"
    ).fetchall()
    received_at = datetime.now(UTC).replace(tzinfo=None)
    deliveries = (
        new.groupby(["delivery_id", "delivery_quarter", "source", "file_name", "file_sha256"], as_index=False)
        .agg(row_count=("obs_id", "size"))
        .sort_values("delivery_id")
        .reset_index(drop=True)
    )
    deliveries["sequence"] = range(next_sequence, next_sequence + len(deliveries))
    deliveries["received_at"] = received_at
    insert_frame(con, "history.deliveries", deliveries)
    insert_frame(con, "history.observation_vintages", new[list(VINTAGE_COLUMNS)])
    return deliveries["delivery_id"].tolist()


def revisions(con: duckdb.DuckDBPyConnection, delivery_quarter: str | None = None) -> pd.DataFrame:
    """Every revised figure (old and new value and share, both deliveries); optionally only those revised
    by deliveries of one quarter."""
    if delivery_quarter is None:
        return con.execute("SELECT * FROM history.revisions ORDER BY new_received_at, obs_id").df()
    return con.execute(
        "SELECT * FROM history.revisions WHERE new_delivery_quarter = ? ORDER BY new_received_at, obs_id",
        [delivery_quarter],
    ).df()


def figures_as_of(con: duckdb.DuckDBPyConnection, delivery: str) -> pd.DataFrame:
    """The figures as they stood right after `delivery` (a delivery_id): for every figure, its newest
    vintage delivered up to and including that delivery."""
    # fetchall, not fetchone: DuckDB refuses more work on a connection with an unfinished result
    sequence = con.execute(
        "SELECT sequence FROM history.deliveries WHERE delivery_id = ?", [delivery]
    ).fetchall()
    if not sequence:
        raise KeyError(f"no delivery {delivery!r} in history.deliveries")
    key = ", ".join(FIGURE_KEY)
    return con.execute(
        f"""
        SELECT v.*, d.sequence, d.received_at
        FROM history.observation_vintages AS v JOIN history.deliveries AS d USING (delivery_id)
        WHERE d.sequence <= ? AND (v.value IS NOT NULL OR v.share IS NOT NULL)
        QUALIFY row_number() OVER (PARTITION BY {key} ORDER BY d.sequence DESC) = 1
        ORDER BY {key}
        """,
        [sequence[0][0]],
    ).df()
