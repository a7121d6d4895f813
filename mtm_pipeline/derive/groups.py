"""CIS / non-CIS group totals and their shares of the total, from a breakdown by country.

A country's group is its dated CIS membership (set by conformance at the end of the figure's period); an
unnamed remainder ("Other countries") belongs to the group the source delivered it in, else to neither.

The group total is exact (qualifier NULL) when the breakdown is complete and every part's group is known.
Otherwise it is the sum over the named countries of that group, stated as such (qualifier
`named_countries_only`): a lower bound of the group total, never presented as the total itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from mtm_pipeline.derive.book import FigureBook, stated_complete
from mtm_pipeline.derive.figures import (
    CIS,
    NAMED_COUNTRIES_ONLY,
    NON_CIS,
    DerivedFigure,
    Figure,
    interval_fields,
    percent_precision,
    value_precision,
)
from mtm_pipeline.intervals import interval_sum, ratio_percent

GROUP_SLUGS = {CIS: "cis", NON_CIS: "noncis"}


@dataclass(frozen=True)
class CountryBreakdown:
    """An all-countries total and its parts by country (this delivery's rows)."""

    total: Figure
    parts: list[Figure]

    @property
    def complete(self) -> bool:
        """Every part has a value and a known group, and the source says the parts cover the total."""
        return stated_complete(self.parts) and all(
            p.value is not None and p.membership is not None for p in self.parts
        )

    def members(self, group: str) -> list[Figure]:
        return [p for p in self.parts if p.membership == group and p.value is not None]


def country_breakdowns(book: FigureBook) -> list[CountryBreakdown]:
    """Breakdowns of a total over all countries (no country, no group) by country of the same measure."""
    out = []
    for total, parts in book.breakdowns():
        if total.country_key is not None or total.get("country_group") is not None:
            continue
        countries = [p for p in parts if p.country_key is not None]
        if countries and len(countries) == len(parts):
            out.append(CountryBreakdown(total, countries))
    return out


def group_totals(book: FigureBook) -> list[DerivedFigure]:
    """group_total and group_share figures for every country breakdown of this delivery."""
    out: list[DerivedFigure] = []
    for breakdown in country_breakdowns(book):
        total, complete = breakdown.total, breakdown.complete
        for group, group_slug in GROUP_SLUGS.items():
            members = breakdown.members(group)
            if not members and not complete:
                continue
            interval = interval_sum(m.value for m in members)
            point = sum(m.point for m in members)
            qualifier = None if complete else NAMED_COUNTRIES_ONLY
            inputs = [m.lineage for m in members] or [p.lineage for p in breakdown.parts]
            identity = total.group_identity(group)
            common = {
                "country_group": group,
                "part_of": total.obs_id,
                "parts_complete": complete,
                "qualifier": qualifier,
            }
            precision = value_precision(interval, [m.value_precision for m in members])
            out.append(
                DerivedFigure(
                    derivation="group_total",
                    obs_id=f"drv_{group_slug}_{total.obs_id}",
                    template=total,
                    identity=identity,
                    facet=("value",),
                    inputs=inputs,
                    fields={**common, **interval_fields("value", interval, point, precision)},
                )
            )
            if total.value is None or total.value.low <= 0:
                continue
            share = ratio_percent(interval, total.value)
            share_fields = interval_fields(
                "share", share, 100 * point / total.point, percent_precision(share)
            )
            out.append(
                DerivedFigure(
                    derivation="group_share",
                    obs_id=f"drv_{group_slug}_share_{total.obs_id}",
                    template=total,
                    identity=identity,
                    facet=("share", total.identity),
                    inputs=[*inputs, total.lineage],
                    fields={**common, **share_fields},
                )
            )
    return out
