"""Find a layout's tables in a workbook: header rows recognised by their labels (`headers`), each table's
extent (its body rows down to the note under it), and which table of the layout each one is (by its
heading when several tables share a header). The near misses are kept with their problems, to name the
cells of the layout a refused workbook comes closest to.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from mtm_pipeline.numbers import NumberFormatError, parse_published_number
from mtm_pipeline.periods import Period
from mtm_pipeline.sources.errors import Problem
from mtm_pipeline.sources.headers import Header, header_candidates, header_parts
from mtm_pipeline.sources.layouts import Layout, TableSpec, normalise_label, period_of_header
from mtm_pipeline.sources.period_words import periods_of_parts
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
    skipped_rows: int = 0  # a column-numbering row or a units row under the header
    extras: dict[int, tuple[str, str, int]] = field(
        default_factory=dict
    )  # column -> kind, base, figure column

    @property
    def body_start(self) -> int:
        """The first row under the header (and under its numbering and units rows)."""
        return self.header_row + self.header_rows + self.skipped_rows


@dataclass
class Attempt:
    """The outcome of matching one layout: the tables found, or the problems of the nearest match."""

    layout: Layout
    tables: list[FoundTable] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    closeness: int = 0  # header cells matched: ranks near misses


def cell_problem(sheet: Sheet, row: int, column: int, message: str) -> Problem:
    """A problem naming the sheet and the cell in A1 notation."""
    return Problem(row, None, f"sheet {sheet.name!r}, cell {sheet.cell_name(row, column)}: {message}")


def header_written(sheet: Sheet, row: int, rows: int, column: int) -> str:
    """A header as written: line breaks in a cell read as spaces (as the cell wraps), header rows joined
    with ' / '."""
    texts = [" ".join(sheet.text(r, column).split()) for r in range(row, row + rows)]
    return " / ".join(dict.fromkeys(t for t in texts if t))


@dataclass(frozen=True)
class _Candidate:
    row: int
    rows: int
    skipped: int
    spec: TableSpec
    header: Header
    matched: int


def _candidates(layout: Layout, sheet: Sheet) -> list[_Candidate]:
    """One header per row (the table matching most columns there), top to bottom."""
    found = [
        _Candidate(row, rows, skipped, spec, header, matched)
        for spec in layout.tables
        for row, rows, skipped, header, matched in header_candidates(layout, spec, sheet)
    ]
    found.sort(key=lambda c: (c.row, -c.matched))
    starts: list[_Candidate] = []
    for candidate in found:
        if starts and candidate.row < starts[-1].row + starts[-1].rows + starts[-1].skipped:
            continue
        starts.append(candidate)
    return starts


def match_layout(layout: Layout, sheets: list[Sheet], countries: CountryLookup) -> Attempt:
    """The tables of `layout` found on the visible sheets, or the problems that keep it from matching."""
    attempt = Attempt(layout)
    for sheet in sheets:
        starts = _candidates(layout, sheet)
        if not starts:
            continue
        if not sheet.visible:
            attempt.problems.append(
                Problem(
                    None,
                    None,
                    f"sheet {sheet.name!r} is hidden but holds a table of layout {layout.name!r}: unhide it, "
                    "or delete it if it is not part of the delivery",
                )
            )
            continue
        previous_end = 0
        for index, candidate in enumerate(starts):
            attempt.closeness += candidate.matched
            next_start = starts[index + 1].row if index + 1 < len(starts) else sheet.max_row + 1
            frame = _Frame(layout, sheet, candidate, previous_end, next_start, attempt.problems, countries)
            table = _read_table_frame(frame)
            if table is not None:
                attempt.tables.append(table)
                previous_end = table.body[-1] if table.body else table.body_start - 1
    _assign_headings(layout, attempt)
    return attempt


@dataclass(frozen=True)
class _Frame:
    layout: Layout
    sheet: Sheet
    candidate: _Candidate
    previous_end: int
    next_start: int
    problems: list[Problem]
    countries: CountryLookup


def _missing_columns(frame: _Frame, unmatched: list[int]) -> list[int]:
    """A problem for each required column the header lacks, naming an unmatched header cell where one is
    left; the unmatched columns not named."""
    c, sheet, layout = frame.candidate, frame.sheet, frame.layout
    for key in [col.key for col in c.spec.required_columns if col.key not in c.header.columns]:
        column_spec = next(col for col in c.spec.columns if col.key == key)
        expected = f"the column header {column_spec.shown!r}" + (
            f" (or one of {len(column_spec.labels) - 1} other spellings in layout {layout.name})"
            if len(column_spec.labels) > 1
            else ""
        )
        if unmatched and c.spec.period_columns is None:
            found = header_written(sheet, c.row, c.rows, unmatched[0])
            frame.problems.append(
                cell_problem(sheet, c.row, unmatched[0], f"expected {expected}, found {found!r}")
            )
            unmatched = unmatched[1:]
        else:
            frame.problems.append(
                Problem(
                    c.row,
                    None,
                    f"sheet {sheet.name!r}, header row {c.row}: expected {expected}, found no such column",
                )
            )
    return unmatched


def _period_columns(frame: _Frame, unmatched: list[int], label_column: int | None) -> dict[int, Period]:
    """The reference period of each column right of the label column (period tables); a problem for any
    other column the header does not explain."""
    c, sheet, layout = frame.candidate, frame.sheet, frame.layout
    period_columns: dict[int, Period] = {}
    for column in unmatched:
        if c.spec.period_columns is not None and label_column and column > label_column:
            parts = header_parts(layout, sheet, c.row, c.rows, column)
            period = period_of_header(parts)
            if period is not None:
                period_columns[column] = period
                continue
            if len(stated := periods_of_parts(parts)) > 1:
                frame.problems.append(
                    cell_problem(
                        sheet,
                        c.row,
                        column,
                        f"its languages state different periods ({', '.join(p.label for p in stated)}); "
                        "expected one period, the same in every language",
                    )
                )
                continue
            expected = "a reference period such as 'I кв. 2024', '2024 Q1', '2023' or 'январь-сентябрь 2024'"
        else:
            expected = "one of the layout's column headers"
        text = header_written(sheet, c.row, c.rows, column)
        frame.problems.append(cell_problem(sheet, c.row, column, f"expected {expected}, found {text!r}"))
    if c.spec.period_columns is not None and not period_columns and label_column:
        frame.problems.append(
            Problem(
                c.row,
                None,
                f"sheet {sheet.name!r}, header row {c.row}: expected columns headed by reference periods, "
                "found none",
            )
        )
    return period_columns


def _extras(frame: _Frame, period_columns: dict[int, Period]) -> dict[int, tuple[str, str, int]]:
    """Share and change columns with the figure (or period) column they belong to: the one under the same
    group header (its total rather than a subset of it), else the nearest figure column before them."""
    c = frame.candidate
    subsets = {f.column for f in c.spec.figures if f.subset_of}
    figures = {
        c.header.columns[f.column]: f.column in subsets
        for f in c.spec.figures
        if f.column in c.header.columns
    }
    figures.update(dict.fromkeys(period_columns, False))
    out: dict[int, tuple[str, str, int]] = {}
    for column, (kind, base, groups) in sorted(c.header.extras.items()):
        owner = None
        if groups:  # the group's own figure ('всего') before a subset of it, then the leftmost
            same = [
                (is_subset, figure_column)
                for figure_column, is_subset in figures.items()
                if set(groups) <= set(header_parts(frame.layout, frame.sheet, c.row, c.rows, figure_column))
            ]
            owner = min(same)[1] if same else None
        if owner is None:
            before = [fc for fc in figures if fc < column]
            owner = max(before) if before else None
        if owner is None:
            text = header_written(frame.sheet, c.row, c.rows, column)
            frame.problems.append(
                cell_problem(
                    frame.sheet, c.row, column, f"expected a figure column before the {kind} column {text!r}"
                )
            )
            continue
        out[column] = (kind, base, owner)
    return out


def _body(frame: _Frame, start: int, label_column: int, figure_columns: list[int]) -> tuple[list[int], int]:
    """The rows of the table from `start` (total, values, groups, remainder) and the row that ends it."""
    layout, spec, sheet = frame.layout, frame.candidate.spec, frame.sheet
    body: list[int] = []
    for r in range(start, frame.next_start):
        label = sheet.text(r, label_column)
        has_figures = any(sheet.text(r, c) for c in figure_columns)
        kind, _ = row_kind(layout, spec, label, frame.countries)
        if is_note(layout, next((t for t in sheet.row_texts(r) if t), "")):
            kind = "note"  # a note may start in any column, e.g. under the row numbers
        if not label and not has_figures and kind != "note":
            continue  # a blank row (or a row of footnote marks in other columns)
        if kind == "note" or (kind in ("unknown", "skip") and not has_figures and body):
            if kind != "skip":
                return body, r
            continue
        if kind in ("unknown", "group") and not has_figures and not body:
            continue  # a sub-heading between the header and the first row
        body.append(r)
    return body, frame.next_start


def _figures_below_note(frame: _Frame, stop: int, figure_columns: list[int]) -> None:
    """Below the note: nothing that looks like a figure of this table."""
    sheet = frame.sheet
    for r in range(stop, frame.next_start):
        if is_note(frame.layout, next((t for t in sheet.row_texts(r) if t), "")):
            continue
        for c in figure_columns:
            text = sheet.text(r, c)
            if text and _looks_numeric(text):
                frame.problems.append(
                    cell_problem(
                        sheet,
                        r,
                        c,
                        f"expected nothing below the note that ends the table at row {stop}, found the "
                        f"figure {text!r}: move the note under the last row of the table",
                    )
                )


def _read_table_frame(frame: _Frame) -> FoundTable | None:
    """The extent of one table: its header checked, its body rows up to the note under it."""
    c, sheet = frame.candidate, frame.sheet
    unmatched = _missing_columns(frame, list(c.header.unmatched))
    label_column = c.header.columns.get(c.spec.label_column)
    period_columns = _period_columns(frame, unmatched, label_column)
    if label_column is None:
        return None
    extras = _extras(frame, period_columns)
    figure_columns = (
        sorted(period_columns)
        if c.spec.period_columns
        else [c.header.columns[f.column] for f in c.spec.figures if f.column in c.header.columns]
    )
    start = c.row + c.rows + c.skipped
    body, stop = _body(frame, start, label_column, [*figure_columns, *extras])
    _figures_below_note(frame, stop, [*figure_columns, *extras])
    heading_rows = range(frame.previous_end + 1, c.row)
    heading_text = "\n".join(t for r in heading_rows for t in sheet.row_texts(r) if t)
    return FoundTable(
        c.spec,
        sheet,
        c.row,
        c.rows,
        dict(c.header.columns),
        period_columns,
        tuple(body),
        heading_text,
        frame.previous_end + 1,
        c.skipped,
        extras,
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
                    + f" with the header {', '.join(repr(c.shown) for c in spec.required_columns)}; "
                    "found no such table on any visible sheet",
                )
            )
