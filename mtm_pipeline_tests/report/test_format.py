"""Numbers, periods and words as the report writes them."""

import pytest

from mtm_pipeline.report.format import (
    country_phrase,
    fmt_count,
    fmt_millions,
    fmt_money,
    fmt_percent,
    fmt_signed,
    in_period,
    join_words,
    period_caption,
    period_phrase,
    quarters_phrase,
)


@pytest.mark.parametrize(
    ("value", "precision", "expected"),
    [
        (2975788, 1, "2,975,788"),
        (2_700_000, 100_000, "2.7 million"),
        (22000, 1, "22,000"),
        (0.23, 0.01, "0.23"),
        (104_000, 1000, "104 thousand"),
    ],
)
def test_counts_keep_their_published_precision(value, precision, expected):
    assert fmt_count(value, precision) == expected


@pytest.mark.parametrize(
    ("value", "precision", "expected"),
    [
        (883_500_000, 100_000, "883.5 million"),
        (206_000_000, 1_000_000, "206 million"),
        (80_000_000, 1_000_000, "80 million"),
        (1_080_000_000, 10_000_000, "1.08 billion"),
        (-201_500_000, 100_000, "-201.5 million"),
    ],
)
def test_money_in_million_or_billion(value, precision, expected):
    assert fmt_money(value, precision) == expected


def test_money_in_a_million_column_and_shares():
    assert fmt_millions(1_080_000_000, 10_000_000) == "1,080"
    assert fmt_millions(261_100_000, 100_000) == "261.1"
    assert fmt_percent(64.0, 1.0) == "64"
    assert fmt_percent(58.2, 0.1) == "58.2"
    assert fmt_signed(-9.7, 0.1) == "-9.7"
    assert fmt_signed(32.5, 0.1) == "+32.5"


def test_periods_in_words():
    assert period_phrase("2024-Q1") == "the first quarter of 2024"
    assert period_phrase("2023-Q4") == "the last quarter of 2023"
    assert in_period("2023") == "in 2023"
    assert in_period("2024-07-01") == "as of 1 July 2024"
    assert period_caption("2024-Q2") == "April-June 2024"
    assert quarters_phrase(["2023-Q1", "2023-Q2", "2023-Q3", "2023-Q4"]) == "the four quarters of 2023"
    assert quarters_phrase(["2023-Q2", "2023-Q3"]) == "the second and third quarters of 2023"


def test_words():
    assert country_phrase("Russian Federation") == "the Russian Federation"
    assert country_phrase("United States of America") == "the United States of America"
    assert country_phrase("China") == "China"
    assert country_phrase("Other countries") == "other countries"
    assert join_words(["a", "b", "c"]) == "a, b and c"
    assert join_words(["2,602 from A", "2,476 from B"]) == "2,602 from A and 2,476 from B"
    assert join_words(["construction", "agriculture, forestry and fisheries", "mining"]) == (
        "construction; agriculture, forestry and fisheries; and mining"
    )
