"""A share computed on another base the data offers: of the total instead of the group it is stated
against, or of the group instead of the total. Offered only when the published share agrees with the
row's value over that other base; the suggestion is the share over the base the row states."""

from __future__ import annotations

from collections.abc import Iterator

from mtm_pipeline.checks.suggest.candidate import Candidate
from mtm_pipeline.checks.suggest.figures import Cell, FieldEdit, Stage, notation, parse, value_of
from mtm_pipeline.intervals import ratio_percent


def _other_bases(stage: Stage, cell: Cell) -> Iterator[tuple[int, str]]:
    """Positions of the other rows the share could have been computed on, and how."""
    me = stage.position[(cell.source, cell.obs_id)]
    mine = stage.normalised[me]
    source, stated = mine.source, mine.part_of
    above = stage.normalised[stage.position[(source, stated)]].part_of
    if above and (source, above) in stage.position:
        yield stage.position[(source, above)], f"the total {above} instead of its group {stated}"
    if mine.country_group and mine.country_key:
        for pos in stage.slice_positions([(source, stated)]):
            other = stage.normalised[pos]
            if (
                other.part_of == stated
                and pos != me
                and other.country_group == mine.country_group
                and not other.country_key
            ):
                yield pos, f"its group {other.obs_id} instead of the total {stated}"


def candidates(stage: Stage, cell: Cell) -> Iterator[Candidate]:
    if cell.field != "share":
        return
    mine = stage.obs(cell)
    stated, share = mine.part_of, mine.share
    if stated is None or share is None or (cell.source, stated) not in stage.position:
        return
    part_value = value_of(stage, stage.position[(cell.source, cell.obs_id)])
    base_value = value_of(stage, stage.position[(cell.source, stated)])
    if part_value is None or base_value is None or base_value.low <= 0:
        return
    published, precision = stage.figure(cell)
    for other, how in _other_bases(stage, cell):
        other_value = value_of(stage, other)
        if other_value is None:
            continue
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
