"""What the label of a row in an agency table says: the total, a CIS / non-CIS group subtotal, the stated
remainder, a value of the row dimension (a country, or a label of the layout's `values`), a row to skip, or
the note under the table.

Country labels are looked up as delivered ('Ресей / Россия / Russia', 'Өзбекстан\\nУзбекистан'): the name
kept is the spelling in the cell, so `CountryLookup` maps each distinct label of a workbook once.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

from mtm_pipeline.countries import UnmappedCountryError, country_mapper
from mtm_pipeline.sources.labels import FOOTNOTE_MARKS
from mtm_pipeline.sources.layouts import Layout, TableSpec, label_matches, language_parts

# (ISO3, the name as delivered) of a country row label, or None when the label names no country.
CountryLookup = Callable[[str], "tuple[str, str] | None"]


def country_of(label: str) -> tuple[str, str] | None:
    """(ISO3, the name as delivered) of a country row label; a label in several languages ('Ресей /
    Россия / Russia') gives its first part, when every part names the same country. A footnote mark after
    the name ('Россия*', 'Германия¹') is not part of it."""
    mapper = country_mapper()
    label = "\n".join(FOOTNOTE_MARKS.sub("", part) for part in language_parts(label))

    def iso3_of(name: str) -> str | None:
        """The ISO3 code of one spelling, None when it names no country."""
        try:
            return mapper.to_iso3(name)
        except UnmappedCountryError:
            return None

    whole = " ".join(label.split())
    iso3 = iso3_of(whole)
    if iso3 is not None:
        return iso3, whole
    parts = language_parts(label)
    named = {iso3_of(part) for part in parts}
    for name in (" ".join(part.split()) for part in parts):
        iso3 = iso3_of(name)
        if iso3 is not None and named == {iso3}:
            return iso3, name
    return None


def country_lookup() -> CountryLookup:
    """`country_of` remembering its answers: one look-up per distinct label of the workbook being read."""
    return cache(country_of)


def is_note(layout: Layout, text: str) -> bool:
    """The row starts with a note marker ('Примечание', '*'): the note under a table."""
    return any(
        marker and " ".join(text.casefold().split()).startswith(marker) for marker in layout.note_markers
    )


def row_kind(layout: Layout, spec: TableSpec, label: str, countries: CountryLookup) -> tuple[str, str | None]:
    """('blank'|'total'|'group'|'remainder'|'value'|'skip'|'note'|'unknown', contract value of the row).
    A group row's value is its group (CIS, non-CIS); a label that is both a remainder and a group
    ('Другие страны') is a remainder here, and the reader tells them apart by the rows under it."""
    if not label:
        return "blank", None
    if label_matches(label, layout.total):
        return "total", None
    if spec.dimension == "country" and not label_matches(label, layout.remainder):
        group = next((g for g, labels in layout.groups.items() if label_matches(label, labels)), None)
        if group is not None:
            return "group", group
    if label_matches(label, layout.remainder):
        return "remainder", None
    if label_matches(label, layout.skip_labels):
        return "skip", None
    if is_note(layout, label):
        return "note", None
    if spec.dimension == "country":
        return ("value", None) if countries(label) else ("unknown", None)
    for value, labels in spec.values.items():
        if label_matches(label, labels):
            return "value", value
    return "unknown", None
