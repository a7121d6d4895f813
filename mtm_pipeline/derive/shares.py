"""Shares: of a part in its delivered total, and of a country in its CIS / non-CIS group."""

from __future__ import annotations

from mtm_pipeline.derive.book import FigureBook
from mtm_pipeline.derive.figures import DerivedFigure, Figure, interval_fields, percent_precision
from mtm_pipeline.intervals import ratio_percent


def _share(part: Figure, total: Figure) -> dict:
    share = ratio_percent(part.value, total.value)
    return interval_fields("share", share, 100 * part.point / total.point, percent_precision(share))


def shares_of_totals(book: FigureBook) -> list[DerivedFigure]:
    """share_of_total: every part with a value whose total (part_of) has a positive value."""
    out = []
    for part in book.own:
        total = book.total_of(part)
        if part.value is None or total is None or total.value is None or total.value.low <= 0:
            continue
        fields = {"part_of": total.obs_id, "parts_complete": part.get("parts_complete")}
        out.append(
            DerivedFigure(
                derivation="share_of_total",
                obs_id=f"drv_share_{part.obs_id}",
                template=part,
                identity=part.identity,
                facet=("share", total.identity),
                inputs=[part.lineage, total.lineage],
                fields={**fields, **_share(part, total)},
            )
        )
    return out


def shares_within_groups(book: FigureBook, exact_groups: dict[tuple, Figure]) -> list[DerivedFigure]:
    """share_within_group: a country's share of its group's total (and that of a remainder delivered within a
    group), where that total is known: published in this delivery, or derived exactly (`exact_groups`: the
    group totals of this delivery, by identity)."""
    out = []
    for part in book.own:
        group = part.membership
        if part.value is None or group is None:  # a remainder counts in the group it was delivered in
            continue
        identity = part.group_identity(group)
        total = book.own_value_figure(identity) or exact_groups.get(identity)
        if total is None or total.value.low <= 0:
            continue
        fields = {"country_group": group, "part_of": total.obs_id, "parts_complete": None}
        out.append(
            DerivedFigure(
                derivation="share_within_group",
                obs_id=f"drv_share_in_group_{part.obs_id}",
                template=part,
                identity=part.identity,
                facet=("share", identity),
                inputs=[part.lineage, *total.lineage_ids()],
                fields={**fields, **_share(part, total)},
            )
        )
    return out
