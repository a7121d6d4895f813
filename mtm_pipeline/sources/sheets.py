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

from mtm_pipeline.sources.reader import _INVISIBLE, _read_csv_rows, unescape_xlsx_text
from mtm_pipeline.sources.xlsx_cells import StoredSheet, StoredWorkbook
from mtm_pipeline.sources.xlsx_package import load_xlsx, number_text


@dataclass(frozen=True, slots=True)
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
        """The cell's text ('' when empty)."""
        cell = self.cells.get((row, column))
        return cell.text if cell else ""

    def row_texts(self, row: int) -> list[str]:
        """The texts of a row, from column 1 to the last column with content."""
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
        return Cell(number_text(value, number_format), numeric=True)
    text = unicodedata.normalize("NFC", str(value).replace("\r\n", "\n")).strip().strip(_INVISIBLE).strip()
    return Cell(text) if text else None


@dataclass(frozen=True)
class Workbook:
    sheets: list[Sheet]
    saved: date | None  # when the workbook was last saved (document properties), if recorded


def _sheet_of(stored: StoredSheet) -> Sheet:
    """A sheet as grids of cell texts from its stored cells: merged ranges repeat their first cell's text."""
    sheet = Sheet(
        name=stored.name,
        visible=stored.state == "visible",
        cells={},
        max_row=stored.max_row,
        max_column=stored.max_column,
        hidden_rows=set(stored.hidden_rows),
        hidden_columns=set(stored.hidden_columns),
    )
    for key, stored_cell in stored.cells.items():
        if stored_cell.formula is not None and stored_cell.value is None:
            sheet.unreadable[key] = f"a formula {stored_cell.formula} without a saved result"
        elif stored_cell.error is not None:
            sheet.unreadable[key] = f"the error {stored_cell.error}"
        elif (
            cell := _cell_text(unescape_xlsx_text(stored_cell.value), stored_cell.number_format)
        ) is not None:
            sheet.cells[key] = cell
    for min_row, min_col, max_row, max_col in stored.merged:
        sheet.merged.append((min_row, min_col, max_row, max_col))
        first = sheet.cells.get((min_row, min_col))
        if first is not None:
            for r in range(min_row, max_row + 1):
                for c in range(min_col, max_col + 1):
                    sheet.cells.setdefault((r, c), first)
            sheet.max_row, sheet.max_column = max(sheet.max_row, max_row), max(sheet.max_column, max_col)
    return sheet


def read_sheets(path: Path, data: bytes, workbooks: StoredWorkbook | None = None) -> Workbook:
    """Every sheet of the workbook (hidden ones too, marked), from its cells as stored with the values
    Excel saved for formulas (`xlsx_package.load_xlsx`, or `workbooks` when the caller has loaded it). A
    zip bomb, an oversized part or an enormous extent is refused before the cells are kept."""
    stored = workbooks or load_xlsx(path, data)
    stamp = stored.modified or stored.created
    return Workbook(
        [_sheet_of(s) for s in stored.sheets], stamp.date() if isinstance(stamp, datetime) else None
    )


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
