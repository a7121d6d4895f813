"""The records against the published border_crossings extract of the same quarter: counts, shares and
ranks the published figures state, reproduced from the records within the published precision."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from mtm_pipeline.record_level.contract import MEASURE, Difference


@dataclass(frozen=True)
class _Figure:
    obs_id: str
    period: str
    key: tuple  # (direction, iso3 or None, group when no country, purpose)
    value: float | None
    value_precision: float | None
    share: float | None
    share_precision: float | None
    rank: int | None
    part_of: str | None
    country_group: str | None


def _blank(x) -> bool:
    return (
        x is None
        or (isinstance(x, float) and pd.isna(x))
        or x is pd.NA
        or (isinstance(x, str) and not x.strip())
    )


def _number(row: dict, column: str, *, percent: bool = False) -> tuple[float | None, float | None]:
    """(value, precision) from a typed staged row (value + value_precision) or a text cell."""
    from mtm_pipeline.numbers import parse_published_number

    cell = row.get(column)
    if _blank(cell):
        return None, None
    if isinstance(cell, str):
        parsed = parse_published_number(cell, allow_percent_sign=percent)
        return float(parsed.value), float(parsed.precision)
    precision = row.get(f"{column}_precision")
    return float(cell), None if _blank(precision) else float(precision)


def _figures(frame: pd.DataFrame, to_iso3: Callable[[str], str | None]) -> list[_Figure]:
    figures = []
    for row in frame.astype(object).to_dict("records"):
        if row.get("measure", MEASURE) != MEASURE:
            continue
        text = {
            c: None if _blank(row.get(c)) else str(row.get(c))
            for c in ("direction", "country", "country_group", "purpose")
        }
        iso3 = to_iso3(text["country"]) if text["country"] else None
        value, value_precision = _number(row, "value")
        share, share_precision = _number(row, "share", percent=True)
        rank = None if _blank(row.get("rank")) else int(float(row["rank"]))
        key = (text["direction"], iso3, None if iso3 else text["country_group"], text["purpose"])
        if text["country"] and iso3 is None:
            key = (text["direction"], f"unmapped:{text['country']}", None, text["purpose"])
        figures.append(
            _Figure(
                str(row["obs_id"]),
                str(row["period"]),
                key,
                value,
                value_precision,
                share,
                share_precision,
                rank,
                None if _blank(row.get("part_of")) else str(row["part_of"]),
                text["country_group"],
            )
        )
    return figures


def _to_iso3() -> Callable[[str], str | None]:
    from mtm_pipeline.countries import UnmappedCountryError, country_mapper

    mapper = country_mapper()

    def to_iso3(name: str) -> str | None:
        try:
            return mapper.to_iso3(name)
        except UnmappedCountryError:
            return None

    return to_iso3


def _label(key: tuple) -> str:
    direction, iso3, group, purpose = key
    what = {"in": "arrivals", "out": "departures"}.get(direction, f"direction {direction}")
    who = iso3 if iso3 else (group or "all countries")
    return f"{what}, {who}" + (f", purpose {purpose}" if purpose else "")


def _value_difference(f: _Figure, records: float) -> Difference | None:
    """A published count the records do not reproduce within its precision (counts: exactly)."""
    half = (f.value_precision or 0.0) / 2 if (f.value_precision or 0.0) > 1 else 0.0
    if abs(records - f.value) <= half + 1e-9:
        return None
    return Difference(
        f.obs_id,
        _label(f.key),
        f"{f.value:,.0f}" + (f" (+/- {half:,.0f})" if half else ""),
        f"{records:,.0f}",
        f"{f.obs_id}: published {f.value:,.0f} for {_label(f.key)}, the records count {records:,.0f}.",
    )


def _share_difference(f: _Figure, records: float, whole: float) -> Difference | None:
    """A published share that is not the records' ratio within its rounding."""
    half = (f.share_precision or 0.1) / 2
    ratio = 100.0 * records / whole if whole else None
    if ratio is not None and abs(ratio - f.share) <= half + 1e-9:
        return None
    shown = "no records" if ratio is None else f"{ratio:.2f} per cent"
    return Difference(
        f.obs_id,
        f"share of {_label(f.key)} in {f.part_of}",
        f"{f.share:g} per cent (+/- {half:g})",
        shown,
        f"{f.obs_id}: published share {f.share:g} per cent of {f.part_of}, the records give {shown} "
        f"({records:,.0f} of {whole:,.0f}).",
    )


def _rank_difference(f: _Figure, counts: dict[tuple, float], agg: list[_Figure]) -> Difference | None:
    """A published rank the records' counts do not give (ties allow any rank they span)."""
    direction, iso3, _, purpose = f.key
    scope = {
        k[1]: n
        for k, n in counts.items()
        if k[0] == direction
        and k[1] is not None
        and k[3] == purpose
        and (f.country_group is None or _group_of(agg, k) == f.country_group)
    }
    mine = scope.get(iso3, 0.0)
    better = sum(1 for n in scope.values() if n > mine)
    ties = sum(1 for n in scope.values() if n == mine)
    if better + 1 <= f.rank <= better + max(ties, 1):
        return None
    return Difference(
        f.obs_id,
        f"rank of {_label(f.key)}" + (f" among {f.country_group}" if f.country_group else ""),
        str(f.rank),
        str(better + 1),
        f"{f.obs_id}: published rank {f.rank}, the records rank it {better + 1} ({mine:,.0f} crossings).",
    )


def reconcile(aggregates: pd.DataFrame, published_rows: pd.DataFrame) -> list[Difference]:
    """Differences between the record aggregates and the published border_crossings extract of the same
    quarter: published counts (totals, labour purpose, groups, countries) must equal the records within
    the published precision (counts: exactly), published shares must be the records' ratio within their
    rounding, and published ranks must follow the records' counts. Rows for other periods are ignored.

    Both frames may be text cells (as delivered) or typed staged rows (staging.extract_rows)."""
    to_iso3 = _to_iso3()
    agg = _figures(aggregates, to_iso3)
    if not agg:
        return []
    quarter = agg[0].period
    counts: dict[tuple, float] = {}
    for f in agg:
        if f.value is not None and f.period == quarter:
            counts[f.key] = counts.get(f.key, 0.0) + f.value
    published = [f for f in _figures(published_rows, to_iso3) if f.period == quarter]
    by_id = {f.obs_id: f for f in published}
    found: list[Difference | None] = []
    for f in published:
        records = counts.get(f.key, 0.0)
        if f.value is not None:
            found.append(_value_difference(f, records))
        if f.share is not None and f.part_of in by_id:
            found.append(_share_difference(f, records, counts.get(by_id[f.part_of].key, 0.0)))
        if f.rank is not None and f.key[1] is not None:
            found.append(_rank_difference(f, counts, agg))
    return [d for d in found if d is not None]


def _group_of(agg: list[_Figure], key: tuple) -> str | None:
    for f in agg:
        if f.key == key:
            return f.country_group
    return None
