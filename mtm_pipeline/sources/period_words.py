"""Reference periods written in words or figures in agency tables (pure functions): quarters ('за III
квартал 2024 года', 'третий квартал 2024', '2024 ж. III тоқсан'), months of a year to date ('январь-
сентябрь 2024 г.', '9 месяцев 2024 года', 'қаңтар-қыркүйек 2024', 'I полугодие 2024'), as-of dates ('на 1
октября 2024 г.', '1.10.2024') and years ('2023', 'за 2023 год'), in Russian, Kazakh and English.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from mtm_pipeline.periods import Period, months_to_date, parse_period, parse_quarter_key
from mtm_pipeline.sources.labels import label_parts, normalise_label

_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "1": 1, "2": 2, "3": 3, "4": 4}
_ORDINALS = {
    1: ("перв", "бірінші", "first"),
    2: ("втор", "екінші", "second"),
    3: ("трет", "үшінші", "third"),
    4: ("четверт", "төртінші", "fourth"),
}
_ORDINAL_WORD = (
    r"(перв\w*|втор\w*|трет\w*|четверт\w*|бірінші|екінші|үшінші|төртінші|first|second|third|fourth)"
)
_YEAR = r"[12]\d{3}"  # a year of the calendar era as tables write it (not "0000")
_QUARTER_WORD = r"(?:квартал\w*|кв\.?|тоқсан\w*|токсан\w*|quarter)"
_YEAR_WORD = r"(?:\s*(?:года|год|г\.|г|жылғы|жылдың|жылы|жыл|ж\.|ж))?"
_NUMBER = r"(iv|i{1,3}|[1-4])(?:-?й|-?ші|-?шы|st|nd|rd|th)?"
_QUARTER_PATTERNS = (
    # "III квартал 2024 года", "I кв. 2023", "3rd quarter 2024", "3 квартал 2024"
    re.compile(rf"\b{_NUMBER}\s*{_QUARTER_WORD}\s*({_YEAR})"),
    # "2024 ж. I тоқсан", "2024 г. III квартал", "2023 год I кв." (a year merged over its quarters)
    re.compile(rf"\b({_YEAR}){_YEAR_WORD}\s*(iv|i{{1,3}}|[1-4])(?:-?ші|-?шы|-?й)?\s*{_QUARTER_WORD}"),
    # "2023 Q1", "2023-Q1", "2023Q1"
    re.compile(r"\b([12]\d{3})\s*-?\s*q([1-4])\b"),
    # "Q1 2023"
    re.compile(r"\bq([1-4])\s*-?\s*([12]\d{3})\b"),
)
# "за 3 квартала 2024 года": three quarters, January to September (a count, not the third quarter, which is
# "3 квартал", "III квартала" or "3-й квартал")
_QUARTER_COUNT = re.compile(rf"\b([2-4])\s*квартал(?:а|ов)\s*({_YEAR})")
_ORDINAL_QUARTER = re.compile(rf"\b{_ORDINAL_WORD}\s+{_QUARTER_WORD}\s*({_YEAR})")  # "третий квартал 2024"
_YEAR_ORDINAL_QUARTER = re.compile(rf"\b({_YEAR}){_YEAR_WORD}\s+{_ORDINAL_WORD}\s+{_QUARTER_WORD}")
# Months: Russian (nominative and genitive), Kazakh, English; the first three letters are enough in
# Russian and English, Kazakh month names differ earlier.
_MONTHS = {
    1: ("январ", "қаңтар", "january", "jan"),
    2: ("феврал", "ақпан", "february", "feb"),
    3: ("март", "наурыз", "march", "mar"),
    4: ("апрел", "сәуір", "april", "apr"),
    5: ("мая", "май", "мамыр", "may"),
    6: ("июн", "маусым", "june", "jun"),
    7: ("июл", "шілде", "july", "jul"),
    8: ("август", "тамыз", "august", "aug"),
    9: ("сентябр", "қыркүйек", "september", "sep"),
    10: ("октябр", "қазан", "october", "oct"),
    11: ("ноябр", "қараша", "november", "nov"),
    12: ("декабр", "желтоқсан", "december", "dec"),
}
_MONTH_WORD = r"([a-zа-яәғқңөұүһі]+)"
_DAY_MONTH_YEAR = re.compile(rf"\b(\d{{1,2}})\s+{_MONTH_WORD}\s+({_YEAR})")  # "1 июля 2024"
_YEAR_DAY_MONTH = re.compile(
    rf"\b({_YEAR}){_YEAR_WORD}\s+(\d{{1,2}})\s+{_MONTH_WORD}"
)  # "2024 жылғы 1 шілде"
_NUMERIC_DATE = re.compile(r"(?<![\d.])(\d{1,2})\.(\d{1,2})\.([12]\d{3})\b")  # "01.07.2024", "1.10.2024"
_MONTH_RANGE = re.compile(rf"\b{_MONTH_WORD}\s*[-–—]\s*{_MONTH_WORD}\s+({_YEAR})")  # "январь-март 2024"
_YEAR_MONTH_RANGE = re.compile(rf"\b({_YEAR}){_YEAR_WORD}\s+{_MONTH_WORD}\s*[-–—]\s*{_MONTH_WORD}")
_MONTH_COUNT_WORD = r"(?:месяц\w*|мес\.?|айы|айда|ай|months?)"
_MONTH_COUNT = re.compile(rf"\b(\d{{1,2}})\s*{_MONTH_COUNT_WORD}\s*({_YEAR})")  # "9 месяцев 2024 года"
_YEAR_MONTH_COUNT = re.compile(
    rf"\b({_YEAR}){_YEAR_WORD}\s+(\d{{1,2}})\s*{_MONTH_COUNT_WORD}"
)  # "2024 ж. 9 айы"
_HALF_WORD = r"(?:полугоди\w*|жарты\s*жыл\w*|жартыжыл\w*|half[- ]year)"
_HALF_YEAR = re.compile(rf"\b(?:i|1|перв\w*|бірінші|first)(?:-?е|-?ші)?\s*{_HALF_WORD}\s*({_YEAR})")
_YEAR_HALF = re.compile(rf"\b({_YEAR}){_YEAR_WORD}\s+(?:i|1|бірінші|first)(?:-?ші)?\s*{_HALF_WORD}")
_YEAR_ONLY = re.compile(rf"^(?:за\s+)?({_YEAR}){_YEAR_WORD}$")  # "2023", "за 2023 год", "2023 жыл"
_YEAR_IN_TEXT = re.compile(rf"\bза\s+({_YEAR}){_YEAR_WORD}(?!\s*\d)")  # "за 2023 год" inside a title


def _month(word: str) -> int | None:
    for number, stems in _MONTHS.items():
        if any(word.startswith(stem) for stem in stems):
            return number
    return None


def _ordinal(word: str) -> int:
    return next(n for n, stems in _ORDINALS.items() if any(word.startswith(s) for s in stems))


def _quarter(year: str, number: int) -> Period:
    return parse_period(f"{year}-Q{number}")


def _date_period(year: int, month: int, day: int) -> Period | None:
    try:
        return parse_period(date(year, month, day).isoformat())
    except ValueError:
        return None


def _month_range(year: str, first_word: str, last_word: str) -> Period | None:
    """'январь-сентябрь' -> January-September (cumulative), 'июль-сентябрь' -> the third quarter."""
    first, last = _month(first_word), _month(last_word)
    if not first or not last or last <= first:
        return None
    if first == 1:
        return months_to_date(int(year), last)
    if (first - 1) % 3 == 0 and last == first + 2:
        return _quarter(year, (first + 2) // 3)
    return None


def _months_to_date(year: str, months: str) -> Period | None:
    count = int(months)
    return months_to_date(int(year), count) if 2 <= count <= 12 else None


def _found_quarters(s: str) -> list[tuple[int, Period]]:
    found = []
    counts = {m.start() for m in _QUARTER_COUNT.finditer(s)}
    for pattern in _QUARTER_PATTERNS:
        for m in pattern.finditer(s):
            if m.start() in counts:
                continue
            a, b = m.group(1), m.group(2)
            year, roman = (b, a) if len(a) != 4 else (a, b)
            found.append((m.start(), _quarter(year, _ROMAN[roman])))
    for m in _ORDINAL_QUARTER.finditer(s):
        found.append((m.start(), _quarter(m.group(2), _ordinal(m.group(1)))))
    for m in _YEAR_ORDINAL_QUARTER.finditer(s):
        found.append((m.start(), _quarter(m.group(1), _ordinal(m.group(2)))))
    return found


def _found_months(s: str) -> list[tuple[int, Period | None]]:
    found: list[tuple[int, Period | None]] = []
    found += [(m.start(), _month_range(m.group(3), m.group(1), m.group(2))) for m in _MONTH_RANGE.finditer(s)]
    found += [
        (m.start(), _month_range(m.group(1), m.group(2), m.group(3))) for m in _YEAR_MONTH_RANGE.finditer(s)
    ]
    found += [(m.start(), _months_to_date(m.group(2), m.group(1))) for m in _MONTH_COUNT.finditer(s)]
    found += [(m.start(), _months_to_date(m.group(1), m.group(2))) for m in _YEAR_MONTH_COUNT.finditer(s)]
    found += [
        (m.start(), months_to_date(int(m.group(2)), 3 * int(m.group(1)))) for m in _QUARTER_COUNT.finditer(s)
    ]
    found += [(m.start(), months_to_date(int(m.group(1)), 6)) for m in _HALF_YEAR.finditer(s)]
    found += [(m.start(), months_to_date(int(m.group(1)), 6)) for m in _YEAR_HALF.finditer(s)]
    return found


def _found_dates(s: str) -> list[tuple[int, Period | None]]:
    found: list[tuple[int, Period | None]] = []
    for m in _DAY_MONTH_YEAR.finditer(s):
        if month := _month(m.group(2)):
            found.append((m.start(), _date_period(int(m.group(3)), month, int(m.group(1)))))
    for m in _YEAR_DAY_MONTH.finditer(s):
        if month := _month(m.group(3)):
            found.append((m.start(), _date_period(int(m.group(1)), month, int(m.group(2)))))
    for m in _NUMERIC_DATE.finditer(s):
        found.append((m.start(), _date_period(int(m.group(3)), int(m.group(2)), int(m.group(1)))))
    return found


def periods_in_text(text: str) -> list[Period]:
    """Every reference period written in `text` (a title, a heading or a column header), in words or
    figures: quarters ("за III квартал 2024 года", "третий квартал 2024", "2024 ж. I тоқсан", "2023 Q1"), a
    quarter's months ("июль-сентябрь 2024"), months from January ("январь-сентябрь 2024 г.", "9 месяцев
    2024 года", "қаңтар-қыркүйек 2024", "I полугодие 2024"), as-of dates ("на 1 октября 2024 г.",
    "1.10.2024") and years ("2023", "за 2023 год"). Distinct periods, in order of appearance."""
    s = normalise_label(text)
    found = [(i, p) for i, p in [*_found_quarters(s), *_found_months(s), *_found_dates(s)] if p is not None]
    if not found:
        for offset, part in enumerate(label_parts(text)):  # "2023", "2023 жыл", one per language
            if m := _YEAR_ONLY.match(part):
                found.append((offset, parse_period(m.group(1))))
        found += [(m.start(), parse_period(m.group(1))) for m in _YEAR_IN_TEXT.finditer(s)]
    periods: list[Period] = []
    for _, period in sorted(found, key=lambda item: item[0]):
        if period not in periods:
            periods.append(period)
    return periods


def period_of_header(text: str | list[str]) -> Period | None:
    """The one period a column header states, else None. A header over several rows is read as one text
    first (a year merged over its quarters: '2023 год' over 'I кв.'), else each language part on its own
    (every part the same period)."""
    parts = text if isinstance(text, list) else label_parts(text)
    if len(parts) > 1:
        joined = periods_in_text(" ".join(parts))
        if len(joined) == 1:
            return joined[0]
    periods = {p for part in parts for p in periods_in_text(part.rstrip("*"))}
    return periods.pop() if len(periods) == 1 else None


def periods_of_parts(text: str | list[str]) -> list[Period]:
    """The different periods the language parts of a header state, each part read on its own: more than one
    means its languages disagree ('январь-сентябрь 2024 / 2024 Q3')."""
    parts = text if isinstance(text, list) else label_parts(text)
    stated = {(p.start, p.end): p for part in parts for p in periods_in_text(part.rstrip("*"))}
    return list(stated.values())


def agrees_with_delivery(period: Period, quarter: str, rule: str) -> bool:
    """Whether a stated reference period fits the delivery quarter folder.

    delivery_quarter: the quarter itself, months from January to the quarter's end (January-September in
    2024-Q3), or a stock as of a date inside it up to the day after its end ("на 1 октября 2024 года" in
    2024-Q3). not_after_delivery_quarter: any period that has ended by the end of the delivery quarter
    (earlier quarters and years a table repeats).
    """
    delivery = parse_quarter_key(quarter)
    if rule == "delivery_quarter":
        if period.kind == "date":
            return delivery.start < period.start <= delivery.end + timedelta(days=1)
        if period.kind == "cumulative":
            return period.end == delivery.end
        return period == delivery
    return period.end <= delivery.end + timedelta(days=1 if period.kind == "date" else 0)
