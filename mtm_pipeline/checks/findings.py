"""The result of one rule evaluation, and how figures are written in it."""

from __future__ import annotations

import math
from dataclasses import dataclass

from mtm_pipeline.intervals import Interval

SEVERITIES = ("ERROR", "WARN")


@dataclass(frozen=True)
class Finding:
    rule: str  # a key of RULES
    source: str  # source key of the rows concerned; 'cross_source' when rows of several sources
    subject: str  # human-readable: which figures, e.g. "prp_2024q1_cis = 5,745 vs sum of 7 parts"
    obs_ids: tuple[str, ...]  # every observation involved
    passed: bool
    severity: str  # 'ERROR' | 'WARN'
    expected: str | None  # e.g. "100 (+/- 0.35)", "[2,594, 2,600]"
    observed: str | None
    tolerance: str | None  # the rounding tolerance implied by the published precisions
    message: str  # one sentence a data engineer understands


# --- writing figures -------------------------------------------------------------------------------------

_SCALES = ((1e9, " billion"), (1e6, " million"))


def scale_for(unit: str | None, magnitude: float, precision: float | None = None) -> tuple[float, str]:
    """Money is written in millions (billions from 1e9 up), as the report does; other figures in full,
    unless they were published in millions ('2.7 million' crossings)."""
    coarse = precision is not None and not math.isnan(precision) and precision >= 1e5
    if unit == "USD" or (coarse and abs(magnitude) >= 1e6):
        for divisor, word in _SCALES:
            if abs(magnitude) >= divisor and (unit == "USD" or precision >= divisor / 10):
                return divisor, word
        return 1e6, " million"
    return 1.0, ""


def decimals_for(precision: float | None, divisor: float = 1.0) -> int:
    """Decimals that show a figure at its published precision (0.1 -> 1, 1 -> 0, exact -> 0)."""
    if precision is None or math.isnan(precision) or precision <= 0:
        return 0
    step = precision / divisor
    return max(0, math.ceil(-math.log10(step) - 1e-9))


def number(
    x: float, decimals: int = 0, *, divisor: float = 1.0, suffix: str = "", signed: bool = False
) -> str:
    value = x / divisor
    if value == 0:
        value = 0.0  # no "-0"
    text = f"{value:{'+' if signed else ''},.{decimals}f}"
    return text + suffix


def interval(
    iv: Interval, decimals: int = 0, *, divisor: float = 1.0, suffix: str = "", signed: bool = False
) -> str:
    """'5,745' for a point, '[2,594, 2,600]' otherwise (bounds rounded outwards to the decimals shown)."""
    low, high = iv.low / divisor, iv.high / divisor
    factor = 10**decimals
    low_r = math.floor(low * factor + 1e-9) / factor
    high_r = math.ceil(high * factor - 1e-9) / factor
    if iv.is_point or low_r == high_r:
        return number(iv.mid, decimals, divisor=divisor, suffix=suffix, signed=signed)
    fmt = f"{'+' if signed else ''},.{decimals}f"
    return f"[{low_r:{fmt}}, {high_r:{fmt}}]{suffix}"


def plus_minus(half_width: float, decimals: int = 0, *, divisor: float = 1.0, suffix: str = "") -> str:
    if half_width <= 0:
        return "exact"
    shown = max(decimals, decimals_for(half_width, divisor) + 1)
    text = f"{half_width / divisor:,.{shown}f}".rstrip("0").rstrip(".")
    return f"+/- {text}{suffix}"
