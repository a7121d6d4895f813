"""A lost or extra sign: a stated change (per cent, times, absolute or a direction) with the wrong sign."""

from __future__ import annotations

from collections.abc import Iterator

from mtm_pipeline.checks.suggest.candidate import Candidate
from mtm_pipeline.checks.suggest.figures import Cell, FieldEdit, Stage


def candidates(stage: Stage, cell: Cell) -> Iterator[Candidate]:
    if cell.field != "change":
        return
    figure = stage.figure(cell)
    if figure is None or figure[0] == 0:
        return
    published, precision = figure
    edit = FieldEdit(cell, published, precision, -published, precision)
    what = "a lost" if published > 0 else "an extra"
    yield Candidate(
        "sign", (edit,), f"{cell} {edit.published_text} -> {edit.suggested_text}: {what} minus sign"
    )
