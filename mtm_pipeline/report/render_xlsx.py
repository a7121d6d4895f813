"""Tables -> annex.xlsx (openpyxl): one sheet per table, numbers as numbers, fixed workbook metadata.

A number cell holds the number without its marks; what a mark in the text says (corrected, flagged as
inconsistent with other published figures) is a comment on the cell, and the sheet's notes repeat it.
A text cell is text whatever it begins with: a published sector, location or a correction's justification
that begins with "=", "+", "-" or "@" is written as a string, never as a formula a spreadsheet would run.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from mtm_pipeline.report.document import Figure, Table

_INVALID = set("[]:*?/\\")


def sheet_name(name: str, taken: set[str]) -> str:
    clean = "".join("-" if ch in _INVALID else ch for ch in name)[:31] or "Sheet"
    candidate, n = clean, 2
    while candidate in taken:
        suffix = f" ({n})"
        candidate = clean[: 31 - len(suffix)] + suffix
        n += 1
    taken.add(candidate)
    return candidate


def figure_table(figures: list[Figure]) -> Table:
    """The data behind every figure, one row per bar."""
    from mtm_pipeline.report.document import Cell

    rows = []
    for fig in figures:
        for name, values in fig.chart.series:
            for category, value in zip(fig.chart.categories, values, strict=True):
                rows.append(
                    (
                        Cell(str(fig.number), fig.number),
                        Cell(fig.title),
                        Cell(category),
                        Cell(name),
                        Cell("" if value is None else str(value), value),
                        Cell(fig.chart.unit_label),
                    )
                )
    return Table(
        key="Figure data",
        title="Data of the figures",
        columns=("Figure", "Title", "Category", "Series", "Value", "Unit"),
        rows=tuple(rows),
        numeric_columns=(4,),
    )


def append_row(ws, values: list) -> None:
    """Append a row; every text cell is typed as a string (openpyxl would store a text beginning with "="
    as a formula)."""
    ws.append(values)
    row = ws.max_row
    for column, value in enumerate(values, start=1):
        if isinstance(value, str):
            ws.cell(row=row, column=column).data_type = "s"


def render_xlsx(tables: list[Table], path: Path, created: datetime) -> Path:
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill

    wb = Workbook()
    wb.remove(wb.active)
    taken: set[str] = set()
    header_fill = PatternFill("solid", fgColor="0033A0")
    for table in tables:
        ws = wb.create_sheet(sheet_name(table.key, taken))
        append_row(ws, [table.title])
        ws["A1"].font = Font(bold=True, color="0033A0")
        append_row(ws, list(table.columns))
        for cell in ws[2]:
            cell.font = Font(bold=True, color="FFFFFF")
            cell.fill = header_fill
            cell.alignment = Alignment(wrap_text=True, vertical="bottom")
        for row in table.rows:
            append_row(ws, [c.xlsx for c in row])
            for i, c in enumerate(row, start=1):
                if c.comment:
                    comment = Comment(c.comment, "mtm_pipeline.report")
                    comment.width, comment.height = 320, 140
                    ws.cell(row=ws.max_row, column=i).comment = comment
        for note in (*table.notes, *([table.source] if table.source else [])):
            ws.append([])
            append_row(ws, [note])
        for i, name in enumerate(table.columns, start=1):
            texts = [name] + [row[i - 1].text for row in table.rows]
            width = min(max(len(t) for t in texts) + 2, 60)
            ws.column_dimensions[ws.cell(row=2, column=i).column_letter].width = max(width, 8)
        ws.freeze_panes = "A3"
    wb.properties.created = created
    wb.properties.modified = created
    wb.properties.creator = "mtm_pipeline.report"
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path
