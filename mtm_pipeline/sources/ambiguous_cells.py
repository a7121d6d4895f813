"""Cells that could be read two ways, found before any figure is read: refused naming the cell, never
guessed.

- A figure whose one comma could be a thousands separator or a decimal comma ('2,700'), in a file that
  writes decimal commas elsewhere ('1 234,5'): with thousands commas it is 2700, with a decimal comma 2.7,
  a thousandfold apart once a unit such as 'млн долл. США' scales it.
- A cell whose languages state different periods ('январь-сентябрь 2024 / 2024 Q3'): a header or title
  of one period in one language and another in the other says nothing certain about its figures.

Only visible sheets are looked at (a hidden sheet is not read). A line saying when the table was produced
('Дата формирования: 15.10.2024') states no reference period and is left out of the comparison.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

from mtm_pipeline.numbers import comma_is_ambiguous, writes_decimal_comma
from mtm_pipeline.sources.errors import Problem
from mtm_pipeline.sources.layouts import language_parts, normalise_label, periods_in_text
from mtm_pipeline.sources.sheets import Sheet, Workbook

AMBIGUITY_HINT = (
    "Write each figure so it reads one way only: thousands separated by spaces ('2 700') and a decimal "
    "comma ('2,7'), as the rest of the file does; state one period per header or title, the same in every "
    "language. Then deliver the file again."
)
# Month stems in Russian, Kazakh and English, January first.
_MONTH_STEMS = (
    ("янв", "қаңтар", "jan"),
    ("фев", "ақпан", "feb"),
    ("мар", "наурыз", "mar"),
    ("апр", "сәуір", "apr"),
    ("мая", "май", "мамыр", "may"),
    ("июн", "маусым", "jun"),
    ("июл", "шілде", "jul"),
    ("авг", "тамыз", "aug"),
    ("сен", "қыркүйек", "sep"),
    ("окт", "қазан", "oct"),
    ("ноя", "қараша", "nov"),
    ("дек", "желтоқсан", "dec"),
)
_WORD = r"([a-zа-яёәғқңөұүһі]+)"
_MONTH_RANGE = re.compile(rf"\b{_WORD}\s*[-–—]\s*{_WORD}\s+(\d{{4}})")  # 'январь-сентябрь 2024'
_MONTHS_OF_YEAR = re.compile(r"\b(\d{1,2})\s+(?:месяц\w*|мес\.|ай\w*|months?)\s+(\d{4})")  # '9 месяцев 2024'
# A line saying when the table was produced, not what period it covers.
_PRODUCED = re.compile(
    r"дата\s+(?:формирования|составления|выгрузки|обновления|печати)|"
    r"(?:қалыптастырылған|жасалған|құрылған)\s+күні|date\s+(?:of\s+)?(?:generat|produc|print|extract)"
)


def _month(word: str) -> int | None:
    for number, stems in enumerate(_MONTH_STEMS, start=1):
        if any(word.startswith(stem) for stem in stems):
            return number
    return None


def _month_end(year: int, month: int) -> date:
    return date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)


def stated_spans(text: str) -> set[tuple[date, date]]:
    """The spans of time (first and last day) a text states as periods: quarters, years and as-of dates
    as the layouts read them, and months from one to another ('январь-сентябрь 2024', '9 месяцев 2024')."""
    spans = {(p.start, p.end) for p in periods_in_text(text)}
    normal = normalise_label(text)
    for match in _MONTH_RANGE.finditer(normal):
        first, last, year = _month(match.group(1)), _month(match.group(2)), int(match.group(3))
        if first and last and first <= last:
            spans.add((date(year, first, 1), _month_end(year, last)))
    for match in _MONTHS_OF_YEAR.finditer(normal):
        months, year = int(match.group(1)), int(match.group(2))
        if 1 <= months <= 12:
            spans.add((date(year, 1, 1), _month_end(year, months)))
    return _outermost(spans)


def _outermost(spans: set[tuple[date, date]]) -> set[tuple[date, date]]:
    """Spans not inside another one: 'январь-март 2024' read both as a month range and as the first
    quarter is one span."""
    return {s for s in spans if not any(o != s and o[0] <= s[0] and s[1] <= o[1] for o in spans)}


def period_conflict(text: str) -> str | None:
    """How the languages of a cell disagree on its period ('январь-сентябрь 2024' vs '2024 Q3'), or None
    when at most one language states a period or all state the same one."""
    stated = []
    for part in language_parts(text):
        if _PRODUCED.search(normalise_label(part)):
            continue
        spans = stated_spans(part)
        if spans:
            stated.append((part, spans))
    if len(stated) < 2 or all(spans == stated[0][1] for _, spans in stated):
        return None
    return " vs ".join(repr(" ".join(part.split())) for part, _ in stated)


def _ambiguous_commas(sheets: list[Sheet]) -> list[Problem]:
    decimal = next(
        (
            (sheet, key, cell.text)
            for sheet in sheets
            for key, cell in sorted(sheet.cells.items())
            if not cell.numeric and writes_decimal_comma(cell.text)
        ),
        None,
    )
    if decimal is None:
        return []
    example = f"{decimal[0].where(*decimal[1])} {decimal[2]!r}"
    problems, seen = [], set()
    for sheet in sheets:
        for (row, column), cell in sorted(sheet.cells.items()):
            if cell.numeric or not comma_is_ambiguous(cell.text) or id(cell) in seen:
                continue
            seen.add(id(cell))  # a merged cell repeats one cell's text over its range
            whole, fraction = re.search(r"(\d{1,3}),(\d{3})", cell.text).groups()
            problems.append(
                Problem(
                    row,
                    None,
                    f"sheet {sheet.name!r}, cell {sheet.cell_name(row, column)}: the figure {cell.text!r} "
                    f"could be read with a decimal comma "
                    f"({Decimal(f'{whole}.{fraction}').normalize():f}), as the file writes "
                    f"figures elsewhere (e.g. {example}), or with a thousands comma "
                    f"({whole}{fraction}); refused rather than guessed",
                )
            )
    return problems


def _period_conflicts(sheets: list[Sheet]) -> list[Problem]:
    problems, seen = [], set()
    for sheet in sheets:
        for (row, column), cell in sorted(sheet.cells.items()):
            if cell.numeric or id(cell) in seen:
                continue
            seen.add(id(cell))
            conflict = period_conflict(cell.text)
            if conflict:
                problems.append(
                    Problem(
                        row,
                        None,
                        f"sheet {sheet.name!r}, cell {sheet.cell_name(row, column)}: its languages state "
                        f"different periods ({conflict}); expected one period, the same in every language",
                    )
                )
    return problems


def ambiguous_cells(workbook: Workbook) -> list[Problem]:
    """Every cell of the visible sheets that could be read two ways (see the module), in sheet order."""
    sheets = [sheet for sheet in workbook.sheets if sheet.visible]
    return _ambiguous_commas(sheets) + _period_conflicts(sheets)
