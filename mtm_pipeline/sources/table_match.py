"""Find a layout's tables in a workbook: header rows recognised by their labels, each table's extent (its
body rows down to the note under it), and which table of the layout each one is (by its heading when
several tables share a header). The near misses are kept with their problems, to name the cells of the
layout a refused workbook comes closest to.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from mtm_pipeline.numbers import NumberFormatError, parse_published_number
from mtm_pipeline.periods import Period
from mtm_pipeline.sources.errors import Problem
from mtm_pipeline.sources.layouts import (
    Layout,
    TableSpec,
    label_matches,
    label_parts,
    normalise_label,
    period_of_header,
)
from mtm_pipeline.sources.row_labels import CountryLookup, is_note, row_kind
from mtm_pipeline.sources.sheets import Sheet


@dataclass(frozen=True)
class FoundTable:
    spec: TableSpec
    sheet: Sheet
    header_row: int  # first header row
    header_rows: int
    columns: dict[str, int]  # layout column key -> sheet column
    period_columns: dict[int, Period]  # sheet column -> period (period tables)
    body: tuple[int, ...]  # rows of the table (total, values, remainder), top to bottom
    heading_text: str  # text between the previous table (or the top of the sheet) and the header
    top_row: int = 1  # first row after the previous table: where this table's heading starts


@dataclass
class Attempt:
    """The outcome of matching one layout: the tables found, or the problems of the nearest match."""

    layout: Layout
    tables: list[FoundTable] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    closeness: int = 0  # header cells matched: ranks near misses


def cell_problem(sheet: Sheet, row: int, column: int, message: str) -> Problem:
    return Problem(row, None, f"sheet {sheet.name!r}, cell {sheet.cell_name(row, column)}: {message}")


def _header_parts(sheet: Sheet, row: int, rows: int, column: int) -> list[str]:
    parts: list[str] = []
    for r in range(row, row + rows):
        for part in label_parts(sheet.text(r, column)):
            if part not in parts:
                parts.append(part)
    return parts


def header_written(sheet: Sheet, row: int, rows: int, column: int) -> str:
    """A header as written: line breaks in a cell read as spaces (as the cell wraps), header rows joined
    with ' / '."""
    texts = [" ".join(sheet.text(r, column).split()) for r in range(row, row + rows)]
    return " / ".join(dict.fromkeys(t for t in texts if t))


def _match_header(spec: TableSpec, sheet: Sheet, row: int, rows: int) -> tuple[dict[str, int], list[int]]:
    """Layout column key -> sheet column for the header at `row` spanning `rows` rows, and the sheet
    columns whose header matched no layout column."""
    found: dict[str, int] = {}
    unmatched = []
    for column in range(1, sheet.max_column + 1):
        parts = _header_parts(sheet, row, rows, column)
        if not parts:
            continue
        keys = [c.key for c in spec.columns if c.key not in found and label_matches(parts, c.labels)]
        if keys:
            found[keys[0]] = column
        else:
            unmatched.append(column)
    return found, unmatched


def _header_candidates(spec: TableSpec, sheet: Sheet, max_rows: int):
    """(row, header rows, columns, unmatched columns, matched count) of each row that looks like this
    table's header: at least half of the required columns (two at least), or all but one. A header
    spans several rows when every row of it holds only column labels or periods (one row per language)."""
    required = spec.required_columns
    fewest_matched = max(2, min(len(required) - 1, (len(required) + 1) // 2)) if len(required) > 1 else 1
    row = 1
    while row <= sheet.max_row:
        best = None
        for rows in range(1, max_rows + 1):
            if row + rows - 1 > sheet.max_row or (
                rows > 1
                and not (_is_header_row(spec, sheet, row) and _is_header_row(spec, sheet, row + rows - 1))
            ):
                break
            columns, unmatched = _match_header(spec, sheet, row, rows)
            matched = sum(1 for c in required if c.key in columns)
            if matched >= fewest_matched and (best is None or matched >= best[4]):
                best = (row, rows, columns, unmatched, matched)
        if best is not None:
            yield best
            row += best[1]
        else:
            row += 1


def _is_header_row(spec: TableSpec, sheet: Sheet, row: int) -> bool:
    """Every text in the row is a label of one of the table's columns or a period: header, not data."""
    texts = [(c, sheet.text(row, c)) for c in range(1, sheet.max_column + 1) if sheet.text(row, c)]
    if not texts:
        return False
    for column, text in texts:
        if any(label_matches(text, c.labels) for c in spec.columns):
            continue
        if spec.period_columns is not None and period_of_header(text) is not None:
            continue
        return False
    return True


def match_layout(layout: Layout, sheets: list[Sheet], countries: CountryLookup) -> Attempt:
    """The tables of `layout` found on the visible sheets, or the problems that keep it from matching."""
    attempt = Attempt(layout)
    for sheet in sheets:
        candidates = []
        for spec in layout.tables:
            for row, rows, columns, unmatched, matched in _header_candidates(
                spec, sheet, layout.max_header_rows
            ):
                candidates.append((row, rows, spec, columns, unmatched, matched))
        if not candidates:
            continue
        if not sheet.visible:
            attempt.problems.append(
                Problem(
                    None,
                    None,
                    f"sheet {sheet.name!r} is hidden but holds a table of "
                    f"layout {layout.name!r}: unhide it, or delete it if it is not part "
                    "of the delivery",
                )
            )
            continue
        candidates.sort(key=lambda c: (c[0], -c[5]))
        starts: list[tuple] = []
        for candidate in candidates:  # one table per header row: the spec matching most columns
            if starts and candidate[0] < starts[-1][0] + starts[-1][1]:
                continue
            starts.append(candidate)
        previous_end = 0
        for index, (row, rows, spec, columns, unmatched, matched) in enumerate(starts):
            attempt.closeness += matched
            next_start = starts[index + 1][0] if index + 1 < len(starts) else sheet.max_row + 1
            table = _read_table_frame(
                layout,
                spec,
                sheet,
                row,
                rows,
                columns,
                unmatched,
                previous_end,
                next_start,
                attempt.problems,
                countries,
            )
            if table is not None:
                attempt.tables.append(table)
                previous_end = table.body[-1] if table.body else row + rows - 1
    _assign_headings(layout, attempt)
    return attempt


def _read_table_frame(
    layout, spec, sheet, row, rows, columns, unmatched, previous_end, next_start, problems, countries
):
    """The extent of one table: its header checked, its body rows up to the note under it."""
    header_end = row + rows - 1
    period_columns: dict[int, Period] = {}
    for key in [c.key for c in spec.required_columns if c.key not in columns]:
        column_spec = next(c for c in spec.columns if c.key == key)
        expected = f"the column header {column_spec.shown!r}" + (
            f" (or one of {len(column_spec.labels) - 1} other spellings in layout {layout.name})"
            if len(column_spec.labels) > 1
            else ""
        )
        if unmatched and spec.period_columns is None:
            column = unmatched[0]
            problems.append(
                cell_problem(
                    sheet,
                    row,
                    column,
                    f"expected {expected}, found {header_written(sheet, row, rows, column)!r}",
                )
            )
            unmatched = unmatched[1:]
        else:
            problems.append(
                Problem(
                    row,
                    None,
                    f"sheet {sheet.name!r}, header row {row}: expected {expected}, found no such column",
                )
            )
    label_column = columns.get(spec.label_column)
    for column in unmatched:
        text = header_written(sheet, row, rows, column)
        if spec.period_columns is not None and label_column and column > label_column:
            period = period_of_header(_header_parts(sheet, row, rows, column))
            if period is not None:
                period_columns[column] = period
                continue
            expected = "a reference period such as 'I кв. 2024', '2024 Q1' or '2023'"
        else:
            expected = "one of the layout's column headers"
        problems.append(cell_problem(sheet, row, column, f"expected {expected}, found {text!r}"))
    if spec.period_columns is not None and not period_columns and label_column:
        problems.append(
            Problem(
                row,
                None,
                f"sheet {sheet.name!r}, header row {row}: expected columns headed "
                "by reference periods, found none",
            )
        )
    if label_column is None:
        return None
    figure_columns = (
        sorted(period_columns)
        if spec.period_columns
        else [columns[f.column] for f in spec.figures if f.column in columns]
    )
    body: list[int] = []
    stop = next_start
    for r in range(header_end + 1, next_start):
        label = sheet.text(r, label_column)
        has_figures = any(sheet.text(r, c) for c in figure_columns)
        kind, _ = row_kind(layout, spec, label, countries)
        first_text = next((t for t in sheet.row_texts(r) if t), "")
        if is_note(layout, first_text):
            kind = "note"  # a note may start in any column, e.g. under the row numbers
        if not label and not has_figures and kind != "note":
            continue  # a blank row (or a row of footnote marks in other columns)
        if kind == "note" or (kind in ("unknown", "skip") and not has_figures and body):
            if kind != "skip":
                stop = r
                break
            continue
        if kind == "unknown" and not has_figures and not body:
            continue  # a sub-heading between the header and the first row
        body.append(r)
    for r in range(stop, next_start):  # below the note: nothing that looks like a figure of this table
        for c in figure_columns:
            text = sheet.text(r, c)
            if (
                text
                and _looks_numeric(text)
                and not is_note(layout, next((t for t in sheet.row_texts(r) if t), ""))
            ):
                problems.append(
                    cell_problem(
                        sheet,
                        r,
                        c,
                        f"expected nothing below the note that ends the table "
                        f"at row {stop}, found the figure {text!r}: move the note under "
                        "the last row of the table",
                    )
                )
    heading_rows = range(previous_end + 1, row)
    heading_text = "\n".join(t for r in heading_rows for t in sheet.row_texts(r) if t)
    return FoundTable(
        spec, sheet, row, rows, columns, period_columns, tuple(body), heading_text, previous_end + 1
    )


def _looks_numeric(text: str) -> bool:
    try:
        parse_published_number(text)
    except NumberFormatError:
        return False
    return True


def _assign_headings(layout: Layout, attempt: Attempt) -> None:
    """Tables with the same header are told apart by their heading (or sheet name); every table of the
    layout must be found once, unless it is optional."""
    assigned: list[FoundTable] = []
    for table in attempt.tables:
        same_header = [s for s in layout.tables if s.columns == table.spec.columns]
        spec = table.spec
        if len(same_header) > 1 or spec.heading:
            lines = [normalise_label(line) for line in ([table.sheet.name, *table.heading_text.splitlines()])]
            spec = None
            for line in reversed(lines):  # the heading nearest to the table decides, the sheet name last
                hits = [s for s in same_header if any(h in line for h in s.heading)]
                if hits:
                    spec = hits[0]
                    break
            if spec is None:
                headings = "; ".join(repr(s.heading_shown) for s in same_header if s.heading_shown)
                attempt.problems.append(
                    Problem(
                        table.header_row,
                        None,
                        f"sheet {table.sheet.name!r}, rows above row {table.header_row}: "
                        f"expected a heading saying which table this is ({headings}), found "
                        f"{table.heading_text.strip()[:120]!r}",
                    )
                )
                continue
        assigned.append(dataclasses.replace(table, spec=spec))
    attempt.tables = assigned
    for spec in layout.tables:
        found = [t for t in assigned if t.spec is spec]
        if len(found) > 1:
            cells = ", ".join(f"{t.sheet.name!r} row {t.header_row}" for t in found)
            attempt.problems.append(
                Problem(
                    None,
                    None,
                    f"table {spec.name!r} of layout {layout.name!r} appears "
                    f"{len(found)} times ({cells}); expected once",
                )
            )
        elif not found and not spec.optional and attempt.tables:
            attempt.problems.append(
                Problem(
                    None,
                    None,
                    f"expected table {spec.name!r} of layout {layout.name!r}"
                    + (f" under a heading such as {spec.heading_shown!r}" if spec.heading_shown else "")
                    + f" with the header {', '.join(repr(c.shown) for c in spec.required_columns)}; found no such "
                    "table on any visible sheet",
                )
            )
