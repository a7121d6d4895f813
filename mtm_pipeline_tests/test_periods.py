from datetime import date

import pytest

from mtm_pipeline.periods import (
    PeriodError,
    parse_period,
    parse_quarter_key,
    previous_quarter,
    quarter_range,
    same_quarter_last_year,
)


def test_quarter_year_and_date_periods():
    q = parse_period("2024-Q1")
    assert (q.kind, q.start, q.end) == ("quarter", date(2024, 1, 1), date(2024, 3, 31))
    assert parse_period("2023-Q4").end == date(2023, 12, 31)
    y = parse_period("2023")
    assert (y.kind, y.start, y.end) == ("year", date(2023, 1, 1), date(2023, 12, 31))
    d = parse_period("2024-07-01")
    assert (d.kind, d.start, d.end) == ("date", date(2024, 7, 1), date(2024, 7, 1))
    assert y.contains(parse_period("2023-Q2")) and not y.contains(q)


@pytest.mark.parametrize(
    "text",
    ["2024-Q5", "2024-Q0", "24-Q1", "2024Q1", "2024-02-30", "Q1 2024", "", "0000", "0000-Q1", "0000-01/09"],
)
def test_invalid_periods_are_refused(text):
    with pytest.raises(PeriodError):
        parse_period(text)


def test_quarter_keys_and_neighbours():
    with pytest.raises(PeriodError, match="quarter key"):
        parse_quarter_key("2024")
    assert previous_quarter("2024-Q1") == "2023-Q4"
    assert same_quarter_last_year("2024-Q1") == "2023-Q1"
    assert quarter_range("2023-Q3", "2024-Q2") == ["2023-Q3", "2023-Q4", "2024-Q1", "2024-Q2"]
