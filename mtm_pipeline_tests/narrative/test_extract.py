"""Pure: which numbers of a sentence are figures, of what kind and at what precision; and what a sentence
says about its measure and period."""

from __future__ import annotations

from decimal import Decimal

import pytest

from mtm_pipeline.checks.narrative.context import measures_named, periods_named
from mtm_pipeline.checks.narrative.extract import extract_numbers, sentences


def _figures(sentence: str) -> list[tuple[str, str]]:
    return [(m.text, m.kind) for m in extract_numbers(sentence)]


@pytest.mark.parametrize(
    "sentence",
    [
        "The rules changed on 1 March 2024.",
        "The rules changed on March 1, 2024 and again in April 2024.",
        "Decree No. 123 amended the Rules.",
        "Order No 45-VIII, Article 5 and paragraph 3 of Section 4 apply.",
        "Resolution № 77 of 2024-02-12 and the order of 12.02.2024.",
        "In 2023 and 2024 the policy held.",
        "A stay of 90 days in each period of 180 calendar days; a 30-day extension; a ban for 5 years.",
        "See Table 2 and Figure 3 for the 2nd and 3rd quarters, Q1 2024 and 2024-Q3.",
        "Workers aged 15+ checked at 10:30.",
        "The stay grows from 90 to 180 days, or 30-60 days for students.",
    ],
)
def test_dates_decrees_years_durations_and_references_are_not_figures(sentence):
    assert _figures(sentence) == []


def test_counts_shares_changes_times_and_amounts_with_their_precision():
    sentence = (
        "A total of 2,975,788 arrivals, 12.6 per cent less than the 3,405,102 before and 10% more than the "
        "2.7 million a year earlier; 58.2 percent came from CIS countries; emigrants fell 3.1 times; "
        "remittances of USD 883.5 million, $76.1 million and 1.08 billion US dollars; a change of -7.6%."
    )
    found = {m.text: (m.kind, m.value, m.precision) for m in extract_numbers(sentence)}
    assert found == {
        "2,975,788": ("count", Decimal(2975788), Decimal(1)),
        "12.6 per cent": ("percent", Decimal("12.6"), Decimal("0.1")),
        "3,405,102": ("count", Decimal(3405102), Decimal(1)),
        "10%": ("percent", Decimal(10), Decimal(1)),
        "2.7 million": ("count", Decimal(2700000), Decimal(100000)),
        "58.2 percent": ("percent", Decimal("58.2"), Decimal("0.1")),
        "3.1 times": ("times", Decimal("3.1"), Decimal("0.1")),
        "USD 883.5 million": ("usd", Decimal(883500000), Decimal(100000)),
        "$76.1 million": ("usd", Decimal(76100000), Decimal(100000)),
        "1.08 billion US dollars": ("usd", Decimal(1080000000), Decimal(10000000)),
        "-7.6%": ("percent", Decimal("-7.6"), Decimal("0.1")),
    }


def test_a_figure_next_to_a_date_is_still_a_figure():
    assert _figures("As of 1 April 2024, 12,882 foreign workers held permits; 2024 saw 1,995 more.") == [
        ("12,882", "count"),
        ("1,995", "count"),
    ]


def test_a_number_in_no_notation_of_the_extracts_is_not_guessed():
    assert _figures("The figure 1,2345 is not written in any accepted notation.") == []


def test_sentences_do_not_end_at_abbreviations_or_decimals():
    text = "Decree No. 5 was signed. It covers 58.2 per cent, e.g. workers. The next one"
    assert [s for _, s in sentences(text)] == [
        "Decree No. 5 was signed.",
        "It covers 58.2 per cent, e.g. workers.",
        "The next one",
    ]


def test_a_footnote_number_after_the_full_stop_still_ends_the_sentence():
    text = "7,964 permits were issued.\u00b9\u2076 The majority (5,745) went to CIS citizens."
    assert [s for _, s in sentences(text)] == [
        "7,964 permits were issued.\u00b9\u2076",
        "The majority (5,745) went to CIS citizens.",
    ]
    assert _figures(text) == [("7,964", "count"), ("5,745", "count")]  # superscripts are not digits


def test_approximate_numbers_stand_for_the_range_their_words_say():
    over, almost, about = extract_numbers(
        "over 104,000 holders, almost 3.8 thousands and about 2,000 workers"
    )
    assert (over.text, over.low, over.high) == ("over 104,000", 104000, 105000)
    assert (almost.text, almost.low, almost.high) == ("almost 3.8 thousands", 3700, 3800)
    assert (about.text, about.low, about.high) == ("about 2,000", 1500, 2500)


def test_measures_named_longest_phrase_first_with_direction():
    assert measures_named("2,975,788 migrant arrivals") == {("border_crossings", "in")}
    assert measures_named("7,964 permanent residence permits") == {("prp_issued", None)}
    assert measures_named("residence permits were issued") == {
        ("trp_holders", None),
        ("trp_issued", None),
        ("prp_issued", None),
    }
    assert measures_named("The decree was signed.") == frozenset()


def test_periods_named_in_the_report_quarters_terms():
    sentence = (
        "In the first quarter of 2024, 12.6 per cent less than in the last quarter of 2023 and 10% more than "
        "the same period in 2023; as of 1 April 2024; January-March 2024; Q2 2024; in 2022."
    )
    assert periods_named(sentence, "2024-Q1") == {
        "2024-Q1",
        "2023-Q4",
        "2023-Q1",
        "2024-04-01",
        "2024-Q2",
        "2022",
    }
    assert periods_named("compared with the previous quarter and the same period last year", "2024-Q3") == {
        "2024-Q2",
        "2023-Q3",
    }
    assert periods_named("in the second quarter", "2024-Q3") == {"2024-Q2"}


@pytest.mark.parametrize(
    ("sentence", "periods"),
    [
        ("In January-June 2024 arrivals rose.", {"2024-01/06"}),  # months from January: a period of its own
        ("In Jan-Sep 2024 arrivals rose.", {"2024-01/09"}),
        ("In July-September 2024 arrivals rose.", {"2024-Q3"}),
        ("From April–December 2023 arrivals rose.", set()),  # no period the warehouse holds, never a crash
    ],
)
def test_month_ranges_name_the_period_they_cover(sentence, periods):
    assert periods_named(sentence, "2024-Q3") == periods
