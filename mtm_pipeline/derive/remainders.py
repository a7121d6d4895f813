"""The part of a total that an incomplete breakdown does not itemise ("Not itemised").

A source often lists only the largest parts of a total (the main countries of origin, the main sectors)
and says so (`parts_complete` = no). Where the breakdown has no remainder row of its own ("Other
countries"), the part not itemised is the total minus the listed parts:

- as a value, when the total and every listed part have a value;
- as a share, that value's share of the total; where the parts have no values, 100 minus the listed
  shares (every listed part must have one).

The remainder is exact up to the rounding of its inputs (qualifier NULL): its interval is the total's
interval minus the sum of the parts' intervals, never below zero (the source says the parts do not cover
the total). A breakdown whose completeness is not stated is left alone: its rounding alone could leave a
remainder. Breakdowns by country get the remainder as country `Other countries` (ISO3 ZZZ, as a delivered
remainder row), within the group of the total; breakdowns by purpose, category, sector, education or age
group get the value `not itemised` in that column. As for group totals and their shares, the value and the
share are two figures (`drv_remainder_<total>_<column>`, `drv_remainder_share_<total>_<column>`).
"""

from __future__ import annotations

from mtm_pipeline.countries import REMAINDER_ISO3
from mtm_pipeline.derive.book import FigureBook, stated_incomplete, varying_dimensions
from mtm_pipeline.derive.figures import (
    DerivedFigure,
    Figure,
    interval_fields,
    percent_precision,
    value_precision,
)
from mtm_pipeline.intervals import Interval, interval_sum, ratio_percent

NOT_ITEMISED = "not itemised"  # the value of a breakdown's column (sector, purpose ...) for the remainder
REMAINDER_COUNTRY = "Other countries"
# Position in Figure.dims -> the column a breakdown varies in (1 and 2: country, and with it its group).
_DIMENSION_AT = {1: "country", 3: "purpose", 4: "category", 5: "sector", 6: "education", 7: "age_group"}


def _dimension(total: Figure, parts: list[Figure]) -> str | None:
    """The one column the parts differ from their total in (a country's group may differ with it)."""
    varying = {i for part in parts for i in varying_dimensions(part, total)}
    if 1 in varying and varying <= {1, 2}:
        return "country"
    if len(varying) == 1:
        return _DIMENSION_AT.get(next(iter(varying)))
    return None


def _remainder_figure(total: Figure, dimension: str) -> Figure:
    """The figure the remainder describes: the total's measure, period and dimensions, plus the column."""
    record = dict(total.record)
    if dimension == "country":
        record.update(
            country=REMAINDER_COUNTRY,
            country_iso3=REMAINDER_ISO3,
            country_name=REMAINDER_COUNTRY,
            cis_member=None,
        )
    else:
        record[dimension] = NOT_ITEMISED
    return Figure(record, total.own_quarter)


def _clipped(interval: Interval) -> Interval:
    return Interval(max(0.0, interval.low), max(0.0, interval.high))


def _fields(total: Figure, parts: list[Figure]) -> dict:
    """value_* and share_* fields of the remainder ({} when neither can be computed)."""
    fields: dict = {}
    total_value = total.value if total.value is not None and total.value.low > 0 else None
    rest: Interval | None = None
    if total_value is not None and all(p.value is not None for p in parts):
        rest_point = total.point - sum(p.point for p in parts)
        if rest_point > 0:
            rest = _clipped(total_value - interval_sum(p.value for p in parts))
            precision = value_precision(rest, [total.value_precision, *(p.value_precision for p in parts)])
            fields.update(interval_fields("value", rest, rest_point, precision))
    if rest is not None:
        share = ratio_percent(rest, total_value)
        fields.update(
            interval_fields("share", share, 100 * fields["value"] / total.point, percent_precision(share))
        )
    elif all(p.share is not None for p in parts):
        share_point = 100.0 - sum(float(p.get("share")) for p in parts)
        if share_point > 0:
            share = _clipped(100.0 - interval_sum(p.share for p in parts))
            fields.update(interval_fields("share", share, share_point, percent_precision(share)))
    return fields


def remainders(book: FigureBook) -> list[DerivedFigure]:
    """remainder figures: for every breakdown of this delivery that the source says is incomplete and that has
    no remainder row, the part of the total not itemised."""
    out = []
    for total, parts in book.breakdowns():
        if any(p.is_remainder for p in parts) or not stated_incomplete(parts):
            continue
        dimension = _dimension(total, parts)
        if dimension is None:
            continue
        fields = _fields(total, parts)
        if not fields:
            continue
        figure = _remainder_figure(total, dimension)
        stated = {(figure.identity, ("value",)), (figure.identity, ("share", total.identity))}
        if stated & book.published:
            continue  # a source stated the remainder (without listing it as a part)
        common = {"part_of": total.obs_id, "parts_complete": False, "qualifier": None}
        inputs = [total.lineage, *(p.lineage for p in parts)]
        for facet, prefix, obs_id in (
            (("value",), "value", f"drv_remainder_{total.obs_id}_{dimension}"),
            (("share", total.identity), "share", f"drv_remainder_share_{total.obs_id}_{dimension}"),
        ):
            own = {k: v for k, v in fields.items() if k.startswith(prefix)}
            if own:
                out.append(
                    DerivedFigure(
                        derivation="remainder",
                        obs_id=obs_id,
                        template=figure,
                        identity=figure.identity,
                        facet=facet,
                        inputs=inputs,
                        fields={**common, **own},
                    )
                )
    return out
