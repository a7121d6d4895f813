"""An .xlsx workbook's cells as stored: each sheet's XML is read as a stream of the cells it holds, never
as the rectangle its extent spans, so a tiny file that declares or uses an enormous extent (one cell at
XFD1048576, a million empty rows, a huge <dimension ref>) is refused after reading a few rows, in little
time and memory.

The workbook's other parts (sheet names and states, shared strings, number formats, document
properties) are read by openpyxl in read-only mode, which parses no sheet. Limits are far above any
agency table or observation extract; what passes them fits in memory whatever its layout.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from datetime import datetime

from mtm_pipeline.sources.errors import Problem

# A sheet's content: far above any agency table or quarterly extract, far below exhausting memory.
MAX_ROWS = 20_000
MAX_COLUMNS = 200
MAX_STORED_CELLS = 1_000_000  # <c> elements of one sheet, empty formatted cells included

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REF = re.compile(r"^\$?([A-Z]{1,3})\$?(\d+)$")


class TooLarge(ValueError):
    """A sheet whose extent or number of stored cells is past the limits: the problem names where."""

    def __init__(self, problem: Problem):
        super().__init__(problem.message)
        self.problem = problem


@dataclass(frozen=True, slots=True)
class StoredCell:
    """One cell as stored: its value (text, number, bool, date or time), the number format it shows it
    in, the formula it holds and the error it shows, if any. A formula without a saved result has the
    value None."""

    value: object
    number_format: str = "General"
    formula: str | None = None
    error: str | None = None


@dataclass
class StoredSheet:
    """The stored cells of one sheet, with its merged ranges and hidden rows and columns."""

    name: str
    state: str  # "visible", "hidden" or "veryHidden"
    cells: dict[tuple[int, int], StoredCell] = field(default_factory=dict)  # (row, column), 1-based
    merged: list[tuple[int, int, int, int]] = field(
        default_factory=list
    )  # min_row, min_col, max_row, max_col
    hidden_rows: set[int] = field(default_factory=set)
    hidden_columns: set[int] = field(default_factory=set)

    @property
    def max_row(self) -> int:
        """The last row holding a value, a formula or an error (0 when there is none)."""
        return max((r for r, _ in self.cells), default=0)

    @property
    def max_column(self) -> int:
        """The last column holding a value, a formula or an error (0 when there is none)."""
        return max((c for _, c in self.cells), default=0)


@dataclass
class StoredWorkbook:
    """Every sheet of a workbook, in the workbook's order, and when it was created and last saved."""

    sheets: list[StoredSheet]
    created: datetime | None = None
    modified: datetime | None = None


def column_index(letters: str) -> int:
    """'A' -> 1, 'XFD' -> 16384."""
    index = 0
    for letter in letters:
        index = index * 26 + ord(letter) - 64
    return index


def parse_ref(ref: str) -> tuple[int, int] | None:
    """'C6' -> (6, 3); None when the text is no cell reference."""
    match = _REF.match(ref.strip().upper())
    return (int(match.group(2)), column_index(match.group(1))) if match else None


def column_letters(column: int) -> str:
    """3 -> 'C', 16384 -> 'XFD'."""
    letters = ""
    while column > 0:
        column, rest = divmod(column - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _beyond(sheet: str, row: int, column: int | None, what: str) -> TooLarge:
    where = f"sheet {sheet!r}, " + (f"cell {column_letters(column)}{row}" if column else f"row {row:,}")
    return TooLarge(
        Problem(
            row,
            None,
            f"{where}: {what}, far beyond any agency table (at most {MAX_ROWS:,} rows and "
            f"{MAX_COLUMNS:,} columns are read); refused without reading the rest of the sheet",
        )
    )


def _check_extent(sheet: str, row: int, column: int | None, what: str) -> None:
    if row > MAX_ROWS or (column or 0) > MAX_COLUMNS:
        raise _beyond(sheet, row, column, what)


@dataclass
class _Styles:
    """What the workbook's styles say about a cell: its number format and whether it shows a date."""

    formats: list[str]  # number format by style id
    dates: set[int]
    timedeltas: set[int]
    epoch: datetime


def _styles(book) -> _Styles:
    from openpyxl.styles.numbers import BUILTIN_FORMATS, BUILTIN_FORMATS_MAX_SIZE

    formats = []
    for style in book._cell_styles:
        number = style.numFmtId
        if number < BUILTIN_FORMATS_MAX_SIZE:
            formats.append(BUILTIN_FORMATS.get(number, "General"))
        else:
            formats.append(book._number_formats[number - BUILTIN_FORMATS_MAX_SIZE])
    return _Styles(formats, set(book._date_formats), set(book._timedelta_formats), book.epoch)


def _number(text: str):
    try:
        return int(text)
    except ValueError:
        return float(text)


def _cell_value(element, kind: str, style: int, styles: _Styles, strings) -> tuple[object, str | None]:
    """(value, error) of a <c> element as Excel saved it."""
    from openpyxl.utils.datetime import from_excel, from_ISO8601

    if kind == "inlineStr":
        inline = element.find(f"{_MAIN}is")
        if inline is None:
            return None, None
        runs = [
            t.text or "" for t in inline.iter(f"{_MAIN}t") if t not in inline.findall(f"{_MAIN}rPh/{_MAIN}t")
        ]
        return "".join(runs), None
    value = element.findtext(f"{_MAIN}v") or None  # '<v></v>': no saved result
    if value is None:
        return None, None
    if kind == "s":
        return strings[int(value)], None
    if kind == "str":
        return value, None
    if kind == "b":
        return bool(int(value)), None
    if kind == "e":
        return value, value
    if kind == "d":
        return from_ISO8601(value), None
    number = _number(value)
    if style in styles.dates:
        try:
            return from_excel(number, styles.epoch, timedelta=style in styles.timedeltas), None
        except (OverflowError, ValueError):
            return "#VALUE!", "#VALUE!"
    return number, None


def _read_cell(sheet: StoredSheet, element, row: int, column: int, styles: _Styles, strings) -> None:
    style = int(element.get("s") or 0)
    formula_element = element.find(f"{_MAIN}f")
    formula = None
    if formula_element is not None:
        formula = "=" + formula_element.text if formula_element.text else "(a shared formula)"
    value, error = _cell_value(element, element.get("t", "n"), style, styles, strings)
    if value is None and formula is None:
        _check_extent(sheet.name, row, column, "an empty formatted cell")
        return  # nothing to keep
    _check_extent(sheet.name, row, column, "a cell with content")
    number_format = styles.formats[style] if style < len(styles.formats) else "General"
    sheet.cells[(row, column)] = StoredCell(value, number_format, formula, error)


def _read_range(sheet: StoredSheet, ref: str) -> None:
    first, _, last = ref.partition(":")
    start, end = parse_ref(first), parse_ref(last or first)
    if start is None or end is None:
        return
    _check_extent(sheet.name, *end, f"a merged range {ref}")
    sheet.merged.append((start[0], start[1], end[0], end[1]))


def _declared_extent(sheet: StoredSheet, ref: str) -> TooLarge | None:
    """The refusal of an extent declared past the limits (<dimension ref>), raised once the cells are
    read, so that a cell out there is named rather than the declaration."""
    end = parse_ref(ref.partition(":")[2] or ref)
    try:
        if end is not None:
            _check_extent(sheet.name, *end, f"the sheet declares its extent as {ref} (<dimension ref>)")
    except TooLarge as refusal:
        return refusal
    return None


def _read_columns(sheet: StoredSheet, element) -> None:
    if element.get("hidden") in ("1", "true"):
        first, last = int(element.get("min", 1)), int(element.get("max", 1))
        sheet.hidden_columns.update(range(first, min(last, MAX_COLUMNS) + 1))


def read_sheet_xml(sheet: StoredSheet, source, styles: _Styles, strings) -> None:
    """Fill `sheet` from its XML stream, cell by cell; TooLarge past the limits (at the first cell, row
    or range beyond them, or at the end for an extent declared beyond them)."""
    from defusedxml.ElementTree import iterparse

    row = column = cells = 0
    parent = declared = None
    for event, element in iterparse(source, events=("start", "end"), forbid_dtd=True):
        tag = element.tag
        if event == "start":
            if tag == f"{_MAIN}sheetData":
                parent = element
            elif tag == f"{_MAIN}row":
                row = int(element.get("r") or row + 1)
                column = 0
                if element.get("hidden") in ("1", "true"):
                    sheet.hidden_rows.add(row)
            continue
        if tag == f"{_MAIN}c":
            cells += 1
            if cells > MAX_STORED_CELLS:
                raise _beyond(sheet.name, row, column + 1, f"more than {MAX_STORED_CELLS:,} stored cells")
            ref = parse_ref(element.get("r") or "")
            row, column = ref if ref else (row, column + 1)
            _read_cell(sheet, element, row, column, styles, strings)
        elif tag == f"{_MAIN}row":
            _check_extent(sheet.name, row, None, "a stored row (empty, or formatted only)")
            if parent is not None:
                parent.clear()  # the row's cells are read: keep no element of the sheet in memory
        elif tag == f"{_MAIN}dimension":
            declared = _declared_extent(sheet, element.get("ref", ""))
        elif tag == f"{_MAIN}mergeCell":
            _read_range(sheet, element.get("ref", ""))
        elif tag == f"{_MAIN}col":
            _read_columns(sheet, element)
    if declared is not None:
        raise declared


def read_stored_cells(data: bytes) -> StoredWorkbook:
    """Every sheet of the .xlsx package in `data` with its stored cells. Raises TooLarge past the limits,
    and what openpyxl or the XML parser raises on a broken package or forbidden XML (the caller names
    those)."""
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, rich_text=False)
    try:
        styles, sheets = _styles(book), []
        for worksheet in book.worksheets:
            if not hasattr(worksheet, "_worksheet_path"):
                continue  # a chart sheet holds no cells
            sheet = StoredSheet(worksheet.title, worksheet.sheet_state)
            with book._archive.open(worksheet._worksheet_path) as source:
                read_sheet_xml(sheet, source, styles, worksheet._shared_strings)
            sheets.append(sheet)
        properties = book.properties
        return StoredWorkbook(sheets, properties.created, properties.modified)
    finally:
        book.close()
