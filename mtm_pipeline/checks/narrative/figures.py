"""The quarter's figures as the narrative check reads them: one row per facet (value, share, change) of every
figure of published.figures (the corrected stage and the derived figures), with its interval (pure)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from mtm_pipeline.checks.findings import decimals_for, number, scale_for
from mtm_pipeline.sources.contract import DIMENSIONS


@dataclass(frozen=True)
class FigureFacet:
    measure: str
    period: str
    direction: str | None
    dims: tuple[tuple[str, str], ...]  # (('country', 'Uzbekistan'), ('country_group', 'CIS')); () for a total
    facet: str  # 'value' | 'share' | 'change'
    kind: str  # 'count' | 'percent' | 'times' | 'usd'
    value: float
    precision: float
    low: float
    high: float
    delivery_quarter: str
    unit: str | None
    computed: bool  # a derived figure (published.derived_figures)
    base_period: str | None = None  # a change's comparison period
    country_names: tuple[str, ...] = ()  # the country as published, its ISO3 code and its display name
    country: str | None = None  # the country's ISO3 code (as published when it has none)

    @property
    def dims_text(self) -> str:
        """'country=Uzbekistan, country_group=CIS' ('' for a total)."""
        return ", ".join(f"{k}={v}" for k, v in self.dims)

    def magnitude(self) -> tuple[float, float]:
        """The interval of the figure's absolute value (a typed change is read without its sign)."""
        if self.low >= 0:
            return self.low, self.high
        if self.high <= 0:
            return -self.high, -self.low
        return 0.0, max(-self.low, self.high)

    def label(self) -> str:
        """'prp_issued 2024-Q1 (country_group=CIS) share = 45.2'."""
        divisor, word = scale_for(self.unit if self.facet != "share" else None, self.value, self.precision)
        written = number(self.value, decimals_for(self.precision, divisor), divisor=divisor, suffix=word)
        dims = f" ({self.dims_text})" if self.dims else ""
        return f"{self.measure} {self.period}{dims} {self.facet} = {written}"


def _num(x) -> float | None:
    if x is None or (isinstance(x, float) and math.isnan(x)) or pd.isna(x):
        return None
    return float(x)


def _kind(facet: str, unit: str | None, change_unit: str | None) -> str | None:
    if facet == "share":
        return "percent"
    if facet == "change":
        if change_unit in ("percent", "times"):
            return change_unit
        if change_unit != "absolute":
            return None
    return {"USD": "usd", "percent": "percent"}.get(unit or "", "count")


def _facet(row: dict, facet: str) -> FigureFacet | None:
    value = _num(row.get(facet))
    kind = _kind(facet, row.get("unit"), row.get("change_unit"))
    if value is None or kind is None:
        return None
    precision = _num(row.get(f"{facet}_precision")) or 0.0
    low, high = _num(row.get(f"{facet}_low")), _num(row.get(f"{facet}_high"))
    low = value - precision / 2 if low is None else low
    high = value + precision / 2 if high is None else high
    dims = tuple((d, row[d]) for d in DIMENSIONS if d != "direction" and isinstance(row.get(d), str))
    names = tuple(row[c] for c in ("country", "country_iso3", "country_name") if isinstance(row.get(c), str))
    base = row.get("change_base_period") if facet == "change" else None
    direction = row.get("direction") if isinstance(row.get("direction"), str) else None
    return FigureFacet(
        str(row["measure"]),
        str(row["period"]),
        direction,
        dims,
        facet,
        kind,
        value,
        precision,
        low,
        high,
        str(row.get("delivery_quarter") or ""),
        row.get("unit") if isinstance(row.get("unit"), str) else None,
        isinstance(row.get("derivation"), str),
        base if isinstance(base, str) else None,
        names,
        next((row[c] for c in ("country_iso3", "country") if isinstance(row.get(c), str)), None),
    )


def country_names(facets: list[FigureFacet]) -> dict[str, str]:
    """Every way the figures write a country (as published, ISO3 code, display name) -> the country's key
    (FigureFacet.country)."""
    return {name: f.country for f in facets if f.country for name in f.country_names}


def figure_facets(figures: pd.DataFrame) -> list[FigureFacet]:
    """Every facet of every figure; of a figure delivered more than once, the newest delivery's."""
    if figures is None or figures.empty:
        return []
    newest: dict[tuple, FigureFacet] = {}
    records = figures.sort_values("delivery_quarter", kind="stable").to_dict("records")
    for row in records:
        for facet in ("value", "share", "change"):
            if (f := _facet(row, facet)) is not None:
                newest[(f.measure, f.period, f.direction, f.dims, f.facet, f.base_period)] = f
    return list(newest.values())
