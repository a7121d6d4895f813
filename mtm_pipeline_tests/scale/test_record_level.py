"""Record-level crossings at scale: DuckDB validation and aggregation against an independent count."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import duckdb
import pytest

from mtm_pipeline.countries import country_mapper
from mtm_pipeline.periods import parse_quarter_key
from mtm_pipeline.record_level import RecordsError, aggregate_records, reconcile, validate_records
from mtm_pipeline.sources.reader import read_extract
from mtm_pipeline.synthetic import NAMES, History
from mtm_pipeline_tests.scale.conftest import RECORD_ROWS, RECORDS_QUARTER, SEED


@pytest.fixture(scope="module")
def records(history_dir: Path) -> Path:
    return history_dir / "raw" / RECORDS_QUARTER / "border_crossing_records.parquet"


@pytest.fixture(scope="module")
def aggregates(records: Path):
    con = duckdb.connect()
    try:
        assert validate_records(con, records) == []
        return aggregate_records(con, records)
    finally:
        con.close()


def _direct_counts(path: Path) -> tuple[Counter, Counter]:
    """(direction, citizenship) and (direction, citizenship) with labour purpose, counted in Python from the
    rows fetched in chunks: an independent computation of what aggregate_records does in SQL."""
    everything, labour = Counter(), Counter()
    con = duckdb.connect()
    try:
        cursor = con.execute("SELECT direction, citizenship, purpose FROM read_parquet(?)", [str(path)])
        while chunk := cursor.fetchmany(50_000):
            for direction, citizenship, purpose in chunk:
                everything[(direction, citizenship)] += 1
                if purpose == "labour":
                    labour[(direction, citizenship)] += 1
    finally:
        con.close()
    return everything, labour


def _value(aggregates, **cells) -> int:
    rows = aggregates
    for column in ("direction", "country", "country_group", "purpose"):
        rows = rows[rows[column] == cells.get(column, "")]
    assert len(rows) == 1, cells
    return int(rows["value"].iloc[0])


def test_aggregates_equal_a_direct_count(records, aggregates):
    everything, labour = _direct_counts(records)
    assert sum(everything.values()) == RECORD_ROWS
    end = parse_quarter_key(RECORDS_QUARTER).end
    mapper = country_mapper()
    for direction in ("in", "out"):
        mine = {c: n for (d, c), n in everything.items() if d == direction}
        assert _value(aggregates, direction=direction) == sum(mine.values())
        assert _value(aggregates, direction=direction, purpose="labour") == sum(
            n for (d, _), n in labour.items() if d == direction
        )
        groups = Counter()
        for citizenship, n in mine.items():
            group = "CIS" if mapper.is_cis(mapper.to_iso3(citizenship), end) else "non-CIS"
            groups[group] += n
            row = aggregates[(aggregates["direction"] == direction) & (aggregates["country"] == citizenship)]
            assert len(row) == 1 and int(row["value"].iloc[0]) == n, citizenship
            assert row["country_group"].iloc[0] == group
            assert float(row["share"].iloc[0]) == pytest.approx(
                100
                * n
                / sum(
                    m
                    for c, m in mine.items()
                    if ("CIS" if mapper.is_cis(mapper.to_iso3(c), end) else "non-CIS") == group
                ),
                abs=0.05,
            )
        for group, n in groups.items():
            assert _value(aggregates, direction=direction, country_group=group) == n
    # one row per direction x citizenship, plus per direction the total, labour, CIS and non-CIS
    assert len(aggregates) == len(everything) + 2 * 4


def test_aggregates_equal_the_generator_truth(aggregates):
    truth = History(SEED, {RECORDS_QUARTER: RECORD_ROWS}).crossings(RECORDS_QUARTER)
    for direction in ("in", "out"):
        assert _value(aggregates, direction=direction) == truth.total(direction)
        assert _value(aggregates, direction=direction, purpose="labour") == truth.labour(direction)
        for iso3, n in truth.by_country(direction).items():
            row = aggregates[(aggregates["direction"] == direction) & (aggregates["country"] == NAMES[iso3])]
            assert int(row["value"].iloc[0]) == n, iso3
    # Ukraine left the CIS in May 2018: non-CIS at the end of 2018-Q2
    assert set(aggregates.loc[aggregates["country"] == "Ukraine", "country_group"]) == {"non-CIS"}


def test_records_reconcile_with_the_published_extract(history_dir, aggregates):
    published = read_extract(history_dir / "raw" / RECORDS_QUARTER / "border_crossings.csv").frame
    assert reconcile(aggregates, published) == []
    # a published total one crossing off, and a country share 1 point off, are both found
    tampered = published.copy()
    total = tampered["obs_id"] == f"arr_{RECORDS_QUARTER.lower().replace('-', '')}_total"
    tampered.loc[total, "value"] = str(int(tampered.loc[total, "value"].iloc[0]) + 1)
    share = tampered.index[tampered["country"] == "Uzbekistan"][0]
    tampered.loc[share, "share"] = f"{float(tampered.loc[share, 'share']) + 1:.1f}"
    differences = reconcile(aggregates, tampered)
    assert {d.obs_id for d in differences} == {
        tampered.loc[total, "obs_id"].iloc[0],
        tampered.loc[share, "obs_id"],
    }


def _write_bad_copy(records: Path, folder: Path, fmt: str) -> Path:
    """The first 2,000 records with known faults at known record numbers."""
    folder.mkdir(parents=True)
    target = folder / f"border_crossing_records.{fmt}"
    con = duckdb.connect()
    try:
        con.execute(
            f"""
            COPY (
                SELECT CASE WHEN n = 10 THEN DATE '2001-01-01' ELSE crossing_date END AS crossing_date,
                       CASE WHEN n IN (20, 21) THEN 'arrival' ELSE direction END AS direction,
                       CASE WHEN n = 30 THEN 'Atlantis' WHEN n = 31 THEN ' ' ELSE citizenship """
            f"""END AS citizenship,
                       CASE WHEN n = 40 THEN 'study' ELSE purpose END AS purpose,
                       CASE WHEN n = 50 THEN '' ELSE checkpoint END AS checkpoint
                FROM (SELECT *, row_number() OVER () AS n FROM read_parquet('{records}') LIMIT 2000)
                ORDER BY n
            ) TO '{target}' ({"FORMAT parquet" if fmt == "parquet" else "FORMAT csv, HEADER true"})
            """
        )
    finally:
        con.close()
    return target


@pytest.mark.parametrize("fmt, offset, label", [("parquet", 0, "record"), ("csv", 1, "line")])
def test_row_rules_count_and_locate_failures(records, tmp_path, fmt, offset, label):
    path = _write_bad_copy(records, tmp_path / RECORDS_QUARTER, fmt)
    con = duckdb.connect()
    try:
        problems = {(p.column, p.rule): p for p in validate_records(con, path)}
        expected = {
            ("crossing_date", "inside the delivery quarter"): ("ERROR", 1, (10,)),
            ("direction", "'in' or 'out'"): ("ERROR", 2, (20, 21)),
            ("citizenship", "a country name known to the reference data"): ("ERROR", 1, (30,)),
            ("citizenship", "not empty"): ("ERROR", 1, (31,)),
            ("purpose", "one of labour, tourism, private, business, transit, other"): ("ERROR", 1, (40,)),
            ("checkpoint", "not empty"): ("WARN", 1, (50,)),
        }
        assert set(problems) == set(expected)
        for key, (severity, count, rows) in expected.items():
            problem = problems[key]
            assert (problem.severity, problem.count, problem.examples) == (
                severity,
                count,
                tuple(r + offset for r in rows),
            )
            assert problem.row_label == label
        with pytest.raises(
            RecordsError, match=r"2 line\(s\), e\.g\. line 21, 22|2 record\(s\), e\.g\. record 20, 21"
        ):
            aggregate_records(con, path)
    finally:
        con.close()


def test_missing_column_is_reported(records, tmp_path):
    folder = tmp_path / RECORDS_QUARTER
    folder.mkdir()
    path = folder / "border_crossing_records.parquet"
    with duckdb.connect() as con:
        con.execute(
            f"COPY (SELECT * EXCLUDE (purpose) FROM read_parquet('{records}') LIMIT 10) "
            f"TO '{path}' (FORMAT parquet)"
        )
        problems = validate_records(con, path)
    assert [(p.severity, p.rule, p.detail) for p in problems] == [
        ("ERROR", "required column(s) missing", "purpose")
    ]


def test_csv_cells_that_are_not_dates(records, tmp_path):
    folder = tmp_path / RECORDS_QUARTER
    folder.mkdir()
    path = folder / "border_crossing_records.csv"
    with duckdb.connect() as con:
        con.execute(
            f"COPY (SELECT * FROM read_parquet('{records}') LIMIT 100) TO '{path}' (FORMAT csv, HEADER true)"
        )
    lines = path.read_text().split("\n")
    lines[5] = "2018-02-30" + lines[5][10:]  # line 6: no such day
    lines[7] = lines[7][10:]  # line 8: empty
    path.write_text("\n".join(lines))
    with duckdb.connect() as con:
        problems = {p.rule: (p.count, p.examples) for p in validate_records(con, path)}
    assert problems == {"a date (YYYY-MM-DD)": (1, (6,)), "present": (1, (8,))}


def test_a_file_without_records_is_refused(records, tmp_path):
    folder = tmp_path / RECORDS_QUARTER
    folder.mkdir()
    path = folder / "border_crossing_records.parquet"
    with duckdb.connect() as con:
        con.execute(f"COPY (SELECT * FROM read_parquet('{records}') LIMIT 0) TO '{path}' (FORMAT parquet)")
        assert [p.severity for p in validate_records(con, path)] == ["ERROR"]
        with pytest.raises(RecordsError, match="at least one record"):
            aggregate_records(con, path)
