"""Bad extracts: each is read correctly by a documented normalisation, or refused with an error naming the
file, row and column and saying what to fix; either way the warehouse is left as it should be.

Every case starts from a warehouse with 2024-Q1 materialised (one load per module, copied per case),
takes table checksums, drops the bad input into a copy of raw/, re-materialises the quarter (for
normalised cases the extracts and the delivered stage, except the FULL_QUARTER ones) and compares:

- refused: every table except staging.extract_rows and quality.check_results has the same checksum
  (all columns, nothing excluded); quality.check_results only gained the failure record naming the
  file; staging.extract_rows is unchanged for the refused source (all columns) and, for the others,
  unchanged but for their re-staging time (loaded_at). A file refused at conformance (unknown
  country) is staged but never published.
- normalised: the published values are those of the original file: published.observations,
  published.deliveries, quality.check_results and staging.extract_rows are equal excluding load
  timestamps and the file's SHA-256 (and the columns that carry the text as delivered, e.g. `country`
  for names in Russian), and history.revisions shows no revision.

The corpus is bad_extracts/<case>/ (regenerate with make_corpus.py); binary cases are built here.
Set MTM_ROBUSTNESS_LOG=<file> to append one JSON line per case (used for docs/reliability.md).
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg
import duckdb
import openpyxl
import pytest

from mtm_pipeline.conform import conform
from mtm_pipeline.countries import country_mapper
from mtm_pipeline.ingest import discover_quarters, read_validated_extract
from mtm_pipeline.resources import WarehouseResource
from mtm_pipeline.settings import DataPaths
from mtm_pipeline.sources import SOURCES
from mtm_pipeline.sources.contract import COLUMNS
from mtm_pipeline.sources.errors import ExtractError
from mtm_pipeline_tests.conftest import RAW
from mtm_pipeline_tests.robustness.helpers import (
    DELIVERED_ASSETS,
    PYTHON,
    TIMESTAMPS,
    checksums,
    materialise,
    new_data_dir,
    rows_of,
    step_failures,
)

CORPUS = Path(__file__).resolve().parent / "bad_extracts"
Q1 = "2024-Q1"
STAGING = "staging.extract_rows"
CHECKS = "quality.check_results"


@dataclass(frozen=True)
class Case:
    id: str
    outcome: str  # "refused" | "normalised" | "loaded" | "idempotent"
    source: str | None  # the source whose file is bad (None: the whole quarter)
    problems: tuple = ()  # (row, column) pairs the ExtractError must name
    message: tuple = ()  # fragments the error (and the step failure) must contain
    at: str = "extract"  # where a refusal happens: "extract" (read/schema) or "conformance"
    partition: str = Q1
    differs: tuple = ()  # columns holding the text as delivered, allowed to differ when normalised
    setup: Callable[[Path, Path], None] | None = None  # (quarter folder, tmp_path); default: copy corpus
    expect: Callable[[duckdb.DuckDBPyConnection], None] | None = None  # extra checks on the warehouse
    remove: tuple = field(default=())  # files of raw/2024-Q1 removed before the corpus files are copied


# --- binary and file-system cases --------------------------------------------------------------------


def _csv_rows(name: str) -> list[dict[str, str]]:
    import csv

    with (RAW / Q1 / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _workbook(name: str, numeric: bool = False) -> openpyxl.Workbook:
    """The Q1 CSV as a workbook (text cells, or numbers as numeric cells with their display format)."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(list(COLUMNS))
    for row in _csv_rows(name):
        sheet.append([row[c] for c in COLUMNS])
    if numeric:
        value, share = COLUMNS.index("value") + 1, COLUMNS.index("share") + 1
        for cells in sheet.iter_rows(min_row=2):
            for cell in (cells[value - 1], cells[share - 1]):
                text = cell.value
                if not text:
                    continue
                decimals = len(text.split(".")[1]) if "." in text else 0
                if cell.column == share:  # a per cent cell: 34 is stored as 0.34 and shown as 34%
                    cell.value = float(text) / 100
                    cell.number_format = "0" + ("." + "0" * decimals if decimals else "") + "%"
                else:
                    cell.value = float(text) if decimals else int(text)
                    cell.number_format = "0." + "0" * decimals if decimals else "0"
    return workbook


def _save(workbook: openpyxl.Workbook, path: Path) -> None:
    workbook.save(path)


def _rewrite_part(path: Path, part: str, change: Callable[[str], str]) -> None:
    """Rewrite one XML part of an .xlsx package (to write what openpyxl cannot: cached formula values)."""
    source = zipfile.ZipFile(io.BytesIO(path.read_bytes()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name in source.namelist():
            data = source.read(name)
            target.writestr(name, change(data.decode("utf-8")).encode("utf-8") if name == part else data)
    path.write_bytes(out.getvalue())


SHEET = "xl/worksheets/sheet1.xml"


def xlsx_numeric_cells(folder: Path, _: Path) -> None:
    (folder / "labour_migration.csv").unlink()
    _save(_workbook("labour_migration.csv", numeric=True), folder / "labour_migration.xlsx")


def xlsx_formula_with_saved_result(folder: Path, _: Path) -> None:
    (folder / "labour_migration.csv").unlink()
    path = folder / "labour_migration.xlsx"
    _save(_workbook("labour_migration.csv", numeric=True), path)
    # value of fw_2024q1_total (L2) as a formula whose result Excel saved
    _rewrite_part(
        path,
        SHEET,
        lambda xml: re.sub(
            r'<c r="L2"([^>]*)><v>12882</v></c>', r'<c r="L2"\1><f>12000+882</f><v>12882</v></c>', xml
        ),
    )


def xlsx_merged_header(folder: Path, _: Path) -> None:
    (folder / "labour_migration.csv").unlink()
    workbook = _workbook("labour_migration.csv")
    workbook.active.merge_cells("L1:M1")  # 'value' and 'unit' under one merged header cell
    _save(workbook, folder / "labour_migration.xlsx")


def xlsx_formula_without_result(folder: Path, _: Path) -> None:
    (folder / "labour_migration.csv").unlink()
    workbook = _workbook("labour_migration.csv", numeric=True)
    workbook.active["L2"] = "=SUM(L3:L8)"  # openpyxl saves formulas without a result, like many exporters
    workbook.active["N10"] = "=L10/L2*100"
    _save(workbook, folder / "labour_migration.xlsx")


def xlsx_error_cell(folder: Path, _: Path) -> None:
    (folder / "labour_migration.csv").unlink()
    path = folder / "labour_migration.xlsx"
    _save(_workbook("labour_migration.csv", numeric=True), path)
    _rewrite_part(
        path,
        SHEET,
        lambda xml: re.sub(
            r'<c r="N10"([^>]*)><v>[^<]*</v></c>', r'<c r="N10" t="e"><f>L10/0</f><v>#DIV/0!</v></c>', xml
        ),
    )


def xlsx_two_sheets(folder: Path, _: Path) -> None:
    (folder / "labour_migration.csv").unlink()
    workbook = _workbook("labour_migration.csv")
    extra = workbook.create_sheet("more rows")
    extra.append(list(COLUMNS))
    extra.append(["fw_2024q1_extra", "foreign_workers"])
    _save(workbook, folder / "labour_migration.xlsx")


def xlsx_old_xls(folder: Path, _: Path) -> None:
    (folder / "labour_migration.csv").unlink()
    (folder / "labour_migration.xlsx").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 4096)


def _bomb_xml(levels: int = 10) -> str:
    entities = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{i} "{("&lol;" if i == 1 else f"&lol{i - 1};") * 10}">' for i in range(1, levels)
    )
    return f'<?xml version="1.0"?>\n<!DOCTYPE lolz [{entities}]>'


def xlsx_xml_bomb(folder: Path, _: Path) -> None:
    """Billion laughs in the sheet: 10^9 'lol's (3 GB) if the entities were expanded."""
    (folder / "labour_migration.csv").unlink()
    path = folder / "labour_migration.xlsx"
    _save(_workbook("labour_migration.csv"), path)
    _rewrite_part(
        path, SHEET, lambda xml: _bomb_xml() + xml.replace("<t>fw_2024q1_total</t>", "<t>&lol9;</t>")
    )


def xlsx_zip_bomb(folder: Path, _: Path) -> None:
    """A sheet that inflates to 150 MB of white space from a file of a few hundred KB."""
    (folder / "labour_migration.csv").unlink()
    path = folder / "labour_migration.xlsx"
    _save(_workbook("labour_migration.csv"), path)
    source = zipfile.ZipFile(io.BytesIO(path.read_bytes()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target:
        for name in source.namelist():
            if name != SHEET:
                target.writestr(name, source.read(name))
                continue
            with target.open(name, "w", force_zip64=True) as handle:
                handle.write(source.read(name).replace(b"</sheetData>", b"", 1)[: -len(b"</worksheet>")])
                chunk = b" " * (1 << 20)
                for _ in range(150):
                    handle.write(chunk)
                handle.write(b"</sheetData></worksheet>")
    path.write_bytes(out.getvalue())


def two_files_one_source(folder: Path, _: Path) -> None:
    _save(_workbook("emigration.csv"), folder / "emigration.xlsx")


def symlink_out_of_raw(folder: Path, tmp: Path) -> None:
    outside = tmp / "outside"
    outside.mkdir()
    (outside / "emigration.csv").write_text(
        (folder / "emigration.csv").read_text(encoding="utf-8").replace("11720", "99999"), encoding="utf-8"
    )
    (folder / "emigration.csv").unlink()
    (folder / "emigration.csv").symlink_to(outside / "emigration.csv")


def symlinked_quarter_folder(folder: Path, tmp: Path) -> None:
    outside = tmp / "outside" / Q1
    shutil.copytree(folder, outside)
    shutil.rmtree(folder)
    folder.symlink_to(outside, target_is_directory=True)


def malformed_quarter_folder(folder: Path, _: Path) -> None:
    shutil.copytree(folder.parent / "2024-Q2", folder.parent / "2024Q3")


def nothing(folder: Path, _: Path) -> None:
    """The same files again (a re-delivery, or a sensor that fires twice)."""


# --- expectations on the warehouse after a normalised read ---------------------------------------------


def _value(con, obs_id: str, column: str = "value", stage: str = "delivered"):
    row = con.execute(
        f"SELECT {column}, {column}_precision FROM published.observations "
        "WHERE delivery_quarter = ? AND stage = ? AND obs_id = ?",
        [Q1, stage, obs_id],
    ).fetchone()
    return tuple(float(v) for v in row)


def arrivals_exact(con) -> None:
    assert _value(con, "arr_2024q1_total") == (2975788.0, 1.0)
    assert _value(con, "arr_2023q1_total") == (2700000.0, 100000.0)


def remittances_with_precision(con) -> None:
    assert _value(con, "rem_out_2023_total") == (883_500_000.0, 100_000.0)  # "883,5 million"
    assert _value(con, "rem_out_2022_total") == (1_080_000_000.0, 10_000_000.0)  # "1,08 billion"
    assert _value(con, "rem_out_2023_total_abs_change", "change") == (-201_500_000.0, 100_000.0)
    assert _value(con, "rem_out_2023_total", "change") == (-18.6, 0.1)


def shares_and_changes(con) -> None:
    assert _value(con, "arr_2024q1_cis", "share") == (58.2, 0.1)
    assert _value(con, "arr_2024q1_total", "change") == (-12.6, 0.1)


def permits_exact(con) -> None:
    assert _value(con, "trp_2024q1_total") == (104821.0, 1.0)
    assert _value(con, "trp_issued_2023_uzb") == (212445.0, 1.0)


def labour_from_numeric_cells(con) -> None:
    assert _value(con, "fw_2024q1_total") == (12882.0, 1.0)
    assert _value(con, "quota_2024_share_lf") == (0.23, 0.01)  # "0.00" format keeps the published digits
    assert _value(con, "fw_2024q1_chn", "share") == (31.4, 0.1)  # 0.314 shown as "0.0%"


def _countries(con, source: str) -> list:
    return con.execute(
        "SELECT obs_id, country_iso3, country_name FROM published.observations WHERE delivery_quarter = ? "
        "AND stage = 'corrected' AND source = ? AND country IS NOT NULL ORDER BY obs_id",
        [Q1, source],
    ).fetchall()


def civ_loaded(con) -> None:
    row = con.execute(
        "SELECT country, country_iso3, country_name FROM published.observations "
        "WHERE delivery_quarter = ? AND stage = 'corrected' AND obs_id = 'emi_2023_isr'",
        [Q1],
    ).fetchone()
    assert row[0] == "Côte d'Ivoire" and row[1] == "CIV", row


def separator_kept(con) -> None:
    text = con.execute(
        "SELECT published_text FROM published.observations "
        "WHERE delivery_quarter = ? AND stage = 'delivered' AND obs_id = 'arr_2024q1_total'",
        [Q1],
    ).fetchone()[0]
    assert text == "a total of 2,975,788\u2028migrant arrivals"


# Normalised cases re-materialise the extracts and the delivered stage; these also run the corrected
# stage (with its checks and the Great Expectations suite). Refused cases always run the whole quarter.
FULL_QUARTER = {
    "decimal_comma",
    "russian_country_names",
    "xlsx_numeric_cells",
    "same_file_twice",
    "apostrophe_country",
}
HEADER_FIX = "The header must name exactly these columns"
ROWS_FIX = "Give every row one cell per header column"
NAME_FIX = "Keep exactly one file per source and quarter"
XLSX_FIX = "Export the sheet again"

CASES = [
    # columns
    Case(
        "missing_column", "refused", "border_crossings", ((1, None),), ("missing column(s): unit", HEADER_FIX)
    ),
    Case("extra_column", "refused", "emigration", ((1, None),), ("unknown column(s): 'comment'", HEADER_FIX)),
    Case(
        "renamed_column",
        "refused",
        "labour_migration",
        ((1, None),),
        ("missing column(s): value", "'Value' (is it 'value'?)", HEADER_FIX),
    ),
    Case("reordered_columns", "normalised", "residence_permits", expect=permits_exact),
    # wrong types (pandera, lazy: every failure by row and column)
    Case("wrong_type_value", "refused", "border_crossings", ((6, "value"),), ("found 'n/a'",)),
    Case("wrong_type_rank", "refused", "emigration", ((3, "rank"),), ("found 'second'",)),
    Case(
        "wrong_type_date", "refused", "labour_migration", ((9, "publication_date"),), ("found 'March 2024'",)
    ),
    Case(
        "publication_date_month_13",
        "refused",
        "emigration",
        ((3, "publication_date"),),
        ("found '2024-13'", "that exists (month 01-12, day in the month)"),
    ),
    # empty
    Case(
        "header_only",
        "refused",
        "remittances",
        ((None, None),),
        ("a header but no observations", "leave the file out"),
    ),
    Case(
        "empty_file",
        "refused",
        "remittances",
        ((1, None),),
        ("the file is empty", "an empty file is not a substitute"),
    ),
    # impossible figures
    Case("negative_count", "refused", "emigration", ((3, "value"),), ("found '-2283'",)),
    Case("share_above_100", "refused", "border_crossings", ((8, "share"),), ("found '164'",)),
    Case("period_2024_q5", "refused", "residence_permits", ((2, "period"),), ("found '2024-Q5'",)),
    Case(
        "too_many_decimals", "refused", "border_crossings", ((7, "share"),), ("4 decimal places", "keeps 3")
    ),
    Case("too_many_digits", "refused", "border_crossings", ((4, "value"),), ("found '34051020000000001'",)),
    Case("bad_group_spaces", "refused", "border_crossings", ((2, "value"),), ("found '29 75 788'",)),
    # numbers as agencies write them
    Case("thousands_space", "normalised", "border_crossings", expect=arrivals_exact),
    Case("thousands_nbsp", "normalised", "border_crossings", expect=arrivals_exact),
    Case("thousands_narrow_nbsp", "normalised", "residence_permits", expect=permits_exact),
    Case("thousands_commas", "normalised", "border_crossings", expect=arrivals_exact),
    Case("decimal_comma", "normalised", "remittances", expect=remittances_with_precision),
    Case("russian_scale_words", "normalised", "remittances", expect=remittances_with_precision),
    Case("percent_signs", "normalised", "border_crossings", expect=shares_and_changes),
    # duplicates and re-deliveries
    Case(
        "duplicate_row", "refused", "emigration", ((5, "obs_id"), (14, "obs_id")), ("found 'emi_2023_pol'",)
    ),
    Case(
        "duplicate_observation",
        "refused",
        "emigration",
        ((5, "obs_id"), (14, "obs_id")),
        ("emi_2023_pol_again",),
    ),
    Case("same_file_twice", "idempotent", None, setup=nothing),
    Case(
        "two_files_one_source",
        "refused",
        "emigration",
        ((None, None),),
        ("two files for source 'emigration'", "emigration.csv, emigration.xlsx", NAME_FIX),
        setup=two_files_one_source,
    ),
    Case(
        "misnamed_file",
        "refused",
        "border_crossings",
        ((None, None),),
        ("Border_Crossings.CSV looks like the 'border_crossings' extract", NAME_FIX),
        remove=("border_crossings.csv",),
    ),
    Case(
        "backup_copy_in_folder",
        "refused",
        "border_crossings",
        ((None, None),),
        ("border_crossings.csv.bak looks like", NAME_FIX),
    ),
    # country names
    Case("russian_country_names", "normalised", "residence_permits", differs=("country",)),
    Case("kazakh_country_names", "normalised", "residence_permits", differs=("country",)),
    Case("lookalike_letters", "normalised", "border_crossings", differs=("country",)),
    Case(
        "unknown_country",
        "refused",
        "emigration",
        ((4, "country"),),
        ("'Atlantis'", "add a reviewed alias"),
        at="conformance",
    ),
    Case("apostrophe_country", "loaded", "emigration", expect=civ_loaded),
    # encodings and CSV structure
    Case(
        "cp1251_encoding",
        "refused",
        "residence_permits",
        ((6, "country"), (27, "country")),
        ("not UTF-8", "'Узбекистан'", "Save the file as CSV UTF-8"),
    ),
    Case(
        "utf16_encoding", "refused", "emigration", ((None, None),), ("UTF-16", "Save the file as CSV UTF-8")
    ),
    Case("utf8_bom", "normalised", "border_crossings", expect=arrivals_exact),
    Case("crlf_line_endings", "normalised", "labour_migration"),
    Case(
        "line_separator_in_cell",
        "normalised",
        "border_crossings",
        differs=("published_text",),
        expect=separator_kept,
    ),
    Case("unclosed_quote", "refused", "emigration", ((5, None),), ("not valid CSV", "never closed")),
    Case("quote_swallows_rows", "refused", "emigration", ((4, None),), ("not valid CSV", "never closed")),
    Case(
        "short_row",
        "refused",
        "labour_migration",
        ((3, "unit"),),
        ("the row ends before column 'unit'", ROWS_FIX),
    ),
    Case(
        "long_row", "refused", "labour_migration", ((6, None),), ("27 cells but the header has 26", ROWS_FIX)
    ),
    # workbooks
    Case(
        "xlsx_numeric_cells",
        "normalised",
        "labour_migration",
        differs=("file_name",),
        setup=xlsx_numeric_cells,
        expect=labour_from_numeric_cells,
    ),
    Case(
        "xlsx_formula_with_saved_result",
        "normalised",
        "labour_migration",
        differs=("file_name",),
        setup=xlsx_formula_with_saved_result,
        expect=labour_from_numeric_cells,
    ),
    Case(
        "xlsx_merged_header",
        "refused",
        "labour_migration",
        ((None, None),),
        ("merged cells L1:M1", "Unmerge"),
        setup=xlsx_merged_header,
    ),
    Case(
        "xlsx_formula_without_result",
        "refused",
        "labour_migration",
        ((2, "value"), (10, "share")),
        ("cell L2: formula =SUM(L3:L8) has no saved result", "cell N10", "recalculate"),
        setup=xlsx_formula_without_result,
    ),
    Case(
        "xlsx_error_cell",
        "refused",
        "labour_migration",
        ((10, "share"),),
        ("cell N10: the cell holds the error #DIV/0!",),
        setup=xlsx_error_cell,
    ),
    Case(
        "xlsx_two_sheets",
        "refused",
        "labour_migration",
        ((None, None),),
        ("2 sheets with data", "single sheet"),
        setup=xlsx_two_sheets,
    ),
    Case(
        "not_really_xlsx",
        "refused",
        "labour_migration",
        ((None, None),),
        ("not a zip package", XLSX_FIX),
        remove=("labour_migration.csv",),
    ),
    Case(
        "xlsx_old_xls",
        "refused",
        "labour_migration",
        ((None, None),),
        ("an old .xls workbook", XLSX_FIX),
        setup=xlsx_old_xls,
    ),
    Case(
        "xlsx_xml_bomb",
        "refused",
        "labour_migration",
        ((None, None),),
        ("declares entities", "billion laughs"),
        setup=xlsx_xml_bomb,
    ),
    Case(
        "xlsx_zip_bomb",
        "refused",
        "labour_migration",
        ((None, None),),
        ("inflates to", "refused without reading"),
        setup=xlsx_zip_bomb,
    ),
    # paths and quarter keys
    Case(
        "symlink_out_of_raw",
        "refused",
        "emigration",
        (),
        ("resolves outside the data directory",),
        setup=symlink_out_of_raw,
    ),
    Case(
        "symlinked_quarter_folder",
        "refused",
        None,
        (),
        ("resolves outside the data directory",),
        setup=symlinked_quarter_folder,
    ),
    Case(
        "partition_key_dot_dot",
        "refused",
        None,
        (),
        ("'../x' is not a period",),
        partition="../x",
        setup=nothing,
    ),
    Case(
        "quarter_that_does_not_exist",
        "refused",
        None,
        (),
        ("'2024-Q5' is not a period",),
        partition="2024-Q5",
        setup=nothing,
    ),
    Case(
        "malformed_quarter_folder",
        "refused",
        None,
        (),
        ("'2024Q3' is not a period",),
        partition="2024Q3",
        setup=malformed_quarter_folder,
    ),
    Case(
        "missing_quarter_folder",
        "refused",
        None,
        ((None, None),),
        ("the quarter folder does not exist",),
        partition="2024-Q3",
        setup=nothing,
    ),
]


# --- fixtures ----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    """A warehouse with 2024-Q1 (and the reference tables) materialised once for the module."""
    root = tmp_path_factory.mktemp("template")
    data = new_data_dir(root)
    path = root / "mtm.duckdb"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MTM_DATA_DIR", str(data))
        patch.delenv("MTM_ALERT_WEBHOOK_URL", raising=False)
        patch.delenv("MTM_SMTP_HOST", raising=False)
        result = materialise(WarehouseResource(path=str(path)), Q1, reference=True)
    assert result.success, step_failures(result)
    return path


def _apply(case: Case, data: Path, tmp_path: Path) -> None:
    folder = data / "raw" / Q1
    for name in case.remove:
        (folder / name).unlink()
    if case.setup is not None:
        case.setup(folder, tmp_path)
        return
    for path in (CORPUS / case.id).iterdir():
        shutil.copyfile(path, folder / path.name)


def _log(case: Case, outcome: str, detail: str, seconds: float) -> None:
    log = os.environ.get("MTM_ROBUSTNESS_LOG")
    if log:
        with open(log, "a", encoding="utf-8") as handle:
            handle.write(
                json.dumps(
                    {
                        "case": case.id,
                        "expected": case.outcome,
                        "outcome": outcome,
                        "detail": detail,
                        "seconds": round(seconds, 2),
                    }
                )
                + "\n"
            )


def _direct_read(case: Case, data: Path) -> None:
    """Read the bad file the way the extract asset does, to check the structured error."""
    if case.source is None or case.outcome != "refused":
        return
    with pytest.raises((ExtractError, ValueError)) as caught:
        extract = read_validated_extract(DataPaths(data), case.partition, SOURCES[case.source])
        if case.at == "conformance":
            conform(extract.rows, country_mapper())
    error = caught.value
    text = str(error)
    for fragment in case.message:
        assert fragment in text, f"{fragment!r} not in:\n{text}"
    if isinstance(error, ExtractError):
        named = {(p.row, p.column) for p in error.problems}
        for expected in case.problems:
            assert expected in named, f"{expected} not among {sorted(named, key=str)}:\n{text}"
        assert text.splitlines()[-1].strip(), "the error ends with what to do"
        assert case.source in error.file or f"{case.source}." in text, text


def _assert_unchanged_except_failure_records(
    case: Case, before: dict, after: dict, path: Path, before_rows: dict
) -> str:
    for table, checksum in before.items():
        if table in (STAGING, CHECKS):
            continue
        assert after[table] == checksum, f"{table} changed although the input was refused"
    assert set(after) == set(before)
    # quality.check_results: nothing removed; only failure records were added, each naming the problem
    added = rows_of(path, CHECKS) - before_rows[CHECKS]
    removed = before_rows[CHECKS] - rows_of(path, CHECKS)
    assert not removed, removed
    assert added, "the refusal is recorded in quality.check_results"
    for row in (json.loads(r) for r in added.elements()):
        assert row["passed"] is False and row["rule"] in ("extract_contract", "conformance"), row
        assert row["severity"] == "ERROR"
    # staging: the refused source keeps its rows byte for byte; the others only get a new loaded_at
    staged_now = rows_of(path, STAGING, exclude=("loaded_at",))
    if case.at == "conformance":
        others = "source <> ?"
        assert rows_of(path, STAGING, exclude=("loaded_at",), where=others, params=[case.source]) == rows_of(
            before_rows["path"], STAGING, exclude=("loaded_at",), where=others, params=[case.source]
        )
        return "refused at conformance: file staged, not published; published unchanged"
    assert staged_now == before_rows[STAGING], "staging changed beyond re-staging times"
    if case.source is not None:
        where = "source = ?"
        assert rows_of(path, STAGING, where=where, params=[case.source]) == rows_of(
            before_rows["path"], STAGING, where=where, params=[case.source]
        )
    return "refused; warehouse unchanged but for the failure record"


_BEFORE: dict = {}


def _before(template: Path) -> tuple[dict, dict]:
    """Checksums and rows of the module's Q1 warehouse, computed once."""
    if template not in _BEFORE:
        _BEFORE[template] = (
            checksums(template),
            {
                CHECKS: rows_of(template, CHECKS),
                STAGING: rows_of(template, STAGING, exclude=("loaded_at",)),
                "path": template,
            },
        )
    return _BEFORE[template]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_extract(case: Case, template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    started = time.monotonic()
    data = new_data_dir(tmp_path)
    monkeypatch.setenv("MTM_DATA_DIR", str(data))
    monkeypatch.delenv("MTM_ALERT_WEBHOOK_URL", raising=False)
    monkeypatch.delenv("MTM_SMTP_HOST", raising=False)
    path = tmp_path / "mtm.duckdb"
    shutil.copyfile(template, path)
    snapshot = template  # never written after the module's load: the state before the bad input
    before, before_rows = _before(template)
    assert checksums(path) == before
    _apply(case, data, tmp_path)
    _direct_read(case, data)

    assets = DELIVERED_ASSETS if case.outcome == "normalised" and case.id not in FULL_QUARTER else None
    result = materialise(
        WarehouseResource(path=str(path)), case.partition, dg.DagsterInstance.ephemeral(), assets=assets
    )
    if case.outcome == "refused":
        _assert_refused_and_nothing_lost(case, result, path, before, before_rows, started)
    else:
        _assert_loaded_as_the_original(case, result, path, snapshot, started)


def _assert_refused_and_nothing_lost(
    case: Case, result, path: Path, before: dict, before_rows: dict, started: float
) -> None:
    """The run failed naming the case's fragments, file, rows and columns; only failure records were
    added to the warehouse."""
    after = checksums(path)
    assert not result.success
    failure = step_failures(result)
    for fragment in case.message:
        assert fragment in failure, f"{fragment!r} not in the step failure:\n{failure}"
    if case.source:
        assert case.source in failure
    for row, column in case.problems:
        if row is not None:
            assert f"row {row}" in failure
        if column is not None:
            assert f"column {column!r}" in failure
    detail = _assert_unchanged_except_failure_records(case, before, after, path, before_rows)
    first = next((line.strip() for line in failure.splitlines() if line.strip().startswith("- ")), "")
    _log(case, "refused", f"{detail} | {first}", time.monotonic() - started)


def _assert_loaded_as_the_original(case: Case, result, path: Path, snapshot: Path, started: float) -> None:
    """The run succeeded and the warehouse holds what the original files gave (same content for an
    idempotent case; only the changed row differs for a loaded one; no revisions for a normalised one)."""
    assert result.success, step_failures(result)
    if case.outcome == "idempotent":
        assert checksums(path, exclude=TIMESTAMPS) == checksums(snapshot, exclude=TIMESTAMPS)
        _log(case, "idempotent", "same content, excluding load timestamps", time.monotonic() - started)
        return
    ignore = (*TIMESTAMPS, "file_sha256", *case.differs)
    compared = ["published.observations", "published.deliveries", CHECKS, STAGING]
    if case.outcome == "loaded":  # a real content change: only the changed row may differ
        compared = ["published.deliveries"]
        changed = "obs_id <> 'emi_2023_isr'"
        assert rows_of(path, "published.observations", exclude=ignore, where=changed) == rows_of(
            snapshot, "published.observations", exclude=ignore, where=changed
        )
    for table in compared:
        assert rows_of(path, table, exclude=ignore) == rows_of(snapshot, table, exclude=ignore), table
    with duckdb.connect(str(path), read_only=True) as con:
        if case.expect:
            case.expect(con)
        if "country" in case.differs:
            assert _countries(con, case.source) == _countries(
                duckdb.connect(str(snapshot), read_only=True), case.source
            )
        has_revisions = con.execute(
            "SELECT count(*) FROM duckdb_views() WHERE schema_name = 'history' AND view_name = 'revisions'"
        ).fetchone()[0]
        if has_revisions and case.outcome == "normalised":
            assert con.execute("SELECT count(*) FROM history.revisions").fetchone()[0] == 0
    _log(case, case.outcome, "published values equal to the original file's", time.monotonic() - started)


def test_corpus_has_a_case_for_every_folder():
    folders = {p.name for p in CORPUS.iterdir() if p.is_dir()}
    assert folders <= {c.id for c in CASES}
    assert len(CASES) >= 30


def test_malformed_quarter_folder_is_reported_not_loaded(data_dir):
    (data_dir / "raw" / "2024Q3").mkdir()
    (data_dir / "raw" / "2024-Q3 final").mkdir()
    quarters, malformed = discover_quarters(DataPaths(data_dir))
    assert quarters == ["2024-Q1", "2024-Q2"]
    assert malformed == ["2024-Q3 final", "2024Q3"]


def test_quarter_dir_is_confined(data_dir):
    paths = DataPaths(data_dir)
    with pytest.raises(ValueError, match="outside the data directory"):
        paths.quarter_dir("../../etc")
    with pytest.raises(ValueError, match="outside the data directory"):
        paths.confine(data_dir / "raw" / ".." / ".." / "x")


def test_xml_bomb_is_refused_quickly_without_memory_blow_up(tmp_path):
    """Read the billion-laughs workbook in a child process and measure its time and peak memory."""
    folder = tmp_path / "q"
    folder.mkdir()
    shutil.copyfile(RAW / Q1 / "labour_migration.csv", folder / "labour_migration.csv")
    xlsx_xml_bomb(folder, tmp_path)
    zip_folder = tmp_path / "z"
    zip_folder.mkdir()
    shutil.copyfile(RAW / Q1 / "labour_migration.csv", zip_folder / "labour_migration.csv")
    xlsx_zip_bomb(zip_folder, tmp_path)
    code = (
        "import sys, time; from pathlib import Path; from mtm_pipeline.sources.reader import read_extract\n"
        "from mtm_pipeline.sources.errors import ExtractError\n"
        "t = time.monotonic()\n"
        "try:\n    read_extract(Path(sys.argv[1])); print('READ')\n"
        "except ExtractError as e:\n"
        "    print('REFUSED', round(time.monotonic() - t, 3), str(e).splitlines()[1])\n"
    )
    for path in (folder / "labour_migration.xlsx", zip_folder / "labour_migration.xlsx"):
        baseline = subprocess.Popen([PYTHON, "-c", "import mtm_pipeline.sources.reader"])
        _, _, base_usage = os.wait4(baseline.pid, 0)
        child = subprocess.Popen([PYTHON, "-c", code, str(path)], stdout=subprocess.PIPE, text=True)
        output = child.stdout.read()
        _, status, usage = os.wait4(child.pid, 0)
        child.stdout.close()
        assert status == 0 and output.startswith("REFUSED"), output
        seconds = float(output.split()[1])
        extra_mb = (usage.ru_maxrss - base_usage.ru_maxrss) / 1024
        assert seconds < 2.0, output
        assert extra_mb < 100, f"peak memory grew by {extra_mb:.0f} MB reading {path.stat().st_size} bytes"
        _log(
            Case(f"{path.parent.name}_bomb_memory", "refused", None),
            "refused",
            f"{path.stat().st_size} bytes refused in {seconds:.3f} s, peak RSS +{extra_mb:.0f} MB",
            seconds,
        )
