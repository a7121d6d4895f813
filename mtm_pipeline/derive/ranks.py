"""Rankings within a breakdown (and so its top N), and of countries within their CIS / non-CIS group.

Parts are ranked by value, or by share where the breakdown has shares but not every part has a value.
Rank 1 is the largest; parts that are certainly equal share a rank. A part's rank is 1 + the number of
parts certainly larger (their interval lies above its interval); where the intervals would also allow
another order the rank is marked `rank_uncertain`. A ranking over a breakdown that is not complete, or
that has an unnamed remainder, ranks only the named parts (`named_countries_only`, or `listed_parts_only`
for breakdowns by sector, category or education).

`all_countries_rank` orders the countries of a total of all countries that is broken down by CIS / non-CIS
group and each group by country: the countries of all its groups together, by value only (shares of
different groups' totals do not compare). A total broken down by country directly has that order as `rank`.
"""

from __future__ import annotations

from collections import defaultdict

from mtm_pipeline.derive.book import FigureBook, stated_complete
from mtm_pipeline.derive.figures import (
    NAMED_COUNTRIES_ONLY,
    RANK_UNCERTAIN,
    DerivedFigure,
    Figure,
)
from mtm_pipeline.derive.groups import GROUP_SLUGS
from mtm_pipeline.intervals import Interval, float_slack

LISTED_PARTS_ONLY = "listed_parts_only"


def rank_positions(intervals: list[Interval]) -> list[tuple[int, bool]]:
    """(rank, certain) of each interval among all: rank 1 is the largest."""
    out = []
    for i, this in enumerate(intervals):
        others = [other for j, other in enumerate(intervals) if j != i]
        above = sum(1 for o in others if o.low > this.high + float_slack(this.high))
        maybe_above = sum(1 for o in others if o.high > this.low + float_slack(this.low))
        out.append((1 + above, above == maybe_above))
    return out


def _measure_of(parts: list[Figure]) -> list[Interval] | None:
    if all(p.value is not None for p in parts):
        return [p.value for p in parts]
    if all(p.share is not None for p in parts):
        return [p.share for p in parts]
    return None


def incompleteness(ranked: list[Figure], *, covers_all: bool) -> str | None:
    """The qualifier of a ranking that does not cover its whole breakdown: named_countries_only for
    countries, listed_parts_only for sectors, categories or education; None when it covers all."""
    if covers_all:
        return None
    return NAMED_COUNTRIES_ONLY if all(p.country_key is not None for p in ranked) else LISTED_PARTS_ONLY


def rank_qualifier(incomplete: str | None, certain: bool) -> str | None:
    """A rank's qualifier: the ranking's incompleteness and rank_uncertain where the intervals allow
    another order, comma-separated; None for neither."""
    return ",".join(q for q in (incomplete, None if certain else RANK_UNCERTAIN) if q) or None


def _ranked(
    kind_prefix: str,
    parts: list[Figure],
    within: tuple,
    complete: bool,
    fields: dict,
    derivation: str = "rank",
) -> list[DerivedFigure]:
    named = [p for p in parts if not p.is_remainder]
    measures = _measure_of(named)
    if len(named) < 2 or measures is None:
        return []
    incomplete = incompleteness(named, covers_all=complete and len(named) == len(parts))
    out = []
    for part, (rank, certain) in zip(named, rank_positions(measures), strict=True):
        qualifier = rank_qualifier(incomplete, certain)
        out.append(
            DerivedFigure(
                derivation=derivation,
                obs_id=f"{kind_prefix}_{part.obs_id}",
                template=part,
                identity=part.identity,
                facet=(derivation, within),
                inputs=[p.lineage for p in named],
                fields={**fields, "rank": rank, "qualifier": qualifier},
            )
        )
    return out


def rankings(book: FigureBook) -> list[DerivedFigure]:
    """rank figures: within every breakdown of this delivery; for a breakdown of an all-countries total by
    country, also within each CIS / non-CIS group."""
    out: list[DerivedFigure] = []
    for total, parts in book.breakdowns():
        complete = stated_complete(parts)
        out += _ranked("drv_rank", parts, total.identity, complete, {"part_of": total.obs_id})
        all_countries = total.country_key is None and total.get("country_group") is None
        if not all_countries or not all(p.country_key is not None for p in parts):
            continue
        membership_known = all(p.membership is not None for p in parts)
        for group in GROUP_SLUGS:
            members = [p for p in parts if p.membership == group]
            out += _ranked(
                "drv_rank_in_group",
                members,
                total.group_identity(group),
                complete and membership_known,
                {"country_group": group, "part_of": None},
            )
    return out


def _countries_of(parts: list[Figure], by_total: dict) -> tuple[list[Figure], bool] | None:
    """The countries of a total of all countries broken down by group, and whether the source says they cover
    it: the parts by country of each of its group parts; None where it is not broken down so."""
    if not all(p.country_key is None and p.get("country_group") is not None for p in parts):
        return None
    countries, complete = [], stated_complete(parts)
    for group in parts:
        lists = [ps for ps in by_total.get(group.obs_id, []) if all(p.country_key is not None for p in ps)]
        if len(lists) != 1:
            return None
        countries += lists[0]
        complete = complete and stated_complete(lists[0])
    return countries, complete


def all_country_rankings(book: FigureBook) -> list[DerivedFigure]:
    """all_countries_rank figures: the countries of every total of all countries broken down by CIS / non-CIS
    group, ranked by value across the groups."""
    breakdowns = book.breakdowns()
    by_total: dict[str, list[list[Figure]]] = defaultdict(list)
    for total, parts in breakdowns:
        by_total[total.obs_id].append(parts)
    out: list[DerivedFigure] = []
    for total, parts in breakdowns:
        if total.country_key is not None or total.get("country_group") is not None:
            continue
        found = _countries_of(parts, by_total)
        if found is None or not all(p.value is not None for p in found[0] if not p.is_remainder):
            continue
        countries, complete = found
        fields = {"part_of": total.obs_id}
        out += _ranked("drv_rank_all", countries, total.identity, complete, fields, "all_countries_rank")
    return out
