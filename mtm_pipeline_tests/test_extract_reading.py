"""Reading and validating extracts at the boundary: CSV and XLSX alike, errors by file, row and column."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from mtm_pipeline.ingest import discover_quarters, read_validated_extract
from mtm_pipeline.settings import DataPaths
from mtm_pipeline.sources import SOURCES
from mtm_pipeline.sources.contract import COLUMNS
from mtm_pipeline.sources.errors import ExtractError

BORDER = SOURCES["border_crossings"]


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _write(path: Path, rows: list[dict[str, str]], columns=COLUMNS) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(columns), extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)


def test_every_delivered_extract_is_valid(data_dir):
    paths = DataPaths(data_dir)
    quarters, malformed = discover_quarters(paths)
    assert quarters == ["2024-Q1", "2024-Q2"] and malformed == []
    for quarter in quarters:
        for spec in SOURCES.values():
            extract = read_validated_extract(paths, quarter, spec)
            assert extract is not None, f"{quarter}/{spec.key} missing"
            assert len(extract.rows) > 0
            assert extract.rows["file_sha256"].str.len().eq(64).all()


def test_xlsx_reads_like_csv(data_dir):
    import openpyxl

    quarter_dir = data_dir / "raw" / "2024-Q1"
    csv_path = quarter_dir / "border_crossings.csv"
    rows = _rows(csv_path)
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(list(COLUMNS))
    for row in rows:
        sheet.append([row[c] for c in COLUMNS])
    from_csv = read_validated_extract(DataPaths(data_dir), "2024-Q1", BORDER).rows
    csv_path.unlink()
    workbook.save(quarter_dir / "border_crossings.xlsx")
    from_xlsx = read_validated_extract(DataPaths(data_dir), "2024-Q1", BORDER).rows
    ignore = ["file_name", "file_sha256", "loaded_at"]
    assert from_xlsx.drop(columns=ignore).equals(from_csv.drop(columns=ignore))


def test_reordered_columns_load_by_name(data_dir):
    path = data_dir / "raw" / "2024-Q1" / "border_crossings.csv"
    rows = _rows(path)
    original = read_validated_extract(DataPaths(data_dir), "2024-Q1", BORDER).rows
    _write(path, rows, columns=list(reversed(COLUMNS)))
    reordered = read_validated_extract(DataPaths(data_dir), "2024-Q1", BORDER).rows
    ignore = ["file_sha256", "loaded_at"]
    assert reordered.drop(columns=ignore).equals(original.drop(columns=ignore))


def test_all_schema_failures_are_reported_at_once_with_row_and_column(data_dir):
    path = data_dir / "raw" / "2024-Q1" / "border_crossings.csv"
    rows = _rows(path)
    rows[0]["value"] = "-5"  # file row 2
    rows[2]["share"] = "120"  # file row 4
    rows[3]["period"] = "2024-Q5"  # file row 5
    _write(path, rows)
    with pytest.raises(ExtractError) as caught:
        read_validated_extract(DataPaths(data_dir), "2024-Q1", BORDER)
    message = str(caught.value)
    assert "raw/2024-Q1/border_crossings.csv" in message
    assert "row 2, column 'value'" in message
    assert "row 4, column 'share'" in message
    assert "row 5, column 'period'" in message
    assert len(caught.value.problems) == 3


def test_missing_column_is_named(data_dir):
    path = data_dir / "raw" / "2024-Q1" / "border_crossings.csv"
    _write(path, _rows(path), columns=[c for c in COLUMNS if c != "unit"])
    with pytest.raises(ExtractError, match="missing column.*unit"):
        read_validated_extract(DataPaths(data_dir), "2024-Q1", BORDER)


def test_absent_source_is_not_an_error(data_dir):
    (data_dir / "raw" / "2024-Q2" / "remittances.csv").unlink()
    assert read_validated_extract(DataPaths(data_dir), "2024-Q2", SOURCES["remittances"]) is None


def test_two_files_for_one_source_are_refused(data_dir):
    quarter_dir = data_dir / "raw" / "2024-Q1"
    (quarter_dir / "emigration.xlsx").write_bytes(b"not really xlsx")
    with pytest.raises(ExtractError, match="two files"):
        read_validated_extract(DataPaths(data_dir), "2024-Q1", SOURCES["emigration"])


def test_frames_not_read_by_the_reader_still_get_their_structure_checked(data_dir):
    """validate_extract checks columns and text cells itself (pandera runs the data checks only)."""
    from mtm_pipeline.sources import SCHEMAS
    from mtm_pipeline.sources.reader import read_extract
    from mtm_pipeline.sources.schema import validate_extract

    frame = read_extract(data_dir / "raw" / "2024-Q1" / "border_crossings.csv").frame
    validate_extract(frame, SCHEMAS["border_crossings"], "ok.csv")
    numeric = frame.copy()
    numeric.loc[numeric.index[1], "value"] = 12.5
    with pytest.raises(ExtractError) as caught:
        validate_extract(numeric, SCHEMAS["border_crossings"], "numeric.csv")
    assert f"row {numeric.index[1]}, column 'value': is not text (found 12.5)" in str(caught.value)
    with pytest.raises(ExtractError, match="missing column.*unit.*\n.*not in the contract: units"):
        validate_extract(frame.rename(columns={"unit": "units"}), SCHEMAS["border_crossings"], "renamed.csv")
