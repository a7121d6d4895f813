"""Intervals and precision of derived figures, and the rule that a published figure stands."""

from __future__ import annotations

import pandas as pd
import pytest

from mtm_pipeline.derive import derive_quarter
from mtm_pipeline.derive.figures import percent_precision, value_precision
from mtm_pipeline.derive.ranks import rank_positions
from mtm_pipeline.intervals import Interval
from mtm_pipeline_tests.rows import conformed_row as row


def frame(*rows: dict) -> pd.DataFrame:
    return pd.DataFrame(list(rows))


def test_share_of_a_rounded_total_is_an_interval_at_the_precision_it_supports():
    derived = derive_quarter(
        frame(
            row("total", value="2.7 million"),
            row("part", value="1000000", part_of="total", parts_complete="no"),
        )
    ).set_index("obs_id")
    share = derived.loc["drv_share_part"]
    # 1,000,000 of [2.65, 2.75] million: [36.36, 37.74] per cent, wider than 1 point
    assert share["share_low"] == pytest.approx(100 / 2.75) and share["share_high"] == pytest.approx(
        100 / 2.65
    )
    assert share["share_precision"] == 10
    assert share["share_low"] <= share["share"] <= share["share_high"]


def test_share_of_exact_counts_is_exact_and_printed_to_a_tenth():
    derived = derive_quarter(
        frame(
            row("total", value="5745"),
            row("part", value="2602", part_of="total", parts_complete="no"),
        )
    ).set_index("obs_id")
    share = derived.loc["drv_share_part"]
    assert share["share_low"] == share["share_high"] == pytest.approx(100 * 2602 / 5745)
    assert share["share_precision"] == pytest.approx(0.1)


@pytest.mark.parametrize(
    ("low", "high", "step"),
    [(45.2, 45.2, 0.1), (45.2, 45.28, 0.1), (45.2, 45.9, 1), (36.4, 37.7, 10), (1, 90, 100)],
)
def test_percent_precision(low, high, step):
    assert percent_precision(Interval(low, high)) == pytest.approx(step)


def test_value_precision():
    assert value_precision(Interval(10, 10), [1.0, 1.0]) == 1.0  # a sum of counts written in full
    assert value_precision(Interval(308.7e6, 309.3e6), [1e5] * 6) == 1e6
    assert value_precision(Interval(100, 100), []) == 1.0


def test_overlapping_intervals_give_an_uncertain_rank():
    assert rank_positions([Interval(10, 10), Interval(5, 5), Interval(5, 5)]) == [
        (1, True),
        (2, True),
        (2, True),
    ]
    assert rank_positions([Interval(9, 11), Interval(10, 12), Interval(1, 2)]) == [
        (1, False),
        (1, False),
        (3, True),
    ]


def test_a_published_figure_stands():
    rows = frame(
        row("total", value="100"),
        row("a", sector="A", value="60", share="60", part_of="total", parts_complete="yes", rank=1),
        row("b", sector="B", value="40", part_of="total", parts_complete="yes"),
        row("total_vs", value=None, change="25", change_unit="percent", change_base_period="2029-Q4"),
        row("dir_vs", value=None, change="1", change_unit="direction", change_base_period="2029-Q1"),
    )
    history = frame(
        row("t4", delivery_quarter="2029-Q4", period="2029-Q4", value="80"),
        row("t1", delivery_quarter="2029-Q1", period="2029-Q1", value="50"),
    )
    derived = derive_quarter(rows, history).set_index("obs_id")
    assert "drv_share_a" not in derived.index and derived.loc["drv_share_b", "share"] == 40
    assert "drv_rank_a" not in derived.index and derived.loc["drv_rank_b", "rank"] == 2
    # a stated per cent change stands; a stated direction only says less, so the per cent change is derived
    assert "drv_change_total_vs_2029q4" not in derived.index
    assert derived.loc["drv_change_total_vs_2029q1", "change"] == 100


def test_no_rows_when_nothing_can_be_derived():
    derived = derive_quarter(frame(row("total", value="100")))
    assert derived.empty and "input_obs_ids" in derived.columns


def test_an_obs_id_delivered_by_two_sources_is_refused_with_the_reason():
    rows = frame(
        row("total", value="100"),
        row("part", sector="A", value="60", part_of="total", parts_complete="no"),
        row("total", source="other", measure="m2", value="10"),
        row(
            "part", source="other", measure="m2", sector="A", value="6", part_of="total", parts_complete="no"
        ),
    )
    with pytest.raises(ValueError, match="drv_share_part.*unique across the quarter's files"):
        derive_quarter(rows)


def test_a_stated_remainder_sector_gets_a_share_but_no_rank():
    derived = derive_quarter(
        frame(
            row("total", value="1000"),
            row("big", value="500", sector="Construction", part_of="total", parts_complete="yes"),
            row("rest", value="400", sector="Other", part_of="total", parts_complete="yes"),
            row("small", value="100", sector="Mining", part_of="total", parts_complete="yes"),
        )
    ).set_index("obs_id")
    assert derived.loc["drv_share_rest", "share"] == pytest.approx(40.0)
    ranks = derived[derived["derivation"] == "rank"]
    assert set(ranks.index) == {"drv_rank_big", "drv_rank_small"}
    assert ranks.loc["drv_rank_small", "rank"] == 2
