"""Where a title states its reference period: the cells above a table's header that name a period, so a
refusal points at the cell to correct rather than at "the rows above row N"."""

from __future__ import annotations

from mtm_pipeline.periods import Period
from mtm_pipeline.sources.layouts import periods_in_text
from mtm_pipeline.sources.sheets import Sheet


def cells_stating(sheet: Sheet, header_row: int, periods: list[Period]) -> list[tuple[int, int]]:
    """For each of `periods`, the cell above `header_row` nearest to it that states the period."""
    cells: dict[Period, tuple[int, int]] = {}
    for row in range(header_row - 1, 0, -1):
        seen = set()
        for column in range(1, sheet.max_column + 1):
            cell = sheet.cells.get((row, column))
            if cell is None or cell.numeric or id(cell) in seen:
                continue
            seen.add(id(cell))  # a merged title repeats its text over the range: its first cell is named
            for period in periods_in_text(cell.text):
                if period in periods:
                    cells.setdefault(period, (row, column))
    return [cells[p] for p in periods if p in cells]


def where_stated(sheet: Sheet, header_row: int, periods: list[Period]) -> tuple[int, str]:
    """The row and the words naming the cells above the header that state `periods`: (2, "sheet 'Лист1',
    cell A2"), "cells A1, A2" for several; (header row, "sheet 'Лист1', rows above row 4") when no single
    cell states them."""
    cells = cells_stating(sheet, header_row, periods)
    if not periods or len(cells) < len(periods):
        return header_row, f"sheet {sheet.name!r}, rows above row {header_row}"
    names = ", ".join(dict.fromkeys(sheet.cell_name(r, c) for r, c in sorted(cells)))
    return min(cells)[0], f"sheet {sheet.name!r}, {'cell' if ',' not in names else 'cells'} {names}"
