"""Figures that could be read two ways, found before any figure is read: refused naming the cell, never
guessed.

A figure whose one comma could be a thousands separator or a decimal comma ('2,700'), in a file that writes
decimal commas elsewhere ('1 234,5'): with thousands commas it is 2700, with a decimal comma 2.7, a
thousandfold apart once a unit such as 'млн долл. США' scales it. Only visible sheets are looked at (a
hidden sheet is not read). A header or title whose languages state different periods is refused where the
layout reader reads it (table_match, workbook), which knows which cells are headers and titles.
"""

from __future__ import annotations

import re
from decimal import Decimal

from mtm_pipeline.numbers import comma_is_ambiguous, writes_decimal_comma
from mtm_pipeline.sources.errors import Problem
from mtm_pipeline.sources.sheets import Sheet, Workbook

AMBIGUITY_HINT = (
    "Write each figure so it reads one way only: thousands separated by spaces ('2 700') and a decimal "
    "comma ('2,7'), as the rest of the file does. Then deliver the file again."
)


def _ambiguous_commas(sheets: list[Sheet]) -> list[Problem]:
    decimal = next(
        (
            (sheet, key, cell.text)
            for sheet in sheets
            for key, cell in sorted(sheet.cells.items())
            if not cell.numeric and writes_decimal_comma(cell.text)
        ),
        None,
    )
    if decimal is None:
        return []
    example = f"{decimal[0].where(*decimal[1])} {decimal[2]!r}"
    problems, seen = [], set()
    for sheet in sheets:
        for (row, column), cell in sorted(sheet.cells.items()):
            if cell.numeric or not comma_is_ambiguous(cell.text) or id(cell) in seen:
                continue
            seen.add(id(cell))  # a merged cell repeats one cell's text over its range
            whole, fraction = re.search(r"(\d{1,3}),(\d{3})", cell.text).groups()
            problems.append(
                Problem(
                    row,
                    None,
                    f"sheet {sheet.name!r}, cell {sheet.cell_name(row, column)}: the figure {cell.text!r} "
                    f"could be read with a decimal comma "
                    f"({Decimal(f'{whole}.{fraction}').normalize():f}), as the file writes "
                    f"figures elsewhere (e.g. {example}), or with a thousands comma "
                    f"({whole}{fraction}); refused rather than guessed",
                )
            )
    return problems


def ambiguous_cells(workbook: Workbook) -> list[Problem]:
    """Every figure of the visible sheets whose comma could be read two ways (see the module), in sheet
    order."""
    return _ambiguous_commas([sheet for sheet in workbook.sheets if sheet.visible])
