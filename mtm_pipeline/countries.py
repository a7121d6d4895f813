"""Map country names as delivered (English, Russian, Kazakh) to ISO 3166 alpha-3, and CIS membership by date.

Names come from pycountry's ISO 3166 names and their Russian and Kazakh translations, plus the reviewed
alias table in reference/country_aliases.csv. No fuzzy matching: a name that is not known is an error.
"""

from __future__ import annotations

import csv
import gettext
import unicodedata
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from importlib import resources

REMAINDER_ISO3 = "ZZZ"  # "Other countries": the unnamed remainder of a breakdown
_CIS_STATUSES = {"member", "participant"}

# Latin letters that look like Cyrillic ones (Russian, Kazakh і and һ), and back: a name typed with a
# mixed keyboard is read in the script most of its letters are in.
_LATIN_LOOKALIKES = "AaBCcEeHKkMmOoPpTXxYyIiSsJjh"
_CYRILLIC_LOOKALIKES = "АаВСсЕеНКкМмОоРрТХхУуІіЅѕЈјһ"
_LATIN_TO_CYRILLIC = str.maketrans(_LATIN_LOOKALIKES, _CYRILLIC_LOOKALIKES)
_CYRILLIC_TO_LATIN = str.maketrans(_CYRILLIC_LOOKALIKES, _LATIN_LOOKALIKES)
# Apostrophes and hyphens as typed by different keyboards and word processors.
_APOSTROPHES = str.maketrans({c: "'" for c in "\u2019\u2018\u02bc\u00b4\u2032`"})
_HYPHENS = str.maketrans({c: "-" for c in "\u2010\u2011\u2012\u2013"})


class UnmappedCountryError(ValueError):
    """A delivered country name that neither ISO 3166 nor the reviewed alias table knows."""


def _script_counts(text: str) -> tuple[int, int]:
    latin = sum(1 for ch in text if ch.isalpha() and "LATIN" in unicodedata.name(ch, ""))
    cyrillic = sum(1 for ch in text if ch.isalpha() and "CYRILLIC" in unicodedata.name(ch, ""))
    return latin, cyrillic


def normalise_name(name: str) -> str:
    """Comparable form of a country name: NFC, no invisible format characters (zero-width space, soft
    hyphen, BOM), one script, apostrophes and hyphens unified, case-folded, 'ё' as 'е', single spaces."""
    text = "".join(ch for ch in unicodedata.normalize("NFC", name) if unicodedata.category(ch) != "Cf")
    text = text.translate(_APOSTROPHES).translate(_HYPHENS)
    latin, cyrillic = _script_counts(text)
    if latin and cyrillic:
        text = text.translate(_LATIN_TO_CYRILLIC if cyrillic >= latin else _CYRILLIC_TO_LATIN)
    return " ".join(text.casefold().replace("ё", "е").split())


def _reference_rows(filename: str) -> list[dict[str, str]]:
    with resources.files("mtm_pipeline.reference").joinpath(filename).open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@dataclass(frozen=True)
class CisMembership:
    iso3: str
    status: str
    valid_from: date
    valid_to: date | None


class CountryMapper:
    """Name -> ISO3 look-up built once from pycountry and the alias table."""

    def __init__(self) -> None:
        import pycountry

        self._by_name: dict[str, str] = {}
        self.display_names: dict[str, str] = {}
        translations = [
            gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[lang], fallback=True)
            for lang in ("ru", "kk")
        ]
        ambiguous: set[str] = set()
        for country in pycountry.countries:
            english = {
                country.name,
                getattr(country, "official_name", None),
                getattr(country, "common_name", None),
            }
            english.discard(None)
            names = set(english) | {t.gettext(n) for t in translations for n in english}
            names.add(country.alpha_3)
            for name in names:
                key = normalise_name(name)
                if self._by_name.get(key, country.alpha_3) != country.alpha_3:
                    ambiguous.add(key)
                self._by_name[key] = country.alpha_3
            self.display_names[country.alpha_3] = getattr(country, "common_name", None) or country.name
        for key in ambiguous:
            del self._by_name[key]
        for row in _reference_rows("country_aliases.csv"):  # reviewed aliases win over generated names
            self._by_name[normalise_name(row["alias"])] = row["iso3"]
        for row in _reference_rows("display_names.csv"):
            self.display_names[row["iso3"]] = row["display_name"]
        self.cis = [
            CisMembership(
                row["iso3"],
                row["status"],
                date.fromisoformat(row["valid_from"]),
                date.fromisoformat(row["valid_to"]) if row["valid_to"] else None,
            )
            for row in _reference_rows("cis_membership.csv")
        ]

    def to_iso3(self, name: str) -> str:
        iso3 = self._by_name.get(normalise_name(name))
        if iso3 is None:
            raise UnmappedCountryError(
                f"country {name!r} is not an ISO 3166 name in English, Russian or Kazakh, nor in "
                "mtm_pipeline/reference/country_aliases.csv: fix the spelling in the extract, or add a "
                "reviewed alias row (alias, iso3, note)"
            )
        return iso3

    def display_name(self, iso3: str) -> str:
        return self.display_names.get(iso3, iso3)

    def is_cis(self, iso3: str, on: date) -> bool:
        """Member of the CIS group on that date (associates are not counted, as in the report)."""
        return any(
            m.iso3 == iso3
            and m.status in _CIS_STATUSES
            and m.valid_from <= on
            and (m.valid_to is None or on < m.valid_to)
            for m in self.cis
        )


@lru_cache(maxsize=1)
def country_mapper() -> CountryMapper:
    return CountryMapper()
