"""Reference periods (quarter, year, as-of date, months of a year to date) and delivery-quarter keys like
'2024-Q1'.

A cumulative period runs from 1 January to the end of a month of the same year: '2024-01/09' is
January-September 2024 (the ISO 8601 interval of months, abbreviated). January-March is the quarter
'2024-Q1' and January-December the year '2024', so a cumulative period always ends in another month.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

_QUARTER = re.compile(r"^([0-9]{4})-Q([1-4])$")
_YEAR = re.compile(r"^(\d{4})$")
_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_CUMULATIVE = re.compile(r"^(\d{4})-01/(\d{2})$")
PERIOD_KINDS = ("quarter", "year", "date", "cumulative")


class PeriodError(ValueError):
    """Text that is not a reference period in the extract contract."""


@dataclass(frozen=True, order=True)
class Period:
    """A normalised reference period. Stocks are as-of dates: start == end."""

    start: date
    end: date
    kind: str  # "quarter" | "year" | "date" | "cumulative"
    label: str

    def contains(self, other: Period) -> bool:
        return self.start <= other.start and other.end <= self.end


def parse_period(text: str) -> Period:
    """'2024-Q1' -> quarter, '2023' -> year, '2024-07-01' -> as-of date, '2024-01/09' -> January to
    September; PeriodError for anything else (a year outside the calendar, such as 0000, included)."""
    try:
        return _parse_period(text)
    except PeriodError:
        raise
    except ValueError as exc:
        raise PeriodError(f"{text!r} is not a period of the calendar: {exc}") from exc


def _parse_period(text: str) -> Period:
    s = text.strip()
    if m := _QUARTER.match(s):
        year, q = int(m.group(1)), int(m.group(2))
        start = date(year, 3 * q - 2, 1)
        end = (date(year + 1, 1, 1) if q == 4 else date(year, 3 * q + 1, 1)) - timedelta(days=1)
        return Period(start, end, "quarter", s)
    if m := _YEAR.match(s):
        year = int(m.group(1))
        return Period(date(year, 1, 1), date(year, 12, 31), "year", s)
    if m := _DATE.match(s):
        try:
            day = date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError as exc:
            raise PeriodError(f"{text!r} is not a calendar date") from exc
        return Period(day, day, "date", s)
    if m := _CUMULATIVE.match(s):
        year, month = int(m.group(1)), int(m.group(2))
        if not 2 <= month <= 11 or month == 3:
            raise PeriodError(
                f"{text!r} is not a cumulative period: January-March is {year}-Q1, January-December {year}; "
                "use YYYY-01/MM with MM from 02 to 11"
            )
        return Period(date(year, 1, 1), month_end(year, month), "cumulative", s)
    raise PeriodError(
        f"{text!r} is not a period: use YYYY-Qn (quarter), YYYY (year), YYYY-MM-DD (as-of date) or "
        "YYYY-01/MM (January to the end of month MM)"
    )


def month_end(year: int, month: int) -> date:
    """The last day of a month."""
    return (date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)) - timedelta(days=1)


def months_to_date(year: int, last_month: int) -> Period:
    """January to the end of `last_month` of `year`: the quarter Q1 (March), the year (December), else the
    cumulative period 'YYYY-01/MM'."""
    if last_month == 3:
        return parse_period(f"{year}-Q1")
    if last_month == 12:
        return parse_period(str(year))
    return parse_period(f"{year}-01/{last_month:02d}")


def parse_quarter_key(text: str) -> Period:
    """A delivery-quarter key: exactly 'YYYY-Qn'."""
    period = parse_period(text)
    if period.kind != "quarter":
        raise PeriodError(f"{text!r} is not a quarter key like 2024-Q1")
    return period


def is_quarter_key(text: str) -> bool:
    """Exactly 'YYYY-Qn' (ASCII digits, n from 1 to 4, nothing around it): a quarter folder's name."""
    return bool(_QUARTER.fullmatch(text))


def quarter_of(day: date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def previous_quarter(key: str) -> str:
    period = parse_quarter_key(key)
    return quarter_of(period.start - timedelta(days=1))


def same_quarter_last_year(key: str) -> str:
    year, q = key.split("-Q")
    return f"{int(year) - 1}-Q{q}"


def quarter_range(first: str, last: str) -> list[str]:
    """All quarter keys from first to last inclusive."""
    keys, current = [], parse_quarter_key(first)
    end = parse_quarter_key(last)
    while current.start <= end.start:
        keys.append(current.label)
        current = parse_quarter_key(quarter_of(current.end + timedelta(days=1)))
    return keys
