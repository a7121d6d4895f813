"""The contract rows of one table a layout found: one per figure cell (and its share and change cells),
with the lineage of the cell (`table_rows` says what each row is)."""

from __future__ import annotations

from dataclasses import dataclass

from mtm_pipeline.numbers import parse_published_number
from mtm_pipeline.periods import Period
from mtm_pipeline.sources.layouts import FigureSpec
from mtm_pipeline.sources.table_match import FoundTable, cell_problem
from mtm_pipeline.sources.table_rows import (
    Context,
    Row,
    base_period,
    change_text,
    classify_rows,
    figure_text,
    header_of,
    new_record,
    row_slug,
    slug,
)


@dataclass(frozen=True)
class _Figure:
    table: FoundTable
    column: int
    spec: FigureSpec
    period: Period
    fixed: dict[str, str]
    base: list[str]  # obs_id fragments: prefix, period, fixed dimensions

    def obs_id(self, *parts: str) -> str:
        """The obs_id of a row of this figure: prefix, period, fixed dimensions, then `parts`."""
        return "_".join([*self.base, *parts])


def read_table(ctx: Context, table: FoundTable, period: Period | None) -> None:
    """Every figure of the table as contract rows appended to ctx.records (problems to ctx.problems)."""
    spec = table.spec
    rows = classify_rows(ctx, table)
    if spec.period_columns is not None:
        figures = [(c, spec.period_columns, p) for c, p in sorted(table.period_columns.items())]
    else:
        figures = [(table.columns[f.column], f, period) for f in spec.figures if f.column in table.columns]
    total_ids: dict[str, str] = {}
    for column, figure_spec, figure_period in figures:
        if figure_period is None:
            continue
        fixed = {**spec.fixed, **figure_spec.fixed}
        base = [
            figure_spec.obs_id_prefix or ctx.layout.obs_id_prefix,
            slug(figure_period.label.replace("-", "")),
        ]
        base += [slug(v.replace("+", "plus")) for _, v in sorted(fixed.items())]
        figure = _Figure(table, column, figure_spec, figure_period, fixed, base)
        total_id = _read_total(ctx, figure, next((r for r in rows if r.kind == "total"), None))
        if total_id:
            total_ids[figure_spec.column] = total_id
        _read_parts(ctx, figure, rows, total_id)
    for _, figure_spec, _ in figures:  # a subset column's total is a part of the other column's total
        if figure_spec.subset_of and figure_spec.column in total_ids and figure_spec.subset_of in total_ids:
            for record in ctx.records:
                if record["obs_id"] == total_ids[figure_spec.column] and not record["part_of"]:
                    record["part_of"], record["parts_complete"] = total_ids[figure_spec.subset_of], "no"


def _read_total(ctx: Context, figure: _Figure, total: Row | None) -> str | None:
    """The total row's figure, stated once for tables of the layout that repeat it; its obs_id."""
    if total is None:
        return None
    sheet, column = figure.table.sheet, figure.column
    text = figure_text(ctx, sheet, total.row, column)
    if text is None:
        return None
    key = (figure.spec.measure, figure.period.label, tuple(sorted(figure.fixed.items())))
    earlier = ctx.totals.get(key)
    if earlier is None:
        total_id = figure.obs_id("total")
        ctx.totals[key] = (total_id, text, sheet.where(total.row, column))
        _add(ctx, figure, total, total_id, text, country=None, value=None, part_of=None, complete=None)
    elif parse_published_number(earlier[1]).value != parse_published_number(text).value:
        message = f"expected the same total as {earlier[2]} ({earlier[1]!r}), found {text!r}"
        ctx.problems.append(cell_problem(sheet, total.row, column, message))
    return ctx.totals[key][0]


def _read_parts(ctx: Context, figure: _Figure, rows: list[Row], total_id: str | None) -> None:
    """The group rows, then every other row, part of its group's row or of the total."""
    spec, sheet = figure.table.spec, figure.table.sheet
    parts = [r for r in rows if r.kind != "total"]
    groups = {r.value: r for r in parts if r.kind == "group"}
    group_ids: dict[str, str] = {}
    for name, r in groups.items():
        if figure_text(ctx, sheet, r.row, figure.column) is not None or _extras_of(figure, r):
            group_ids[name or ""] = figure.obs_id(row_slug(r, ctx, spec.dimension)[0])
    members = [r for r in parts if r.kind != "group"]
    groups_complete = {"CIS", "non-CIS"} <= set(group_ids) and all(r.group for r in members)
    for r in parts:
        fragment, country, value = row_slug(r, ctx, spec.dimension)
        if r.kind == "group":
            part_of, complete = total_id, groups_complete
        elif r.group in group_ids:
            part_of = group_ids[r.group]
            complete = spec.complete == "always" or any(
                m.kind == "remainder" and m.group == r.group for m in members
            )
        else:
            part_of = total_id
            ungrouped = [m for m in members if m.group not in group_ids]
            complete = spec.complete == "always" or (
                spec.complete == "with_remainder" and any(m.kind == "remainder" for m in ungrouped)
            )
        text = figure_text(ctx, sheet, r.row, figure.column)
        obs_id = figure.obs_id(*([] if spec.dimension == "country" else [spec.dimension[:3]]), fragment)
        if r.kind == "group":
            obs_id = group_ids.get(r.value or "")
            if obs_id is None:
                continue
        _add(ctx, figure, r, obs_id, text, country=country, value=value, part_of=part_of, complete=complete)


def ctx_note(ctx: Context, table: FoundTable) -> str:
    """The note of every row a table gives: the layout and table that read it, the unit as stated."""
    return f"Read by layout {ctx.layout.name}, table {table.spec.name}.{ctx.unit_note}"


def _extras_of(figure: _Figure, row: Row) -> bool:
    return any(
        owner == figure.column and figure.table.sheet.text(row.row, column)
        for column, (_, _, owner) in figure.table.extras.items()
    )


def _add(
    ctx: Context, figure: _Figure, row: Row, obs_id: str, text, *, country, value, part_of, complete
) -> None:
    """The row's record (value, share, first change) and one record for each further change."""
    table, sheet = figure.table, figure.table.sheet
    record = new_record(ctx, figure.spec, figure.period, obs_id)
    record.update(
        value=text or "",
        country=country or "",
        part_of=part_of or "",
        parts_complete=("yes" if complete else "no") if part_of else "",
        location=sheet.where(row.row, figure.column),
        published_text=(
            f"{row.label} | {header_of(table, figure.column)} | {sheet.text(row.row, figure.column)}"
        ),
        note=ctx_note(ctx, table),
    )
    record.update(figure.fixed)
    if row.kind == "group":
        record["country_group"] = row.value
    elif row.group and table.spec.dimension == "country":
        record["country_group"] = row.group
    if value is not None:
        record[table.spec.dimension] = value
    extra_records = _shares_and_changes(ctx, figure, row, record)
    if record["value"] or record["share"] or record["change"]:
        ctx.records.append(record)
        ctx.row_numbers.append(row.row)
    for extra in extra_records:
        ctx.records.append(extra)
        ctx.row_numbers.append(row.row)


def _shares_and_changes(ctx: Context, figure: _Figure, row: Row, record: dict) -> list[dict]:
    """Fill the record's share and first change from the figure's share and change columns; further
    changes as records of their own (same identity, change only)."""
    table, sheet = figure.table, figure.table.sheet
    extras: list[dict] = []
    for column, (kind, base, owner) in sorted(table.extras.items()):
        if owner != figure.column:
            continue
        where = sheet.where(row.row, column)
        written = f"; {header_of(table, column)} | {sheet.text(row.row, column)}"
        if kind == "share":
            share = figure_text(ctx, sheet, row.row, column, scaled=False)
            if share is None or row.kind == "total":
                continue  # the total's own share is 100 per cent of itself
            if row.group and record["part_of"] and row.kind != "group" and record["country_group"]:
                record["note"] += (
                    f" Its share of the table's total ({where}: {share}) is not recorded: the row is part of "
                    "its group's row."
                )
                continue
            _from_cell(record, "share", share, where, written)
            continue
        change = change_text(ctx, sheet, row.row, column)
        base_label = base_period(figure.period, base)
        if change is None:
            continue
        if base_label is None:
            message = (
                "expected a quarter for a change against the previous quarter, "
                f"found the period {figure.period.label}"
            )
            ctx.problems.append(cell_problem(sheet, row.row, column, message))
            continue
        target = record
        if record["change"]:  # a further change: a row of its own with the same identity
            target = {**record, "obs_id": f"{record['obs_id']}_chg_{slug(base_label.replace('-', ''))}"}
            target.update(value="", share="", change="", part_of="", parts_complete="")
            target.update(published_text=row.label, note=ctx_note(ctx, table))
            extras.append(target)
        target.update(change_unit="percent", change_base_period=base_label)
        _from_cell(target, "change", change, where, written)
        if target is not record:
            target["published_text"] = (
                f"{row.label} | {header_of(table, column)} | {sheet.text(row.row, column)}"
            )
    return extras


def _from_cell(record: dict, column: str, text: str, where: str, written: str) -> None:
    """A share or change read from its own cell, after the value's cell in published_text; the record's
    location when it has no figure yet, else named in its note."""
    had_figure = record["value"] or record["share"] or record["change"]
    record[column] = text
    record["published_text"] += written
    if had_figure:
        record["note"] += f" The {column} is cell {where}."
    else:
        record["location"] = where
