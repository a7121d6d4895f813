"""Open the DuckDB warehouse: never at import time, retry while another process holds the lock, always
close."""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path

import duckdb


class WarehouseLockTimeout(RuntimeError):
    """Another process kept the warehouse locked longer than the configured wait."""


def quote_ident(name: str) -> str:
    """A DuckDB identifier, quoted; 'schema.table' is quoted part by part."""
    return ".".join('"' + part.replace('"', '""') + '"' for part in name.split("."))


def _is_lock_conflict(error: duckdb.Error) -> bool:
    text = str(error).lower()
    return "lock" in text and ("conflicting" in text or "could not set" in text)


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(resources.files("mtm_pipeline.warehouse").joinpath("schema.sql").read_text(encoding="utf-8"))


@contextmanager
def connect(
    path: Path, *, read_only: bool = False, wait_seconds: float = 300.0
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection to the warehouse file; waits (with jittered back-off) while another process holds it.

    Write connections create missing tables. The connection is closed on every path out.
    """
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + wait_seconds
    delay = 0.05
    while True:
        try:
            con = duckdb.connect(str(path), read_only=read_only)
            break
        except (duckdb.IOException, duckdb.ConnectionException) as error:
            if not _is_lock_conflict(error):
                raise
            if time.monotonic() >= deadline:
                raise WarehouseLockTimeout(
                    f"the warehouse {path} stayed locked by another process for {wait_seconds:.0f} s; "
                    "wait for the running load to finish and retry"
                ) from error
            time.sleep(delay * (1 + random.random()))
            delay = min(delay * 2, 1.0)
    try:
        if not read_only:
            ensure_schema(con)
        yield con
    finally:
        con.close()
