"""The numbers an analyst typed in a sentence, and the ones that are not figures (pure).

A figure is a number written in digits with the notations the extracts use (data/raw/README.md, read by
mtm_pipeline.numbers): '2,975,788', '58.2', '2.7 million', '1.08 billion', '-12.6', with what follows or
precedes it telling its kind: a per cent ('58.2%', '58.2 per cent', '58.2 percent'), times ('3.1 times'), an
amount in US dollars ('USD 76.1 million', '$76.1 million', '76.1 million USD', '76.1 million US dollars')
or a count (anything else). Not figures: dates ('1 March 2024', 'March 2024', '2024-03-01', '01.03.2024'),
quarters ('Q1', '2024-Q1'), years ('2024'), durations ('90 days', '90 calendar days', '180-day', 'from 90
to 180 days'), numbered references ('Decree No. 123', 'Article 5', 'Section 4', 'Table 2'), ordinals ('1st'),
age groups ('15+'), times of day ('10:30'). Numbers spelled out in words are not read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from mtm_pipeline.numbers import NumberFormatError, parse_published_number

MONTH = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|December"
    r"|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\.?"
)
_NOT_FIGURES = re.compile(
    "|".join(
        (
            # 1 March 2024, 1st of March
            rf"\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{MONTH}(?:,?\s+\d{{4}})?",
            rf"\b{MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?",  # March 1, 2024
            rf"\b{MONTH}\s*[-\u2013]?\s*\d{{4}}",  # March 2024
            r"\b\d{4}-\d{2}-\d{2}\b|\b\d{1,2}[./]\d{1,2}[./]\d{2,4}\b",  # 2024-03-01, 01.03.2024
            r"\b\d{4}\s*-\s*Q[1-4]\b|\bQ[1-4](?:\s*\d{4})?\b",  # 2024-Q1, Q1 2024
            (
                r"(?:\bNos?\.?|\u2116|#|\b(?:Number|Article|Art\.|Paragraph|Para\.|Clause|Item|Section|Chapter"
                r"|Annex|Table|Figure|Part|Point|Order|Decree|Resolution|Law|Protocol|Regulation|Code))"
                r"\s*\d+(?:[-/.]\w+)*"
            ),  # Decree No. 123, Article 5, Table 2, No 45-VIII
            (
                r"\b(?:\d+\s*(?:to|and|or|-|\u2013)\s*)?\d+(?:[.,]\d+)?(?:\s*|-)(?:calendar\s+|working\s+|business\s+)?"
                r"(?:days?|weeks?|months?|years?|hours?|minutes?)\b"
            ),  # 90 days, 180-day, 5 years
            r"\b\d+(?:st|nd|rd|th)\b|\b\d+\+|\b\d{1,2}:\d{2}\b",  # 1st, 15+, 10:30
            (
                r"(?<![\d,.])\b(?:1[89]|20)\d\d\b(?![,.]\d|\s*(?:%|per\s*cent|percent|times|thousand|million"
                r"|billion|mln|bn)\b|\s*%)"
            ),  # a year: 1800-2099 written without a separator
        )
    ),
    re.IGNORECASE,
)
_NUMBER = re.compile(
    r"(?<![\w.,\u2212+-])(?P<sign>[+\-\u2212])?"
    r"(?P<digits>\d{1,3}(?:[,\u00a0\u202f\u2009]\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
    r"(?P<scale>\s?(?:thousands?|millions?|billions?|mln|bn)\b)?(?![\w]|[.,]\d)",
    re.IGNORECASE,
)
_PERCENT_AFTER = re.compile(r"^\s*(?:%|per\s*cent\b|percent\b|pct\b)", re.IGNORECASE)
_TIMES_AFTER = re.compile(r"^\s*times\b", re.IGNORECASE)
_USD_AFTER = re.compile(r"^\s*(?:USD\b|US\s*dollars\b|U\.S\.\s*dollars\b|dollars\b)", re.IGNORECASE)
_USD_BEFORE = re.compile(r"(?:\bUSD|\bUS\$|\$)\s*$", re.IGNORECASE)
_APPROXIMATE = re.compile(
    r"\b(?P<over>over|more\s+than|above|exceeding|in\s+excess\s+of)\s*$"
    r"|\b(?P<under>almost|nearly|under|less\s+than|below|just\s+under|up\s+to)\s*$"
    r"|\b(?P<about>about|around|approximately|approx\.|roughly|some|circa|close\s+to)\s*$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Mention:
    """A number typed in a sentence: its text, value and rounding step, and its kind."""

    text: str  # as typed, with its unit: '58.2 per cent', 'USD 76.1 million'
    value: Decimal  # signed as typed
    precision: Decimal
    kind: str  # 'count' | 'percent' | 'times' | 'usd'
    start: int
    end: int
    approximate: str | None = None  # 'over', 'under' or 'about' when the text says so ('over 104,000')

    @property
    def step(self) -> Decimal:
        """The rounding step an approximate number was written at: its last non-zero digit (104,000 ->
        1,000; 3.8 thousand -> 100)."""
        step = self.precision
        while step and abs(self.value) % (step * 10) == 0 and abs(self.value) >= step * 10:
            step *= 10
        return step

    @property
    def low(self) -> float:
        """The lowest magnitude the number stands for."""
        if self.approximate == "over":
            return float(abs(self.value))
        offset = self.step if self.approximate == "under" else self.step / 2 if self.approximate else None
        return float(abs(self.value) - (self.precision / 2 if offset is None else offset))

    @property
    def high(self) -> float:
        """The highest magnitude the number stands for."""
        if self.approximate == "under":
            return float(abs(self.value))
        offset = self.step if self.approximate == "over" else self.step / 2 if self.approximate else None
        return float(abs(self.value) + (self.precision / 2 if offset is None else offset))


def not_figures(sentence: str) -> list[tuple[int, int]]:
    """The spans of the sentence that hold numbers but no figure (dates, years, durations, references...)."""
    return [m.span() for m in _NOT_FIGURES.finditer(sentence)]


def _kind(sentence: str, start: int, end: int) -> tuple[str, int, int]:
    after, before = sentence[end:], sentence[:start]
    for pattern, kind in ((_PERCENT_AFTER, "percent"), (_TIMES_AFTER, "times"), (_USD_AFTER, "usd")):
        if m := pattern.match(after):
            return kind, start, end + m.end()
    if m := _USD_BEFORE.search(before):
        return "usd", m.start(), end
    return "count", start, end


def extract_numbers(sentence: str) -> list[Mention]:
    """Every figure typed in the sentence, in order (see the module docstring for what is not one)."""
    skipped = not_figures(sentence)
    mentions = []
    for m in _NUMBER.finditer(sentence):
        if any(s < m.end() and m.start() < e for s, e in skipped):
            continue
        digits = re.sub(r"[\u00a0\u202f\u2009]", ",", m.group("digits"))
        scale = (m.group("scale") or "").strip().lower()
        try:
            number = parse_published_number(f"{digits} {scale}".strip())
        except NumberFormatError:
            continue  # not in a notation of the extracts: never guessed
        sign = Decimal(-1) if m.group("sign") in ("-", "\u2212") else Decimal(1)
        kind, start, end = _kind(sentence, m.start(), m.end())
        approximate = _APPROXIMATE.search(sentence[:start])
        if approximate:
            start = approximate.start()
        word = next((k for k, v in approximate.groupdict().items() if v), None) if approximate else None
        text = sentence[start:end].strip()
        mentions.append(Mention(text, sign * number.value, number.precision, kind, start, end, word))
    return mentions


_SUPERSCRIPTS = "\u00b9\u00b2\u00b3\u2070\u2074\u2075\u2076\u2077\u2078\u2079"
_ABBREVIATIONS = re.compile(
    r"(?:\b(?:No|Nos|Art|Para|e\.g|i\.e|etc|Mr|Mrs|Ms|Dr|St|vs|approx|incl|cf|Jan|Feb|Mar|Apr|Jun|Jul|Aug"
    r"|Sep|Sept|Oct|Nov|Dec)|\b[A-Z])\.$"
)
# A sentence ends at . ! ? or ; (a footnote number in superscript may follow) before a capital or a digit.
_BOUNDARY = re.compile(
    r"(?<=[.!?;\u00b9\u00b2\u00b3\u2070\u2074-\u2079])\s+(?=[\"\u201c(\[A-Z0-9\u0410-\u042f])"
)


def sentences(text: str) -> list[tuple[int, str]]:
    """The sentences of a text with their start offsets (a full stop after 'No', 'e.g.' etc. ends none)."""
    out, start = [], 0
    for m in _BOUNDARY.finditer(text):
        before = text[start : m.start()].rstrip(_SUPERSCRIPTS)
        if not before.endswith((".", "!", "?", ";")) or _ABBREVIATIONS.search(before):
            continue
        out.append((start, text[start : m.start()]))
        start = m.end()
    if text[start:].strip():
        out.append((start, text[start:]))
    return out
