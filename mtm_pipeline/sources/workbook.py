"""Read an agency's workbook as delivered: recognise its layout by content and yield contract rows.

`read_delivery` is what ingest calls for every delivered file. A file in the observation contract (its
first row names the contract's columns) is read by `reader.read_extract` as before. Any other .xlsx must
match exactly one layout of its source (sources/layouts/*.yaml); its figures become rows of the same
contract, with provenance generated from the workbook: `publication` (the title and file), `location`
(the sheet and cell in A1 notation, 'Лист1!C6'), `published_text` (row label | column header | cell as
written). A workbook that matches no layout, or breaks the one it matches, is refused as a whole with
the file, the sheet as the workbook names it, the cell, what was expected and what was found.

Recognising a header is `headers`, finding the tables `table_match`, telling what a row label says
`row_labels`, reading a table's figures `table_rows` and `table_figures`; this module chooses the layout,
the unit and the period, and refuses.

The rules (formulas, merged cells, hidden rows, columns and sheets) are listed in data/raw/README.md,
"Agency tables as delivered".
"""

from __future__ import annotations

import csv
import hashlib
import io
from pathlib import Path

import pandas as pd

from mtm_pipeline.periods import Period
from mtm_pipeline.sources.ambiguous_cells import AMBIGUITY_HINT, ambiguous_cells
from mtm_pipeline.sources.contract import COLUMNS, SourceSpec
from mtm_pipeline.sources.errors import ExtractError, Problem
from mtm_pipeline.sources.labels import unit_key
from mtm_pipeline.sources.layouts import (
    LAYOUTS_DIR,
    Layout,
    agrees_with_delivery,
    layouts_for,
    normalise_label,
    periods_in_text,
)
from mtm_pipeline.sources.nearest_layout import no_layout_problems
from mtm_pipeline.sources.reader import MAX_FILE_BYTES, RawExtract, load_xlsx, read_extract
from mtm_pipeline.sources.row_labels import country_lookup
from mtm_pipeline.sources.sheets import Workbook, is_contract_header, read_csv_sheet, read_sheets
from mtm_pipeline.sources.table_figures import read_table
from mtm_pipeline.sources.table_match import Attempt, FoundTable, cell_problem, match_layout
from mtm_pipeline.sources.table_rows import Context
from mtm_pipeline.sources.title_period import where_stated

LAYOUT_HINT = (
    "Deliver the workbook as the agency publishes it, or add or extend a layout in "
    "mtm_pipeline/sources/layouts/ (see data/raw/README.md, 'Agency tables as delivered')."
)


def _check_sheet_rules(table: FoundTable, problems: list[Problem]) -> None:
    """Formulas without saved results, error cells, merged cells and hidden rows or columns in the table."""
    sheet = table.sheet
    first, last = (
        table.header_row,
        (table.body[-1] if table.body else table.header_row + table.header_rows - 1),
    )
    used = [
        table.columns[table.spec.label_column],
        *table.period_columns,
        *[table.columns[f.column] for f in table.spec.figures if f.column in table.columns],
        *table.extras,
    ]
    for (row, column), message in sorted(sheet.unreadable.items()):
        if table.top_row <= row <= last and column in used:  # the table, its heading and title
            problems.append(cell_problem(sheet, row, column, f"expected a value, found {message}"))
    body_start = table.body_start
    for min_row, min_col, max_row, max_col in sheet.merged:
        if max_row >= body_start and min_row <= last and max_col >= min(used) and min_col <= max(used):
            problems.append(
                cell_problem(
                    sheet,
                    min_row,
                    min_col,
                    f"expected one value per cell inside the table, "
                    f"found merged cells {sheet.cell_name(min_row, min_col)}:"
                    f"{sheet.cell_name(max_row, max_col)}",
                )
            )
    for row in sorted(sheet.hidden_rows):
        if first <= row <= last and any(sheet.text(row, c) for c in used):
            problems.append(
                cell_problem(
                    sheet,
                    row,
                    used[0],
                    "expected every row of the table to be visible, found a hidden row with content",
                )
            )
    for column in sorted(sheet.hidden_columns & set(used)):
        problems.append(
            cell_problem(
                sheet,
                table.header_row,
                column,
                "expected every column of the table to be visible, found a hidden column",
            )
        )


def _period_lines(layout: Layout, title: str) -> str:
    """The title without the lines that say when the table was produced ('Дата формирования: ...')."""
    lines = [line for line in title.splitlines() if not normalise_label(line).startswith(layout.not_period)]
    return "\n".join(lines) if layout.not_period else title


def _stated_period(ctx: Context, table: FoundTable, title: str) -> Period | None:
    """The one reference period the title states, agreeing with the delivery folder; else a problem."""
    periods = periods_in_text(_period_lines(ctx.layout, title))
    row, where = where_stated(table.sheet, table.header_row, periods)
    if len(periods) != 1:
        found = ", ".join(p.label for p in periods) if periods else f"{title.strip()[:160]!r}"
        ctx.problems.append(
            Problem(
                row,
                None,
                f"{where}: expected the reference period in the "
                f"title (e.g. 'за III квартал 2024 года', 'на 1 октября 2024 года'), found "
                f"{'several: ' if periods else ''}{found}",
            )
        )
        return None
    period = periods[0]
    if not agrees_with_delivery(period, ctx.quarter, ctx.layout.period_agreement):
        ctx.problems.append(
            Problem(
                row,
                None,
                f"{where}: the title states the period "
                f"{period.label}, which disagrees with the delivery quarter folder "
                f"{ctx.quarter}: deliver the workbook in its own quarter's folder",
            )
        )
        return None
    return period


def _unit_scale(layout: Layout, tables: list[FoundTable], problems: list[Problem]) -> tuple[str, str]:
    """The scale the workbook states for its figures: a unit of the layout in the titles, headings or
    headers, or a scale word of the shared vocabulary ending a title line or a header ('..., тыс. человек',
    a units row), with or without full stops."""
    texts = [line for t in tables for line in t.heading_text.splitlines()]
    for t in tables:
        rows = range(t.header_row, t.body_start)
        texts += [t.sheet.text(r, c) for r in rows for c in range(1, t.sheet.max_column + 1)]
    keyed = " ".join(unit_key(text) for text in texts)
    stated = {u.scale: u.shown for u in layout.units if any(unit_key(label) in keyed for label in u.labels)}
    for text in texts:
        for part in filter(None, (normalise_label(p) for p in text.splitlines())):
            scale = layout.unit_words.split(part)[1]
            if scale not in (None, "one"):
                stated.setdefault(scale, part)
    if len(stated) > 1:
        problems.append(
            Problem(
                None,
                None,
                f"expected one unit for the figures, found several: "
                f"{', '.join(repr(s) for s in stated.values())}",
            )
        )
        return "one", ""
    if not stated:
        if layout.unit_required:
            shown = " or ".join(repr(u.shown) for u in layout.units)
            problems.append(
                Problem(
                    tables[0].header_row if tables else None,
                    None,
                    f"sheet {tables[0].sheet.name!r}: expected the unit of the figures ({shown}) in the "
                    f"title or the headers, found none"
                    if tables
                    else f"expected the unit {shown}",
                )
            )
        return "one", ""
    scale, shown = next(iter(stated.items()))
    return scale, f" Unit as stated: {shown}."


def read_layout_workbook(
    workbook: Workbook, spec: SourceSpec, quarter: str, file_name: str, layouts_dir: Path = LAYOUTS_DIR
) -> pd.DataFrame:
    """The contract rows of an agency workbook (text cells, index = the sheet row of each figure)."""
    sheets = workbook.sheets
    layouts = layouts_for(spec.key, layouts_dir)
    countries = country_lookup()
    attempts = [match_layout(layout, sheets, countries) for layout in layouts]
    matched = [a for a in attempts if a.tables and not a.problems]
    if len(matched) > 1:
        raise ExtractError(
            file_name,
            [
                Problem(
                    None,
                    None,
                    "the workbook matches several layouts: " + ", ".join(a.layout.name for a in matched),
                )
            ],
            hint="Make the layouts' headers distinct so that each workbook matches one.",
        )
    if not matched:
        near = max((a for a in attempts if a.closeness), key=lambda a: a.closeness, default=None)
        if near is None:
            raise ExtractError(file_name, no_layout_problems(spec.key, layouts, sheets), hint=LAYOUT_HINT)
        raise ExtractError(
            file_name,
            near.problems or [Problem(None, None, "no table of the layout found")],
            hint=f"The workbook is closest to layout {near.layout.name!r} but breaks it. " + LAYOUT_HINT,
        )
    return _read_attempt(matched[0], workbook, spec, quarter, file_name, countries)


def _read_attempt(
    attempt: Attempt, workbook: Workbook, spec: SourceSpec, quarter: str, file_name: str, countries
) -> pd.DataFrame:
    """The contract rows of the tables of the one layout the workbook matches, or its refusal."""
    layout = attempt.layout
    problems: list[Problem] = []
    scale, unit_note = _unit_scale(layout, attempt.tables, problems)
    first_title: dict[str, str] = {}
    for table in attempt.tables:
        first_title.setdefault(table.sheet.name, table.heading_text)
    title = _period_lines(layout, next(iter(first_title.values()), "")).splitlines()
    publication = f"{title[0]} ({Path(file_name).name})" if title else Path(file_name).name
    publication_date = workbook.saved.isoformat() if workbook.saved else quarter[:4]
    ctx = Context(layout, quarter, publication, publication_date, scale, unit_note, problems, countries)
    for table in attempt.tables:
        _check_sheet_rules(table, problems)
        read_table(ctx, table, _table_period(ctx, table, first_title[table.sheet.name]))
    if not ctx.records and not problems:
        problems.append(
            Problem(None, None, f"layout {layout.name!r} matched, but its tables hold no figures")
        )
    if problems:
        raise ExtractError(
            file_name,
            problems,
            hint=f"The workbook follows layout {layout.name!r} "
            "but breaks it as listed. Correct the workbook (or the layout, if the agency changed "
            "its table) and deliver it again.",
        )
    frame = pd.DataFrame.from_records(ctx.records, columns=list(COLUMNS))
    frame["agency"] = spec.agency
    frame.index = pd.Index(ctx.row_numbers, name="row_number")
    return frame


def _table_period(ctx: Context, table: FoundTable, sheet_title: str) -> Period | None:
    """The period of a table's figures from the title (period tables: each column's period is checked
    against the delivery folder instead)."""
    layout, quarter = ctx.layout, ctx.quarter
    if layout.period_from == "title":
        text = sheet_title if sheet_title == table.heading_text else sheet_title + "\n" + table.heading_text
        return _stated_period(ctx, table, text)
    for column, stated in table.period_columns.items():
        if not agrees_with_delivery(stated, quarter, layout.period_agreement):
            ctx.problems.append(
                cell_problem(
                    table.sheet,
                    table.header_row,
                    column,
                    f"expected a period that has ended by the delivery quarter {quarter}, "
                    f"found {stated.label}",
                )
            )
    return None


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
    if not any(sheet.cells for sheet in sheets) or any(
        is_contract_header(s.row_texts(1), COLUMNS) for s in sheets
    ):
        return read_extract(path, data, workbooks)
    if problems := ambiguous_cells(workbook):
        raise ExtractError(file_name, problems, hint=AMBIGUITY_HINT)
    frame = read_layout_workbook(workbook, spec, quarter, file_name)
    return RawExtract(path=path, sha256=hashlib.sha256(data).hexdigest(), frame=frame)
