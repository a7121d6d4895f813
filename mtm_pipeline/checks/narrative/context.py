"""What a sentence of the analyst's text speaks of: the measures it names (measures.yaml) and the periods
(pure). A sentence that names none takes them from the sentences before it in the same paragraph. A period
named only as a comparison ('than in the last quarter of 2023', 'compared with 2023') leaves the report
quarter the period the sentence is about."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from mtm_pipeline.checks.narrative.extract import MONTH
from mtm_pipeline.periods import months_to_date, parse_quarter_key, previous_quarter, same_quarter_last_year

_ORDINAL = {
    "first": 1,
    "1st": 1,
    "second": 2,
    "2nd": 2,
    "third": 3,
    "3rd": 3,
    "fourth": 4,
    "4th": 4,
    "last": 4,
}
_MONTHS = {
    name: i
    for i, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}
_PERIODS = re.compile(
    r"(?P<qkey>\b\d{4})\s*-\s*Q(?P<qkey_q>[1-4])\b"
    r"|\bQ(?P<q>[1-4])\s*(?P<q_year>\d{4})?\b"
    r"|\b(?P<ord>first|second|third|fourth|last|1st|2nd|3rd|4th)\s+quarter(?:\s+of)?(?:\s+(?P<ord_year>\d{4}))?"
    rf"|\b(?P<from_m>{MONTH})\s*[-\u2013]\s*(?P<to_m>{MONTH})\s+(?P<range_year>\d{{4}})"
    rf"|\b(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<month>{MONTH}),?\s+(?P<date_year>\d{{4}})"
    rf"|\b(?P<month2>{MONTH})\s+(?P<day2>\d{{1,2}}),?\s+(?P<date_year2>\d{{4}})"
    r"|\b(?P<iso>\d{4}-\d{2}-\d{2})\b"
    r"|(?P<same>\bsame\s+(?:period|quarter)(?:\s+(?:of|in)\s+(?P<same_year>\d{4})|\s+(?:of\s+)?last\s+year)?)"
    r"|(?P<prev>\b(?:previous|preceding)\s+quarter\b)"
    r"|(?<![\d,.])\b(?P<year>(?:19|20)\d\d)\b(?![,.]\d)",
    re.IGNORECASE,
)


_COMPARISON = re.compile(
    r"\b(?:than|compared\s+(?:with|to)|comparison\s+(?:with|to)|relative\s+to|against|versus|vs\.?|over)"
    r"(?:\s+(?:in|with|to|during|for))?(?:\s+the)?\s*$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class MeasureWords:
    words: tuple[str, ...]
    measures: tuple[str, ...]
    direction: str | None


@cache
def vocabulary() -> tuple[MeasureWords, ...]:
    """measures.yaml, read once."""
    import yaml

    entries = yaml.safe_load((Path(__file__).with_name("measures.yaml")).read_text(encoding="utf-8"))
    return tuple(MeasureWords(tuple(e["words"]), tuple(e["measures"]), e.get("direction")) for e in entries)


@cache
def _phrases() -> tuple[tuple[re.Pattern, MeasureWords], ...]:
    pairs = [(word, entry) for entry in vocabulary() for word in entry.words]
    pairs.sort(key=lambda pair: -len(pair[0]))
    return tuple((re.compile(rf"\b{re.escape(word)}\b", re.IGNORECASE), entry) for word, entry in pairs)


def measures_named(sentence: str) -> frozenset[tuple[str, str | None]]:
    """(measure, direction or None) for each measure the sentence names; empty when it names none."""
    text, named = sentence, set()
    for pattern, entry in _phrases():
        if pattern.search(text):
            named.update((measure, entry.direction) for measure in entry.measures)
            text = pattern.sub(" ", text)
    return frozenset(named)


def _quarter(year: int, number: int) -> str:
    return f"{year}-Q{number}"


def _month_range(year: int, first_month: str, last_month: str) -> str | None:
    """'January-June 2024' -> 2024-01/06, 'July-September 2024' -> 2024-Q3; another range names no period
    the warehouse holds (None)."""
    first, last = (_MONTHS[m.lower().rstrip(".")] for m in (first_month, last_month))
    if first == 1 and last > 1:
        return months_to_date(year, last).label
    if first % 3 == 1 and last == first + 2:
        return _quarter(year, (first + 2) // 3)
    return None


def _period(m: re.Match, quarter: str) -> str | None:
    year = parse_quarter_key(quarter).start.year
    g = m.groupdict()
    if g["qkey"]:
        return _quarter(int(g["qkey"]), int(g["qkey_q"]))
    if g["q"]:
        return _quarter(int(g["q_year"] or year), int(g["q"]))
    if g["ord"]:
        return _quarter(int(g["ord_year"] or year), _ORDINAL[g["ord"].lower()])
    if g["from_m"]:
        return _month_range(int(g["range_year"]), g["from_m"], g["to_m"])
    if g["day"] or g["day2"]:
        month = _MONTHS[(g["month"] or g["month2"]).lower().rstrip(".")]
        return f"{g['date_year'] or g['date_year2']}-{month:02d}-{int(g['day'] or g['day2']):02d}"
    if g["iso"]:
        return g["iso"]
    if g["same"]:
        last = same_quarter_last_year(quarter)
        return _quarter(int(g["same_year"]), int(quarter[-1])) if g["same_year"] else last
    if g["prev"]:
        return previous_quarter(quarter)
    return g["year"]


def periods_named(sentence: str, quarter: str) -> frozenset[str]:
    """The periods the sentence names, as period labels ('2024-Q1', '2023', '2024-04-01'); a quarter without
    its year is one of the report quarter's year, 'the same period' the report quarter a year before. When
    every period it names is named as a comparison, the report quarter is added."""
    named, compared = set(), set()
    for m in _PERIODS.finditer(sentence):
        if period := _period(m, quarter):
            named.add(period)
            if _COMPARISON.search(sentence[max(0, m.start() - 40) : m.start()]):
                compared.add(period)
    if named and named == compared:
        named.add(quarter)
    return frozenset(named)


_CLAUSE_END = re.compile(r"[,;:\u2013\u2014]|\s-\s")
_NON_CIS = re.compile(r"\bnon-(?:CIS|Commonwealth of Independent States)\b", re.IGNORECASE)
_CIS = re.compile(r"(?<!non-)\b(?:CIS|Commonwealth of Independent States)\b")


def clause(sentence: str, start: int, end: int) -> str:
    """The part of the sentence around sentence[start:end] between commas, semicolons, colons and dashes
    ('45.2 per cent (2,602 migrants) from Uzbekistan' of '...: 45.2 per cent (2,602 migrants) from
    Uzbekistan, ...'), brackets included."""
    before = max((m.end() for m in _CLAUSE_END.finditer(sentence, 0, start)), default=0)
    after = next((m.start() for m in _CLAUSE_END.finditer(sentence, end)), len(sentence))
    return sentence[before:after]


def countries_named(text: str, names: dict[str, str]) -> set[str]:
    """The countries (values of `names`: name -> country) the text names as whole words; a code written in
    capitals ('USA', 'ARE') only in capitals, any other name in any case."""
    folded = text.casefold()
    found = set()
    for name, country in names.items():
        code = len(name) <= 3 and name.isupper()
        haystack, needle = (text, name) if code else (folded, name.casefold())
        if re.search(rf"(?<!\w){re.escape(needle)}(?!\w)", haystack):
            found.add(country)
    return found


def group_named(text: str) -> str | None:
    """'non-CIS' or 'CIS' when the text names the country group, else None."""
    if _NON_CIS.search(text):
        return "non-CIS"
    return "CIS" if _CIS.search(text) else None
