"""A quarter as the difference of two periods that run from January of the same year, where the quarter was
not published: January-September less January-June is the third quarter.

Agencies often publish figures from the start of the year ('январь-сентябрь 2024 г.', period
'2024-01/09'). January-March is the first quarter itself and January-December the year, so with the
cumulative periods January-June and January-September a year's quarters follow: Q2 = Jan-Jun - Q1,
Q3 = Jan-Sep - Jan-Jun, Q4 = year - Jan-Sep. Both figures come from this delivery or earlier ones (the
later one from this delivery); the quarter's interval is the later figure's interval minus the earlier
one's, and its inputs are both cells.
"""

from __future__ import annotations

import pandas as pd

from mtm_pipeline.derive.book import FigureBook
from mtm_pipeline.derive.figures import DerivedFigure, Figure, interval_fields, slug, value_precision
from mtm_pipeline.periods import parse_period

DERIVATION = "quarter_from_cumulative"


def _months_to_date(figure: Figure) -> int | None:
    """The last month of a period running from January (Q1: 3, cumulative 'YYYY-01/MM': MM, year: 12)."""
    period = parse_period(str(figure.get("period")))
    if period.kind == "quarter" and period.start.month == 1:
        return 3
    if period.kind in ("cumulative", "year"):
        return period.end.month
    return None


def quarters_from_cumulative(book: FigureBook) -> list[DerivedFigure]:
    """quarter_from_cumulative figures: each quarter whose end and start are the ends of two periods from
    January of one series and year, at least one of them cumulative, the later of this delivery."""
    ends: dict[tuple, dict[int, Figure]] = {}
    for figure in book.value_figures():
        month = _months_to_date(figure)
        if month is not None:
            ends.setdefault((figure.series, str(figure.get("period"))[:4]), {}).setdefault(month, figure)
    out = []
    for (_series, year), by_month in ends.items():
        for quarter in (2, 3, 4):
            later, earlier = by_month.get(3 * quarter), by_month.get(3 * quarter - 3)
            if later is None or earlier is None or later.delivery_quarter != book.quarter:
                continue
            if "cumulative" not in (later.get("period_kind"), earlier.get("period_kind")):
                continue
            out.append(_difference(f"{year}-Q{quarter}", later, earlier))
    return out


def _difference(label: str, later: Figure, earlier: Figure) -> DerivedFigure:
    """The quarter `label` as `later` less `earlier`, with both as its inputs."""
    period = parse_period(label)
    interval = later.value - earlier.value
    point = later.point - earlier.point
    precision = value_precision(interval, [later.value_precision, earlier.value_precision])
    fields = {
        "period": label,
        "period_kind": period.kind,
        "period_start": pd.Timestamp(period.start),
        "period_end": pd.Timestamp(period.end),
        **interval_fields("value", interval, point, precision),
    }
    return DerivedFigure(
        derivation=DERIVATION,
        obs_id=f"drv_{slug(label)}_{later.obs_id}",
        template=later,
        identity=(later.get("measure"), label, *later.dims),
        facet=("value",),
        inputs=[*later.lineage_ids(), *earlier.lineage_ids()],
        fields=fields,
    )
