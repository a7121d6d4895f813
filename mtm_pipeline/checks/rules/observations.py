"""The observations as the rules read them: each row normalised once into an `Obs` (empty cells are
None, figures are intervals), from a stage's rows or from the history of other delivery quarters."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from mtm_pipeline.intervals import Interval
from mtm_pipeline.periods import PeriodError, parse_period

# The text dimensions of the natural key (besides measure, period and country).
TEXT_DIMS = ("direction", "country_group", "purpose", "category", "sector", "education", "age_group")


def _clean(x: Any) -> Any:
    if x is None or x is pd.NA or x is pd.NaT:
        return None
    if isinstance(x, float) and math.isnan(x):
        return None
    if isinstance(x, str) and not x.strip():
        return None
    return x


def _text(x: Any) -> str | None:
    x = _clean(x)
    return None if x is None else str(x)


def _float(x: Any) -> float | None:
    x = _clean(x)
    return None if x is None else float(x)


def _bool(x: Any) -> bool | None:
    x = _clean(x)
    if x is None:
        return None
    if isinstance(x, str):
        return {"yes": True, "true": True, "no": False, "false": False}.get(x.strip().lower())
    return bool(x)


@dataclass(frozen=True)
class Obs:
    """One observation row, normalised: empty cells are None, numbers are intervals."""

    source: str
    obs_id: str
    delivery_quarter: str | None
    measure: str
    period: str
    period_kind: str | None
    period_end: Any
    country: str | None
    country_key: str | None  # ISO3 where conformed, else the delivered name
    country_name: str | None
    cis_member: bool | None
    direction: str | None
    country_group: str | None
    purpose: str | None
    category: str | None
    sector: str | None
    education: str | None
    age_group: str | None
    unit: str | None
    value: Interval | None
    value_precision: float | None
    share: Interval | None
    share_precision: float | None
    change: float | None
    change_precision: float | None
    change_unit: str | None
    change_base_period: str | None
    part_of: str | None
    parts_complete: bool | None
    rank: int | None
    from_history: bool

    @property
    def key(self) -> tuple:
        """Natural key without the period."""
        group = self.country_group if self.country_key is None else None
        return (
            self.measure,
            self.direction,
            self.country_key,
            group,
            self.purpose,
            self.category,
            self.sector,
            self.education,
            self.age_group,
        )

    @property
    def label(self) -> str:
        for item in (self.country_name or self.country, self.sector, self.category, self.education):
            if item:
                return str(item)
        return self.country_group or self.purpose or self.obs_id

    def dim(self, name: str) -> Any:
        return self.country_key if name == "country" else getattr(self, name)


def obs_from_record(r: Mapping[str, Any], from_history: bool) -> Obs:
    """One row (a record with the columns of published.observations) normalised."""
    period = str(r["period"])
    kind = _text(r.get("period_kind"))
    end = _clean(r.get("period_end"))
    if kind is None or end is None:
        try:
            parsed = parse_period(period)
            kind, end = kind or parsed.kind, end if end is not None else parsed.end
        except PeriodError:
            pass
    country = _text(r.get("country"))
    iso3 = _text(r.get("country_iso3"))
    value, vprec = _float(r.get("value")), _float(r.get("value_precision"))
    unit = _text(r.get("unit"))
    if vprec is not None and vprec <= 1 and unit != "percent":
        vprec = 0.0  # written in full units: a count such as 2,975,788 is exact
    share, sprec = _float(r.get("share")), _float(r.get("share_precision"))
    rank = _clean(r.get("rank"))
    return Obs(
        source=str(r.get("source") or ""),
        obs_id=str(r["obs_id"]),
        delivery_quarter=_text(r.get("delivery_quarter")),
        measure=str(r["measure"]),
        period=period,
        period_kind=kind,
        period_end=end,
        country=country,
        country_key=iso3 or country,
        country_name=_text(r.get("country_name")) or country,
        cis_member=_bool(r.get("cis_member")),
        **{d: _text(r.get(d)) for d in TEXT_DIMS},
        unit=unit,
        value=None if value is None else Interval.around(value, vprec),
        value_precision=vprec,
        share=None if share is None else Interval.around(share, sprec),
        share_precision=sprec,
        change=_float(r.get("change")),
        change_precision=_change_precision(
            _float(r.get("change_precision")), _text(r.get("change_unit")), unit
        ),
        change_unit=_text(r.get("change_unit")),
        change_base_period=_text(r.get("change_base_period")),
        part_of=_text(r.get("part_of")),
        parts_complete=_bool(r.get("parts_complete")),
        rank=None if rank is None else int(rank),
        from_history=from_history,
    )


def _change_precision(precision: float | None, change_unit: str | None, unit: str | None) -> float | None:
    """An absolute change written in full units of a count is exact, like the count."""
    if change_unit == "absolute" and precision is not None and precision <= 1 and unit != "percent":
        return 0.0
    return precision


def as_records(frame: pd.DataFrame | Sequence[Mapping[str, Any]] | None) -> list[dict]:
    """A frame's rows as records (records given are passed through)."""
    if frame is None:
        return []
    if not isinstance(frame, pd.DataFrame):
        return list(frame)  # already records (e.g. a stage's rows with a suggested edit applied)
    return [] if frame.empty else frame.reset_index(drop=True).astype(object).to_dict("records")


def prepare_rows(rows: pd.DataFrame | Sequence[Mapping[str, Any]]) -> list[Obs]:
    """A stage's rows normalised once; `evaluate_rules` takes them mixed with records (e.g. edited copies)."""
    return [obs_from_record(r, False) for r in as_records(rows)]


def prepare_history(history: pd.DataFrame | None) -> list[Obs]:
    """History rows normalised once, for a caller that checks many quarters against the same history.
    Where the frame holds both stages of a quarter, the corrected one is used."""
    records = as_records(history)
    corrected = {_text(r.get("delivery_quarter")) for r in records if _text(r.get("stage")) == "corrected"}
    return [
        obs_from_record(r, True)
        for r in records
        if _text(r.get("stage")) in (None, "corrected") or _text(r.get("delivery_quarter")) not in corrected
    ]
