"""A year as the sum of its four quarters, where all four were delivered and the year was not published."""

from __future__ import annotations

import pandas as pd

from mtm_pipeline.checks.intervals import interval_sum
from mtm_pipeline.derive.book import FigureBook
from mtm_pipeline.derive.figures import DerivedFigure, Figure, interval_fields, value_precision


def year_sums(book: FigureBook) -> list[DerivedFigure]:
    """year_sum figures for each year one of this delivery's quarterly figures falls in (the other quarters
    from this delivery or earlier ones)."""
    quarters: dict[tuple, dict[str, Figure]] = {}
    for figure in book.value_figures():
        if figure.get("period_kind") == "quarter":
            year, q = str(figure.get("period")).split("-Q")
            quarters.setdefault((figure.series, year), {})[q] = figure
    templates: dict[tuple, Figure] = {}
    for figure in book.own:
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
        fields = {
            "period": year, "period_kind": "year",
            "period_start": pd.Timestamp(int(year), 1, 1), "period_end": pd.Timestamp(int(year), 12, 31),
            **interval_fields("value", interval, sum(p.point for p in ordered),
                              value_precision(interval, [p.value_precision for p in ordered])),
        }  # fmt: skip
        identity = (template.get("measure"), year, *template.dims)
        out.append(
            DerivedFigure(
                "year_sum",
                f"drv_year_{year}_{template.obs_id}",
                template,
                identity,
                ("value",),
                [i for p in ordered for i in p.lineage_ids()],
                fields,
            )
        )
    return out
