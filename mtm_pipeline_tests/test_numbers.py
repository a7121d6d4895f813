from decimal import Decimal

import pytest

from mtm_pipeline.numbers import NumberFormatError, parse_published_number, published_notation


@pytest.mark.parametrize(
    ("text", "value", "precision"),
    [
        ("2975788", "2975788", "1"),
        ("2,975,788", "2975788", "1"),
        ("2 975 788", "2975788", "1"),
        ("2\u00a0975\u00a0788", "2975788", "1"),
        ("2\u202f975\u202f788", "2975788", "1"),
        ("883,5", "883.5", "0.1"),
        ("883.5 million", "883500000", "100000"),
        ("1,08 billion", "1080000000", "10000000"),
        ("1,08 млрд", "1080000000", "10000000"),
        ("2.7 million", "2700000", "100000"),
        ("3.8 thousand", "3800", "100"),
        ("1,085", "1085", "1"),
        ("1.234,5", "1234.5", "0.1"),
        ("80", "80", "1"),
        ("80.0", "80.0", "0.1"),
        ("-12.6", "-12.6", "0.1"),
        ("+32.5", "32.5", "0.1"),
        ("\u221211.3", "-11.3", "0.1"),
    ],
)
def test_published_numbers_keep_value_and_precision(text, value, precision):
    parsed = parse_published_number(text)
    assert parsed.value == Decimal(value)
    assert parsed.precision == Decimal(precision)


def test_interval_of_a_rounded_figure():
    parsed = parse_published_number("1.08 billion")
    assert (parsed.low, parsed.high) == (Decimal(1075000000), Decimal(1085000000))


def test_percent_sign_only_where_allowed():
    assert parse_published_number("58.2%", allow_percent_sign=True).value == Decimal("58.2")
    with pytest.raises(NumberFormatError, match="per cent sign"):
        parse_published_number("58.2%")


@pytest.mark.parametrize("text", ["", "abc", "1,2,3", "12a", "1.2.3", "--5", "1,08 zillion"])
def test_non_numbers_are_refused(text):
    with pytest.raises(NumberFormatError):
        parse_published_number(text)


@pytest.mark.parametrize(
    "text",
    [
        "2476",
        "-7.6",
        "0.5",
        "80",
        "2.7 thousand",
        "14 thousand",
        "31.7 million",
        "80 million",
        "-201.5 million",
        "1.08 billion",
    ],
)
def test_published_notation_reads_back_as_the_same_figure(text):
    number = parse_published_number(text)
    assert published_notation(float(number.value), float(number.precision)) == text


def test_published_notation_of_a_figure_without_precision_or_rounding_to_zero():
    assert published_notation(2476.0, None) == "2476"
    assert published_notation(2476.0, float("nan")) == "2476"
    assert published_notation(-0.0, 0.1) == "0.0"
    assert published_notation(-0.04, 0.1) == "0.0"
    assert published_notation(-0.06, 0.1) == "-0.1"
