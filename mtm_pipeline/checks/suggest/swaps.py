"""Two figures swapped: cells of the same table row (the same figure in two periods) or of the same
column (two countries, sectors, ... of one breakdown in one period: the same measure, period, total and
dimension, so never a country's share with a sector's share although both are shares of one total). A
figure's value and its share are also swapped together, as cells printed side by side move together."""

from __future__ import annotations

from collections.abc import Iterator

from mtm_pipeline.checks.rules.context import breakdown_dims
from mtm_pipeline.checks.suggest.candidate import Candidate
from mtm_pipeline.checks.suggest.figures import Cell, FieldEdit, Stage


def _same_breakdown(stage: Stage, mine, other) -> bool:
    """Two parts of one total that differ from it in the same dimension(s)."""
    if mine.part_of is None or other.part_of != mine.part_of:
        return False
    total = stage.position.get((mine.source, mine.part_of))
    if total is None:
        return False
    return breakdown_dims(mine, stage.normalised[total]) == breakdown_dims(other, stage.normalised[total])


def _partners(stage: Stage, cell: Cell) -> Iterator[tuple[int, str]]:
    me = stage.position[(cell.source, cell.obs_id)]
    mine = stage.normalised[me]
    for pos in stage.slice_positions([(cell.source, cell.obs_id)]):
        other = stage.normalised[pos]
        if pos == me or other.source != cell.source or getattr(other, cell.field) is None:
            continue
        if other.key == mine.key and other.period != mine.period:
            yield pos, f"{mine.period} and {other.period}"
        elif (
            other.period == mine.period
            and other.measure == mine.measure
            and (
                _same_breakdown(stage, mine, other)
                or (cell.field == "rank" and other.direction == mine.direction)
            )
        ):
            yield pos, "two rows of one breakdown"


def candidates(stage: Stage, cell: Cell) -> Iterator[Candidate]:
    """The swaps of a figure with each partner (of the same row, or of the same breakdown)."""
    mine = stage.obs(cell)
    for pos, where in _partners(stage, cell):
        other = stage.normalised[pos]
        partner = (other.source, other.obs_id)
        field_sets = [(cell.field,)]
        if cell.field in ("value", "share") and all(
            getattr(obs, f) is not None for obs in (mine, other) for f in ("value", "share")
        ):
            field_sets.append(("value", "share"))
        for fields in field_sets:
            edits = []
            for field in fields:
                a, b = Cell(cell.source, cell.obs_id, field), Cell(*partner, field)
                (va, pa), (vb, pb) = stage.figure(a), stage.figure(b)
                if va != vb or pa != pb:
                    edits += [FieldEdit(a, va, pa, vb, pb), FieldEdit(b, vb, pb, va, pa)]
            if not edits:
                continue
            edits.sort(key=lambda e: (e.cell.obs_id, fields.index(e.cell.field)))
            what = " and ".join(fields)
            shown = "; ".join(f"{e.cell} {e.published_text} -> {e.suggested_text}" for e in edits)
            yield Candidate(
                "swap",
                tuple(edits),
                f"the {what} of {cell.obs_id} and {partner[1]} swapped ({where}): {shown}",
            )
