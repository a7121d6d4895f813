"""Why a workbook matches no layout: the layout it comes closest to, the sheet and header row compared,
and each expected column header not found with the cell where it was looked for. Written for the analyst
who fixes the file or writes a new layout (data/raw/README.md, "Agency tables as delivered").

Every row near the top of each visible sheet is compared with the header of every table of the source's
layouts; a row scores by how alike its cells are to the expected headers (an exact label counts fully, a
similar one in part), so the closest header is found even when no label matches exactly.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from mtm_pipeline.sources.errors import Problem
from mtm_pipeline.sources.layouts import (
    ColumnSpec,
    Layout,
    TableSpec,
    label_matches,
    normalise_label,
    period_of_header,
)
from mtm_pipeline.sources.sheets import Sheet

ROWS_COMPARED = 60  # a header sits near the top of its sheet, under a title of a few rows
_SIMILAR = 0.6  # a cell at least this alike to an expected header is named as what was found instead


@dataclass(frozen=True)
class _Comparison:
    score: float
    layout: Layout
    spec: TableSpec
    sheet: Sheet
    row: int
    found: dict[str, tuple[int, float]]  # column key -> (sheet column, likeness 0..1) of its best cell


def _likeness(text: str, column: ColumnSpec) -> float:
    if label_matches(text, column.labels):
        return 1.0
    normal = normalise_label(text)
    return max(
        (
            max(
                difflib.SequenceMatcher(None, normal, label).ratio(),
                0.75 if normal in label or label in normal else 0,
            )
            for label in column.labels
        ),
        default=0.0,
    )


def _compare(layout: Layout, spec: TableSpec, sheet: Sheet, row: int) -> _Comparison | None:
    texts = {c: sheet.text(row, c) for c in range(1, sheet.max_column + 1)}
    texts = {c: t for c, t in texts.items() if t and not sheet.cells[(row, c)].numeric}
    if not texts:
        return None
    pairs = sorted(
        (
            (_likeness(t, column), -c, column.key)
            for column in spec.required_columns
            for c, t in texts.items()
        ),
        reverse=True,
    )
    found: dict[str, tuple[int, float]] = {}
    taken: set[int] = set()
    for likeness, negative_column, key in pairs:  # each cell named for one expected header, the likest first
        if key not in found and -negative_column not in taken:
            found[key] = (-negative_column, likeness)
            taken.add(-negative_column)
    score = sum(likeness for _, likeness in found.values())
    if spec.period_columns is not None and any(period_of_header(t) for t in texts.values()):
        score += 1.0
    return _Comparison(score, layout, spec, sheet, row, found)


def closest_header(layouts: list[Layout], sheets: list[Sheet]) -> _Comparison | None:
    """The layout table, sheet and row whose header is most alike (the first of equals, top to bottom)."""
    best: _Comparison | None = None
    for layout in layouts:
        for spec in layout.tables:
            for sheet in (s for s in sheets if s.visible):
                for row in range(1, min(sheet.max_row, ROWS_COMPARED) + 1):
                    comparison = _compare(layout, spec, sheet, row)
                    if comparison and (best is None or comparison.score > best.score):
                        best = comparison
    return best


def _expected(column: ColumnSpec, layout: Layout) -> str:
    others = len(column.labels) - 1
    return f"the column header {column.shown!r}" + (
        f" (or one of {others} other spellings in layout {layout.name})" if others > 0 else ""
    )


def _missing_headers(near: _Comparison) -> list[Problem]:
    sheet, row, problems = near.sheet, near.row, []
    for column in near.spec.required_columns:
        column_index, likeness = near.found.get(column.key, (None, 0.0))
        if likeness == 1.0:
            continue
        if column_index is not None and likeness >= _SIMILAR:
            where = f"sheet {sheet.name!r}, cell {sheet.cell_name(row, column_index)}"
            found = f"found {' '.join(sheet.text(row, column_index).split())!r}"
        else:
            cells = [c for c in range(1, sheet.max_column + 1) if sheet.text(row, c)]
            span = (
                f"{sheet.cell_name(row, cells[0])}:{sheet.cell_name(row, cells[-1])}"
                if cells
                else f"row {row}"
            )
            likest = (
                f"; the likest cell, {sheet.cell_name(row, column_index)}, says "
                f"{' '.join(sheet.text(row, column_index).split())!r}"
                if column_index is not None
                else ""
            )
            where = f"sheet {sheet.name!r}, header row {row}"
            found = f"found no such column (looked in {span}{likest})"
        problems.append(Problem(row, None, f"{where}: expected {_expected(column, near.layout)}, {found}"))
    if near.spec.period_columns is not None and near.score == sum(v for _, v in near.found.values()):
        problems.append(
            Problem(
                row,
                None,
                f"sheet {sheet.name!r}, header row {row}: expected columns headed by reference periods "
                "(e.g. 'I кв. 2024', '2024 Q1', '2023'), found none",
            )
        )
    return problems


def no_layout_problems(source: str, layouts: list[Layout], sheets: list[Sheet]) -> list[Problem]:
    """The refusal of a workbook that matches no layout of `source`: what it was compared with and each
    expected header not found, with its cell."""
    opening = (
        f"the workbook matches no layout of source {source!r} and is not in the observation contract (its "
        f"first row does not name the contract's columns); sheets {', '.join(repr(s.name) for s in sheets)}"
    )
    near = closest_header(layouts, sheets)
    if near is None:
        tried = ", ".join(layout.name for layout in layouts) or "none"
        return [Problem(None, None, f"{opening}; no visible sheet holds any text; layouts tried: {tried}")]
    others = [layout.name for layout in layouts if layout is not near.layout]
    table = f", table {near.spec.name!r}" if len(near.layout.tables) > 1 else ""
    closest = (
        f"{opening}. Closest: layout {near.layout.name!r}{table}, compared with sheet {near.sheet.name!r}, "
        f"header row {near.row}" + (f" (also tried: {', '.join(others)})" if others else "")
    )
    return [Problem(None, None, closest), *_missing_headers(near)]
