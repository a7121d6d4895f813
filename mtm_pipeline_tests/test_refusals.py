"""What is refused before any figure is read, and how a file would be read (the explain command): pure
functions on real workbooks and CSV files; through the pipeline in robustness/test_refused_inputs.py."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import openpyxl
import pytest

from mtm_pipeline import sample_workbooks
from mtm_pipeline.numbers import comma_is_ambiguous, writes_decimal_comma
from mtm_pipeline.sources import SOURCES
from mtm_pipeline.sources.__main__ import main as sources_main
from mtm_pipeline.sources.errors import ExtractError
from mtm_pipeline.sources.layouts import layouts_for
from mtm_pipeline.sources.nearest_layout import no_layout_problems
from mtm_pipeline.sources.period_words import periods_of_parts
from mtm_pipeline.sources.reader import read_extract
from mtm_pipeline.sources.sheets import read_sheets
from mtm_pipeline.sources.xlsx_cells import MAX_COLUMNS, column_letters, read_stored_cells
from mtm_pipeline.sources.xlsx_package import load_xlsx
from mtm_pipeline_tests.conftest import RAW

Q3 = "2024-Q3"


@pytest.mark.parametrize(
    ("text", "ambiguous", "decimal"),
    [
        ("2,700", True, False),
        ("12,345 млн", True, False),
        ("-2,700", True, False),
        ("1,234,567", False, False),  # two thousands commas: one reading only
        ("2,975,788", False, False),
        ("2,700.5", False, False),  # a dot after the comma: the comma groups thousands
        ("1 234,5", False, True),
        ("883,5", False, True),
        ("0,500", False, True),  # a leading zero is no thousands group
        ("1.234,5", False, True),
        ("58,2%", False, True),
        ("2700", False, False),
    ],
)
def test_a_comma_is_ambiguous_or_decimal(text, ambiguous, decimal):
    assert (comma_is_ambiguous(text), writes_decimal_comma(text)) == (ambiguous, decimal)


@pytest.mark.parametrize(
    ("text", "stated"),
    [
        ("январь-сентябрь 2024 / 2024 Q3", ["2024-01/09", "2024-Q3"]),
        ("9 месяцев 2024 года\n2024 Q3", ["2024-01/09", "2024-Q3"]),
        ("III кв. 2024 / 2024 Q3", ["2024-Q3"]),  # the same quarter in both languages
        ("январь-март 2024 / I кв. 2024", ["2024-Q1"]),  # the first quarter's months are the first quarter
        ("2024 ж. III тоқсан\nза III квартал 2024 года", ["2024-Q3"]),
        ("Страна / Country", []),
    ],
)
def test_the_periods_a_header_states_in_each_language(text, stated):
    assert [p.label for p in periods_of_parts(text)] == stated


def _save(workbook: openpyxl.Workbook, path: Path) -> bytes:
    workbook.save(path)
    return path.read_bytes()


def test_stored_cells_keep_formulas_errors_dates_merges_and_hidden_rows(tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet["A1"], sheet["B2"], sheet["C3"] = "Заголовок", "=SUM(B3:B4)", date(2024, 10, 1)
    sheet["D4"] = 1234.5
    sheet["D4"].number_format = "0.00"
    sheet.merge_cells("A1:C1")
    sheet.row_dimensions[3].hidden = True
    sheet.column_dimensions["D"].hidden = True
    sheet["A20"].number_format = "0.0"  # an empty formatted cell: not a cell with content
    stored = read_stored_cells(_save(workbook, tmp_path / "book.xlsx")).sheets[0]
    assert stored.cells[(2, 2)].formula == "=SUM(B3:B4)" and stored.cells[(2, 2)].value is None
    assert stored.cells[(3, 3)].value.date() == date(2024, 10, 1)
    assert (stored.cells[(4, 4)].value, stored.cells[(4, 4)].number_format) == (1234.5, "0.00")
    assert (stored.merged, stored.hidden_rows, stored.hidden_columns) == ([(1, 1, 1, 3)], {3}, {4})
    assert (stored.max_row, stored.max_column) == (4, 4)
    sheet_read = read_sheets(tmp_path / "book.xlsx", (tmp_path / "book.xlsx").read_bytes()).sheets[0]
    assert sheet_read.text(1, 3) == "Заголовок" and sheet_read.text(4, 4) == "1234.50"
    assert sheet_read.unreadable == {(2, 2): "a formula =SUM(B3:B4) without a saved result"}


FAR = column_letters(MAX_COLUMNS + 1)  # the first column past the limit


@pytest.mark.parametrize(
    ("edit", "named"),
    [
        (lambda s: s.cell(5, MAX_COLUMNS + 1, "x"), f"cell {FAR}5: a cell with content"),
        (lambda s: s.merge_cells(f"A2:{FAR}2"), f"cell {FAR}2: a merged range A2:{FAR}2"),
    ],
)
def test_content_past_the_column_limit_is_refused_naming_its_cell(tmp_path, edit, named):
    workbook = openpyxl.Workbook()
    workbook.active["A1"] = "Заголовок"
    edit(workbook.active)
    path = tmp_path / "wide.xlsx"
    with pytest.raises(ExtractError, match=f"sheet 'Sheet', {named}, far beyond any agency table"):
        load_xlsx(path, _save(workbook, path))


def _contract_csv(tmp_path: Path, values: dict[int, str]) -> Path:
    rows = list(csv.reader(io.StringIO((RAW / "2024-Q1" / "border_crossings.csv").read_text("utf-8"))))
    column = rows[0].index("value")
    for row, value in values.items():
        rows[row - 1][column] = value
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    path = tmp_path / "border_crossings.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def test_a_contract_extract_with_decimal_commas_refuses_an_ambiguous_comma(tmp_path):
    with pytest.raises(ExtractError) as caught:
        read_extract(_contract_csv(tmp_path, {2: "2,700", 3: "71,3"}))
    assert (
        "row 2, column 'value': '2,700' could be read with a decimal comma, as the file writes '71,3'"
        in str(caught.value)
    )
    assert len(read_extract(_contract_csv(tmp_path, {2: "2,700"})).frame) > 1  # no decimal comma: thousands


def test_semicolons_inside_quoted_cells_are_no_separator(tmp_path):
    path = _contract_csv(tmp_path, {})
    text = path.read_text("utf-8").replace("Section 2.1, paragraph", "Section 2.1; paragraph")
    assert "; paragraph" in text
    path.write_text(text, encoding="utf-8")
    assert len(read_extract(path).frame) > 1
    path.write_text(text.replace(",", ";"), encoding="utf-8")
    with pytest.raises(ExtractError, match=r"row 1: the file separates its cells with ';'"):
        read_extract(path)


def test_no_layout_names_the_closest_header_and_each_missing_label(tmp_path):
    path = sample_workbooks.border_crossings(tmp_path / "border_crossings.xlsx", Q3)
    workbook = openpyxl.load_workbook(path)
    workbook.active["D4"], workbook.active["E4"] = "Убыло за пределы", "Выехало всего"
    sheets = read_sheets(path, _save(workbook, path)).sheets
    problems = [
        p.message for p in no_layout_problems("border_crossings", layouts_for("border_crossings"), sheets)
    ]
    assert (
        "Closest: layout 'border_crossings_by_citizenship', compared with sheet 'Лист1', header row 4"
        in problems[0]
    )
    assert len(problems) == 2  # the optional column D is not expected
    assert problems[1].startswith("sheet 'Лист1', cell E4: expected the column header 'Выезд, всего'")
    assert problems[1].endswith("found 'Выехало всего'")


def test_explain_a_good_workbook(tmp_path, capsys):
    path = sample_workbooks.remittances(tmp_path / Q3 / "remittances.xlsx", Q3)
    assert sources_main(["explain", str(path)]) == 0
    out = capsys.readouterr().out
    assert "source 'remittances', delivery quarter 2024-Q3" in out
    assert "Read by layout 'remittances_by_country_quarters'" in out
    assert "table 'outflow': sheet 'Переводы', header row 5, rows 6-12" in out
    total = openpyxl.load_workbook(path).active["G6"].value  # 2024-Q3 outflow total, in millions
    figure = (
        "Переводы!G6: rem_2024q3_out_total personal_remittances 2024-Q3 direction=out = "
        f"{round(total * 1e6)} USD"
    )
    assert figure in out
    assert out.rstrip().endswith("Result: would be read as shown. Nothing was loaded.")


def test_explain_a_refused_workbook(tmp_path, capsys):
    path = sample_workbooks.remittances(tmp_path / "agency.xlsx", Q3)
    workbook = openpyxl.load_workbook(path)
    workbook.active["G5"] = "январь-сентябрь 2024 / 2024 Q3"
    _save(workbook, path)
    assert sources_main(["explain", str(path), "--source", "remittances", "--quarter", Q3]) == 1
    out = capsys.readouterr().out
    assert "sheet 'Переводы', cell G5: its languages state different periods" in out
    assert "Result: refused (exit status 1)" in out
    assert sources_main(["explain", str(path)]) == 2  # neither the name nor the folder says the source
    assert "pass --source" in capsys.readouterr().err
    assert SOURCES  # the command reads the same sources as ingest
