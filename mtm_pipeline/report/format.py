"""How the report writes numbers, changes, periods and country names (pure functions).

A figure is written at the precision it was published at: 2,975,788 (exact count), 2.7 million (a count
rounded to 0.1 million), 883.5 million and 1.08 billion (USD), 64 and 58.2 (per cent). Figures the report
computes itself are written with one decimal and are always labelled as computed in the text.
"""

from __future__ import annotations

import math
import re
from datetime import date

from mtm_pipeline.periods import parse_period

# Marks after a figure, in the text and in tables (the methodology section explains them).
CORRECTED_MARK = "*"  # corrected between the delivered and the corrected stage (Annex B)
COMPUTED_MARK = "\u2020"  # dagger: a derived figure, computed in the warehouse (published.derived_figures)
FLAGGED_MARK = (
    "\u2021"  # double dagger: inconsistent with other published figures, left as published (Annex A)
)
_SCALES = ((1e9, "billion"), (1e6, "million"), (1e3, "thousand"))
_ORDINALS = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth", 6: "sixth", 7: "seventh"}
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
# Names that take "the" in running text ("from the Russian Federation", "from the United Kingdom").
_THE_PREFIXES = (
    "Russian ",
    "United ",
    "Republic ",
    "Islamic Republic",
    "Kingdom ",
    "Netherlands",
    "Philippines",
    "Czech ",
    "Democratic ",
    "Dominican ",
    "Central African",
    "Syrian ",
    "Lao ",
    "Gambia",
    "Bahamas",
)


def decimals_for(precision: float | None) -> int:
    """Decimal places that a rounding step implies: 1 -> 0, 0.1 -> 1, 0.01 -> 2 (steps >= 1 -> 0)."""
    if precision is None or _missing(precision) or precision >= 1:
        return 0
    return max(0, round(-math.log10(precision)))


def _missing(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def _fixed(value: float, decimals: int, grouped: bool = True) -> str:
    text = f"{abs(value):,.{decimals}f}" if grouped else f"{abs(value):.{decimals}f}"
    return ("-" if value < 0 and float(text.replace(",", "")) != 0 else "") + text


def fmt_count(value: float, precision: float | None = 1.0) -> str:
    """2975788 -> '2,975,788'; 2.7e6 at 1e5 -> '2.7 million'; 0.23 at 0.01 -> '0.23'."""
    precision = 1.0 if _missing(precision) else precision
    if precision > 1:
        for scale, word in _SCALES:
            if abs(value) >= scale:
                decimals = decimals_for(precision / scale)
                if decimals <= 3:
                    return f"{_fixed(value / scale, decimals)} {word}"
    return _fixed(value, decimals_for(precision))


def fmt_money(value: float, precision: float | None) -> str:
    """USD at published precision with a scale word: '883.5 million', '206 million', '1.08 billion'."""
    precision = 1.0 if _missing(precision) else precision
    if abs(value) >= 1e9 and precision >= 1e6:
        return f"{_fixed(value / 1e9, decimals_for(precision / 1e9))} billion"
    if abs(value) >= 1e5 or precision >= 1e5:
        return f"{_fixed(value / 1e6, decimals_for(precision / 1e6))} million"
    return _fixed(value, decimals_for(precision))


def fmt_millions(value: float, precision: float | None) -> str:
    """A USD amount in a 'million USD' column: 1.08 billion -> '1,080', 883.5 million -> '883.5'."""
    precision = 1.0 if _missing(precision) else precision
    return _fixed(value / 1e6, decimals_for(precision / 1e6))


def fmt_value(value: float, precision: float | None, unit: str | None) -> str:
    """A value in its unit's usual notation (USD as money, everything else as a count)."""
    if unit == "USD":
        return fmt_money(value, precision)
    return fmt_count(value, precision)


def fmt_percent(share: float, precision: float | None) -> str:
    """58.2 at 0.1 -> '58.2'; 64 at 1 -> '64' (no sign, no per cent sign)."""
    return _fixed(share, decimals_for(precision), grouped=False)


def fmt_signed(value: float, precision: float | None) -> str:
    """-9.7 -> '-9.7', 32.5 -> '+32.5'."""
    text = fmt_percent(value, precision)
    return text if text.startswith("-") or float(text) == 0 else "+" + text


def round_to(value: float, precision: float) -> float:
    """A number as written at its precision (for a cell that holds what its text shows)."""
    decimals = decimals_for(precision)
    return round(value, decimals)


# ---------------------------------------------------------------- periods


def period_phrase(label: str) -> str:
    """'2024-Q1' -> 'the first quarter of 2024'; '2023-Q4' -> 'the last quarter of 2023'; '2023' -> '2023';
    '2024-07-01' -> '1 July 2024'."""
    p = parse_period(label)
    if p.kind == "quarter":
        q = int(label[-1])
        return f"the {'last' if q == 4 else _ORDINALS[q]} quarter of {p.start.year}"
    if p.kind == "year":
        return str(p.start.year)
    if p.kind == "cumulative":  # January to a month: 'January-September 2024'
        return period_caption(label)
    return date_phrase(p.start)


def in_period(label: str) -> str:
    """'in the first quarter of 2024', 'in 2023', 'as of 1 July 2024'."""
    p = parse_period(label)
    return ("as of " if p.kind == "date" else "in ") + period_phrase(label)


def period_data_phrase(label: str) -> str:
    """How a section names the data it uses: '2023 annual data', 'data for the first quarter of 2024'."""
    p = parse_period(label)
    if p.kind == "year":
        return f"{p.start.year} annual data"
    if p.kind == "date":
        return f"data as of {period_phrase(label)}"
    return f"data for {period_phrase(label)}"


def period_caption(label: str) -> str:
    """Caption form: 'January-March 2024', '2023', 'as of 1 July 2024'."""
    p = parse_period(label)
    if p.kind in ("quarter", "cumulative"):
        return f"{_MONTHS[p.start.month - 1]}-{_MONTHS[p.end.month - 1]} {p.start.year}"
    if p.kind == "year":
        return str(p.start.year)
    return f"as of {date_phrase(p.start)}"


def period_short(label: str) -> str:
    """Axis/table form: '2024-Q1' -> 'Q1 2024', '2023' -> '2023', '2024-07-01' -> '1 Jul 2024'."""
    p = parse_period(label)
    if p.kind == "quarter":
        return f"Q{label[-1]} {p.start.year}"
    if p.kind == "year":
        return str(p.start.year)
    if p.kind == "cumulative":
        return f"{_MONTHS[0][:3]}-{_MONTHS[p.end.month - 1][:3]} {p.start.year}"
    return f"{p.start.day} {_MONTHS[p.start.month - 1][:3]} {p.start.year}"


def date_phrase(day: date) -> str:
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


# ---------------------------------------------------------------- words


def country_phrase(name: str) -> str:
    """A display name as it reads in running text: 'the Russian Federation', 'China', 'other countries'."""
    if name == "Other countries":
        return "other countries"
    return f"the {name}" if name.startswith(_THE_PREFIXES) else name


_INNER_COMMA = re.compile(r",(?!\d{3})")


def join_words(items: list[str], conjunction: str = "and") -> str:
    """['a'] -> 'a'; ['a', 'b'] -> 'a and b'; ['a', 'b', 'c'] -> 'a, b and c'.

    Items that contain commas themselves ('agriculture, forestry and fisheries') are separated by
    semicolons; commas between thousands ('2,602') do not count.
    """
    items = [i for i in items if i]
    if not items:
        return ""
    if len(items) == 1:
        return items[0]
    if any(_INNER_COMMA.search(i) for i in items):
        return f"{'; '.join(items[:-1])}; {conjunction} {items[-1]}"
    return f"{', '.join(items[:-1])} {conjunction} {items[-1]}"


def quarters_phrase(labels: list[str]) -> str:
    """['2023-Q1', ..., '2023-Q4'] -> 'the four quarters of 2023'; ['2023-Q2', '2023-Q3'] -> 'the second and
    third quarters of 2023'."""
    by_year: dict[int, list[int]] = {}
    for label in labels:
        by_year.setdefault(int(label[:4]), []).append(int(label[-1]))
    parts = []
    for year, qs in sorted(by_year.items()):
        qs = sorted(qs)
        if qs == [1, 2, 3, 4]:
            parts.append(f"the four quarters of {year}")
        elif len(qs) == 1:
            parts.append(period_phrase(f"{year}-Q{qs[0]}"))
        else:
            names = ["last" if q == 4 else _ORDINALS[q] for q in qs]
            parts.append(f"the {join_words(names)} quarters of {year}")
    return join_words(parts)


def capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]
