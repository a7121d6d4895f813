"""Comparing the labels of agency tables (pure functions): header and row labels in one or several
languages, and the units a label may carry ('Въезд, всего, тыс. человек', '2023 год, тыс. долл. США').

The unit words are shared vocabulary (`unit_words` in sources/layouts/_defaults.yaml): scale words
(`тыс.`, `млн`, `млрд`, `мың`) and unit nouns (`человек`, `адам`, `единиц`, `долл. США`), compared with or
without their full stops. A unit is stated as the last comma-separated segment of a label, in brackets, or
as a whole cell (a units row under the header).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_SPACES = re.compile(r"[\s\u00a0\u202f\u2009\u2007]+")
# Splits a header or row label written in several languages in one cell ("Елі / Страна / Country").
_LANGUAGE_SEPARATORS = re.compile(r"\s*(?:\n|\r|\u2028| / |\|)\s*")
# Footnote marks after a label: '*', '**', superscript digits ('Германия¹'), '1)'.
FOOTNOTE_MARKS = re.compile(r"(?:\s*(?:\*+|[\u00b9\u00b2\u00b3\u2070-\u2079]+|\d\)))+$")


def normalise_label(text: str) -> str:
    """Comparable form of a header or row label: NFC, case-folded, 'ё' as 'е', one space for any run of
    spaces and line breaks, no trailing colon or footnote mark."""
    text = unicodedata.normalize("NFC", text).casefold().replace("ё", "е")
    text = _SPACES.sub(" ", text).strip()
    return FOOTNOTE_MARKS.sub("", text.rstrip(":")).rstrip(":").strip()


def language_parts(text: str) -> list[str]:
    """The languages of a label written in one cell, as spelled ('Ресей / Россия' -> two parts), split at
    line breaks (\\n, \\r, U+2028), ' / ' and '|'. Country look-ups need the spelling as delivered."""
    return [p.strip() for p in _LANGUAGE_SEPARATORS.split(text) if p.strip()]


def label_parts(text: str) -> list[str]:
    """The languages of a label written in one cell, normalised ('Барлығы\\nВсего\\nTotal' -> three parts)."""
    return [part for part in map(normalise_label, language_parts(text)) if part]


def label_matches(text: str | list[str], labels: frozenset[str]) -> bool:
    """A label (or the parts of a header spread over several rows) is one of `labels`: as a whole (the
    parts joined by a space or a comma), or every language part of it."""
    parts = text if isinstance(text, list) else label_parts(text)
    if not parts:
        return False
    if normalise_label(" ".join(parts)) in labels or normalise_label(", ".join(parts)) in labels:
        return True
    return all(p in labels for p in parts)


def label_group(label: str) -> str | None:
    """The group a label names before its first comma ('въезд, всего' -> 'въезд'), else None."""
    head, comma, _ = label.partition(",")
    return head.strip() if comma and head.strip() else None


# --- units in labels ----------------------------------------------------------------------------------------


def unit_key(text: str) -> str:
    """A unit as compared: normalised, full stops dropped ('млн. долл. США' == 'млн долл США')."""
    return " ".join(normalise_label(text).replace(".", " ").split())


@dataclass(frozen=True)
class UnitWords:
    """The shared unit vocabulary: scale word -> scale, and the unit nouns (all as `unit_key`s)."""

    scales: dict[str, str]
    nouns: frozenset[str]

    @classmethod
    def from_data(cls, data: dict | None) -> UnitWords:
        """From `unit_words` of a layout ({scales: {thousand: [тыс, мың]}, nouns: [человек, адам]})."""
        data = data or {}
        scales = {unit_key(w): scale for scale, words in (data.get("scales") or {}).items() for w in words}
        return cls(scales, frozenset(unit_key(n) for n in data.get("nouns") or []))

    def scale_of(self, text: str) -> str | None:
        """The scale of a unit phrase ('тыс. человек' -> 'thousand', 'человек' -> 'one'), None when the text
        is not a unit phrase (an optional scale word, then an optional unit noun, at least one of them)."""
        key = unit_key(text).strip("() ")
        if not key:
            return None
        words = key.split()
        scale = None
        if words and words[0] in self.scales:
            scale, key = self.scales[words[0]], " ".join(words[1:])
        if key and key not in self.nouns:
            return None
        return scale or ("one" if key else None)

    def split(self, label: str) -> tuple[str, str | None]:
        """A normalised label without the unit it states, and that unit's scale ('въезд, всего, тыс.
        человек' -> ('въезд, всего', 'thousand'); 'тыс. человек' -> ('', 'thousand'))."""
        text = label.strip()
        if (scale := self.scale_of(text)) is not None:
            return "", scale
        bracket = re.search(r"\(([^()]*)\)\s*$", text)
        if bracket and (scale := self.scale_of(bracket.group(1))) is not None:
            return text[: bracket.start()].rstrip(" ,"), scale
        head, comma, tail = text.rpartition(",")
        if comma and (scale := self.scale_of(tail)) is not None:
            return head.rstrip(" ,"), scale
        return text, None
