"""Read an agency's workbook as delivered: recognise its layout by content and yield contract rows.

`read_delivery` is what ingest calls for every delivered file. A file in the observation contract (its
first row names the contract's columns) is read by `reader.read_extract` as before. Any other .xlsx must
match exactly one layout of its source (sources/layouts/*.yaml); its figures become rows of the same
contract, with provenance generated from the workbook: `publication` (the title and file), `location`
(the sheet and cell in A1 notation, 'Лист1!C6'), `published_text` (row label | column header | cell as
written). A workbook that matches no layout, or breaks the one it matches, is refused as a whole with
the file, the sheet as the workbook names it, the cell, what was expected and what was found.

Finding the tables is `table_match`, telling what a row label says is `row_labels`; this module reads
the figures of the tables found.

The rules (formulas, merged cells, hidden rows, columns and sheets) are listed in data/raw/README.md,
"Agency tables as delivered".
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from mtm_pipeline.countries import REMAINDER_ISO3
from mtm_pipeline.numbers import NumberFormatError, parse_published_number
from mtm_pipeline.periods import Period
from mtm_pipeline.sources.ambiguous_cells import AMBIGUITY_HINT, ambiguous_cells
from mtm_pipeline.sources.contract import COLUMNS, SourceSpec
from mtm_pipeline.sources.errors import ExtractError, Problem
from mtm_pipeline.sources.layouts import (
    LAYOUTS_DIR,
    SCALE_WORDS,
    FigureSpec,
    Layout,
    agrees_with_delivery,
    layouts_for,
    normalise_label,
    periods_in_text,
)
from mtm_pipeline.sources.nearest_layout import no_layout_problems
from mtm_pipeline.sources.reader import MAX_FILE_BYTES, RawExtract, load_xlsx, read_extract
from mtm_pipeline.sources.row_labels import CountryLookup, country_lookup, row_kind
from mtm_pipeline.sources.sheets import Sheet, Workbook, is_contract_header, read_csv_sheet, read_sheets
from mtm_pipeline.sources.table_match import FoundTable, cell_problem, header_written, match_layout
from mtm_pipeline.sources.title_period import where_stated

REMAINDER_COUNTRY = "Other countries"  # the contract's name of a stated unnamed remainder
LAYOUT_HINT = (
    "Deliver the workbook as the agency publishes it, or add or extend a layout in "
    "mtm_pipeline/sources/layouts/ (see data/raw/README.md, 'Agency tables as delivered')."
)


# --- reading the figures --------------------------------------------------------------------------------------


@dataclass
class _Context:
    layout: Layout
    quarter: str
    publication: str
    publication_date: str
    scale: str
    unit_note: str
    problems: list[Problem]
    countries: CountryLookup
    records: list[dict] = field(default_factory=list)
    row_numbers: list[int] = field(default_factory=list)
    totals: dict[tuple, tuple[str, str, str]] = field(default_factory=dict)  # key -> obs_id, value, where


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.casefold()).strip("_")


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
    ]
    for (row, column), message in sorted(sheet.unreadable.items()):
        if table.top_row <= row <= last and column in used:  # the table, its heading and title
            problems.append(cell_problem(sheet, row, column, f"expected a value, found {message}"))
    body_start = table.header_row + table.header_rows
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


def _stated_period(ctx: _Context, table: FoundTable, title: str) -> Period | None:
    periods = periods_in_text(title)
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
        ctx.problems.append(
            cell_problem(
                sheet,
                row,
                column,
                "expected a number (a numeric cell, or digits with "
                f"space separators and a decimal comma or dot), found {text!r}",
            )
        )
        return None
    return text + SCALE_WORDS[ctx.scale]


def _read_table(ctx: _Context, table: FoundTable, period: Period | None) -> None:
    spec, sheet, layout = table.spec, table.sheet, ctx.layout
    label_column = table.columns[spec.label_column]
    header = {
        c: header_written(sheet, table.header_row, table.header_rows, c)
        for c in range(1, sheet.max_column + 1)
    }
    rows: list[tuple[int, str, str, str | None]] = []  # row, kind, label, value
    seen: dict[str, int] = {}
    for row in table.body:
        written = sheet.text(row, label_column)
        label = " ".join(written.split())
        kind, value = row_kind(layout, spec, written, ctx.countries)
        if kind == "skip":
            ctx.problems.append(
                cell_problem(
                    sheet,
                    row,
                    label_column,
                    f"expected no figures in a row labelled "
                    f"{label!r}, found some: give the row its own label",
                )
            )
            continue
        if kind in ("unknown", "blank"):
            known = {
                "country": "a country name (ISO 3166 in Russian, Kazakh or English, or a reviewed alias)"
            }
            expected = known.get(spec.dimension, f"one of the layout's {spec.dimension} labels")
            ctx.problems.append(
                cell_problem(
                    sheet,
                    row,
                    label_column,
                    f"expected {expected}, or a total or "
                    f"remainder row label (_defaults.yaml), found {label!r}",
                )
            )
            continue
        if kind == "value" and spec.dimension == "country":
            value = ctx.countries(written)[1]
        identity = (
            kind if kind != "value" else (value if spec.dimension != "country" else ctx.countries(value)[0])
        )
        if identity in seen:
            ctx.problems.append(
                cell_problem(
                    sheet,
                    row,
                    label_column,
                    f"expected each row once, found {label!r} again (first in row {seen[identity]})",
                )
            )
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
                _add(
                    ctx,
                    total_id,
                    figure,
                    figure_period,
                    fixed,
                    spec,
                    None,
                    None,
                    total_text,
                    None,
                    None,
                    sheet,
                    total[0],
                    column,
                    total[1],
                    header[column],
                )
            elif parse_published_number(earlier[1]).value != parse_published_number(total_text).value:
                ctx.problems.append(
                    cell_problem(
                        sheet,
                        total[0],
                        column,
                        f"expected the same total as {earlier[2]} ({earlier[1]!r}), found {total_text!r}",
                    )
                )
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
                iso3 = ctx.countries(value)[0]
                slug, country, row_value = ("other" if iso3 == REMAINDER_ISO3 else iso3.lower()), value, None
            else:
                slug, country, row_value = _slug(value), None, value
            obs_id = "_".join(base + ([] if spec.dimension == "country" else [spec.dimension[:3]]) + [slug])
            part_of = total_ids.get(figure.column)
            _add(
                ctx,
                obs_id,
                figure,
                figure_period,
                fixed,
                spec,
                country,
                row_value,
                text,
                part_of,
                ("yes" if complete else "no") if part_of else None,
                sheet,
                row,
                column,
                label,
                header[column],
            )
    for column, figure, _ in figures:  # a subset column's total is a part of the other column's total
        if figure.subset_of and figure.column in total_ids and figure.subset_of in total_ids:
            for record in ctx.records:
                if record["obs_id"] == total_ids[figure.column] and not record["part_of"]:
                    record["part_of"], record["parts_complete"] = total_ids[figure.subset_of], "no"


def _add(
    ctx,
    obs_id,
    figure,
    period,
    fixed,
    spec,
    country,
    row_value,
    text,
    part_of,
    complete,
    sheet,
    row,
    column,
    label,
    header,
) -> None:
    record = dict.fromkeys(COLUMNS, "")
    record.update(
        obs_id=obs_id,
        measure=figure.measure,
        period=period.label,
        value=text,
        unit=ctx.layout.unit,
        country=country or "",
        part_of=part_of or "",
        parts_complete=complete or "",
        agency="",
        publication=ctx.publication,
        publication_date=ctx.publication_date,
        location=sheet.where(row, column),
        published_text=f"{' '.join(label.split())} | {header} | {sheet.text(row, column)}",
        note=f"Read by layout {ctx.layout.name}, table {spec.name}.{ctx.unit_note}",
    )
    for key, value in fixed.items():
        record[key] = value
    if row_value is not None:
        record[spec.dimension] = row_value
    ctx.records.append(record)
    ctx.row_numbers.append(row)


def _unit_scale(layout: Layout, tables: list[FoundTable], problems: list[Problem]) -> tuple[str, str]:
    """The scale the workbook states for its figures (from the titles, headings and headers)."""
    text = "\n".join(
        t.heading_text
        + "\n"
        + "\n".join(
            t.sheet.text(r, c)
            for r in range(t.header_row, t.header_row + t.header_rows)
            for c in range(1, t.sheet.max_column + 1)
        )
        for t in tables
    )
    normal = normalise_label(text)
    stated = {u.scale: u.shown for u in layout.units if any(label in normal for label in u.labels)}
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
                    f"sheet {tables[0].sheet.name!r}: expected the unit of the figures ({shown}) in the title or "
                    f"the headers, found none"
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
    attempt = matched[0]
    layout = attempt.layout
    problems: list[Problem] = []
    scale, unit_note = _unit_scale(layout, attempt.tables, problems)
    first_title = {}
    for table in attempt.tables:
        first_title.setdefault(table.sheet.name, table.heading_text)
    title = next(iter(first_title.values()), "").splitlines()
    publication = f"{title[0]} ({Path(file_name).name})" if title else Path(file_name).name
    publication_date = workbook.saved.isoformat() if workbook.saved else quarter[:4]
    ctx = _Context(layout, quarter, publication, publication_date, scale, unit_note, problems, countries)
    for table in attempt.tables:
        _check_sheet_rules(table, problems)
        period = None
        if layout.period_from == "title":
            sheet_title = first_title[table.sheet.name]
            text = (
                sheet_title if sheet_title == table.heading_text else sheet_title + "\n" + table.heading_text
            )
            period = _stated_period(ctx, table, text)
        else:
            for column, stated in table.period_columns.items():
                if not agrees_with_delivery(stated, quarter, layout.period_agreement):
                    problems.append(
                        cell_problem(
                            table.sheet,
                            table.header_row,
                            column,
                            f"expected a period that has "
                            f"ended by the delivery quarter {quarter}, found {stated.label}",
                        )
                    )
        _read_table(ctx, table, period)
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
