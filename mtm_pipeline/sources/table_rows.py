"""Read the figures of one table a layout found (`table_match.FoundTable`) into contract rows.

Each row label says what the row is (`row_labels.row_kind`): the total, a CIS / non-CIS group subtotal, a
country or other value, the remainder. The countries under a group row, down to the next group row or the
total, are its members: they carry its `country_group` and are `part_of` the group's row; the group rows
are `part_of` the total (a complete breakdown when both groups are stated and no country stands outside
them). A share column gives each row's published `share` of its `part_of` total, a change column the
published `change` against its base (`change_columns` in _defaults.yaml).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

from mtm_pipeline.countries import REMAINDER_ISO3
from mtm_pipeline.numbers import NumberFormatError, parse_published_number
from mtm_pipeline.periods import Period, PeriodError, parse_period, previous_quarter
from mtm_pipeline.sources.contract import COLUMNS
from mtm_pipeline.sources.errors import Problem
from mtm_pipeline.sources.layouts import SCALE_WORDS, FigureSpec, Layout, label_matches
from mtm_pipeline.sources.row_labels import CountryLookup, row_kind
from mtm_pipeline.sources.sheets import Sheet
from mtm_pipeline.sources.table_match import FoundTable, cell_problem, header_written

REMAINDER_COUNTRY = "Other countries"  # the contract's name of a stated unnamed remainder
GROUP_SLUGS = {"CIS": "cis", "non-CIS": "noncis"}


@dataclass
class Context:
    """What reading one workbook collects: its rows, their sheet rows, problems, totals stated so far."""

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


@dataclass(frozen=True)
class Row:
    """A body row of a table as its label reads: kind, label as written, value, and its group."""

    row: int
    kind: str  # total | group | value | remainder
    label: str
    value: str | None  # the country as written, the dimension's value, or the group of a group row
    group: str | None = None  # the group a member row is listed under


def slug(text: str) -> str:
    """An obs_id fragment: lower-case letters and digits joined by '_'."""
    return re.sub(r"[^a-z0-9]+", "_", text.casefold()).strip("_")


def figure_text(
    ctx: Context, sheet: Sheet, row: int, column: int, *, scaled: bool = True, signed: bool = False
) -> str | None:
    """The cell as a contract value ('157.2 million'; unscaled: a share or change, a per cent sign allowed,
    a sign only when `signed`), None when the cell says 'not published'."""
    cell = sheet.cells.get((row, column))
    if cell is None or cell.text.strip() in ctx.layout.blank:
        return None
    text = cell.text.strip()
    try:
        parsed = parse_published_number(text, allow_percent_sign=not scaled)
        if parsed.value < 0 and not signed:
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
    return text + SCALE_WORDS[ctx.scale] if scaled else text.rstrip("%").strip()


def _unknown_row(ctx: Context, table: FoundTable, row: int, label: str) -> None:
    spec, column = table.spec, table.columns[table.spec.label_column]
    known = {"country": "a country name (ISO 3166 in Russian, Kazakh or English, or a reviewed alias)"}
    expected = known.get(spec.dimension, f"one of the layout's {spec.dimension} labels")
    ctx.problems.append(
        cell_problem(
            table.sheet,
            row,
            column,
            f"expected {expected}, or a total, group or remainder row label (_defaults.yaml), "
            f"found {label!r}",
        )
    )


def classify_rows(ctx: Context, table: FoundTable) -> list[Row]:
    """The body rows as their labels read, each once; problems for labels that say nothing known."""
    spec, sheet = table.spec, table.sheet
    label_column = table.columns[spec.label_column]
    rows: list[Row] = []
    seen: dict[object, int] = {}
    for row in table.body:
        written = sheet.text(row, label_column)
        label = " ".join(written.split())
        kind, value = row_kind(ctx.layout, spec, written, ctx.countries)
        if kind == "skip":
            message = (
                f"expected no figures in a row labelled {label!r}, found some: give the row its own label"
            )
            ctx.problems.append(cell_problem(sheet, row, label_column, message))
            continue
        if kind in ("unknown", "blank"):
            _unknown_row(ctx, table, row, label)
            continue
        if kind == "value" and spec.dimension == "country":
            value = ctx.countries(written)[1]
        rows.append(Row(row, kind, label, value))
    rows = _with_groups(ctx.layout, rows)
    out = []
    for r in rows:
        identity = (r.kind, r.group, r.value if r.kind == "group" else None)
        if r.kind == "value":
            identity = _identity(ctx, table, r.value)
        if identity in seen:
            message = f"expected each row once, found {r.label!r} again (first in row {seen[identity]})"
            ctx.problems.append(cell_problem(sheet, r.row, label_column, message))
            continue
        seen[identity] = r.row
        out.append(r)
    return out


def _identity(ctx: Context, table: FoundTable, value: str | None):
    return ctx.countries(value)[0] if table.spec.dimension == "country" else value


def _with_groups(layout: Layout, rows: list[Row]) -> list[Row]:
    """Rows with their groups: a remainder label that is also a group label ('Другие страны') and has
    countries under it is the non-CIS group row when a CIS group row stands above it; the rows under a
    group row, down to the next group row or the total, are its members."""
    has_cis = False
    out: list[Row] = []
    for index, r in enumerate(rows):
        if r.kind == "group" and r.value == "CIS":
            has_cis = True
        following = rows[index + 1] if index + 1 < len(rows) else None
        if (
            r.kind == "remainder"
            and has_cis
            and following is not None
            and following.kind == "value"
            and label_matches(r.label, layout.groups.get("non-CIS", frozenset()))
        ):
            r = Row(r.row, "group", r.label, "non-CIS")
        out.append(r)
    group = None
    grouped = []
    for r in out:
        if r.kind in ("group", "total"):
            group = r.value if r.kind == "group" else None
            grouped.append(r)
        else:
            grouped.append(Row(r.row, r.kind, r.label, r.value, group))
    return grouped


def base_period(period: Period, base: str) -> str | None:
    """The period a change column compares with: the previous quarter, or the same period a year earlier
    (quarter, months from January, year or date); None when the period has no such base."""
    if base == "previous_quarter":
        return previous_quarter(period.label) if period.kind == "quarter" else None
    label = period.label
    try:
        if period.kind == "date":
            return period.start.replace(year=period.start.year - 1).isoformat()
        return parse_period(str(int(label[:4]) - 1) + label[4:]).label
    except (ValueError, PeriodError):
        return None


def change_text(ctx: Context, sheet: Sheet, row: int, column: int) -> str | None:
    """A change cell as the contract's signed per cent change: an index ('105,3': 100 = unchanged) less
    100, keeping its digits ('5.3'), or the change as written."""
    signed = ctx.layout.change_written_as == "change"
    text = figure_text(ctx, sheet, row, column, scaled=False, signed=signed)
    if text is None or signed:
        return text
    parsed = parse_published_number(text, allow_percent_sign=True)
    change = parsed.value - Decimal(100)
    return format(change.quantize(parsed.precision) if parsed.precision < 1 else change, "f")


def header_of(table: FoundTable, column: int) -> str:
    """The header of a column as written (header rows joined with ' / ')."""
    return header_written(table.sheet, table.header_row, table.header_rows, column)


def new_record(ctx: Context, figure: FigureSpec, period: Period, obs_id: str) -> dict:
    """A contract row with the figure's measure, period, unit and the workbook's provenance."""
    record = dict.fromkeys(COLUMNS, "")
    record.update(
        obs_id=obs_id,
        measure=figure.measure,
        period=period.label,
        unit=ctx.layout.unit,
        publication=ctx.publication,
        publication_date=ctx.publication_date,
    )
    return record


def row_slug(row: Row, ctx: Context, dimension: str) -> tuple[str, str | None, str | None]:
    """(obs_id fragment, country, dimension value) of a row that is no total."""
    group = GROUP_SLUGS.get(row.group or "", "")
    if row.kind == "group":
        return GROUP_SLUGS[row.value or ""], None, None
    if row.kind == "remainder" and dimension == "country":
        return "_".join(filter(None, [group, "other"])), REMAINDER_COUNTRY, None
    if row.kind == "remainder":
        return "other", None, ctx.layout.remainder_value
    if dimension == "country":
        iso3 = ctx.countries(row.value)[0]
        return ("other" if iso3 == REMAINDER_ISO3 else iso3.lower()), row.value, None
    return slug(row.value or ""), None, row.value
