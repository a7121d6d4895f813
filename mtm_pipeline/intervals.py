"""Interval arithmetic for published figures.

A published figure stands for every value that rounds to it: ``value`` at precision ``p`` is the interval
[value - p/2, value + p/2] (numbers.PublishedNumber). The published interval is half-open; the checks treat
it as closed, so a figure exactly on a rounding boundary is never flagged (a rule fails only when *no*
values inside the intervals satisfy it). Comparisons allow a tiny relative slack for binary floating point.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

# Relative slack for float noise (0.1 is not exact in binary); far below any published precision.
REL_EPS = 1e-9


def float_slack(*values: float) -> float:
    """The float noise allowed when comparing these values: REL_EPS of the largest (at least of 1)."""
    return REL_EPS * max(1.0, *(abs(v) for v in values))


@dataclass(frozen=True)
class Interval:
    """A closed interval [low, high] of real numbers."""

    low: float
    high: float

    def __post_init__(self) -> None:
        if math.isnan(self.low) or math.isnan(self.high):
            raise ValueError("an interval bound is NaN")
        if self.low > self.high:
            raise ValueError(f"empty interval [{self.low}, {self.high}]")

    @classmethod
    def around(cls, value: float, precision: float | None = 0.0) -> Interval:
        """The values a figure published at this precision stands for: [value - p/2, value + p/2]."""
        half = 0.0 if precision is None or math.isnan(precision) else abs(precision) / 2
        return cls(value - half, value + half)

    @classmethod
    def point(cls, value: float) -> Interval:
        return cls(value, value)

    @property
    def mid(self) -> float:
        return (self.low + self.high) / 2

    @property
    def half_width(self) -> float:
        return (self.high - self.low) / 2

    @property
    def is_point(self) -> bool:
        return self.high - self.low <= float_slack(self.low, self.high)

    def _coerce(self, other: Interval | float) -> Interval:
        return other if isinstance(other, Interval) else Interval.point(float(other))

    def __add__(self, other: Interval | float) -> Interval:
        o = self._coerce(other)
        return Interval(self.low + o.low, self.high + o.high)

    __radd__ = __add__

    def __neg__(self) -> Interval:
        return Interval(-self.high, -self.low)

    def __sub__(self, other: Interval | float) -> Interval:
        return self + (-self._coerce(other))

    def __rsub__(self, other: Interval | float) -> Interval:
        return self._coerce(other) - self

    def __mul__(self, other: Interval | float) -> Interval:
        o = self._coerce(other)
        products = (self.low * o.low, self.low * o.high, self.high * o.low, self.high * o.high)
        return Interval(min(products), max(products))

    __rmul__ = __mul__

    def __truediv__(self, other: Interval | float) -> Interval:
        o = self._coerce(other)
        if o.low <= 0 <= o.high:
            raise ZeroDivisionError(f"division by an interval containing 0: [{o.low}, {o.high}]")
        return self * Interval(1 / o.high, 1 / o.low)

    def __rtruediv__(self, other: Interval | float) -> Interval:
        return self._coerce(other) / self

    def contains(self, x: float) -> bool:
        slack = float_slack(self.low, self.high, x)
        return self.low - slack <= x <= self.high + slack

    def intersects(self, other: Interval) -> bool:
        slack = float_slack(self.low, self.high, other.low, other.high)
        return self.low <= other.high + slack and other.low <= self.high + slack

    def intersection(self, other: Interval) -> Interval | None:
        if not self.intersects(other):
            return None
        low, high = max(self.low, other.low), min(self.high, other.high)
        return Interval(min(low, high), max(low, high))

    def hull(self, other: Interval) -> Interval:
        return Interval(min(self.low, other.low), max(self.high, other.high))

    def distance(self, other: Interval) -> float:
        """0 when the intervals meet, else the gap between them."""
        return max(0.0, other.low - self.high, self.low - other.high)


def interval_sum(intervals: Iterable[Interval]) -> Interval:
    total = Interval.point(0.0)
    for item in intervals:
        total = total + item
    return total


def at_most(lower: Interval, upper: Interval) -> bool:
    """Some value of `lower` is <= some value of `upper` (lower.low <= upper.high)."""
    return lower.low <= upper.high + float_slack(lower.low, upper.high)


def percent_change(value: Interval, base: Interval) -> Interval:
    """(value / base - 1) * 100 over the intervals (base must not contain 0)."""
    return (value / base - 1.0) * 100.0


def ratio_percent(part: Interval, total: Interval) -> Interval:
    """part / total * 100 over the intervals (total must not contain 0)."""
    return part / total * 100.0
