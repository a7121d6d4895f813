"""The part of a total an incomplete breakdown does not itemise, against a direct computation."""

from __future__ import annotations

import pandas as pd
import pytest

from mtm_pipeline.derive import derive_quarter
from mtm_pipeline_tests.derive.test_precision import frame, row

QUARTER = "2024-Q1"
BREAKDOWN_COLUMNS = ("country", "purpose", "category", "sector", "education", "age_group")


def _remainders(derived: pd.DataFrame) -> pd.DataFrame:
    return derived[derived["derivation"] == "remainder"].set_index("obs_id")


def _dimension(part: pd.Series) -> str:
    return next(c for c in BREAKDOWN_COLUMNS if pd.notna(part[c]))


def test_counts_only_remainders_are_the_total_minus_the_listed_parts(counts_only):
    own = counts_only[QUARTER]
    history = pd.concat([f for q, f in counts_only.items() if q != QUARTER], ignore_index=True)
    got = _remainders(derive_quarter(own, history))
    totals = own.set_index("obs_id")["value"]
    parts = own[own["part_of"].notna()].copy()
    parts["dimension"] = parts.apply(_dimension, axis=1)
    expected = {}
    for (total_id, dimension), listed in parts.groupby(["part_of", "dimension"]):
        if listed["parts_complete"].eq(False).all() and not (listed["country_iso3"] == "ZZZ").any():
            rest = float(totals[total_id]) - float(listed["value"].sum())
            expected[f"drv_remainder_{total_id}_{dimension}"] = (
                rest,
                100 * rest / float(totals[total_id]),
                {total_id, *listed["obs_id"]},
            )
    assert len(expected) >= 3  # labour purpose of arrivals and departures, and more
    shares = {obs_id.replace("drv_remainder_", "drv_remainder_share_", 1) for obs_id in expected}
    assert set(got.index) == set(expected) | shares
    for obs_id, (value, share, inputs) in expected.items():
        figure = got.loc[obs_id]
        assert float(figure["value"]) == value == figure["value_low"] == figure["value_high"]  # counts: exact
        of_total = got.loc[obs_id.replace("drv_remainder_", "drv_remainder_share_", 1)]
        assert float(of_total["share"]) == pytest.approx(share, rel=1e-9)
        assert of_total["share_low"] <= share <= of_total["share_high"]
        for each in (figure, of_total):
            assert set(each["input_obs_ids"].split(",")) == inputs
            assert (
                each["qualifier"] is None
                and each["parts_complete"] is not None
                and not each["parts_complete"]
            )


def test_shares_only_list_gives_100_minus_the_listed_shares_with_their_rounding():
    derived = _remainders(
        derive_quarter(
            frame(
                row("g", country_group="G", share="58.2"),
                row("a", country="Aland", country_iso3="ALA", share="64", part_of="g", parts_complete="no"),
                row("b", country="Bland", country_iso3="BLA", share="27.4", part_of="g", parts_complete="no"),
            )
        )
    )
    assert "drv_remainder_g_country" not in derived.index  # no value: the parts are shares only
    figure = derived.loc["drv_remainder_share_g_country"]
    assert float(figure["share"]) == pytest.approx(100 - 64 - 27.4)
    # 64 stands for [63.5, 64.5] and 27.4 for [27.35, 27.45]: the rest lies in [8.05, 9.15]
    assert (figure["share_low"], figure["share_high"]) == (pytest.approx(8.05), pytest.approx(9.15))
    assert figure["share_precision"] == 10  # wider than one point
    assert (figure["country_iso3"], figure["country"], figure["country_group"]) == (
        "ZZZ",
        "Other countries",
        "G",
    )
    assert figure["input_obs_ids"] == "g,a,b"


def test_sector_remainder_is_named_not_itemised_and_a_rounded_total_gives_an_interval():
    derived = _remainders(
        derive_quarter(
            frame(
                row("t", value="2.7 million"),
                row("s1", sector="Mining", value="1000000", part_of="t", parts_complete="no"),
                row("s2", sector="Trade", value="500000", part_of="t", parts_complete="no"),
            )
        )
    )
    figure, share = derived.loc["drv_remainder_t_sector"], derived.loc["drv_remainder_share_t_sector"]
    assert figure["sector"] == share["sector"] == "not itemised"
    assert float(figure["value"]) == 1_200_000
    assert (figure["value_low"], figure["value_high"]) == (1_150_000, 1_250_000)
    assert share["share_low"] == pytest.approx(100 * 1.15 / 2.75)
    assert share["share_high"] == pytest.approx(100 * 1.25 / 2.65)


@pytest.mark.parametrize(
    "extra, completeness",
    [
        ([], "yes"),  # the list is complete
        ([], None),  # completeness not stated: rounding alone could leave a rest
        (
            [
                row(
                    "o",
                    country="Other countries",
                    country_iso3="ZZZ",
                    value="100",
                    part_of="t",
                    parts_complete="no",
                )
            ],
            "no",
        ),  # the source itemised its remainder
        (
            [row("o", country="Other countries", country_iso3="ZZZ", value="100")],
            "no",
        ),  # stated, not as a part
    ],
)
def test_no_remainder_where_the_list_is_complete_or_the_rest_is_published(extra, completeness):
    derived = derive_quarter(
        frame(
            row("t", value="1000"),
            row(
                "a",
                country="Aland",
                country_iso3="ALA",
                value="600",
                part_of="t",
                parts_complete=completeness,
            ),
            row(
                "b",
                country="Bland",
                country_iso3="BLA",
                value="300",
                part_of="t",
                parts_complete=completeness,
            ),
            *extra,
        )
    )
    assert _remainders(derived).empty


def test_real_q1_cis_arrivals_not_itemised(real_q1):
    derived = _remainders(derive_quarter(real_q1))
    parts = real_q1[real_q1["part_of"] == "arr_2024q1_cis"]
    figure = derived.loc["drv_remainder_share_arr_2024q1_cis_country"]
    assert float(figure["share"]) == pytest.approx(100 - parts["share"].sum())
    half_widths = (parts["share_precision"] / 2).sum()
    assert figure["share_high"] - figure["share_low"] == pytest.approx(2 * half_widths)
    assert set(figure["input_obs_ids"].split(",")) == {"arr_2024q1_cis", *parts["obs_id"]}


@pytest.fixture(scope="module")
def real_q1() -> pd.DataFrame:
    from mtm_pipeline.checks.corrections import apply_corrections, load_corrections
    from mtm_pipeline_tests.conftest import CORRECTIONS, REPO
    from mtm_pipeline_tests.derive.conftest import conformed_quarter

    delivered = conformed_quarter(REPO / "data", QUARTER)
    return apply_corrections(delivered, load_corrections(CORRECTIONS, QUARTER))
