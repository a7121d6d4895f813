"""Interval arithmetic behind the precision-aware rules."""

import pytest

from mtm_pipeline.checks import findings as fmt
from mtm_pipeline.intervals import Interval, at_most, interval_sum, percent_change, ratio_percent


def test_around_is_the_rounding_interval_of_a_published_figure():
    assert Interval.around(2.7e6, 1e5) == Interval(2.65e6, 2.75e6)
    assert Interval.around(58.2, 0.1).low == pytest.approx(58.15)
    assert Interval.around(2975788, 0) == Interval.point(2975788)
    assert Interval.around(5, None).is_point


def test_add_sub_neg():
    a, b = Interval(1, 2), Interval(10, 20)
    assert a + b == Interval(11, 22)
    assert b - a == Interval(8, 19)
    assert -a == Interval(-2, -1)
    assert a + 1 == Interval(2, 3) and 1 + a == Interval(2, 3)
    assert 5 - a == Interval(3, 4)


def test_mul_div_take_the_extremes():
    assert Interval(2, 3) * Interval(-1, 4) == Interval(-3, 12)
    assert Interval(2, 3) * 2 == Interval(4, 6)
    assert Interval(1, 2) / Interval(4, 8) == Interval(0.125, 0.5)
    with pytest.raises(ZeroDivisionError):
        Interval(1, 2) / Interval(-1, 1)


def test_empty_and_nan_intervals_are_refused():
    with pytest.raises(ValueError):
        Interval(2, 1)
    with pytest.raises(ValueError):
        Interval(float("nan"), 1)


def test_intersects_contains_and_float_noise():
    assert Interval(0, 1).intersects(Interval(1, 2))  # touching counts: a boundary value satisfies both
    assert not Interval(0, 1).intersects(Interval(1.001, 2))
    assert Interval(0.1 + 0.2, 1).contains(0.3)  # 0.1 + 0.2 != 0.3 in binary
    assert Interval(99.55, 100.25).contains(100)
    assert Interval(0, 1).distance(Interval(3, 4)) == 2
    assert Interval(0, 1).intersection(Interval(0.5, 2)) == Interval(0.5, 1)
    assert Interval(0, 1).intersection(Interval(2, 3)) is None


def test_sum_of_shares_within_rounding():
    shares = [Interval.around(s, 0.1) for s in (45.2, 39.6, 6.3, 5.3, 2.3, 0.7, 0.5)]
    total = interval_sum(shares)
    assert total.mid == pytest.approx(99.9)
    assert total.half_width == pytest.approx(0.35)
    assert total.contains(100)


def test_ratio_within_rounding_34_per_cent_of_12882():
    ratio = ratio_percent(Interval.point(4326), Interval.point(12882))
    assert ratio.mid == pytest.approx(33.58, abs=0.01)
    assert Interval.around(34, 1).intersects(ratio)  # "34%" stands for [33.5, 34.5]


def test_percent_change_with_a_rounded_base():
    change = percent_change(Interval.point(2975788), Interval.around(2.7e6, 1e5))
    assert change.low == pytest.approx(8.21, abs=0.01) and change.high == pytest.approx(12.30, abs=0.01)
    assert Interval.around(10, 1).intersects(change)


def test_at_most():
    assert at_most(Interval(5, 6), Interval(0, 5))
    assert not at_most(Interval(5.1, 6), Interval(0, 5))


def test_formatting():
    assert fmt.interval(Interval.point(5745)) == "5,745"
    assert fmt.interval(Interval(2593.9, 2599.6)) == "[2,593, 2,600]"  # rounded outwards
    assert fmt.number(-7.6, 1, signed=True) == "-7.6"
    assert fmt.plus_minus(0.35) == "+/- 0.35"
    assert fmt.plus_minus(0) == "exact"
    assert fmt.scale_for("USD", 1.08e9) == (1e9, " billion")
    assert fmt.scale_for("crossings", 2.7e6, 1e5) == (1e6, " million")
    assert fmt.scale_for("crossings", 2975788, 1) == (1.0, "")
    assert fmt.decimals_for(0.1) == 1 and fmt.decimals_for(1e7, 1e9) == 2 and fmt.decimals_for(0) == 0
