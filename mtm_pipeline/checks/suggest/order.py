"""The order of suggestions for a reviewer (pure): most findings cleared first (so a set that explains every
finding of its group comes before the single edits that explain part of it); among those that clear as many,
fewest edits (a single edit that explains everything before any set), fewest figures changed, figures written
as their neighbours are (the precision of the same field in the rest of the breakdown), then the
plausibility of the kinds (a sign before a typing error before a swap, ..., the pinned value last; a set is
as plausible as its least plausible edit, then the next), then the smallest change."""

from __future__ import annotations

from mtm_pipeline.checks.suggest.candidate import PLAUSIBILITY
from mtm_pipeline.checks.suggest.figures import Stage, missing
from mtm_pipeline.checks.suggest.search import Accepted


def _size_of_change(accepted: Accepted) -> float:
    return sum(abs(e.suggested - e.published) / max(abs(e.published), 1e-9) for e in accepted.edits)


def _unusual_notation(stage: Stage, accepted: Accepted) -> int:
    """Edits whose suggested figure is written at a precision none of its neighbours (the same field of the
    other parts of its breakdown) is written at: '2.9' in a column of whole per cents."""
    count = 0
    for edit in accepted.edits:
        me = stage.position[(edit.cell.source, edit.cell.obs_id)]
        field, total = edit.cell.field, stage.normalised[me].part_of
        if field == "rank" or total is None:
            continue
        written = f"{field}_precision"  # as delivered: the rules widen a count's precision
        precisions = {
            round(float(stage.records[pos][written]), 9)
            for pos, other in enumerate(stage.normalised)
            if pos != me
            and other.source == edit.cell.source
            and other.part_of == total
            and not missing(stage.records[pos].get(written))
        }
        if precisions and round(edit.suggested_precision or 0.0, 9) not in precisions:
            count += 1
    return count


def sort_key(stage: Stage, accepted: Accepted) -> tuple:
    """The key suggestions are ordered by, best first."""
    return (
        -len(accepted.cleared),
        len(accepted.members),
        len(accepted.edits),
        _unusual_notation(stage, accepted),
        sorted((PLAUSIBILITY[m.kind] for m in accepted.members), reverse=True),
        _size_of_change(accepted),
        [m.detail for m in accepted.members],
    )


def ranked(stage: Stage, accepted: list[Accepted]) -> list[tuple[int, Accepted]]:
    """The suggestions best first, each with its rank: 1 when no better suggestion clears any of the same
    findings."""
    ordered = sorted(accepted, key=lambda a: sort_key(stage, a))
    return [
        (1 + sum(1 for better in ordered[:number] if set(better.cleared) & set(a.cleared)), a)
        for number, a in enumerate(ordered)
    ]
