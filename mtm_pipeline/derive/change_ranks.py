"""Rankings of per cent changes within a breakdown: which parts rose most and which fell most.

For every breakdown and every base period its parts' per cent changes share (published, or derived in
changes.py where none was published), two rankings: `increase_rank` (rank 1: the largest increase) and
`decline_rank` (rank 1: the largest decline). As in ranks.py, a part's rank is 1 + the number of parts whose
change is certainly larger (certainly smaller for a decline), and the rank is `rank_uncertain` where the
changes' intervals also allow another order. A ranking that leaves out parts (no change against that base,
an unnamed remainder, an incomplete breakdown) ranks only the parts it has (`named_countries_only`, or
`listed_parts_only`).
"""

from __future__ import annotations

from mtm_pipeline.derive.book import FigureBook, stated_complete
from mtm_pipeline.derive.figures import DerivedFigure, slug
from mtm_pipeline.derive.ranks import incompleteness, rank_positions, rank_qualifier
from mtm_pipeline.intervals import Interval

# derivation -> sign: +1 ranks the largest increase first, -1 the largest decline first.
CHANGE_RANKINGS = {"increase_rank": 1, "decline_rank": -1}


def percent_changes(book: FigureBook, derived: list[DerivedFigure]) -> dict[tuple, dict[str, tuple]]:
    """identity -> base period -> (interval of the per cent change, lineage of its figures): published per
    cent changes of this delivery, else the derived ones."""
    out: dict[tuple, dict[str, tuple]] = {}
    for d in derived:
        f = d.fields
        if d.derivation == "change" and f.get("change_unit") == "percent":
            interval = Interval(f["change_low"], f["change_high"])
            out.setdefault(d.identity, {})[f["change_base_period"]] = (interval, list(d.inputs))
    for figure in book.own:
        change = figure.get("change")
        if change is None or figure.get("change_unit") != "percent" or not figure.get("change_base_period"):
            continue
        interval = Interval.around(float(change), figure.get("change_precision"))
        out.setdefault(figure.identity, {})[str(figure.get("change_base_period"))] = (
            interval,
            [figure.lineage],
        )
    return out


def change_rankings(book: FigureBook, derived: list[DerivedFigure]) -> list[DerivedFigure]:
    """increase_rank and decline_rank figures of the parts of every breakdown of this delivery."""
    changes = percent_changes(book, derived)
    out: list[DerivedFigure] = []
    for total, parts in book.breakdowns():
        named = [p for p in parts if not p.is_remainder]
        bases = dict.fromkeys(b for p in named for b in changes.get(p.identity, {}))
        for base in bases:
            ranked = [p for p in named if base in changes.get(p.identity, {})]
            if len(ranked) < 2:
                continue
            covers_all = stated_complete(parts) and len(ranked) == len(parts)
            incomplete = incompleteness(ranked, covers_all=covers_all)
            intervals = [changes[p.identity][base][0] for p in ranked]
            inputs = [i for p in ranked for i in changes[p.identity][base][1]]
            for kind, sign in CHANGE_RANKINGS.items():
                positions = rank_positions(intervals if sign > 0 else [-i for i in intervals])
                for part, (rank, certain) in zip(ranked, positions, strict=True):
                    qualifier = rank_qualifier(incomplete, certain)
                    out.append(
                        DerivedFigure(
                            derivation=kind,
                            obs_id=f"drv_{kind}_{part.obs_id}_vs_{slug(base)}",
                            template=part,
                            identity=part.identity,
                            facet=(kind, total.identity, base),
                            inputs=inputs,
                            fields={
                                "part_of": total.obs_id,
                                "change_unit": "percent",
                                "change_base_period": base,
                                "rank": rank,
                                "qualifier": qualifier,
                            },
                        )
                    )
    return out
