"""Agency workbooks read by their layout: each bad or unusual workbook is read correctly or refused with the
file, the sheet as the workbook names it, the cell, what was expected and what was found; the warehouse is
left as it should be.

Every case starts from a warehouse with 2024-Q3 loaded from the sample workbooks (one load per module,
copied per case), takes table checksums, changes one workbook of raw/2024-Q3/, re-materialises the
quarter's extracts and delivered stage, and compares:

- refused: every table except staging.extract_rows and quality.check_results has the same checksum (all
  columns); quality.check_results only gained failure records; staging.extract_rows is unchanged but for
  the re-staging time of the other sources (loaded_at).
- read: the source's delivered figures (identity, values, precisions, part_of, parts_complete) are those of
  the sample workbook; only the lineage columns may differ (the cell, the words as written, the row); no
  revision appears in history.revisions.

Set MTM_ROBUSTNESS_LOG=<file> to append one JSON line per case.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pytest

from mtm_pipeline import sample_workbooks
from mtm_pipeline.ingest import read_validated_extract
from mtm_pipeline.resources import WarehouseResource
from mtm_pipeline.settings import DataPaths
from mtm_pipeline.sources import SOURCES
from mtm_pipeline.sources.errors import ExtractError
from mtm_pipeline_tests.robustness.helpers import (
    DELIVERED_ASSETS,
    checksums,
    materialise,
    rows_of,
    sample_quarter_loaded,
    step_failures,
)

Q3 = "2024-Q3"
STAGING = "staging.extract_rows"
CHECKS = "quality.check_results"
FIGURES = (
    "obs_id, measure, period, direction, country_iso3, purpose, category, sector, education, age_group, "
    "value, value_precision, unit, part_of, parts_complete"
)


@dataclass(frozen=True)
class Case:
    id: str
    outcome: str  # "refused" | "read"
    source: str
    change: Callable[[Path], None]  # changes raw/2024-Q3/<source>.xlsx in place
    message: tuple = ()  # fragments the error must contain


# --- changes to a sample workbook ---------------------------------------------------------------------------


def _edit(edit: Callable[[openpyxl.Workbook], None]) -> Callable[[Path], None]:
    def change(path: Path) -> None:
        workbook = openpyxl.load_workbook(path)
        edit(workbook)
        sample_workbooks.save_workbook(workbook, path)

    return change


def _set(cell: str, value, sheet: int = 0) -> Callable[[Path], None]:
    return _edit(lambda wb: wb.worksheets[sheet].__setitem__(cell, value))


def _regenerate(writer, **options) -> Callable[[Path], None]:
    return lambda path: writer(path, Q3, **options)


def _missing_exits(workbook) -> None:
    workbook.active.unmerge_cells("A1:E1")
    workbook.active.unmerge_cells("A2:E2")
    workbook.active.delete_cols(5)


def _extra_column(workbook) -> None:
    sheet = workbook.active
    sheet["F4"] = "Код страны"
    for row in range(5, 13):
        sheet.cell(row, 6).value = 10


def _merged_data(workbook) -> None:
    workbook.active.merge_cells("C5:C6")


def _hidden_row(workbook) -> None:
    workbook.active.row_dimensions[7].hidden = True


def _hidden_copy_of_table(workbook) -> None:
    copy = workbook.copy_worksheet(workbook.active)
    copy.title = "старая версия"
    copy.sheet_state = "hidden"


def _hidden_lookup_sheet(workbook) -> None:
    lookup = workbook.create_sheet("справочник")
    lookup.append(["код", "наименование"])
    lookup.append([1, "первая категория"])
    lookup.sheet_state = "hidden"


def _no_layout(path: Path) -> None:
    workbook = openpyxl.Workbook()
    workbook.active.append(["Показатель", "Значение"])
    workbook.active.append(["Выбыло на ПМЖ", 12345])
    workbook.save(path)


def _totals_disagree(workbook) -> None:
    sheet = workbook.active
    totals = [r for r in range(1, sheet.max_row + 1) if sheet.cell(r, 1).value == "Всего"]
    sheet.cell(totals[1], 2).value += 1


def _figure_below_note(workbook) -> None:
    workbook.active.append(["", "Беларусь", 5, 7])


def _numbers_as_text(workbook) -> None:
    for index, row in enumerate(workbook.active.iter_rows(min_row=5)):
        for cell in row[2:5]:
            if isinstance(cell.value, int):
                separator = "\u00a0" if index % 2 else " "
                cell.value = f"{cell.value:,}".replace(",", separator)


def _total_row_first(workbook) -> None:
    sheet = workbook.active
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=5, max_row=13)]
    for offset, values in enumerate([rows[-1], *rows[:-1]]):
        for column, value in enumerate(values, start=1):
            sheet.cell(5 + offset, column).value = value


def _kazakh_headers(workbook) -> None:
    for cell, text in zip(
        ("B4", "C4", "D4", "E4"),
        ("Азаматтығы", "Кіру,\nбарлығы", "оның ішінде еңбек қызметі мақсатында", "Шығу, барлығы"),
        strict=True,
    ):
        workbook.active[cell] = text


def _formula_with_saved_result(path: Path) -> None:
    """The PRP total (C13) as a formula whose result Excel saved (openpyxl cannot write cached values)."""
    source = zipfile.ZipFile(io.BytesIO(path.read_bytes()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name in source.namelist():
            data = source.read(name)
            if name == "xl/worksheets/sheet1.xml":
                text, count = re.subn(
                    r'<c r="C13"([^>]*)><v>(\d+)</v></c>',
                    r'<c r="C13"\1><f>SUM(C5:C12)</f><v>\2</v></c>',
                    data.decode(),
                )
                assert count == 1
                data = text.encode()
            target.writestr(name, data)
    path.write_bytes(out.getvalue())


CASES = [
    # broken: refused, naming the sheet and cell
    Case(
        "renamed_header",
        "refused",
        "border_crossings",
        _set("C4", "Прибытие, всего"),
        ("sheet 'Лист1', cell C4", "expected the column header 'Въезд, всего'", "found 'Прибытие, всего'"),
    ),
    Case(
        "missing_column",
        "refused",
        "border_crossings",
        _edit(_missing_exits),
        ("sheet 'Лист1', header row 4", "expected the column header 'Выезд, всего'", "found no such column"),
    ),
    Case(
        "extra_column",
        "refused",
        "border_crossings",
        _edit(_extra_column),
        ("sheet 'Лист1', cell F4", "expected one of the layout's column headers", "found 'Код страны'"),
    ),
    Case(
        "of_which_row_with_figures",
        "refused",
        "residence_permits",
        _set("B8", "в том числе"),
        ("sheet 'РВП и ПМЖ', cell B8", "expected no figures in a row labelled 'в том числе'"),
    ),
    Case(
        "unknown_row_label",
        "refused",
        "border_crossings",
        _set("B6", "Атлантида"),
        ("sheet 'Лист1', cell B6", "expected a country name", "found 'Атлантида'"),
    ),
    Case(
        "cell_not_a_number",
        "refused",
        "residence_permits",
        _set("C5", "около 1200"),
        ("sheet 'РВП и ПМЖ', cell C5", "expected a number", "found 'около 1200'"),
    ),
    Case(
        "title_period_disagrees",
        "refused",
        "border_crossings",
        _set("A2", "за II квартал 2024 года"),
        (
            "sheet 'Лист1'",
            "states the period 2024-Q2, which disagrees with the delivery quarter folder 2024-Q3",
        ),
    ),
    Case(
        "no_period_in_title",
        "refused",
        "residence_permits",
        _set("A2", "оперативные данные"),
        ("sheet 'РВП и ПМЖ'", "expected the reference period in the title"),
    ),
    Case(
        "formula_without_saved_result",
        "refused",
        "residence_permits",
        _set("C13", "=SUM(C5:C12)"),
        ("sheet 'РВП и ПМЖ', cell C13", "found a formula =SUM(C5:C12) without a saved result"),
    ),
    Case(
        "merged_cells_in_data",
        "refused",
        "border_crossings",
        _edit(_merged_data),
        ("sheet 'Лист1', cell C5", "found merged cells C5:C6"),
    ),
    Case(
        "hidden_row",
        "refused",
        "border_crossings",
        _edit(_hidden_row),
        ("sheet 'Лист1', cell B7", "found a hidden row with content"),
    ),
    Case(
        "hidden_column",
        "refused",
        "border_crossings",
        _edit(lambda wb: setattr(wb.active.column_dimensions["D"], "hidden", True)),
        ("sheet 'Лист1', cell D4", "found a hidden column"),
    ),
    Case(
        "hidden_sheet_with_table",
        "refused",
        "labour_migration",
        _edit(_hidden_copy_of_table),
        ("sheet 'старая версия' is hidden but holds a table",),
    ),
    Case(
        "matches_no_layout",
        "refused",
        "emigration",
        _no_layout,
        ("matches no layout of source 'emigration'", "not in the observation contract"),
    ),
    Case(
        "quarter_after_delivery",
        "refused",
        "remittances",
        _set("G15", "IV кв. 2024"),
        (
            "sheet 'Переводы', cell G15",
            "expected a period that has ended by the delivery quarter 2024-Q3",
            "found 2024-Q4",
        ),
    ),
    Case(
        "not_a_period_column",
        "refused",
        "remittances",
        _set("C5", "Код валюты"),
        ("sheet 'Переводы', cell C5", "expected a reference period", "found 'Код валюты'"),
    ),
    Case(
        "unit_not_stated",
        "refused",
        "remittances",
        _set("A1", "Личные денежные переводы физических лиц по странам"),
        ("sheet 'Переводы': expected the unit of the figures ('млн долл. США' or 'тыс. долл. США')",),
    ),
    Case(
        "totals_disagree",
        "refused",
        "labour_migration",
        _edit(_totals_disagree),
        ("sheet 'ИРС', cell B16", "expected the same total as ИРС!B6"),
    ),
    Case(
        "figure_below_note",
        "refused",
        "residence_permits",
        _edit(_figure_below_note),
        ("sheet 'РВП и ПМЖ', cell C16", "expected nothing below the note"),
    ),
    Case(
        "country_twice",
        "refused",
        "border_crossings",
        _set("B7", "Өзбекстан"),
        ("sheet 'Лист1', cell B7", "found 'Өзбекстан' again (first in row 5)"),
    ),
    Case(
        "same_heading_twice",
        "refused",
        "remittances",
        _set("A14", "Переводы из Казахстана"),
        (
            "table 'outflow' of layout 'remittances_by_country_quarters' appears 2 times",
            "expected table 'inflow'",
        ),
    ),
    # unusual but readable: the same figures
    Case("numbers_as_text_with_spaces", "read", "border_crossings", _edit(_numbers_as_text)),
    Case("kazakh_headers_and_line_break", "read", "border_crossings", _edit(_kazakh_headers)),
    Case("total_row_first", "read", "residence_permits", _edit(_total_row_first)),
    Case("formula_with_saved_result", "read", "residence_permits", _formula_with_saved_result),
    Case(
        "headers_in_one_cell",
        "read",
        "emigration",
        _regenerate(sample_workbooks.emigration, one_cell_headers=True),
    ),
    Case(
        "quarters_as_2023_q1",
        "read",
        "remittances",
        _regenerate(sample_workbooks.remittances, quarter_style="q"),
    ),
    Case(
        "quarters_in_kazakh",
        "read",
        "remittances",
        _regenerate(sample_workbooks.remittances, quarter_style="kazakh"),
    ),
    Case(
        "blocks_on_two_sheets", "read", "remittances", _regenerate(sample_workbooks.remittances, sheets=True)
    ),
    Case("hidden_lookup_sheet", "read", "labour_migration", _edit(_hidden_lookup_sheet)),
]


# --- fixtures -----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> tuple[Path, Path]:
    """A data folder with the 2024-Q3 sample workbooks and a warehouse with that quarter loaded."""
    return sample_quarter_loaded(tmp_path_factory.mktemp("workbooks"), Q3)


def _figures(path: Path, source: str):
    """The source's delivered figures without their lineage (cell, words as written, row, file, times)."""
    import duckdb

    kept = {c.strip() for c in FIGURES.split(",")}
    with duckdb.connect(str(path), read_only=True) as con:
        names = [r[0] for r in con.execute("DESCRIBE published.observations").fetchall()]
    return rows_of(
        path,
        "published.observations",
        where="stage = 'delivered' AND delivery_quarter = ? AND source = ?",
        params=[Q3, source],
        exclude=tuple(n for n in names if n not in kept),
    )


def _log(case: Case, outcome: str, detail: str, seconds: float) -> None:
    log = os.environ.get("MTM_ROBUSTNESS_LOG")
    if log:
        with open(log, "a", encoding="utf-8") as handle:
            handle.write(
                json.dumps(
                    {
                        "case": f"workbook_{case.id}",
                        "expected": case.outcome,
                        "outcome": outcome,
                        "detail": detail,
                        "seconds": round(seconds, 2),
                    }
                )
                + "\n"
            )


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_workbook(case: Case, template, tmp_path, monkeypatch):
    started = time.monotonic()
    source_data, source_warehouse = template
    data = tmp_path / "data"
    shutil.copytree(source_data, data)
    path = tmp_path / "mtm.duckdb"
    shutil.copyfile(source_warehouse, path)
    before = checksums(path)
    before_checks = rows_of(path, CHECKS)
    before_staging = rows_of(path, STAGING, exclude=("loaded_at",))
    before_figures = _figures(path, case.source)
    case.change(data / "raw" / Q3 / f"{case.source}.xlsx")
    monkeypatch.setenv("MTM_DATA_DIR", str(data))

    if case.outcome == "refused":
        with pytest.raises(ExtractError) as caught:
            read_validated_extract(DataPaths(data), Q3, SOURCES[case.source])
        text = str(caught.value)
        for fragment in case.message:
            assert fragment in text, f"{fragment!r} not in:\n{text}"
        assert f"raw/{Q3}/{case.source}.xlsx" in text and "nothing from this file was loaded" in text

    result = materialise(WarehouseResource(path=str(path)), Q3, assets=DELIVERED_ASSETS)
    after = checksums(path)
    if case.outcome == "refused":
        assert not result.success
        assert case.message[0] in step_failures(result)
        for table, checksum in before.items():
            if table not in (STAGING, CHECKS):
                assert after[table] == checksum, f"{table} changed although the workbook was refused"
        added, removed = rows_of(path, CHECKS) - before_checks, before_checks - rows_of(path, CHECKS)
        assert added and not removed
        for row in (json.loads(r) for r in added.elements()):
            assert (
                row["passed"] is False and row["rule"] == "extract_contract" and row["source"] == case.source
            )
        assert rows_of(path, STAGING, exclude=("loaded_at",)) == before_staging
        detail = text.splitlines()[1].strip()
    else:
        assert result.success, step_failures(result)
        assert _figures(path, case.source) == before_figures
        import duckdb

        with duckdb.connect(str(path), read_only=True) as con:
            assert con.execute("SELECT count(*) FROM history.revisions").fetchone()[0] == 0
        detail = "read: same figures, values and precisions; lineage names the new cells"
    _log(case, case.outcome, detail, time.monotonic() - started)
