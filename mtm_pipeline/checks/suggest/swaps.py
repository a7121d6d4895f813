"""Two figures swapped: cells of the same table row (the same figure in two periods) or of the same
column (two countries, sectors, ... of one breakdown in one period). A figure's value and its share are
also swapped together, as cells printed side by side move together."""

from __future__ import annotations

from collections.abc import Iterator

from mtm_pipeline.checks.suggest.candidate import Candidate
from mtm_pipeline.checks.suggest.figures import Cell, FieldEdit, Stage, missing, text


def _partners(stage: Stage, cell: Cell) -> Iterator[tuple[int, str]]:
    row = stage.row(cell)
    me = stage.position[(cell.source, cell.obs_id)]
    key, period, total = stage.natural_key(row), row["period"], text(row.get("part_of"))
    for pos in stage.slice_positions([(cell.source, cell.obs_id)]):
        other = stage.records[pos]
        if pos == me or other["source"] != cell.source or missing(other.get(cell.field)):
            continue
        if stage.natural_key(other) == key and other["period"] != period:
            yield pos, f"{row['period']} and {other['period']}"
        elif (
            other["period"] == period
            and other["measure"] == row["measure"]
            and (
                (total is not None and text(other.get("part_of")) == total)
                or (cell.field == "rank" and text(other.get("direction")) == text(row.get("direction")))
            )
        ):
            yield pos, "two rows of one breakdown"


def candidates(stage: Stage, cell: Cell) -> Iterator[Candidate]:
    row = stage.row(cell)
    for pos, where in _partners(stage, cell):
        other = stage.records[pos]
        partner = (str(other["source"]), str(other["obs_id"]))
        field_sets = [(cell.field,)]
        if cell.field in ("value", "share") and all(
            not missing(r.get(f)) for r in (row, other) for f in ("value", "share")
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
