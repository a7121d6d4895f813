"""An .xlsx workbook as grids of cell texts, one per sheet, with what could hide a figure: merged
ranges, hidden rows, columns and sheets, formulas without a saved result and error cells.

Numeric cells read as the digits their format shows (the contract reader's rule), so '1 234,5' typed
as text and 1234.5 formatted '0.0' read the same. Merged ranges repeat their first cell's text over the
range (a merged title or header cell counts for every column it spans); the layout reader decides where
merged cells are allowed. Characters the workbook's XML escapes in text ('_x000D_', a carriage return as
Excel writes it in a cell) are decoded.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from mtm_pipeline.sources.reader import (
    _INVISIBLE,
    _number_text,
    _read_csv_rows,
    load_xlsx,
    unescape_xlsx_text,
)


@dataclass(frozen=True)
class Cell:
    text: str  # as written: a text cell's text, a numeric cell as the digits its format shows
    numeric: bool = False


@dataclass
class Sheet:
    name: str
    visible: bool
    cells: dict[tuple[int, int], Cell]  # (row, column), 1-based; merged ranges repeat their value
    max_row: int
    max_column: int
    merged: list[tuple[int, int, int, int]] = field(
        default_factory=list
    )  # min_row, min_col, max_row, max_col
    hidden_rows: set[int] = field(default_factory=set)
    hidden_columns: set[int] = field(default_factory=set)
    unreadable: dict[tuple[int, int], str] = field(default_factory=dict)  # formulas without result, errors

    def text(self, row: int, column: int) -> str:
        cell = self.cells.get((row, column))
        return cell.text if cell else ""

    def row_texts(self, row: int) -> list[str]:
        return [self.text(row, c) for c in range(1, self.max_column + 1)]

    def where(self, row: int, column: int) -> str:
        """'Лист1!C6'."""
        return a1(self.name, row, column)

    @staticmethod
    def cell_name(row: int, column: int) -> str:
        """'C6'."""
        from openpyxl.utils import get_column_letter

        return f"{get_column_letter(column)}{row}"


def a1(sheet: str, row: int, column: int) -> str:
    """'Лист1!C6'; a sheet name with spaces or punctuation is quoted as Excel does ('Sheet 1'!C6)."""
    from openpyxl.utils import get_column_letter

    name = sheet if re.fullmatch(r"[^\W\d]\w*", sheet) else "'" + sheet.replace("'", "''") + "'"
    return f"{name}!{get_column_letter(column)}{row}"


def _cell_text(value, number_format: str) -> Cell | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return Cell(str(value).upper())
    if isinstance(value, (datetime, date)):
        return Cell(value.strftime("%d.%m.%Y"))
    if isinstance(value, (int, float, Decimal)):
        return Cell(_number_text(value, number_format), numeric=True)
    text = unicodedata.normalize("NFC", str(value).replace("\r\n", "\n")).strip().strip(_INVISIBLE).strip()
    return Cell(text) if text else None


@dataclass(frozen=True)
class Workbook:
    sheets: list[Sheet]
    saved: date | None  # when the workbook was last saved (document properties), if recorded


def read_sheets(path: Path, data: bytes, workbooks=None) -> Workbook:
    """Every sheet of the workbook (hidden ones too, marked), as openpyxl reads it with formulas and with
    the values Excel saved for them (`reader.load_xlsx`, or `workbooks` when the caller has loaded it). A
    zip bomb or an oversized part is refused before parsing."""
    formulas, values = workbooks or load_xlsx(path, data)
    sheets = []
    for formula_sheet, value_sheet in zip(formulas.worksheets, values.worksheets, strict=True):
        sheet = Sheet(
            name=formula_sheet.title,
            visible=formula_sheet.sheet_state == "visible",
            cells={},
            max_row=formula_sheet.max_row,
            max_column=formula_sheet.max_column,
        )
        for row in formula_sheet.iter_rows():
            for formula_cell in row:
                if formula_cell.__class__.__name__ == "MergedCell":
                    continue
                key = (formula_cell.row, formula_cell.column)
                value_cell = value_sheet.cell(*key)
                if formula_cell.data_type == "f" and value_cell.value is None:
                    shown = getattr(formula_cell.value, "text", formula_cell.value)
                    sheet.unreadable[key] = f"a formula {shown} without a saved result"
                    continue
                if value_cell.data_type == "e":
                    sheet.unreadable[key] = f"the error {value_cell.value}"
                    continue
                cell = _cell_text(unescape_xlsx_text(value_cell.value), value_cell.number_format)
                if cell is not None:
                    sheet.cells[key] = cell
        for merged in formula_sheet.merged_cells.ranges:
            sheet.merged.append((merged.min_row, merged.min_col, merged.max_row, merged.max_col))
            first = sheet.cells.get((merged.min_row, merged.min_col))
            if first is not None:
                for r in range(merged.min_row, merged.max_row + 1):
                    for c in range(merged.min_col, merged.max_col + 1):
                        sheet.cells.setdefault((r, c), first)
        sheet.hidden_rows = {r for r, d in formula_sheet.row_dimensions.items() if d.hidden}
        for dimension in formula_sheet.column_dimensions.values():
            if dimension.hidden and dimension.min and dimension.max:
                sheet.hidden_columns.update(range(dimension.min, dimension.max + 1))
        sheets.append(sheet)
    properties = formulas.properties
    stamp = properties.modified or properties.created
    return Workbook(sheets, stamp.date() if isinstance(stamp, datetime) else None)


def read_csv_sheet(path: Path, data: bytes) -> Workbook:
    """A CSV file (UTF-8, as the contract reader accepts it) as one sheet named after the file: an agency
    table saved as CSV has text cells only, and no saved date."""
    rows = _read_csv_rows(path, data)
    sheet = Sheet(
        name=path.stem,
        visible=True,
        cells={},
        max_row=len(rows),
        max_column=max((len(r) for r in rows), default=0),
    )
    for number, row in enumerate(rows, start=1):
        for column, text in enumerate(row, start=1):
            cell = _cell_text(text, "General")
            if cell is not None:
                sheet.cells[(number, column)] = cell
    return Workbook([sheet], None)


def is_contract_header(texts: list[str], columns: tuple[str, ...], minimum: int = 3) -> bool:
    """A first row naming at least `minimum` of the contract's columns: an extract in the contract."""
    return sum(1 for t in texts if t.strip() in columns) >= minimum
