"""A quarter from two periods that run from January of its year (quarter_from_cumulative)."""

from __future__ import annotations

import pandas as pd
import pytest

from mtm_pipeline.derive import derive_quarter
from mtm_pipeline.periods import PeriodError, months_to_date, parse_period
from mtm_pipeline_tests.rows import conformed_row as row


def frame(*rows: dict) -> pd.DataFrame:
    return pd.DataFrame(list(rows))


def _quarters(derived: pd.DataFrame) -> pd.DataFrame:
    return derived[derived["derivation"] == "quarter_from_cumulative"].set_index("period")


def test_cumulative_period_notation():
    period = parse_period("2024-01/09")
    assert (period.kind, str(period.start), str(period.end)) == ("cumulative", "2024-01-01", "2024-09-30")
    assert months_to_date(2024, 3).label == "2024-Q1" and months_to_date(2024, 12).label == "2024"
    assert months_to_date(2024, 6).label == "2024-01/06"
    for text in ("2024-01/03", "2024-01/12", "2024-01/13", "2024-02/09"):
        with pytest.raises(PeriodError):
            parse_period(text)


def test_third_quarter_from_january_september_less_january_june_of_an_earlier_delivery():
    history = frame(row("h1", "2024-Q2", period="2024-01/06", value="1250", country_iso3="UZB", country="UZ"))
    derived = derive_quarter(
        frame(row("nine", "2024-Q3", period="2024-01/09", value="2000", country_iso3="UZB", country="UZ")),
        history,
    )
    q3 = _quarters(derived).loc["2024-Q3"]
    assert q3["value"] == 750 and q3["value_low"] == q3["value_high"] == 750
    assert q3["value_precision"] == 1
    assert q3["input_obs_ids"] == "nine,2024-Q2/h1"
    assert q3["period_kind"] == "quarter" and str(q3["period_start"].date()) == "2024-07-01"
    assert q3["country_iso3"] == "UZB" and q3["obs_id"] == "drv_2024q3_nine"


def test_rounded_inputs_give_an_interval_and_the_precision_it_supports():
    derived = derive_quarter(
        frame(
            row("half", "2024-Q3", period="2024-01/06", value="1.2 million", unit="USD"),
            row("nine", "2024-Q3", period="2024-01/09", value="2.0 million", unit="USD"),
        )
    )
    q3 = _quarters(derived).loc["2024-Q3"]
    assert q3["value"] == pytest.approx(800_000)
    assert (q3["value_low"], q3["value_high"]) == (pytest.approx(700_000), pytest.approx(900_000))
    assert q3["value_precision"] == pytest.approx(1e6)
    assert set(q3["input_obs_ids"].split(",")) == {"half", "nine"}


def test_second_and_fourth_quarters_from_the_first_quarter_and_the_year():
    derived = derive_quarter(
        frame(
            row("q1", "2024-Q4", period="2024-Q1", value="100"),
            row("h1", "2024-Q4", period="2024-01/06", value="250"),
            row("m9", "2024-Q4", period="2024-01/09", value="400"),
            row("y", "2024-Q4", period="2024", value="600"),
        )
    )
    quarters = _quarters(derived)
    assert quarters["value"].to_dict() == {"2024-Q2": 150, "2024-Q3": 150, "2024-Q4": 200}
    assert quarters.loc["2024-Q4", "input_obs_ids"] == "y,m9"


def test_a_published_quarter_stands_and_two_plain_periods_give_nothing():
    derived = derive_quarter(
        frame(
            row("h1", "2024-Q3", period="2024-01/06", value="250"),
            row("m9", "2024-Q3", period="2024-01/09", value="400"),
            row("q3", "2024-Q3", period="2024-Q3", value="151"),
        )
    )
    assert _quarters(derived).empty
    derived = derive_quarter(
        frame(
            row("q1", "2024-Q4", period="2024-Q1", value="100"),
            row("y", "2024-Q4", period="2024", value="600"),
        )
    )
    assert _quarters(derived).empty  # the year less the first quarter is three quarters, not one


def test_other_series_and_years_are_not_mixed():
    derived = derive_quarter(
        frame(
            row("h1", "2024-Q3", period="2023-01/06", value="250"),
            row("m9", "2024-Q3", period="2024-01/09", value="400"),
            row("h1_out", "2024-Q3", period="2024-01/06", value="10", direction="out"),
        )
    )
    assert _quarters(derived).empty
