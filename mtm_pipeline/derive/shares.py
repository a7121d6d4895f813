"""Shares: of a part in its delivered total, and of a country in its CIS / non-CIS group."""

from __future__ import annotations

from mtm_pipeline.checks.intervals import ratio_percent
from mtm_pipeline.derive.book import FigureBook
from mtm_pipeline.derive.figures import DerivedFigure, Figure, interval_fields, percent_precision


def _share(part: Figure, total_interval, total_point: float) -> dict:
    share = ratio_percent(part.value, total_interval)
    return interval_fields("share", share, 100 * part.point / total_point, percent_precision(share))


def shares_of_totals(book: FigureBook) -> list[DerivedFigure]:
    """share_of_total: every part with a value whose total (part_of) has a positive value."""
    out = []
    for part in book.own:
        total = book.total_of(part)
        if part.value is None or total is None or total.value is None or total.value.low <= 0:
            continue
        out.append(
            DerivedFigure(
                "share_of_total",
                f"drv_share_{part.obs_id}",
                part,
                part.identity,
                ("share", total.identity),
                [part.lineage, total.lineage],
                {
                    "part_of": total.obs_id,
                    "parts_complete": part.get("parts_complete"),
                    **_share(part, total.value, total.point),
                },
            )
        )
    return out


def shares_within_groups(book: FigureBook, exact_groups: dict[tuple, DerivedFigure]) -> list[DerivedFigure]:
    """share_within_group: a country's share of its group's total, where that total is known: published in
    this delivery, or derived exactly (`exact_groups`, by the group's identity)."""
    out = []
    for part in book.own:
        group = part.membership
        if part.value is None or part.is_remainder or group is None:
            continue
        identity = part.group_identity(group)
        published = book.own_value_figure(identity)
        if published is not None and published.value.low > 0:
            denominator, interval, point, inputs = (
                published.obs_id,
                published.value,
                published.point,
                [published.lineage],
            )
        elif identity in exact_groups and exact_groups[identity].fields["value_low"] > 0:
            derived = exact_groups[identity]
            denominator, interval, point, inputs = (
                derived.obs_id,
                derived_interval(derived),
                derived.fields["value"],
                derived.inputs,
            )
        else:
            continue
        out.append(
            DerivedFigure(
                "share_within_group",
                f"drv_share_in_group_{part.obs_id}",
                part,
                part.identity,
                ("share", identity),
                [part.lineage, *inputs],
                {
                    "country_group": group,
                    "part_of": denominator,
                    "parts_complete": None,
                    **_share(part, interval, point),
                },
            )
        )
    return out


def derived_interval(derived: DerivedFigure):
    from mtm_pipeline.checks.intervals import Interval

    return Interval(derived.fields["value_low"], derived.fields["value_high"])
