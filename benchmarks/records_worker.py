"""One benchmark run over a record-level file, in its own process (the parent measures wall time and
peak RSS).

    python benchmarks/records_worker.py --method record_level|bare|pandas --path FILE [--quarter 2024-Q4]

Imports what the method needs (timed as import_s), runs the method twice on the same file with fresh state
(first_s: the first call in the process, with lazy imports and one-off set-up such as the country table;
second_s: the steady state), and prints one JSON line with the timings and a digest of the result, so the
parent can check that every method computed the same counts.
"""

import argparse
import gc
import hashlib
import json
import time
from pathlib import Path

PURPOSES = ("labour", "tourism", "private", "business", "transit", "other")


def summary_digest(rows: list[tuple[str, str, int]]) -> str:
    """rows: (direction, citizenship, crossings) plus (direction, '<labour>', labour crossings)."""
    return hashlib.sha256(json.dumps(sorted(rows)).encode()).hexdigest()[:16]


def _source(path: Path) -> str:
    text = str(path).replace("'", "''")
    if path.suffix == ".csv":
        return f"read_csv('{text}', header = true, all_varchar = true, delim = ',', quote = '\"')"
    return f"read_parquet('{text}')"


def run_bare(path: Path, quarter: str) -> list:
    """The limit: the GROUP BY that produces the counts, with no validation at all."""
    import duckdb

    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    try:
        rows = con.execute(
            f"SELECT direction, citizenship, count(*), count(*) FILTER (WHERE purpose = 'labour') "
            f"FROM {_source(path)} GROUP BY ALL"
        ).fetchall()
    finally:
        con.close()
    out = [(d, c, int(n)) for d, c, n, _ in rows]
    for direction in {d for d, _, _, _ in rows}:
        out.append((direction, "<labour>", int(sum(lab for d, _, _, lab in rows if d == direction))))
    return out


def run_record_level(path: Path, quarter: str) -> list:
    """mtm_pipeline.record_level: every row rule in DuckDB, aggregates pandera-validated."""
    import duckdb

    from mtm_pipeline.record_level import RecordsError, aggregate_records, validate_records

    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    try:
        problems = validate_records(con, path, quarter)
        if any(p.severity == "ERROR" for p in problems):
            raise RecordsError(str(path), problems)
        aggregates = aggregate_records(con, path, quarter)
    finally:
        con.close()
    out = []
    for row in aggregates.itertuples(index=False):
        if row.country:
            out.append((row.direction, row.country, int(row.value)))
        elif row.purpose == "labour":
            out.append((row.direction, "<labour>", int(row.value)))
    return out


def run_pandas(path: Path, quarter: str) -> list:
    """pandas + pandera: the rows read into a DataFrame, validated row by row with a pandera model,
    grouped."""
    import pandas as pd
    import pandera.pandas as pa
    from pandera.typing import Series

    from mtm_pipeline.countries import UnmappedCountryError, country_mapper
    from mtm_pipeline.periods import parse_quarter_key

    period = parse_quarter_key(quarter)
    if path.suffix == ".csv":
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    else:  # pandas.read_parquet needs pyarrow or fastparquet (neither installed): read through DuckDB
        import duckdb

        con = duckdb.connect()
        con.execute("SET enable_progress_bar = false")
        try:
            frame = con.execute(f"SELECT * FROM {_source(path)}").df()
        finally:
            con.close()
    frame["crossing_date"] = pd.to_datetime(frame["crossing_date"], format="%Y-%m-%d", errors="coerce")
    mapper = country_mapper()
    known = []
    for name in frame["citizenship"].dropna().unique():
        try:
            mapper.to_iso3(name)
            known.append(name)
        except UnmappedCountryError:
            pass

    class CrossingRecord(pa.DataFrameModel):
        crossing_date: Series[pd.Timestamp] = pa.Field(
            ge=pd.Timestamp(period.start), le=pd.Timestamp(period.end), nullable=False
        )
        direction: Series[str] = pa.Field(isin=["in", "out"])
        citizenship: Series[str] = pa.Field(isin=known, str_length={"min_value": 1})
        purpose: Series[str] = pa.Field(isin=list(PURPOSES))
        checkpoint: Series[str] = pa.Field(str_length={"min_value": 1})

        class Config:
            coerce = False

    CrossingRecord.validate(frame, lazy=True)
    counts = frame.groupby(["direction", "citizenship"]).size()
    labour = frame[frame["purpose"] == "labour"].groupby("direction").size()
    out = [(d, c, int(n)) for (d, c), n in counts.items()]
    out += [(d, "<labour>", int(n)) for d, n in labour.items()]
    return out


METHODS = {"bare": run_bare, "record_level": run_record_level, "pandas": run_pandas}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--method", choices=sorted(METHODS), required=True)
    parser.add_argument("--path", type=Path, required=True)
    parser.add_argument("--quarter", default=None, help="default: the name of the file's folder")
    args = parser.parse_args()
    quarter = args.quarter or args.path.parent.name
    started = time.perf_counter()
    import duckdb  # noqa: F401  - every method needs DuckDB or pandas; import them before timing
    import pandas  # noqa: F401

    if args.method != "bare":
        import pandera.pandas  # noqa: F401

        import mtm_pipeline.record_level  # noqa: F401
    import_s = time.perf_counter() - started
    timings, digests = [], []
    for _ in range(2):
        gc.collect()
        started = time.perf_counter()
        rows = METHODS[args.method](args.path, quarter)
        timings.append(time.perf_counter() - started)
        digests.append(summary_digest(rows))
        del rows
    assert digests[0] == digests[1]
    print(
        json.dumps(
            {
                "method": args.method,
                "import_s": import_s,
                "first_s": timings[0],
                "second_s": timings[1],
                "digest": digests[0],
            }
        )
    )


if __name__ == "__main__":
    main()
