"""A share computed on another base the data offers: of the total instead of the group it is stated
against, or of the group instead of the total. Offered only when the published share agrees with the
row's value over that other base; the suggestion is the share over the base the row states."""

from __future__ import annotations

from collections.abc import Iterator

from mtm_pipeline.checks.intervals import ratio_percent
from mtm_pipeline.checks.suggest.candidate import Candidate
from mtm_pipeline.checks.suggest.figures import (
    Cell,
    FieldEdit,
    Stage,
    interval_of,
    notation,
    parse,
    text,
    value_row,
)


def _other_bases(stage: Stage, row: dict) -> Iterator[tuple[dict, str]]:
    source, stated = row["source"], text(row.get("part_of"))
    base = stage.records[stage.position[(source, stated)]]
    above = text(base.get("part_of"))
    if above and (source, above) in stage.position:
        yield (
            stage.records[stage.position[(source, above)]],
            f"the total {above} instead of its group {stated}",
        )
    group = text(row.get("country_group"))
    if group and (text(row.get("country_iso3")) or text(row.get("country"))):
        for pos in stage.slice_positions([(source, stated)]):
            other = stage.records[pos]
            if (
                text(other.get("part_of")) == stated
                and other is not row
                and text(other.get("country_group")) == group
                and not (text(other.get("country_iso3")) or text(other.get("country")))
            ):
                yield other, f"its group {other['obs_id']} instead of the total {stated}"


def candidates(stage: Stage, cell: Cell) -> Iterator[Candidate]:
    if cell.field != "share":
        return
    row = stage.row(cell)
    stated = text(row.get("part_of"))
    share = interval_of(row, "share")
    if stated is None or share is None or (cell.source, stated) not in stage.position:
        return
    part = value_row(stage, stage.position[(cell.source, cell.obs_id)])
    base = value_row(stage, stage.position[(cell.source, stated)])
    if part is None or base is None:
        return
    part_value, base_value = interval_of(part, "value"), interval_of(base, "value")
    if base_value.low <= 0:
        return
    published, precision = stage.figure(cell)
    for other, how in _other_bases(stage, row):
        other_row = value_row(stage, stage.position[(other["source"], other["obs_id"])])
        if other_row is None:
            continue
        other_value = interval_of(other_row, "value")
        if other_value.low <= 0 or not share.intersects(ratio_percent(part_value, other_value)):
            continue
        recomputed = ratio_percent(part_value, base_value).mid
        parsed = parse("share", notation("share", recomputed, precision))
        if parsed is None or parsed[0] == published:
            continue
        edit = FieldEdit(cell, published, precision, *parsed)
        yield Candidate(
            "share_base",
            (edit,),
            f"{cell} {edit.published_text} is {cell.obs_id}'s value over {how}; over {stated} it is "
            f"{edit.suggested_text}",
        )
