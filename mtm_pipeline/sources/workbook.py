"""Read an agency's workbook as delivered: recognise its layout by content and yield contract rows.

`read_delivery` is what ingest calls for every delivered file. A file in the observation contract (its
first row names the contract's columns) is read by `reader.read_extract` as before. Any other .xlsx must
match exactly one layout of its source (sources/layouts/*.yaml); its figures become rows of the same
contract, with provenance generated from the workbook: `publication` (the title and file), `location`
(the sheet and cell in A1 notation, 'Лист1!C6'), `published_text` (row label | column header | cell as
written). A workbook that matches no layout, or breaks the one it matches, is refused as a whole with
the file, the sheet as the workbook names it, the cell, what was expected and what was found.

The rules (formulas, merged cells, hidden rows, columns and sheets) are listed in data/raw/README.md,
"Agency tables as delivered".
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from mtm_pipeline.countries import REMAINDER_ISO3, UnmappedCountryError, country_mapper
from mtm_pipeline.numbers import NumberFormatError, parse_published_number
from mtm_pipeline.periods import Period
from mtm_pipeline.sources.contract import COLUMNS, SourceSpec
from mtm_pipeline.sources.errors import ExtractError, Problem
from mtm_pipeline.sources.layouts import (
    LAYOUTS_DIR,
    SCALE_WORDS,
    FigureSpec,
    Layout,
    TableSpec,
    agrees_with_delivery,
    label_matches,
    label_parts,
    layouts_for,
    normalise_label,
    period_of_header,
    periods_in_text,
)
from mtm_pipeline.sources.reader import MAX_FILE_BYTES, RawExtract, load_xlsx, read_extract
from mtm_pipeline.sources.sheets import Sheet, Workbook, is_contract_header, read_csv_sheet, read_sheets

REMAINDER_COUNTRY = "Other countries"  # the contract's name of a stated unnamed remainder
LAYOUT_HINT = (
    "Deliver the workbook as the agency publishes it, or add or extend a layout in "
    "mtm_pipeline/sources/layouts/ (see data/raw/README.md, 'Agency tables as delivered')."
)


# --- matching a layout ------------------------------------------------------------------------------------


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


def _problem(sheet: Sheet, row: int, column: int, message: str) -> Problem:
    return Problem(row, None, f"sheet {sheet.name!r}, cell {sheet.cell_name(row, column)}: {message}")


def _header_parts(sheet: Sheet, row: int, rows: int, column: int) -> list[str]:
    parts: list[str] = []
    for r in range(row, row + rows):
        for part in label_parts(sheet.text(r, column)):
            if part not in parts:
                parts.append(part)
    return parts


def _header_written(sheet: Sheet, row: int, rows: int, column: int) -> str:
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
    table.s header: at least half of the required columns (two at least), or all but one. A header
    spans several rows when every row of it holds only column labels or periods (one row per language)."""
    required = spec.required_columns
    need = max(2, min(len(required) - 1, (len(required) + 1) // 2)) if len(required) > 1 else 1
    row = 1
    while row <= sheet.max_row:
        best = None
        for rows in range(1, max_rows + 1):
            if row + rows - 1 > sheet.max_row or (rows > 1 and not (
                    _is_header_row(spec, sheet, row) and _is_header_row(spec, sheet, row + rows - 1))):  # fmt: skip
                break
            columns, unmatched = _match_header(spec, sheet, row, rows)
            matched = sum(1 for c in required if c.key in columns)
            if matched >= need and (best is None or matched >= best[4]):
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


def country_of(label: str) -> tuple[str, str] | None:
    """(ISO3, the name as delivered) of a country row label; a label in several languages ('Ресей /
    Россия / Russia') gives its first part, when every part names the same country."""
    mapper = country_mapper()
    candidates = [" ".join(label.split())] + [" ".join(p.split()) for p in _split_languages(label)]
    for name in candidates:
        try:
            iso3 = mapper.to_iso3(name)
        except UnmappedCountryError:
            continue
        others = set()
        for part in _split_languages(label):
            try:
                others.add(mapper.to_iso3(part))
            except UnmappedCountryError:
                others.add(None)
        if name == candidates[0] or others == {iso3}:
            return iso3, name
    return None


def _split_languages(label: str) -> list[str]:
    return [p.strip() for p in re.split(r"\s*(?:\n|\u2028| / |\|)\s*", label) if p.strip()]


def _is_note(layout: Layout, text: str) -> bool:
    return any(marker and " ".join(text.casefold().split()).startswith(marker) for marker in layout.note_markers)


def _row_kind(layout: Layout, spec: TableSpec, label: str) -> tuple[str, str | None]:
    """('total'|'remainder'|'value'|'skip'|'note'|'unknown', contract value of the row)."""
    if not label:
        return "blank", None
    if label_matches(label, layout.total):
        return "total", None
    if label_matches(label, layout.remainder):
        return "remainder", None
    if label_matches(label, layout.skip_labels):
        return "skip", None
    if _is_note(layout, label):
        return "note", None
    if spec.dimension == "country":
        return ("value", None) if country_of(label) else ("unknown", None)
    for value, labels in spec.values.items():
        if label_matches(label, labels):
            return "value", value
    return "unknown", None


def _match_layout(layout: Layout, sheets: list[Sheet]) -> Attempt:
    attempt = Attempt(layout)
    for sheet in sheets:
        candidates = []
        for spec in layout.tables:
            for row, rows, columns, unmatched, matched in _header_candidates(spec, sheet, layout.max_header_rows):
                candidates.append((row, rows, spec, columns, unmatched, matched))
        if not candidates:
            continue
        if not sheet.visible:
            attempt.problems.append(Problem(None, None, f"sheet {sheet.name!r} is hidden but holds a table of "
                                           f"layout {layout.name!r}: unhide it, or delete it if it is not part "
                                           "of the delivery"))  # fmt: skip
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
            table = _read_table_frame(layout, spec, sheet, row, rows, columns, unmatched, previous_end,
                                      next_start, attempt.problems)  # fmt: skip
            if table is not None:
                attempt.tables.append(table)
                previous_end = table.body[-1] if table.body else row + rows - 1
    _assign_headings(layout, attempt)
    return attempt


def _read_table_frame(layout, spec, sheet, row, rows, columns, unmatched, previous_end, next_start, problems):
    """The extent of one table: its header checked, its body rows up to the note under it."""
    header_end = row + rows - 1
    period_columns: dict[int, Period] = {}
    for key in [c.key for c in spec.required_columns if c.key not in columns]:
        column_spec = next(c for c in spec.columns if c.key == key)
        expected = f"the column header {column_spec.shown!r}" + (
            f" (or one of {len(column_spec.labels) - 1} other spellings in layout {layout.name})"
            if len(column_spec.labels) > 1 else "")  # fmt: skip
        if unmatched and spec.period_columns is None:
            column = unmatched[0]
            problems.append(_problem(sheet, row, column, f"expected {expected}, found "
                                     f"{_header_written(sheet, row, rows, column)!r}"))  # fmt: skip
            unmatched = unmatched[1:]
        else:
            problems.append(Problem(row, None, f"sheet {sheet.name!r}, header row {row}: expected {expected}, "
                                    "found no such column"))  # fmt: skip
    label_column = columns.get(spec.label_column)
    for column in unmatched:
        text = _header_written(sheet, row, rows, column)
        if spec.period_columns is not None and label_column and column > label_column:
            period = period_of_header(_header_parts(sheet, row, rows, column))
            if period is not None:
                period_columns[column] = period
                continue
            expected = "a reference period such as 'I кв. 2024', '2024 Q1' or '2023'"
        else:
            expected = "one of the layout's column headers"
        problems.append(_problem(sheet, row, column, f"expected {expected}, found {text!r}"))
    if spec.period_columns is not None and not period_columns and label_column:
        problems.append(Problem(row, None, f"sheet {sheet.name!r}, header row {row}: expected columns headed "
                                "by reference periods, found none"))  # fmt: skip
    if label_column is None:
        return None
    figure_columns = sorted(period_columns) if spec.period_columns else [
        columns[f.column] for f in spec.figures if f.column in columns]  # fmt: skip
    body: list[int] = []
    stop = next_start
    for r in range(header_end + 1, next_start):
        label = sheet.text(r, label_column)
        has_figures = any(sheet.text(r, c) for c in figure_columns)
        kind, _ = _row_kind(layout, spec, label)
        first_text = next((t for t in sheet.row_texts(r) if t), "")
        if _is_note(layout, first_text):
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
            if text and _looks_numeric(text) and not _is_note(layout, next((t for t in sheet.row_texts(r) if t), "")):
                problems.append(_problem(sheet, r, c, f"expected nothing below the note that ends the table "
                                         f"at row {stop}, found the figure {text!r}: move the note under the "
                                         "last row of the table"))  # fmt: skip
    heading_rows = range(previous_end + 1, row)
    heading_text = "\n".join(t for r in heading_rows for t in sheet.row_texts(r) if t)
    return FoundTable(spec, sheet, row, rows, columns, period_columns, tuple(body), heading_text, previous_end + 1)


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
                attempt.problems.append(Problem(table.header_row, None,
                    f"sheet {table.sheet.name!r}, rows above row {table.header_row}: "
                    f"expected a heading saying which table this is ({headings}), found "
                    f"{table.heading_text.strip()[:120]!r}"))  # fmt: skip
                continue
        assigned.append(dataclasses.replace(table, spec=spec))
    attempt.tables = assigned
    for spec in layout.tables:
        found = [t for t in assigned if t.spec is spec]
        if len(found) > 1:
            cells = ", ".join(f"{t.sheet.name!r} row {t.header_row}" for t in found)
            attempt.problems.append(Problem(None, None, f"table {spec.name!r} of layout {layout.name!r} appears "
                                            f"{len(found)} times ({cells}); expected once"))  # fmt: skip
        elif not found and not spec.optional and attempt.tables:
            attempt.problems.append(Problem(None, None, f"expected table {spec.name!r} of layout {layout.name!r}"
                + (f" under a heading such as {spec.heading_shown!r}" if spec.heading_shown else "")
                + f" with the header {', '.join(repr(c.shown) for c in spec.required_columns)}; found no such "
                "table on any visible sheet"))  # fmt: skip


# --- reading the figures --------------------------------------------------------------------------------------


@dataclass
class _Context:
    layout: Layout
    quarter: str
    file_name: str
    publication: str
    publication_date: str
    scale: str
    unit_note: str
    problems: list[Problem]
    records: list[dict] = field(default_factory=list)
    row_numbers: list[int] = field(default_factory=list)
    totals: dict[tuple, tuple[str, str, str]] = field(default_factory=dict)  # key -> obs_id, value, where


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.casefold()).strip("_")


def _check_sheet_rules(table: FoundTable, problems: list[Problem]) -> None:
    """Formulas without saved results, error cells, merged cells and hidden rows or columns in the table."""
    sheet = table.sheet
    first, last = table.header_row, (table.body[-1] if table.body else table.header_row + table.header_rows - 1)
    used = [table.columns[table.spec.label_column], *table.period_columns,
            *[table.columns[f.column] for f in table.spec.figures if f.column in table.columns]]  # fmt: skip
    for (row, column), message in sorted(sheet.unreadable.items()):
        if table.top_row <= row <= last and column in used:  # the table, its heading and title
            problems.append(_problem(sheet, row, column, f"expected a value, found {message}"))
    body_start = table.header_row + table.header_rows
    for min_row, min_col, max_row, max_col in sheet.merged:
        if max_row >= body_start and min_row <= last and max_col >= min(used) and min_col <= max(used):
            problems.append(_problem(sheet, min_row, min_col, f"expected one value per cell inside the table, "
                                     f"found merged cells {sheet.cell_name(min_row, min_col)}:"
                                     f"{sheet.cell_name(max_row, max_col)}"))  # fmt: skip
    for row in sorted(sheet.hidden_rows):
        if first <= row <= last and any(sheet.text(row, c) for c in used):
            problems.append(_problem(sheet, row, used[0], "expected every row of the table to be visible, found "
                                     "a hidden row with content"))  # fmt: skip
    for column in sorted(sheet.hidden_columns & set(used)):
        problems.append(_problem(sheet, table.header_row, column, "expected every column of the table to be "
                                 "visible, found a hidden column"))  # fmt: skip


def _stated_period(ctx: _Context, table: FoundTable, title: str) -> Period | None:
    periods = periods_in_text(title)
    where = f"sheet {table.sheet.name!r}, rows above row {table.header_row}"
    if len(periods) != 1:
        found = ", ".join(p.label for p in periods) if periods else f"{title.strip()[:160]!r}"
        ctx.problems.append(Problem(table.header_row, None, f"{where}: expected the reference period in the "
                                    f"title (e.g. 'за III квартал 2024 года', 'на 1 октября 2024 года'), found "
                                    f"{'several: ' if periods else ''}{found}"))  # fmt: skip
        return None
    period = periods[0]
    if not agrees_with_delivery(period, ctx.quarter, ctx.layout.period_agreement):
        ctx.problems.append(Problem(table.header_row, None, f"{where}: the title states the period "
                                    f"{period.label}, which disagrees with the delivery quarter folder "
                                    f"{ctx.quarter}: deliver the workbook in its own quarter's folder"))  # fmt: skip
        return None
    return period


def _figure_text(ctx: _Context, sheet: Sheet, row: int, column: int) -> str | None:
    """The cell as a contract value ('157.2 million'), None when the cell says 'not published'."""
    cell = sheet.cells.get((row, column))
    if cell is None or cell.text.strip() in ctx.layout.blank:
        return None
    text = cell.text.strip()
    try:
        parsed = parse_published_number(text)
        if parsed.value < 0:
            raise NumberFormatError("negative")
    except NumberFormatError:
        ctx.problems.append(_problem(sheet, row, column, "expected a number (a numeric cell, or digits with "
                                     f"space separators and a decimal comma or dot), found {text!r}"))  # fmt: skip
        return None
    return text + SCALE_WORDS[ctx.scale]


def _read_table(ctx: _Context, table: FoundTable, period: Period | None) -> None:
    spec, sheet, layout = table.spec, table.sheet, ctx.layout
    label_column = table.columns[spec.label_column]
    header = {c: _header_written(sheet, table.header_row, table.header_rows, c) for c in range(1, sheet.max_column + 1)}
    rows: list[tuple[int, str, str, str | None]] = []  # row, kind, label, value
    seen: dict[str, int] = {}
    for row in table.body:
        written = sheet.text(row, label_column)
        label = " ".join(written.split())
        kind, value = _row_kind(layout, spec, written)
        if kind == "skip":
            ctx.problems.append(_problem(sheet, row, label_column, f"expected no figures in a row labelled "
                                         f"{label!r}, found some: give the row its own label"))  # fmt: skip
            continue
        if kind in ("unknown", "blank"):
            known = {"country": "a country name (ISO 3166 in Russian, Kazakh or English, or a reviewed alias)"}
            expected = known.get(spec.dimension, f"one of the layout's {spec.dimension} labels")
            ctx.problems.append(_problem(sheet, row, label_column, f"expected {expected}, or a total or "
                                         f"remainder row label (_defaults.yaml), found {label!r}"))  # fmt: skip
            continue
        if kind == "value" and spec.dimension == "country":
            value = country_of(written)[1]
        identity = kind if kind != "value" else (value if spec.dimension != "country" else country_of(value)[0])
        if identity in seen:
            ctx.problems.append(_problem(sheet, row, label_column, f"expected each row once, found {label!r} "
                                         f"again (first in row {seen[identity]})"))  # fmt: skip
            continue
        seen[identity] = row
        rows.append((row, kind, label, value))
    has_remainder = any(kind == "remainder" for _, kind, _, _ in rows)
    complete = spec.complete == "always" or (spec.complete == "with_remainder" and has_remainder)
    figures: list[tuple[int, FigureSpec, Period]] = []
    if spec.period_columns is not None:
        figures = [(c, spec.period_columns, p) for c, p in sorted(table.period_columns.items())]
    else:
        figures = [(table.columns[f.column], f, period) for f in spec.figures if f.column in table.columns]
    total_ids: dict[str, str] = {}
    for column, figure, figure_period in figures:
        if figure_period is None:
            continue
        fixed = {**spec.fixed, **figure.fixed}
        base = [figure.obs_id_prefix or layout.obs_id_prefix, _slug(figure_period.label.replace("-", ""))]
        base += [_slug(v.replace("+", "plus")) for _, v in sorted(fixed.items())]
        total = next(((r, lbl) for r, kind, lbl, _ in rows if kind == "total"), None)
        total_id = "_".join(base + ["total"])
        total_text = _figure_text(ctx, sheet, total[0], column) if total else None
        if total and total_text is not None:
            key = (figure.measure, figure_period.label, tuple(sorted(fixed.items())))
            earlier = ctx.totals.get(key)
            if earlier is None:
                ctx.totals[key] = (total_id, total_text, sheet.where(total[0], column))
                _add(ctx, total_id, figure, figure_period, fixed, spec, None, None, total_text, None, None,
                     sheet, total[0], column, total[1], header[column])  # fmt: skip
            elif parse_published_number(earlier[1]).value != parse_published_number(total_text).value:
                ctx.problems.append(_problem(sheet, total[0], column, f"expected the same total as "
                                             f"{earlier[2]} ({earlier[1]!r}), found {total_text!r}"))  # fmt: skip
            total_ids[figure.column] = ctx.totals[key][0]
        for row, kind, label, value in rows:
            if kind == "total":
                continue
            text = _figure_text(ctx, sheet, row, column)
            if text is None:
                continue
            if kind == "remainder" and spec.dimension == "country":
                slug, country, row_value = "other", REMAINDER_COUNTRY, None
            elif kind == "remainder":
                slug, country, row_value = "other", None, layout.remainder_value
            elif spec.dimension == "country":
                iso3 = country_of(value)[0]
                slug, country, row_value = ("other" if iso3 == REMAINDER_ISO3 else iso3.lower()), value, None
            else:
                slug, country, row_value = _slug(value), None, value
            obs_id = "_".join(base + ([] if spec.dimension == "country" else [spec.dimension[:3]]) + [slug])
            part_of = total_ids.get(figure.column)
            _add(ctx, obs_id, figure, figure_period, fixed, spec, country, row_value, text, part_of,
                 ("yes" if complete else "no") if part_of else None, sheet, row, column, label, header[column])  # fmt: skip
    for column, figure, _ in figures:  # a subset column's total is a part of the other column's total
        if figure.subset_of and figure.column in total_ids and figure.subset_of in total_ids:
            for record in ctx.records:
                if record["obs_id"] == total_ids[figure.column] and not record["part_of"]:
                    record["part_of"], record["parts_complete"] = total_ids[figure.subset_of], "no"


def _add(ctx, obs_id, figure, period, fixed, spec, country, row_value, text, part_of, complete, sheet, row,
         column, label, header) -> None:  # fmt: skip
    record = dict.fromkeys(COLUMNS, "")
    record.update(
        obs_id=obs_id, measure=figure.measure, period=period.label, value=text, unit=ctx.layout.unit,
        country=country or "", part_of=part_of or "", parts_complete=complete or "",
        agency="", publication=ctx.publication, publication_date=ctx.publication_date,
        location=sheet.where(row, column),
        published_text=f"{' '.join(label.split())} | {header} | {sheet.text(row, column)}",
        note=f"Read by layout {ctx.layout.name}, table {spec.name}.{ctx.unit_note}",
    )  # fmt: skip
    for key, value in fixed.items():
        record[key] = value
    if row_value is not None:
        record[spec.dimension] = row_value
    ctx.records.append(record)
    ctx.row_numbers.append(row)


def _unit_scale(layout: Layout, tables: list[FoundTable], problems: list[Problem]) -> tuple[str, str]:
    """The scale the workbook states for its figures (from the titles, headings and headers)."""
    text = "\n".join(t.heading_text + "\n" + "\n".join(
        t.sheet.text(r, c) for r in range(t.header_row, t.header_row + t.header_rows)
        for c in range(1, t.sheet.max_column + 1)) for t in tables)  # fmt: skip
    normal = normalise_label(text)
    stated = {u.scale: u.shown for u in layout.units if any(label in normal for label in u.labels)}
    if len(stated) > 1:
        problems.append(Problem(None, None, f"expected one unit for the figures, found several: "
                                f"{', '.join(repr(s) for s in stated.values())}"))  # fmt: skip
        return "one", ""
    if not stated:
        if layout.unit_required:
            shown = " or ".join(repr(u.shown) for u in layout.units)
            problems.append(Problem(tables[0].header_row if tables else None, None,
                f"sheet {tables[0].sheet.name!r}: expected the unit of the figures ({shown}) in the title or "
                f"the headers, found none" if tables else f"expected the unit {shown}"))  # fmt: skip
        return "one", ""
    scale, shown = next(iter(stated.items()))
    return scale, f" Unit as stated: {shown}."


def read_layout_workbook(workbook: Workbook, spec: SourceSpec, quarter: str, file_name: str,
                         layouts_dir: Path = LAYOUTS_DIR) -> pd.DataFrame:  # fmt: skip
    """The contract rows of an agency workbook (text cells, index = the sheet row of each figure)."""
    sheets = workbook.sheets
    layouts = layouts_for(spec.key, layouts_dir)
    attempts = [_match_layout(layout, sheets) for layout in layouts]
    matched = [a for a in attempts if a.tables and not a.problems]
    if len(matched) > 1:
        raise ExtractError(file_name, [Problem(None, None, "the workbook matches several layouts: "
                                               + ", ".join(a.layout.name for a in matched))],
                           hint="Make the layouts' headers distinct so that each workbook matches one.")  # fmt: skip
    if not matched:
        near = max((a for a in attempts if a.closeness), key=lambda a: a.closeness, default=None)
        if near is None:
            tried = "; ".join(f"{a.layout.name} (a header with "
                              f"{', '.join(repr(c.shown) for c in a.layout.tables[0].required_columns)})"
                              for a in attempts) or "none"  # fmt: skip
            raise ExtractError(file_name, [Problem(None, None, f"the workbook matches no layout of source "
                f"{spec.key!r} and is not in the observation contract (its first row does not name the "
                f"contract's columns); sheets {', '.join(repr(s.name) for s in sheets)}; layouts tried: "
                f"{tried}")], hint=LAYOUT_HINT)  # fmt: skip
        raise ExtractError(file_name, near.problems or [Problem(None, None, "no table of the layout found")],
                           hint=f"The workbook is closest to layout {near.layout.name!r} but breaks it. "
                           + LAYOUT_HINT)  # fmt: skip
    attempt = matched[0]
    layout = attempt.layout
    problems: list[Problem] = []
    scale, unit_note = _unit_scale(layout, attempt.tables, problems)
    first_title = {}
    for table in attempt.tables:
        first_title.setdefault(table.sheet.name, table.heading_text)
    title = next(iter(first_title.values()), "").splitlines()
    publication = f"{title[0]} ({Path(file_name).name})" if title else Path(file_name).name
    ctx = _Context(layout, quarter, file_name, publication, (workbook.saved.isoformat() if workbook.saved else quarter[:4]), scale,
                   unit_note, problems)  # fmt: skip
    for table in attempt.tables:
        _check_sheet_rules(table, problems)
        period = None
        if layout.period_from == "title":
            sheet_title = first_title[table.sheet.name]
            text = sheet_title if sheet_title == table.heading_text else sheet_title + "\n" + table.heading_text
            period = _stated_period(ctx, table, text)
        else:
            for column, stated in table.period_columns.items():
                if not agrees_with_delivery(stated, quarter, layout.period_agreement):
                    problems.append(_problem(table.sheet, table.header_row, column, f"expected a period that has "
                        f"ended by the delivery quarter {quarter}, found {stated.label}"))  # fmt: skip
        _read_table(ctx, table, period)
    if not ctx.records and not problems:
        problems.append(Problem(None, None, f"layout {layout.name!r} matched, but its tables hold no figures"))
    if problems:
        raise ExtractError(file_name, problems, hint=f"The workbook follows layout {layout.name!r} "
                           "but breaks it as listed. Correct the workbook (or the layout, if the agency changed "
                           "its table) and deliver it again.")  # fmt: skip
    frame = pd.DataFrame.from_records(ctx.records, columns=list(COLUMNS))
    frame["agency"] = spec.agency
    frame.index = pd.Index(ctx.row_numbers, name="row_number")
    return frame


def read_delivery(path: Path, spec: SourceSpec, quarter: str, file_name: str) -> RawExtract:
    """A delivered file as contract rows: read as the contract when it is one, else by its layout."""
    try:
        if path.stat().st_size > MAX_FILE_BYTES or path.suffix not in (".xlsx", ".csv"):
            return read_extract(path)  # refused there (size), or not an extract
        data = path.read_bytes()
    except OSError:
        return read_extract(path)  # refused there, with the reason
    workbooks = None  # the workbook as parsed once, handed on to the contract reader
    if path.suffix == ".xlsx":
        workbooks = load_xlsx(path, data)
        workbook = read_sheets(path, data, workbooks)
    else:
        try:  # only the first row, to keep reading contract CSVs as fast as before
            first = next(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")), [])
        except (UnicodeDecodeError, csv.Error):
            return read_extract(path, data)  # refused there, naming the cells
        if not any(first) or is_contract_header(first, COLUMNS):
            return read_extract(path, data)
        workbook = read_csv_sheet(path, data)
    sheets = workbook.sheets
    if not any(sheet.cells for sheet in sheets) or any(is_contract_header(s.row_texts(1), COLUMNS) for s in sheets):
        return read_extract(path, data, workbooks)
    frame = read_layout_workbook(workbook, spec, quarter, file_name)
    return RawExtract(path=path, sha256=hashlib.sha256(data).hexdigest(), frame=frame)
