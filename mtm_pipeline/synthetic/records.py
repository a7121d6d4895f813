"""Record-level border crossings: one row per crossing, written through DuckDB (streams; low memory)."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from mtm_pipeline.periods import parse_quarter_key
from mtm_pipeline.synthetic.history import AIRPORTS, CHECKPOINTS, NAMES, History, _allocate, _rng


def _record_cells(h: History, quarter: str) -> list[tuple[str, str, str, str, int]]:
    """(direction, citizenship, purpose, checkpoint, count) with the quarter's exact crossing counts."""
    cells = []
    for (direction, iso3, purpose), n in sorted(h.crossings(quarter).counts.items()):
        points = CHECKPOINTS.get(iso3, AIRPORTS)
        weights = {cp: 1.0 / (i + 1) for i, cp in enumerate(points)}
        for checkpoint, m in _allocate(n, weights).items():
            if m:
                cells.append((direction, NAMES[iso3], purpose, checkpoint, m))
    return cells


# x -> (x xor x >> 16) * 0x45d9f3b mod 2^32, twice, then x xor x >> 16: a bijection on 32-bit integers.
_COPY_SQL = """
COPY (
    WITH expanded AS (
        SELECT direction, citizenship, purpose, checkpoint, unnest(range(first, first + n)) + {offset} AS x
        FROM cells
    ), h1 AS (
        SELECT * EXCLUDE (x), (xor(x, x >> 16) * 73244475) % 4294967296 AS x FROM expanded
    ), h2 AS (
        SELECT * EXCLUDE (x), (xor(x, x >> 16) * 73244475) % 4294967296 AS x FROM h1
    ), keyed AS (
        SELECT * EXCLUDE (x), xor(x, x >> 16) AS k FROM h2
    )
    SELECT CAST(DATE '{start}' + CAST((k * {days}) >> 32 AS INTEGER) AS DATE)
               AS crossing_date,
           direction, citizenship, purpose, checkpoint
    FROM keyed
    ORDER BY k
) TO '{target}' ({options})
"""


def _load_cells(con, cells: list[tuple[str, str, str, str, int]]) -> None:
    """The cells as a temporary table, each with the number of its first row."""
    con.execute(
        "CREATE TEMP TABLE cells (direction VARCHAR, citizenship VARCHAR, purpose VARCHAR, "
        "checkpoint VARCHAR, first BIGINT, n BIGINT)"
    )
    first, rows = 0, []
    for direction, citizenship, purpose, checkpoint, n in cells:
        rows.append((direction, citizenship, purpose, checkpoint, first, n))
        first += n
    con.executemany("INSERT INTO cells VALUES (?, ?, ?, ?, ?, ?)", rows)


def write_records(
    h: History, quarter: str, path: Path, fmt: str = "parquet", *, memory_limit: str = "512MB"
) -> int:
    """Write the quarter's crossings, one row per crossing, through DuckDB COPY (streams; low memory).

    Each cell (direction, citizenship, purpose, checkpoint) is expanded to its exact count of rows; every row
    gets a 32-bit key from a bijective integer hash of its number (seeded), the rows are written in key
    order and the crossing date is the key's position within the quarter. So the file is in date order,
    the citizenships are mixed as in a real log, and every count is exact. Returns the number of rows.
    """
    import duckdb

    cells = _record_cells(h, quarter)
    total = sum(c[-1] for c in cells)
    if total >= 2**31:
        raise ValueError("at most 2**31 - 1 records a quarter")
    period = parse_quarter_key(quarter)
    tmp = tempfile.mkdtemp(prefix="mtm-synthetic-")
    con = duckdb.connect()
    try:
        con.execute("SET enable_progress_bar = false")
        con.execute(f"SET memory_limit = '{memory_limit}'")
        con.execute(f"SET temp_directory = '{tmp}'")
        _load_cells(con, cells)
        sql = _COPY_SQL.format(
            offset=_rng(h.seed, "records:offset", quarter).randrange(2**31),
            start=period.start.isoformat(),
            days=(period.end - period.start).days + 1,
            target=str(path).replace("'", "''"),
            options="FORMAT parquet, COMPRESSION zstd" if fmt == "parquet" else "FORMAT csv, HEADER true",
        )
        con.execute(sql)
    finally:
        con.close()
        shutil.rmtree(tmp, ignore_errors=True)
    return total
