"""Rankings the report names an order from: of per cent changes (the largest increases and declines) and of
the countries of all CIS / non-CIS groups together."""

from __future__ import annotations

import pandas as pd

from mtm_pipeline.derive import derive_quarter
from mtm_pipeline_tests.rows import conformed_row as row


def frame(*rows: dict) -> pd.DataFrame:
    return pd.DataFrame(list(rows))


def _ranks(derived: pd.DataFrame, derivation: str) -> dict[str, tuple[int, str | None]]:
    found = derived[derived["derivation"] == derivation]
    return {r.obs_id: (int(r.rank), r.qualifier) for r in found.itertuples()}


def by_country(period: str, quarter: str, values: dict[str, str], **total) -> list[dict]:
    rows = [row(f"t_{period}", delivery_quarter=quarter, period=period, **total)]
    for iso, value in values.items():
        rows.append(
            row(
                f"{iso.lower()}_{period}",
                delivery_quarter=quarter,
                period=period,
                country_iso3=iso,
                value=value,
                part_of=f"t_{period}",
                parts_complete="yes",
            )
        )
    return rows


def test_changes_are_ranked_largest_increase_and_largest_decline_first():
    now = by_country(
        "2030-Q1", "2030-Q1", {"AAA": "150", "BBB": "90", "CCC": "120", "DDD": "40"}, value="400"
    )
    before = by_country(
        "2029-Q4", "2029-Q4", {"AAA": "100", "BBB": "100", "CCC": "100", "DDD": "100"}, value="400"
    )
    derived = derive_quarter(frame(*now), frame(*before))
    increases = _ranks(derived, "increase_rank")
    declines = _ranks(derived, "decline_rank")
    # changes +50, -10, +20, -60 per cent
    assert increases == {
        "drv_increase_rank_aaa_2030-Q1_vs_2029q4": (1, None),
        "drv_increase_rank_ccc_2030-Q1_vs_2029q4": (2, None),
        "drv_increase_rank_bbb_2030-Q1_vs_2029q4": (3, None),
        "drv_increase_rank_ddd_2030-Q1_vs_2029q4": (4, None),
    }
    assert declines["drv_decline_rank_ddd_2030-Q1_vs_2029q4"] == (1, None)
    assert declines["drv_decline_rank_bbb_2030-Q1_vs_2029q4"] == (2, None)
    row_ = derived.set_index("obs_id").loc["drv_increase_rank_aaa_2030-Q1_vs_2029q4"]
    assert row_["change_base_period"] == "2029-Q4" and row_["part_of"] == "t_2030-Q1"
    assert "2029-Q4/aaa_2029-Q4" in row_["input_obs_ids"]


def test_published_changes_are_ranked_at_their_precision():
    """Published per cent changes of -59.4 and -59.4 cannot be ordered: rank_uncertain; a third is certain."""
    rows = [row("t", value="100")]
    for iso, change in (("AAA", "-59.4"), ("BBB", "-59.4"), ("CCC", "7.8")):
        rows.append(
            row(
                iso.lower(),
                country_iso3=iso,
                value="10",
                part_of="t",
                change=change,
                change_unit="percent",
                change_base_period="2029",
            )
        )
    derived = derive_quarter(frame(*rows))
    declines = _ranks(derived, "decline_rank")
    assert declines["drv_decline_rank_aaa_vs_2029"] == (1, "named_countries_only,rank_uncertain")
    assert declines["drv_decline_rank_bbb_vs_2029"] == (1, "named_countries_only,rank_uncertain")
    assert declines["drv_decline_rank_ccc_vs_2029"] == (3, "named_countries_only")
    assert _ranks(derived, "increase_rank")["drv_increase_rank_ccc_vs_2029"] == (1, "named_countries_only")


def test_countries_of_both_groups_are_ranked_together():
    rows = [
        row("t", value="1000"),
        row("cis", country_group="CIS", value="600", part_of="t", parts_complete="yes"),
        row("non", country_group="non-CIS", value="400", part_of="t", parts_complete="yes"),
        row("uzb", country_iso3="UZB", country_group="CIS", value="350", part_of="cis", parts_complete="yes"),
        row("rus", country_iso3="RUS", country_group="CIS", value="250", part_of="cis", parts_complete="yes"),
        row(
            "chn",
            country_iso3="CHN",
            country_group="non-CIS",
            value="300",
            part_of="non",
            parts_complete="no",
        ),
        row(
            "zzz", country_iso3="ZZZ", country_group="non-CIS", share="25", part_of="non", parts_complete="no"
        ),
    ]
    ranks = _ranks(derive_quarter(frame(*rows)), "all_countries_rank")
    assert ranks == {
        "drv_rank_all_uzb": (1, "named_countries_only"),
        "drv_rank_all_chn": (2, "named_countries_only"),
        "drv_rank_all_rus": (3, "named_countries_only"),
    }


def test_countries_without_values_in_two_groups_are_not_ranked_together():
    """Shares of two groups' totals do not compare: no all_countries_rank."""
    rows = [
        row("t", value="1000"),
        row("cis", country_group="CIS", share="60", part_of="t", parts_complete="yes"),
        row("non", country_group="non-CIS", share="40", part_of="t", parts_complete="yes"),
        row("uzb", country_iso3="UZB", country_group="CIS", share="70", part_of="cis", parts_complete="yes"),
        row("rus", country_iso3="RUS", country_group="CIS", share="30", part_of="cis", parts_complete="yes"),
        row(
            "chn",
            country_iso3="CHN",
            country_group="non-CIS",
            share="100",
            part_of="non",
            parts_complete="yes",
        ),
    ]
    assert _ranks(derive_quarter(frame(*rows)), "all_countries_rank") == {}


def test_countries_of_the_total_itself_are_ranked_by_rank_only():
    """A total broken down by country directly: its rank is the order of all countries, nothing more."""
    rows = by_country("2030-Q1", "2030-Q1", {"AAA": "150", "BBB": "90"}, value="400")
    derived = derive_quarter(frame(*rows))
    assert _ranks(derived, "all_countries_rank") == {}
    assert _ranks(derived, "rank") == {"drv_rank_aaa_2030-Q1": (1, None), "drv_rank_bbb_2030-Q1": (2, None)}
