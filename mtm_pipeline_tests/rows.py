"""Conformed observation rows for tests of the rules and the derivations, written the way a delivery
writes them: numbers in the contract's notation, parsed with their precision."""

from __future__ import annotations

import pandas as pd

from mtm_pipeline.numbers import parse_published_number
from mtm_pipeline.periods import parse_period

TEXT_COLUMNS = (
    "source",
    "obs_id",
    "measure",
    "period",
    "direction",
    "country",
    "country_group",
    "purpose",
    "category",
    "sector",
    "education",
    "age_group",
    "unit",
    "part_of",
    "change_unit",
    "change_base_period",
    "country_iso3",
)


def conformed_row(obs_id: str, delivery_quarter: str = "2030-Q1", **cells) -> dict:
    """One conformed row; value, share and change in the contract's notation ('2.7 million', '58.2',
    '-12.6')."""
    out = dict.fromkeys(TEXT_COLUMNS)
    out.update(
        delivery_quarter=delivery_quarter,
        source="src",
        obs_id=obs_id,
        measure="m",
        period="2030-Q1",
        unit="persons",
    )
    for number in ("value", "share", "change"):
        text = cells.pop(number, None)
        parsed = parse_published_number(text, allow_percent_sign=number != "value") if text else None
        out[number] = float(parsed.value) if parsed else None
        out[f"{number}_precision"] = float(parsed.precision) if parsed else None
    complete = cells.pop("parts_complete", None)
    out["parts_complete"] = None if complete is None else complete == "yes"
    out["rank"] = cells.pop("rank", None)
    out["cis_member"] = cells.pop("cis_member", None)
    out.update(cells)
    period = parse_period(out["period"])
    out.update(
        period_kind=period.kind, period_start=pd.Timestamp(period.start), period_end=pd.Timestamp(period.end)
    )
    return out
