"""Atomic writes: one transaction deletes a partition's rows and inserts the new ones by column name."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import duckdb
import pandas as pd

from mtm_pipeline.warehouse.connection import quote_ident


class EmptyFrameError(ValueError):
    """Writing no rows would silently wipe a partition; callers delete explicitly instead."""


def _where(keys: Mapping[str, str]) -> tuple[str, list[str]]:
    clause = " AND ".join(f"{quote_ident(column)} = ?" for column in keys)
    return clause or "TRUE", list(keys.values())


def delete_rows(con: duckdb.DuckDBPyConnection, table: str, keys: Mapping[str, str]) -> None:
    clause, params = _where(keys)
    con.execute(f"DELETE FROM {quote_ident(table)} WHERE {clause}", params)


def insert_frame(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame) -> None:
    if frame.empty:
        raise EmptyFrameError(f"refusing to write an empty frame to {table}")
    view = "_incoming_rows"
    con.register(view, frame)
    try:
        con.execute(f"INSERT INTO {quote_ident(table)} BY NAME SELECT * FROM {quote_ident(view)}")
    finally:
        con.unregister(view)


def replace_rows(
    con: duckdb.DuckDBPyConnection,
    writes: Sequence[tuple[str, Mapping[str, str], pd.DataFrame | None]],
    then: Callable[[], object] | None = None,
) -> None:
    """For each (table, partition keys, frame): delete the partition, insert the frame (None: delete only).

    Empty partition keys replace the whole table. `then` runs last, inside the same transaction.

    All writes commit together or not at all.
    """
    con.execute("BEGIN TRANSACTION")
    try:
        for table, keys, frame in writes:
            delete_rows(con, table, keys)
            if frame is not None:
                insert_frame(con, table, frame)
        if then is not None:
            then()
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
