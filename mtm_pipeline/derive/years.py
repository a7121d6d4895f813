"""A year as the sum of its four quarters, where all four were delivered and the year was not published."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from mtm_pipeline.derive.book import FigureBook
from mtm_pipeline.derive.figures import DerivedFigure, Figure, interval_fields, value_precision
from mtm_pipeline.intervals import interval_sum
from mtm_pipeline.periods import parse_period


def year_sums(
    book: FigureBook, derived_values: Sequence[Figure] = (), derived_history: Sequence[Figure] = ()
) -> list[DerivedFigure]:
    """year_sum figures for each year one of this delivery's quarterly figures falls in (the other quarters
    from this delivery or earlier ones). derived_values / derived_history: exact derived quarterly figures
    (group totals) of this delivery / earlier ones, summed into years the same way."""
    quarters: dict[tuple, dict[str, Figure]] = {}
    for figure in [*book.value_figures(), *derived_values, *derived_history]:
        if figure.get("period_kind") == "quarter" and figure.value is not None:
            year, q = str(figure.get("period")).split("-Q")
            quarters.setdefault((figure.series, year), {}).setdefault(q, figure)
    templates: dict[tuple, Figure] = {}
    for figure in [*book.own, *derived_values]:
        if figure.value is not None and figure.get("period_kind") == "quarter":
            key = (figure.series, str(figure.get("period"))[:4])
            if key not in templates or str(figure.get("period")) > str(templates[key].get("period")):
                templates[key] = figure
    out = []
    for (series, year), template in templates.items():
        parts = quarters.get((series, year), {})
        if len(parts) != 4:
            continue
        ordered = [parts[q] for q in sorted(parts)]
        interval = interval_sum(p.value for p in ordered)
        period = parse_period(year)
        fields = {
            "period": year,
            "period_kind": period.kind,
            "period_start": pd.Timestamp(period.start),
            "period_end": pd.Timestamp(period.end),
            **interval_fields(
                "value",
                interval,
                sum(p.point for p in ordered),
                value_precision(interval, [p.value_precision for p in ordered]),
            ),
        }
        identity = (template.get("measure"), year, *template.dims)
        out.append(
            DerivedFigure(
                derivation="year_sum",
                obs_id=f"drv_year_{year}_{template.obs_id}",
                template=template,
                identity=identity,
                facet=("value",),
                inputs=[i for p in ordered for i in p.lineage_ids()],
                fields=fields,
            )
        )
    return out
