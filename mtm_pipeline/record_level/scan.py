"""The rules of the record-level extract, evaluated inside DuckDB: one GROUP BY pass gives the cells
(direction x citizenship x purpose with counts) and flags that show whether a date or checkpoint rule can
fail; a second pass counts the failing rows and fetches examples only for the rules that do."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd

from mtm_pipeline.periods import parse_quarter_key
from mtm_pipeline.record_level.contract import (
    DIRECTIONS,
    EXAMPLES,
    PURPOSES,
    RECORD_COLUMNS,
    RecordProblem,
)


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _is_csv(path: Path) -> bool:
    return path.suffix.lower() == ".csv"


_CSV_OPTIONS = "header = true, delim = ',', quote = '\"'"


def _relation(path: Path, *, numbered: bool = False, typed_dates: bool = False) -> str:
    """SQL for the file's rows, optionally with `_row` = the row number to report.

    CSV cells are read as text; with typed_dates the reader parses crossing_date as a DATE itself (the fast
    path: it fails on the first cell that is not a date, and the scan then falls back to text)."""
    if _is_csv(path):
        if typed_dates:
            types = ", ".join(f"{_literal(c)}: {_literal(t)}" for c, t in RECORD_COLUMNS.items())
            return f"read_csv({_literal(str(path))}, {_CSV_OPTIONS}, types = {{{types}}})"
        source = f"read_csv({_literal(str(path))}, {_CSV_OPTIONS}, all_varchar = true)"
        # CSV: the line number (header = 1); with preserve_insertion_order the window sees the file order.
        return f"(SELECT *, row_number() OVER () + 1 AS _row FROM {source})" if numbered else source
    source = f"read_parquet({_literal(str(path))}{', file_row_number = true' if numbered else ''})"
    if numbered:
        return f"(SELECT * EXCLUDE (file_row_number), file_row_number + 1 AS _row FROM {source})"
    return source


def _row_label(path: Path) -> str:
    return "line" if _is_csv(path) else "record"


def _quarter_bounds(path: Path, quarter: str | None) -> tuple[str, date, date]:
    quarter = quarter or path.parent.name
    period = parse_quarter_key(quarter)
    return quarter, period.start, period.end


def _date_sql(dtype: str) -> str:
    """crossing_date as a DATE (NULL when it is not one). Text is parsed with try_strptime, not TRY_CAST:
    DuckDB 2.0 pushes a TRY_CAST used twice into the CSV reader as a strict cast, which aborts the scan."""
    if dtype == "DATE":
        return "crossing_date"
    if dtype.startswith("TIMESTAMP"):
        return "CAST(crossing_date AS DATE)"
    return "CAST(try_strptime(CAST(crossing_date AS VARCHAR), '%Y-%m-%d') AS DATE)"


# Conditions of the rules on one row (SQL); {date} is crossing_date as a DATE (NULL when not a date).
_ROW_RULES: dict[str, tuple[str, str, str, str]] = {
    # key: (column, severity, rule, SQL condition that is TRUE for a failing row)
    "date_missing": (
        "crossing_date",
        "ERROR",
        "present",
        "crossing_date IS NULL OR trim(CAST(crossing_date AS VARCHAR)) = ''",
    ),
    "date_invalid": (
        "crossing_date",
        "ERROR",
        "a date (YYYY-MM-DD)",
        "crossing_date IS NOT NULL AND trim(CAST(crossing_date AS VARCHAR)) <> '' AND {date} IS NULL",
    ),
    "date_outside": (
        "crossing_date",
        "ERROR",
        "inside the delivery quarter",
        "{date} NOT BETWEEN $start AND $end",
    ),
    "direction": (
        "direction",
        "ERROR",
        "'in' or 'out'",
        "direction IS NULL OR direction NOT IN ('in', 'out')",
    ),
    "citizenship_empty": (
        "citizenship",
        "ERROR",
        "not empty",
        "citizenship IS NULL OR trim(citizenship) = ''",
    ),
    "citizenship_unknown": (
        "citizenship",
        "ERROR",
        "a country name known to the reference data",
        "list_contains($unknown, citizenship)",
    ),
    "purpose": (
        "purpose",
        "ERROR",
        f"one of {', '.join(PURPOSES)}",
        f"purpose IS NULL OR purpose NOT IN ({', '.join(_literal(p) for p in PURPOSES)})",
    ),
    "checkpoint_empty": ("checkpoint", "WARN", "not empty", "checkpoint IS NULL OR trim(checkpoint) = ''"),
}


@dataclass
class _Scan:
    """What one GROUP BY pass over the file tells: the cells and the rule flags."""

    quarter: str
    start: date
    end: date
    path: Path
    cells: pd.DataFrame  # direction, citizenship, purpose, n (small)
    date_sql: str = "crossing_date"
    projection: str = "*"
    file_problems: list[RecordProblem] = field(default_factory=list)
    exact: dict[str, int] = field(default_factory=dict)  # rule key -> failing rows, known from the cells
    suspect: set[str] = field(default_factory=set)  # rule keys whose count needs a second scan
    unknown_names: list[str] = field(default_factory=list)


# The last few scans, per connection and file version: validate_records and aggregate_records of the same
# file on the same connection share one pass. The entry keeps its connection, so its id is not reused.
_SCANS: dict[tuple, tuple[duckdb.DuckDBPyConnection, _Scan]] = {}
_SCANS_KEPT = 4


def _scan_key(con: duckdb.DuckDBPyConnection, path: Path, quarter: str) -> tuple:
    stat = path.stat()
    return (id(con), str(path.resolve()), stat.st_size, stat.st_mtime_ns, quarter)


def _remember(key: tuple, con: duckdb.DuckDBPyConnection, scan: _Scan) -> _Scan:
    _SCANS[key] = (con, scan)
    while len(_SCANS) > _SCANS_KEPT:
        del _SCANS[next(iter(_SCANS))]
    return scan


def _columns(con: duckdb.DuckDBPyConnection, path: Path) -> dict[str, str]:
    rows = con.execute(f"DESCRIBE SELECT * FROM {_relation(path)}").fetchall()
    return {name: dtype for name, dtype, *_ in rows}


def _file_problems(columns: dict[str, str]) -> list[RecordProblem]:
    """Required columns missing (ERROR) and unknown columns (WARN)."""
    problems = []
    missing = [c for c in RECORD_COLUMNS if c not in columns]
    extra = [c for c in columns if c not in RECORD_COLUMNS]
    if missing:
        problems.append(
            RecordProblem("required column(s) missing", "ERROR", None, 0, detail=", ".join(missing))
        )
    if extra:
        problems.append(RecordProblem("unknown column(s), ignored", "WARN", None, 0, detail=", ".join(extra)))
    return problems


_FLAGS = """count(*) - count({date}) AS not_dates, min({date}) AS first_date, max({date}) AS last_date,
            count(*) - count(checkpoint) AS checkpoint_null, min(checkpoint) AS checkpoint_min"""


def _query(
    con, projection: str, relation: str, date: str, *, grouped: bool, with_flags: bool
) -> pd.DataFrame:
    """The cells (grouped) or one overall row, with the rule flags when asked."""
    keys = "direction, citizenship, purpose, " if grouped else ""
    extra = ", " + _FLAGS.format(date=date) if with_flags else ""
    group_by = "GROUP BY ALL" if grouped else ""
    sql = f"SELECT {keys}count(*) AS n{extra} FROM (SELECT {projection} FROM {relation}) {group_by}"
    return con.execute(sql).df()


def _first_pass(con, path: Path, projection: str, date_sql: str) -> tuple[pd.DataFrame, dict]:
    """The cells with their counts, and the flags over the whole file (dates, checkpoints)."""
    if _is_csv(path):
        # One pass computes cells and flags. Fast path: the CSV reader parses the dates itself; a cell that
        # is not a date aborts it, and the text path (dates parsed in SQL) gives the same result.
        try:
            grouped = _query(
                con,
                projection,
                _relation(path, typed_dates=True),
                "crossing_date",
                grouped=True,
                with_flags=True,
            )
        except (duckdb.ConversionException, duckdb.InvalidInputException):
            grouped = _query(con, projection, _relation(path), date_sql, grouped=True, with_flags=True)
        checkpoints = grouped["checkpoint_min"]
        overall = {
            "not_dates": grouped["not_dates"].sum(),
            "first_date": grouped["first_date"].min(),
            "last_date": grouped["last_date"].max(),
            "checkpoint_null": grouped["checkpoint_null"].sum(),
            "checkpoint_min": checkpoints.dropna().min() if checkpoints.notna().any() else None,
        }
        return grouped, overall
    # Parquet: the cells in one GROUP BY; the flags ungrouped, which DuckDB answers from the row-group
    # statistics of a typed column instead of reading it (and reads the column when it must).
    grouped = _query(con, projection, _relation(path), date_sql, grouped=True, with_flags=False)
    overall = _query(con, projection, _relation(path), date_sql, grouped=False, with_flags=True)
    return grouped, overall.iloc[0].to_dict()


def _exact_counts(scan: _Scan, grouped: pd.DataFrame) -> None:
    """The rules the cells decide exactly: direction, citizenship (empty, unknown) and purpose."""
    n = grouped["n"]
    citizenship_empty = grouped["citizenship"].isna() | (grouped["citizenship"].fillna("").str.strip() == "")
    scan.exact["direction"] = int(n[~grouped["direction"].isin(DIRECTIONS)].sum())
    scan.exact["citizenship_empty"] = int(n[citizenship_empty].sum())
    scan.exact["purpose"] = int(n[~grouped["purpose"].isin(PURPOSES)].sum())
    names = sorted(set(grouped.loc[~citizenship_empty, "citizenship"]))
    scan.unknown_names = [name for name in names if _iso3(name) is None]
    scan.exact["citizenship_unknown"] = int(n[grouped["citizenship"].isin(scan.unknown_names)].sum())


def _suspects(scan: _Scan, overall: dict) -> None:
    """The rules the flags show may fail (dates, checkpoints): counted in the second pass."""
    if int(overall["not_dates"] or 0):
        scan.suspect |= {"date_missing", "date_invalid"}
    first, last = overall["first_date"], overall["last_date"]
    if (pd.notna(first) and pd.Timestamp(first).date() < scan.start) or (
        pd.notna(last) and pd.Timestamp(last).date() > scan.end
    ):
        scan.suspect.add("date_outside")
    # the smallest checkpoint text is '' or starts with a blank when any is empty or blank
    smallest = overall["checkpoint_min"]
    if int(overall["checkpoint_null"] or 0) or (
        isinstance(smallest, str) and (smallest == "" or smallest[0] <= " ")
    ):
        scan.suspect.add("checkpoint_empty")


def scan_records(con: duckdb.DuckDBPyConnection, path: Path, quarter: str | None) -> _Scan:
    """The one pass over the rows (cached per connection, file version and quarter)."""
    quarter, start, end = _quarter_bounds(path, quarter)
    key = _scan_key(con, path, quarter)
    if key in _SCANS and _SCANS[key][0] is con:
        return _SCANS[key][1]
    columns = _columns(con, path)
    problems = _file_problems(columns)
    if any(c not in columns for c in RECORD_COLUMNS):
        empty = pd.DataFrame(columns=["direction", "citizenship", "purpose", "n"])
        return _remember(key, con, _Scan(quarter, start, end, path, empty, file_problems=problems))
    date_sql = _date_sql(columns["crossing_date"])
    # the text columns as VARCHAR whatever their stored type, so that the rules' SQL always binds
    projection = ", ".join(
        ["crossing_date"]
        + [c if columns[c] == "VARCHAR" else f"CAST({c} AS VARCHAR) AS {c}" for c in list(RECORD_COLUMNS)[1:]]
    )
    grouped, overall = _first_pass(con, path, projection, date_sql)
    cells = grouped[["direction", "citizenship", "purpose", "n"]].copy()
    if not int(cells["n"].sum()):
        problems.append(
            RecordProblem("at least one record (an empty file is not a delivery)", "ERROR", None, 0)
        )
    scan = _Scan(quarter, start, end, path, cells, date_sql, projection, file_problems=problems)
    _exact_counts(scan, grouped)
    _suspects(scan, overall)
    return _remember(key, con, scan)


def may_break_an_error_rule(scan: _Scan) -> bool:
    """Whether the first pass shows a file problem or an ERROR rule that fails or may fail."""
    return bool(
        scan.file_problems
        or any(scan.exact[k] for k in scan.exact if _ROW_RULES[k][1] == "ERROR")
        or (scan.suspect - {"checkpoint_empty"})
    )


def _iso3(name: str) -> str | None:
    from mtm_pipeline.countries import UnmappedCountryError, country_mapper

    try:
        return country_mapper().to_iso3(name)
    except UnmappedCountryError:
        return None


def _details(
    con: duckdb.DuckDBPyConnection, scan: _Scan, keys: list[str]
) -> dict[str, tuple[int, list[int]]]:
    """Second pass, only for failing rules: exact counts and the first example row numbers."""
    if not keys:
        return {}
    selects = []
    for key in keys:
        condition = _ROW_RULES[key][3].replace("{date}", scan.date_sql)
        selects.append(f"count(*) FILTER (WHERE {condition}) AS n_{key}")
        selects.append(f"min(_row, {EXAMPLES}) FILTER (WHERE {condition}) AS rows_{key}")
    relation = f"(SELECT _row, {scan.projection} FROM {_relation(scan.path, numbered=True)})"
    sql = f"SELECT {', '.join(selects)} FROM {relation}"
    params = {"start": scan.start, "end": scan.end, "unknown": scan.unknown_names}
    used = {name: value for name, value in params.items() if f"${name}" in sql}
    if _is_csv(scan.path):
        con.execute("SET preserve_insertion_order = true")
    row = con.execute(sql, used).fetchone()
    out = {}
    for i, key in enumerate(keys):
        count, rows = row[2 * i], row[2 * i + 1]
        out[key] = (int(count or 0), sorted(int(r) for r in (rows or [])))
    return out


def validate_records(
    con: duckdb.DuckDBPyConnection, path: Path, quarter: str | None = None
) -> list[RecordProblem]:
    """Every failed rule of the record-level extract at `path` (quarter: default the name of its folder).

    The rules run as SQL inside DuckDB; the rows are never loaded into Python. ERROR problems make the file
    unusable; WARN problems are reported only.
    """
    path = Path(path)
    scan = scan_records(con, path, quarter)
    problems = list(scan.file_problems)
    if any(p.severity == "ERROR" for p in problems):
        return problems
    failing = [k for k, count in scan.exact.items() if count] + sorted(scan.suspect)
    details = _details(con, scan, failing)
    for key, (column, severity, rule, _) in _ROW_RULES.items():
        count, examples = details.get(key, (0, []))
        if not count:
            continue
        detail = ""
        if key == "date_outside":
            detail = f"the quarter is {scan.start.isoformat()} to {scan.end.isoformat()}"
        elif key == "citizenship_unknown":
            detail = "unknown: " + ", ".join(repr(n) for n in scan.unknown_names[:10])
        problems.append(
            RecordProblem(rule, severity, column, count, tuple(examples), _row_label(path), detail)
        )
    return problems
