"""Per cent changes against the previous quarter and the same quarter a year earlier (quarterly figures),
the previous year (annual figures) and the previous date delivered (stocks as of a date).

Every figure of this delivery with a value gets the changes whose base figure is known: published in this
delivery or an earlier one, or an exact derived figure (a group total, a year sum). A stated per cent or
times change for the same figure and base stands instead; a stated direction or absolute change does not
give the per cent change, so the per cent change is still derived.
"""

from __future__ import annotations

from mtm_pipeline.derive.book import FigureBook
from mtm_pipeline.derive.figures import DerivedFigure, Figure, interval_fields, percent_precision, slug
from mtm_pipeline.intervals import percent_change
from mtm_pipeline.periods import previous_quarter, same_quarter_last_year


def _base_periods(figure: Figure, dates: dict[tuple, list[str]]) -> list[str]:
    period, kind = str(figure.get("period")), figure.get("period_kind")
    if kind == "quarter":
        return [previous_quarter(period), same_quarter_last_year(period)]
    if kind == "year":
        return [str(int(period) - 1)]
    if kind == "date":
        earlier = [d for d in dates.get(figure.series, []) if d < period]
        return [max(earlier)] if earlier else []
    return []


def changes(
    book: FigureBook, derived_values: list[Figure], derived_history: list[Figure]
) -> list[DerivedFigure]:
    """change figures (change_unit 'percent') of this delivery's published and exact derived values."""
    amounts: dict[tuple, Figure] = {}
    for figure in [*book.value_figures(), *derived_values, *derived_history]:
        if figure.value is not None:
            amounts.setdefault((figure.series, str(figure.get("period"))), figure)
    dates: dict[tuple, list[str]] = {}
    for series, period in amounts:
        if len(period) == 10:
            dates.setdefault(series, []).append(period)
    # A rate in per cent (unit 'percent') would change in percentage points: not derived.
    subjects = [f for f in [*book.own, *derived_values] if f.value is not None and f.get("unit") != "percent"]
    out = []
    for figure in subjects:
        for base_period in _base_periods(figure, dates):
            base = amounts.get((figure.series, base_period))
            if base is None or base.value.low <= 0:
                continue
            change = percent_change(figure.value, base.value)
            point = (figure.point / base.point - 1) * 100
            out.append(
                DerivedFigure(
                    derivation="change",
                    obs_id=f"drv_change_{figure.obs_id}_vs_{slug(base_period)}",
                    template=figure,
                    identity=figure.identity,
                    facet=("change", base_period),
                    inputs=[*figure.lineage_ids(), *base.lineage_ids()],
                    fields={
                        "change_unit": "percent",
                        "change_base_period": base_period,
                        "country_group": figure.get("country_group"),
                        **interval_fields("change", change, point, percent_precision(change)),
                    },
                )
            )
    return out
