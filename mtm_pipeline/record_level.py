"""Record-level border crossings: validate and aggregate one crossing per row, inside DuckDB.

The optional extract raw/<quarter>/border_crossing_records.parquet (or .csv) of the National Border Service
holds one row per crossing:

| Column | Type | Rule (severity) |
|---|---|---|
| crossing_date | DATE (CSV: YYYY-MM-DD) | present, a date, inside the delivery quarter (ERROR) |
| direction | text | 'in' (arrival) or 'out' (departure) (ERROR) |
| citizenship | text | not empty (ERROR); a country name the reference data knows, as in the extracts (ERROR) |
| purpose | text | one of PURPOSES (ERROR) |
| checkpoint | text | not empty (WARN) |

Other columns are reported (WARN) and ignored. The rows never leave DuckDB: one GROUP BY scan builds the
small table of cells (direction x citizenship x purpose with counts) from which the direction, citizenship
and purpose rules are evaluated exactly and the aggregates built; the same pass (CSV) or one ungrouped query
(Parquet, which DuckDB answers from the row-group statistics) gives the first and last date, the number of
missing dates and the smallest checkpoint, which show whether any date or checkpoint can break its rule.
Only when a rule fails does a second scan count the failing rows of the rules that need it and fetch a few
example row numbers (Parquet: the record's position, first record = 1; CSV: the line number, header =
line 1, assuming no quoted field spans lines).

The aggregates are observations in the extract contract's long format (measure border_crossings, values as
counts): per direction the total, the labour-purpose subset, the CIS and non-CIS groups (CIS membership by
date at the quarter's end), and one row per citizenship as delivered with its share of its group. They are
validated with the border_crossings pandera schema. The border_crossing_records asset feeds them to the
warehouse as the quarter's border_crossings delivery when no published extract was delivered, and otherwise
reconciles them with the published extract (`reconcile`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

import duckdb
import pandas as pd

from mtm_pipeline.periods import parse_quarter_key

RECORDS_STEM = "border_crossing_records"
RECORD_EXTENSIONS = (".parquet", ".csv")
RECORD_COLUMNS: dict[str, str] = {
    "crossing_date": "DATE",
    "direction": "VARCHAR",
    "citizenship": "VARCHAR",
    "purpose": "VARCHAR",
    "checkpoint": "VARCHAR",
}
DIRECTIONS = ("in", "out")
PURPOSES = ("labour", "tourism", "private", "business", "transit", "other")
SOURCE = "border_crossings"
MEASURE = "border_crossings"
AGENCY = "National Border Service of Kazakhstan"
EXAMPLES = 5


class RecordsError(ValueError):
    """A record-level extract that breaks one or more ERROR rules; nothing of it is aggregated."""

    def __init__(self, file: str, problems: list[RecordProblem]):
        self.file = file
        self.problems = problems
        errors = [p for p in problems if p.severity == "ERROR"]
        lines = [f"{file}: {len(errors)} rule(s) failed; nothing from this file was aggregated"]
        lines += [f"  - {p.describe()}" for p in errors]
        lines.append(
            "Fix the records (rules in mtm_pipeline/record_level.py) and re-materialise the quarter."
        )
        super().__init__("\n".join(lines))


@dataclass(frozen=True)
class RecordProblem:
    """One failed rule: how many rows break it and the first few of them."""

    rule: str
    severity: str  # 'ERROR' | 'WARN'
    column: str | None
    count: int  # failing rows (0 for file-level problems such as a missing column)
    examples: tuple[int, ...] = ()  # row numbers (see `row_label`)
    row_label: str = "record"
    detail: str = ""

    def describe(self) -> str:
        where = f"column {self.column!r}: " if self.column else ""
        rows = f"{self.count:,} {self.row_label}(s)" if self.count else "the file"
        text = f"{self.severity} {where}{self.rule} - {rows}"
        if self.examples:
            text += f", e.g. {self.row_label} {', '.join(str(e) for e in self.examples)}"
        return text + (f" ({self.detail})" if self.detail else "")


@dataclass(frozen=True)
class Difference:
    """A published figure that the records do not reproduce (within the published precision)."""

    obs_id: str
    subject: str
    published: str
    records: str
    message: str


# --- reading the file inside DuckDB ------------------------------------------------------------------------


def find_records(quarter_dir: Path) -> Path | None:
    """The record-level extract of a quarter folder, or None; two formats at once is an error."""
    found = [
        quarter_dir / f"{RECORDS_STEM}{ext}"
        for ext in RECORD_EXTENSIONS
        if (quarter_dir / f"{RECORDS_STEM}{ext}").is_file()
    ]
    if len(found) > 1:
        raise RecordsError(
            str(quarter_dir),
            [
                RecordProblem(
                    "one file per quarter: .parquet or .csv, not both",
                    "ERROR",
                    None,
                    0,
                    detail=", ".join(p.name for p in found),
                )
            ],
        )
    return found[0] if found else None


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


def _scan(con: duckdb.DuckDBPyConnection, path: Path, quarter: str | None) -> _Scan:
    """The one pass over the rows (cached per connection, file version and quarter)."""
    quarter, start, end = _quarter_bounds(path, quarter)
    key = _scan_key(con, path, quarter)
    if key in _SCANS and _SCANS[key][0] is con:
        return _SCANS[key][1]
    columns = _columns(con, path)
    problems = []
    missing = [c for c in RECORD_COLUMNS if c not in columns]
    extra = [c for c in columns if c not in RECORD_COLUMNS]
    if missing:
        problems.append(
            RecordProblem("required column(s) missing", "ERROR", None, 0, detail=", ".join(missing))
        )
    if extra:
        problems.append(RecordProblem("unknown column(s), ignored", "WARN", None, 0, detail=", ".join(extra)))
    if missing:
        empty = pd.DataFrame(columns=["direction", "citizenship", "purpose", "n"])
        return _remember(key, con, _Scan(quarter, start, end, path, empty, file_problems=problems))
    date_sql = _date_sql(columns["crossing_date"])
    # the text columns as VARCHAR whatever their stored type, so that the rules' SQL always binds
    projection = ", ".join(
        ["crossing_date"]
        + [c if columns[c] == "VARCHAR" else f"CAST({c} AS VARCHAR) AS {c}" for c in list(RECORD_COLUMNS)[1:]]
    )

    flags = """count(*) - count({date}) AS not_dates, min({date}) AS first_date, max({date}) AS last_date,
                count(*) - count(checkpoint) AS checkpoint_null, min(checkpoint) AS checkpoint_min"""

    def query(relation: str, date: str, *, grouped: bool, with_flags: bool) -> pd.DataFrame:
        keys = "direction, citizenship, purpose, " if grouped else ""
        extra = ", " + flags.format(date=date) if with_flags else ""
        group_by = "GROUP BY ALL" if grouped else ""
        sql = f"SELECT {keys}count(*) AS n{extra} FROM (SELECT {projection} FROM {relation}) {group_by}"
        return con.execute(sql).df()

    if _is_csv(path):
        # One pass computes cells and flags. Fast path: the CSV reader parses the dates itself; a cell that
        # is not a date aborts it, and the text path (dates parsed in SQL) gives the same result.
        try:
            grouped = query(_relation(path, typed_dates=True), "crossing_date", grouped=True, with_flags=True)
        except (duckdb.ConversionException, duckdb.InvalidInputException):
            grouped = query(_relation(path), date_sql, grouped=True, with_flags=True)
        overall = {
            "not_dates": grouped["not_dates"].sum(),
            "first_date": grouped["first_date"].min(),
            "last_date": grouped["last_date"].max(),
            "checkpoint_null": grouped["checkpoint_null"].sum(),
            "checkpoint_min": grouped["checkpoint_min"].dropna().min()
            if grouped["checkpoint_min"].notna().any()
            else None,
        }
    else:
        # Parquet: the cells in one GROUP BY; the flags ungrouped, which DuckDB answers from the row-group
        # statistics of a typed column instead of reading it (and reads the column when it must).
        grouped = query(_relation(path), date_sql, grouped=True, with_flags=False)
        overall = query(_relation(path), date_sql, grouped=False, with_flags=True).iloc[0].to_dict()
    cells = grouped[["direction", "citizenship", "purpose", "n"]].copy()
    if not int(cells["n"].sum()):
        problems.append(
            RecordProblem("at least one record (an empty file is not a delivery)", "ERROR", None, 0)
        )
    scan = _Scan(quarter, start, end, path, cells, date_sql, projection, file_problems=problems)
    n = grouped["n"]
    direction_bad = ~grouped["direction"].isin(DIRECTIONS)
    citizenship_empty = grouped["citizenship"].isna() | (grouped["citizenship"].fillna("").str.strip() == "")
    purpose_bad = ~grouped["purpose"].isin(PURPOSES)
    scan.exact["direction"] = int(n[direction_bad].sum())
    scan.exact["citizenship_empty"] = int(n[citizenship_empty].sum())
    scan.exact["purpose"] = int(n[purpose_bad].sum())
    names = sorted(set(grouped.loc[~citizenship_empty, "citizenship"]))
    scan.unknown_names = [name for name in names if _iso3(name) is None]
    scan.exact["citizenship_unknown"] = int(n[grouped["citizenship"].isin(scan.unknown_names)].sum())
    if int(overall["not_dates"] or 0):
        scan.suspect |= {"date_missing", "date_invalid"}
    first, last = overall["first_date"], overall["last_date"]
    if (pd.notna(first) and pd.Timestamp(first).date() < start) or (
        pd.notna(last) and pd.Timestamp(last).date() > end
    ):
        scan.suspect.add("date_outside")
    # the smallest checkpoint text is '' or starts with a blank when any is empty or blank
    smallest = overall["checkpoint_min"]
    if int(overall["checkpoint_null"] or 0) or (
        isinstance(smallest, str) and (smallest == "" or smallest[0] <= " ")
    ):
        scan.suspect.add("checkpoint_empty")
    return _remember(key, con, scan)


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
    scan = _scan(con, path, quarter)
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


# --- aggregation in the extract contract's long format ------------------------------------------------------


def _share(part: int, whole: int) -> str:
    if not whole:
        return "0.0"
    return f"{(Decimal(100 * part) / Decimal(whole)).quantize(Decimal('0.1'), rounding=ROUND_HALF_EVEN):f}"


def aggregate_records(con: duckdb.DuckDBPyConnection, path: Path, quarter: str | None = None) -> pd.DataFrame:
    """The quarter's crossings as extract rows (text cells, COLUMNS, index = row number from 2), validated
    with the border_crossings pandera schema. Raises RecordsError when an ERROR rule fails."""
    from mtm_pipeline.countries import country_mapper
    from mtm_pipeline.sources import SCHEMAS
    from mtm_pipeline.sources.contract import COLUMNS
    from mtm_pipeline.sources.schema import validate_extract

    path = Path(path)
    scan = _scan(con, path, quarter)
    if (
        scan.file_problems
        or any(scan.exact[k] for k in scan.exact if _ROW_RULES[k][1] == "ERROR")
        or (scan.suspect - {"checkpoint_empty"})
    ):
        problems = validate_records(con, path, quarter)
        if any(p.severity == "ERROR" for p in problems):
            raise RecordsError(str(path), problems)
    mapper = country_mapper()
    quarter, end = scan.quarter, scan.end
    qk = quarter.lower().replace("-", "")
    cells = scan.cells
    rows: list[dict[str, str]] = []
    publication = f"National Border Service record-level extract ({path.name})"

    def add(obs_id: str, text: str, **cells_: str) -> None:
        row = dict.fromkeys(COLUMNS, "")
        row.update(cells_)
        row.update(
            obs_id=obs_id,
            measure=MEASURE,
            period=quarter,
            unit="crossings",
            agency=AGENCY,
            publication=publication,
            publication_date=str(end.year),
            location=f"raw/{quarter}/{path.name}",
            published_text=text,
            note="Aggregated from record-level crossings by mtm_pipeline.record_level.",
        )
        rows.append(row)

    for direction, prefix in (("in", "arr"), ("out", "dep")):
        mine = cells[cells["direction"] == direction]
        if mine.empty:
            continue
        total = int(mine["n"].sum())
        total_id = f"rec_{prefix}_{qk}_total"
        add(total_id, f"{total} records with direction '{direction}'", direction=direction, value=str(total))
        labour = int(mine.loc[mine["purpose"] == "labour", "n"].sum())
        add(
            f"rec_{prefix}_{qk}_labour",
            f"{labour} records with purpose 'labour'",
            direction=direction,
            purpose="labour",
            value=str(labour),
            part_of=total_id,
            parts_complete="no",
        )
        by_country = mine.groupby("citizenship")["n"].sum()
        groups: dict[str, list[tuple[str, str, int]]] = {"CIS": [], "non-CIS": []}
        for citizenship, n in by_country.items():
            iso3 = mapper.to_iso3(str(citizenship))
            groups["CIS" if mapper.is_cis(iso3, end) else "non-CIS"].append((str(citizenship), iso3, int(n)))
        for group, slug in (("CIS", "cis"), ("non-CIS", "noncis")):
            members = sorted(groups[group], key=lambda m: (-m[2], m[0]))
            group_total = sum(m[2] for m in members)
            group_id = f"rec_{prefix}_{qk}_{slug}"
            add(
                group_id,
                f"{group_total} records from {group} countries",
                direction=direction,
                country_group=group,
                value=str(group_total),
                share=_share(group_total, total),
                part_of=total_id,
                parts_complete="yes",
            )
            used: dict[str, int] = {}
            for citizenship, iso3, n in members:
                suffix = iso3.lower()
                used[suffix] = used.get(suffix, 0) + 1
                obs_id = f"{group_id}_{suffix}" + (f"_{used[suffix]}" if used[suffix] > 1 else "")
                add(
                    obs_id,
                    f"{n} records with citizenship '{citizenship}'",
                    direction=direction,
                    country=citizenship,
                    country_group=group,
                    value=str(n),
                    share=_share(n, group_total),
                    part_of=group_id,
                    parts_complete="yes",
                )
    frame = pd.DataFrame(
        rows, columns=list(COLUMNS), index=pd.RangeIndex(2, 2 + len(rows), name="row_number")
    )
    return validate_extract(frame, SCHEMAS[SOURCE], f"{path} (aggregates)")


def records_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# --- reconciliation with the published extract --------------------------------------------------------------


@dataclass(frozen=True)
class _Figure:
    obs_id: str
    period: str
    key: tuple  # (direction, iso3 or None, group when no country, purpose)
    value: float | None
    value_precision: float | None
    share: float | None
    share_precision: float | None
    rank: int | None
    part_of: str | None
    country_group: str | None


def _blank(x) -> bool:
    return (
        x is None
        or (isinstance(x, float) and pd.isna(x))
        or x is pd.NA
        or (isinstance(x, str) and not x.strip())
    )


def _number(row: dict, column: str, *, percent: bool = False) -> tuple[float | None, float | None]:
    """(value, precision) from a typed staged row (value + value_precision) or a text cell."""
    from mtm_pipeline.numbers import parse_published_number

    cell = row.get(column)
    if _blank(cell):
        return None, None
    if isinstance(cell, str):
        parsed = parse_published_number(cell, allow_percent_sign=percent)
        return float(parsed.value), float(parsed.precision)
    precision = row.get(f"{column}_precision")
    return float(cell), None if _blank(precision) else float(precision)


def _figures(frame: pd.DataFrame, to_iso3: Callable[[str], str | None]) -> list[_Figure]:
    figures = []
    for row in frame.astype(object).to_dict("records"):
        if row.get("measure", MEASURE) != MEASURE:
            continue
        text = {
            c: None if _blank(row.get(c)) else str(row.get(c))
            for c in ("direction", "country", "country_group", "purpose")
        }
        iso3 = to_iso3(text["country"]) if text["country"] else None
        value, value_precision = _number(row, "value")
        share, share_precision = _number(row, "share", percent=True)
        rank = None if _blank(row.get("rank")) else int(float(row["rank"]))
        key = (text["direction"], iso3, None if iso3 else text["country_group"], text["purpose"])
        if text["country"] and iso3 is None:
            key = (text["direction"], f"unmapped:{text['country']}", None, text["purpose"])
        figures.append(
            _Figure(
                str(row["obs_id"]),
                str(row["period"]),
                key,
                value,
                value_precision,
                share,
                share_precision,
                rank,
                None if _blank(row.get("part_of")) else str(row["part_of"]),
                text["country_group"],
            )
        )
    return figures


def reconcile(aggregates: pd.DataFrame, published_rows: pd.DataFrame) -> list[Difference]:
    """Differences between the record aggregates and the published border_crossings extract of the same
    quarter: published counts (totals, labour purpose, groups, countries) must equal the records within
    the published precision (counts: exactly), published shares must be the records' ratio within their
    rounding, and published ranks must follow the records' counts. Rows for other periods are ignored.

    Both frames may be text cells (as delivered) or typed staged rows (staging.extract_rows)."""
    from mtm_pipeline.countries import UnmappedCountryError, country_mapper

    mapper = country_mapper()

    def to_iso3(name: str) -> str | None:
        try:
            return mapper.to_iso3(name)
        except UnmappedCountryError:
            return None

    agg = _figures(aggregates, to_iso3)
    if not agg:
        return []
    quarter = agg[0].period
    counts: dict[tuple, float] = {}
    for f in agg:
        if f.value is not None and f.period == quarter:
            counts[f.key] = counts.get(f.key, 0.0) + f.value
    published = [f for f in _figures(published_rows, to_iso3) if f.period == quarter]
    by_id = {f.obs_id: f for f in published}
    differences: list[Difference] = []

    def label(key: tuple) -> str:
        direction, iso3, group, purpose = key
        what = {"in": "arrivals", "out": "departures"}.get(direction, f"direction {direction}")
        who = iso3 if iso3 else (group or "all countries")
        return f"{what}, {who}" + (f", purpose {purpose}" if purpose else "")

    for f in published:
        records = counts.get(f.key, 0.0)
        if f.value is not None:
            half = (f.value_precision or 0.0) / 2 if (f.value_precision or 0.0) > 1 else 0.0
            if abs(records - f.value) > half + 1e-9:
                differences.append(
                    Difference(
                        f.obs_id,
                        label(f.key),
                        f"{f.value:,.0f}" + (f" (+/- {half:,.0f})" if half else ""),
                        f"{records:,.0f}",
                        f"{f.obs_id}: published {f.value:,.0f} for {label(f.key)}, the records count {records:,.0f}.",
                    )
                )
        if f.share is not None and f.part_of in by_id:
            whole = counts.get(by_id[f.part_of].key, 0.0)
            half = (f.share_precision or 0.1) / 2
            ratio = 100.0 * records / whole if whole else None
            if ratio is None or abs(ratio - f.share) > half + 1e-9:
                shown = "no records" if ratio is None else f"{ratio:.2f} per cent"
                differences.append(
                    Difference(
                        f.obs_id,
                        f"share of {label(f.key)} in {f.part_of}",
                        f"{f.share:g} per cent (+/- {half:g})",
                        shown,
                        f"{f.obs_id}: published share {f.share:g} per cent of {f.part_of}, the records give {shown} "
                        f"({records:,.0f} of {whole:,.0f}).",
                    )
                )
        if f.rank is not None and f.key[1] is not None:
            direction, iso3, _, purpose = f.key
            scope = {
                k[1]: n
                for k, n in counts.items()
                if k[0] == direction
                and k[1] is not None
                and k[3] == purpose
                and (f.country_group is None or _group_of(agg, k) == f.country_group)
            }
            mine = scope.get(iso3, 0.0)
            better = sum(1 for n in scope.values() if n > mine)
            ties = sum(1 for n in scope.values() if n == mine)
            if not better + 1 <= f.rank <= better + max(ties, 1):
                differences.append(
                    Difference(
                        f.obs_id,
                        f"rank of {label(f.key)}" + (f" among {f.country_group}" if f.country_group else ""),
                        str(f.rank),
                        str(better + 1),
                        f"{f.obs_id}: published rank {f.rank}, the records rank it {better + 1} ({mine:,.0f} crossings).",
                    )
                )
    return differences


def _group_of(agg: list[_Figure], key: tuple) -> str | None:
    for f in agg:
        if f.key == key:
            return f.country_group
    return None
