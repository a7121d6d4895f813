from datetime import date

import pytest

from mtm_pipeline.countries import UnmappedCountryError, country_mapper, normalise_name


@pytest.mark.parametrize(
    ("name", "iso3"),
    [
        ("Russian Federation", "RUS"),
        ("Российская Федерация", "RUS"),  # pycountry Russian translation
        ("Ресей", "RUS"),  # pycountry Kazakh translation
        ("Өзбекстан", "UZB"),
        ("Türkiye", "TUR"),
        ("Republic of Türkiye", "TUR"),
        ("Republic of Korea", "KOR"),  # fuzzy matching would say North Korea
        ("UAE", "ARE"),
        ("USA", "USA"),
        ("Kыргызстан", "KGZ"),  # Latin K in a Cyrillic word
        ("Côte d\u2019Ivoire", "CIV"),
        ("  united   KINGDOM ", "GBR"),
        ("Other countries", "ZZZ"),
    ],
)
def test_names_in_english_russian_kazakh_map_to_iso3(name, iso3):
    assert country_mapper().to_iso3(name) == iso3


def test_unknown_country_is_an_error_naming_it():
    with pytest.raises(UnmappedCountryError, match="Atlantis"):
        country_mapper().to_iso3("Atlantis")


def test_cis_membership_is_dated():
    mapper = country_mapper()
    assert mapper.is_cis("UZB", date(2024, 3, 31))
    assert not mapper.is_cis("GEO", date(2024, 3, 31))
    assert mapper.is_cis("GEO", date(2008, 1, 1))
    assert not mapper.is_cis("TKM", date(2024, 3, 31))  # associate only
    assert not mapper.is_cis("UKR", date(2024, 3, 31))


def test_normalise_name_unifies_script_and_case():
    assert normalise_name("Kазахстан") == normalise_name("Казахстан")
