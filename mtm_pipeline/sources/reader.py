"""Find and read one source extract (CSV or XLSX, same columns) into a frame of text cells.

Every input either reads correctly by a documented normalisation or is refused with an ExtractError
naming the file, row and column and saying what to fix. The rules are listed in data/raw/README.md
("Normalisations and refusals"); keep the two in step.
"""

from __future__ import annotations

import csv
import difflib
import hashlib
import io
import re
import statistics
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path

import pandas as pd

from mtm_pipeline.numbers import (
    NumberFormatError,
    comma_is_ambiguous,
    parse_published_number,
    writes_decimal_comma,
)
from mtm_pipeline.sources.contract import COLUMNS, EXTENSIONS, SourceSpec
from mtm_pipeline.sources.errors import ExtractError, Problem
from mtm_pipeline.sources.xlsx_cells import StoredCell, StoredSheet, StoredWorkbook, column_letters
from mtm_pipeline.sources.xlsx_package import date_text, load_xlsx, number_text, refuse_xlsx

# Limits: far above any real extract (the largest delivered file is under 20 KB), far below what
# would exhaust memory. A workbook is checked before any XML in it is parsed.
MAX_FILE_BYTES = 20 * 1024 * 1024
# Decimal places the warehouse stores: DECIMAL(24, 4) for value and change, DECIMAL(7, 3) for share.
STORED_DECIMALS = {"value": 4, "change": 4, "share": 3}
# Characters trimmed from both ends of every cell besides white space: BOM and zero-width characters.
_INVISIBLE = "\ufeff\u200b\u200c\u200d\u2060"
# Editor lock files left next to an open file: Excel "~$name.xlsx", LibreOffice ".~lock.name#".
_LOCK_FILE = re.compile(r"^(~\$|\.~lock\.)")
_SIMILAR_NAME_RATIO = 0.85


@dataclass(frozen=True)
class RawExtract:
    path: Path
    sha256: str  # of the exact bytes that were read
    frame: pd.DataFrame  # text cells ('' for empty), index = row number in the file (header is row 1)


def _stem_key(name: str) -> str:
    """'Border-Crossings.CSV' -> 'border_crossings' (for spotting misnamed extract files)."""
    stem = name.split(".", 1)[0]
    return re.sub(r"[\s\-]+", "_", unicodedata.normalize("NFC", stem).casefold()).strip("_")


def find_extract(quarter_dir: Path, spec: SourceSpec) -> Path | None:
    """The one file delivered for this source in this quarter, or None when the source is absent.

    Refused: a missing quarter folder, two files for one source, and files that look like this
    source's extract under another name ('Border_Crossings.CSV', 'border-crossings.csv',
    'border_crossings.xls', 'border_crossings.csv.bak'): read as "absent" they would silently drop the
    source's rows from the quarter.
    """
    if not quarter_dir.is_dir():
        raise ExtractError(
            str(quarter_dir),
            [Problem(None, None, "the quarter folder does not exist (or is not a folder)")],
            hint="Create raw/<YYYY-Qn>/ with the quarter's extracts, or load a quarter that exists.",
        )
    expected = [f"{spec.file_stem}{ext}" for ext in EXTENSIONS]
    found, misnamed, not_files = [], [], []
    for entry in sorted(quarter_dir.iterdir(), key=lambda p: p.name):
        name = entry.name
        if name in expected:
            (found if entry.is_file() else not_files).append(entry)
        elif not _LOCK_FILE.match(name) and (
            _stem_key(name) == spec.file_stem
            or difflib.SequenceMatcher(None, _stem_key(name), spec.file_stem).ratio() >= _SIMILAR_NAME_RATIO
        ):
            misnamed.append(name)
    problems = []
    if len(found) > 1:
        problems.append(
            Problem(None, None, f"two files for source {spec.key!r}: {', '.join(p.name for p in found)}")
        )
    if not_files:
        problems += [
            Problem(None, None, f"{p.name} is not a readable file (a folder or a broken link)")
            for p in not_files
        ]
    if misnamed:
        problems.append(
            Problem(
                None,
                None,
                f"{', '.join(misnamed)} looks like the {spec.key!r} extract but is not named "
                f"{' or '.join(expected)}",
            )
        )
    if problems:
        raise ExtractError(
            str(quarter_dir),
            problems,
            hint=f"Keep exactly one file per source and quarter, named {' or '.join(expected)}; rename the "
            "file, or move copies and backups out of the quarter folder.",
        )
    return found[0] if found else None


def file_sha256(path: Path) -> str:
    """The SHA-256 of the file's bytes, read in blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _clean_text(value: str) -> str:
    return unicodedata.normalize("NFC", value).strip().strip(_INVISIBLE).strip()


# A character the workbook's XML escapes in cell text, '_x000D_' (Excel writes a carriage return in a cell so,
# and a literal '_x000D_' as '_x005F_x000D_'). openpyxl leaves the escapes as written.
_OOXML_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def unescape_xlsx_text(value):
    """A text cell's escaped characters decoded
    ('Өзбекстан_x000D_\\nУзбекистан' -> 'Өзбекстан\\r\\nУзбекистан')."""
    if not isinstance(value, str) or "_x" not in value:
        return value
    return _OOXML_ESCAPE.sub(lambda match: chr(int(match.group(1), 16)), value)


def _clean_cell(value: object) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return _clean_text(str(value))


# --- CSV -----------------------------------------------------------------------------------------


def _undecodable_cells(path: Path, data: bytes) -> list[Problem]:
    """Where the bytes that are not UTF-8 are: row and column, and what they say read as cp1251."""
    text = data.decode("utf-8", errors="surrogateescape")
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error:
        rows = [[line] for line in text.split("\n")]
    if not rows:
        return [Problem(None, None, "the file is not UTF-8")]
    header = [_clean_text(c.encode("utf-8", "surrogateescape").decode("utf-8", "replace")) for c in rows[0]]
    problems = []
    for number, row in enumerate(rows, start=1):
        for index, cell in enumerate(row):
            if not any("\udc80" <= ch <= "\udcff" for ch in cell):
                continue
            raw = cell.encode("utf-8", errors="surrogateescape")
            try:
                as_cp1251 = f"; read as cp1251 it would say {raw.decode('cp1251').strip()!r}"
            except UnicodeDecodeError:
                as_cp1251 = ""
            column = header[index] if number > 1 and index < len(header) else None
            problems.append(Problem(number, column, f"bytes that are not UTF-8{as_cp1251}"))
    return problems or [Problem(None, None, "the file is not UTF-8")]


def _decode_csv(path: Path, data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ExtractError(
            str(path),
            [Problem(None, None, "the file is UTF-16 (it starts with a UTF-16 byte order mark)")],
            hint="Save the file as CSV UTF-8 and deliver it again.",
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    raise ExtractError(
        str(path),
        _undecodable_cells(path, data),
        hint="The file is not UTF-8 (it looks like cp1251 or another legacy encoding). Legacy encodings "
        "are refused, not guessed: cp1251 cannot hold Kazakh letters (Қ, Ә, Ө) or 'ü', and any bytes "
        "decode as *some* cp1251 text. Save the file as CSV UTF-8 and deliver it again.",
    )


def _refuse_semicolons(path: Path, text: str) -> None:
    """Refuse a CSV whose cells are separated by ';' (Excel's CSV in Russian or Kazakh regional settings):
    read with commas, each of its rows would be one cell, or its decimal commas would split figures."""
    numbered = [(n, line) for n, line in enumerate(text.splitlines()[:200], start=1) if line.strip()]
    lines = [line for _, line in numbered]
    if not lines:
        return
    try:
        by_semicolon = [len(r) for r in csv.reader(lines, delimiter=";")]
        by_comma = [len(r) for r in csv.reader(lines)]
    except csv.Error:
        return  # refused as CSV by the reader, naming the row
    semicolon_rows = sum(1 for n in by_semicolon if n > 1)
    if semicolon_rows * 2 > len(lines) and statistics.median(by_semicolon) > statistics.median(by_comma):
        first = next(index for index, n in enumerate(by_semicolon) if n > 1)
        row, line = numbered[first]
        raise ExtractError(
            str(path),
            [
                Problem(
                    row,
                    None,
                    f"the file separates its cells with ';' (semicolons), not commas: {semicolon_rows} of "
                    f"its first {len(lines)} rows have ';' between cells (e.g. row {row}: {line[:80]!r})",
                )
            ],
            hint="Save the file as 'CSV UTF-8 (comma delimited)', or set the list separator to ',' in the "
            "regional settings before saving; or deliver the workbook as .xlsx.",
        )


def _read_csv_rows(path: Path, data: bytes) -> list[list[str]]:
    text = _decode_csv(path, data)
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise ExtractError(
            str(path),
            [Problem(line, None, "the file contains NUL bytes (binary data, not CSV text)")],
            hint="Deliver the extract as CSV UTF-8 text (or as .xlsx under the .xlsx name).",
        )
    _refuse_semicolons(path, text)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows: list[list[str]] = []
    try:
        for row in reader:
            rows.append(row)  # noqa: PERF402 - keep the rows read so far to name the row that fails
    except csv.Error as exc:
        raise ExtractError(
            str(path),
            [Problem(len(rows) + 1, None, f"not valid CSV ({exc}), near line {reader.line_num} of the file")],
            hint="A quote opened in this row is never closed, or a quoted cell is followed by other text. "
            "Quote cells that contain commas, quotes or line breaks as in RFC 4180 (double inner quotes).",
        ) from exc
    return rows


# --- XLSX ----------------------------------------------------------------------------------------


def _sheet_with_the_extract(path: Path, workbook: StoredWorkbook) -> StoredSheet:
    """The one sheet with data; refused when several sheets hold data or the sheet has merged cells."""
    with_data = [s.name for s in workbook.sheets if s.cells]
    if len(with_data) > 1:
        raise refuse_xlsx(
            path,
            f"the workbook has {len(with_data)} sheets with data ({', '.join(repr(t) for t in with_data)}); "
            "only one sheet is read, so rows on the others would be lost",
            hint="Deliver the extract on a single sheet (delete or move the other sheets).",
        )
    sheet = next((s for s in workbook.sheets if s.cells), workbook.sheets[0] if workbook.sheets else None)
    if sheet is None:
        return StoredSheet("", "visible")
    if sheet.merged:
        merged = sorted(
            f"{column_letters(c1)}{r1}:{column_letters(c2)}{r2}" for r1, c1, r2, c2 in sheet.merged
        )
        raise ExtractError(
            str(path),
            [Problem(None, None, f"merged cells {', '.join(merged)}")],
            hint="Unmerge every cell: a merged range keeps its value only in its first cell, so the header "
            "or the rows it spans would read as empty. Give every column its own header cell in row 1 and "
            "repeat values in every row they apply to.",
        )
    return sheet


def _stored_text(cell: StoredCell) -> str:
    """A stored cell as the contract reads it: dates as ISO dates, numbers as the digits shown."""
    value = cell.value
    if isinstance(value, bool):
        return str(value).upper()
    if isinstance(value, (datetime, date)):
        return date_text(value, cell.number_format)
    if isinstance(value, (int, float, Decimal)):
        return number_text(value, cell.number_format)
    if isinstance(value, time):
        return value.isoformat()
    return _clean_cell(unescape_xlsx_text(value))


def _read_xlsx_rows(path: Path, data: bytes, workbooks: StoredWorkbook | None = None) -> list[list[str]]:
    """The extract's sheet as rows of text cells (each row as long as its last stored cell), read from
    the cells as stored; refused naming the cells of formulas without a saved result and of errors."""
    sheet = _sheet_with_the_extract(path, workbooks or load_xlsx(path, data))
    header_cells = sorted((c, cell) for (r, c), cell in sheet.cells.items() if r == 1)
    header = [""] * (header_cells[-1][0] if header_cells else 0)
    for column, cell in header_cells:
        header[column - 1] = _stored_text(cell) if cell.value is not None else ""
    rows: list[list[str]] = [[] for _ in range(sheet.max_row)]
    problems: list[Problem] = []
    for (number, column), cell in sorted(sheet.cells.items()):
        index = column - 1
        name = header[index] if number > 1 and index < len(header) and header[index] else None
        where = f"cell {column_letters(column)}{number}"
        row = rows[number - 1]
        row.extend([""] * (column - len(row)))
        if cell.formula is not None and cell.value is None:
            problems.append(
                Problem(number, name, f"{where}: formula {cell.formula} has no saved result (read as empty)")
            )
        elif cell.error is not None:
            problems.append(Problem(number, name, f"{where}: the cell holds the error {cell.error}"))
        else:
            row[index] = _stored_text(cell)
    if problems:
        raise ExtractError(
            str(path),
            problems,
            hint="Open the workbook in Excel or LibreOffice, let it recalculate, and save it again (so each "
            "formula's result is stored), or paste the values as values. Fix cells that show an error.",
        )
    return rows


# --- both formats --------------------------------------------------------------------------------


def _header_problems(header: list[str]) -> list[Problem]:
    problems = []
    missing = [c for c in COLUMNS if c not in header]
    extra = [c for c in header if c and c not in COLUMNS]
    unnamed = [str(i + 1) for i, c in enumerate(header) if not c]
    duplicated = sorted({c for c in header if c and header.count(c) > 1})
    if missing:
        problems.append(Problem(1, None, f"missing column(s): {', '.join(missing)}"))
    if extra:
        named = []
        for column in extra:
            close = difflib.get_close_matches(column.casefold(), [c for c in missing], n=1, cutoff=0.6)
            named.append(f"{column!r}" + (f" (is it {close[0]!r}?)" if close else ""))
        problems.append(Problem(1, None, f"unknown column(s): {', '.join(named)}"))
    if unnamed:
        problems.append(
            Problem(1, None, f"column(s) without a name in the header: number {', '.join(unnamed)}")
        )
    if duplicated:
        problems.append(Problem(1, None, f"column(s) named twice: {', '.join(duplicated)}"))
    return problems


def _ambiguous_commas(frame: pd.DataFrame) -> list[Problem]:
    """Figures like '2,700' in an extract that writes decimal commas elsewhere ('1 234,5'): 2700 or 2.7."""
    figures = [(number, column, text) for column in STORED_DECIMALS for number, text in frame[column].items()]
    decimal = next(((n, c, t) for n, c, t in figures if writes_decimal_comma(t)), None)
    if decimal is None:
        return []
    return [
        Problem(
            int(number),
            column,
            f"{text!r} could be read with a decimal comma, as the file writes {decimal[2]!r} "
            f"(row {decimal[0]}, column {decimal[1]!r}), or with a thousands comma; refused rather than "
            "guessed (write '2 700' or '2,7')",
        )
        for number, column, text in figures
        if comma_is_ambiguous(text)
    ]


def _cell_problems(frame: pd.DataFrame) -> list[Problem]:
    """Cells the schema would accept but the warehouse could not keep exactly, and rows swallowed by
    a quote that was never closed."""
    problems = []
    for column, places in STORED_DECIMALS.items():
        for number, text in frame[column].items():
            if not text:
                continue
            try:
                parsed = parse_published_number(text, allow_percent_sign=column != "value")
            except NumberFormatError:
                continue  # reported by the schema with the other failures
            if parsed.decimal_places > places:
                problems.append(
                    Problem(
                        int(number),
                        column,
                        f"{text!r} has {parsed.decimal_places} decimal places in base units; the warehouse "
                        f"keeps {places} (round it as published, or use a scale word)",
                    )
                )
    problems += _ambiguous_commas(frame)
    delimiters = len(COLUMNS) - 2
    for column in COLUMNS:
        for number, text in frame[column].items():
            if "\n" in text and any(line.count(",") >= delimiters for line in text.splitlines()[1:]):
                problems.append(
                    Problem(
                        int(number),
                        column,
                        "the cell runs over several lines that look like whole rows: a quote opened here "
                        "is closed only further down, so the rows in between would be lost",
                    )
                )
    return sorted(problems, key=lambda p: (p.row or 0, p.column or ""))


def _read_file(path: Path) -> bytes:
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ExtractError(
                str(path),
                [Problem(None, None, f"the file has {size:,} bytes (limit {MAX_FILE_BYTES:,})")],
                hint="An extract holds one quarter's published figures; check that this is the right file.",
            )
        return path.read_bytes()
    except OSError as exc:
        raise ExtractError(
            str(path),
            [Problem(None, None, f"cannot read the file ({exc.__class__.__name__}: {exc.strerror or exc})")],
            hint="Check that the file exists, is a regular file and is readable by the pipeline.",
        ) from exc


def _header_of(path: Path, rows: list[list[str]]) -> list[str]:
    """The header row (row 1, without empty cells at its end); refused when missing or wrong."""
    if not rows or not any(rows[0]):
        empty = not any(any(r) for r in rows)
        raise ExtractError(
            str(path),
            [
                Problem(
                    1, None, "the file is empty: no header row" if empty else "row 1 is empty: no header row"
                )
            ],
            hint="Deliver the extract with its header in row 1 and its rows below, or leave the file out if "
            "the source has nothing this quarter (an empty file is not a substitute).",
        )
    header = rows[0]
    while header and header[-1] == "":
        header = header[:-1]
    if problems := _header_problems(header):
        raise ExtractError(
            str(path),
            problems,
            hint=f"The header must name exactly these columns, in any order: {', '.join(COLUMNS)}.",
        )
    return header


def _records(path: Path, header: list[str], rows: list[list[str]]) -> tuple[list[dict], list[int]]:
    """The observations below the header as records by column, and their row numbers; refused when a
    row has more cells than the header (or, in a CSV, fewer)."""
    body = [(number, row) for number, row in enumerate(rows[1:], start=2) if any(row)]
    if not body:
        raise ExtractError(
            str(path),
            [Problem(None, None, "the file has a header but no observations")],
            hint="Deliver the extract with its rows, or leave the file out if the source has no data.",
        )
    records, bad_rows = [], []
    for number, row in body:
        if len(row) > len(header) and any(row[len(header) :]):
            bad_rows.append(
                Problem(number, None, f"{len(row)} cells but the header has {len(header)} columns")
            )
        elif len(row) < len(header) and path.suffix == ".csv":
            bad_rows.append(
                Problem(
                    number,
                    header[len(row)],
                    f"{len(row)} cells but the header has {len(header)} columns: the row ends before "
                    f"column {header[len(row)]!r}",
                )
            )
        records.append(dict(zip(header, row + [""] * (len(header) - len(row)))))
    if bad_rows:
        raise ExtractError(
            str(path),
            bad_rows,
            hint="Give every row one cell per header column (empty cells too), and quote values that "
            "contain commas.",
        )
    return records, [number for number, _ in body]


def read_extract(
    path: Path, data: bytes | None = None, workbooks: StoredWorkbook | None = None
) -> RawExtract:
    """Read a CSV (UTF-8, BOM allowed) or XLSX (one sheet) extract; the header row names the columns.

    A caller that has read the file already passes its bytes (`data`, at most MAX_FILE_BYTES) and, for a
    workbook, what `load_xlsx` made of them, so the file is read and parsed once."""
    if data is None:
        data = _read_file(path)
    rows = _read_csv_rows(path, data) if path.suffix == ".csv" else _read_xlsx_rows(path, data, workbooks)
    rows = [[_clean_cell(c) for c in row] for row in rows]
    header = _header_of(path, rows)
    records, numbers = _records(path, header, rows)
    frame = pd.DataFrame.from_records(records, columns=list(COLUMNS), index=numbers)
    frame.index.name = "row_number"
    problems = _cell_problems(frame)
    if problems:
        raise ExtractError(str(path), problems)
    return RawExtract(path=path, sha256=hashlib.sha256(data).hexdigest(), frame=frame)
