"""Each derivation against a direct computation on a counts-only quarter (pandas arithmetic written here,
independently of mtm_pipeline.derive)."""

from __future__ import annotations

import pandas as pd
import pytest

from mtm_pipeline.derive import derive_quarter

QUARTER = "2024-Q1"


@pytest.fixture(scope="module")
def history(counts_only) -> pd.DataFrame:
    return pd.concat([f for q, f in counts_only.items() if q != QUARTER], ignore_index=True)


@pytest.fixture(scope="module")
def derived(counts_only, history) -> pd.DataFrame:
    return derive_quarter(counts_only[QUARTER], history)


@pytest.fixture(scope="module")
def own(counts_only) -> pd.DataFrame:
    return counts_only[QUARTER]


def _by_id(derived: pd.DataFrame, kind: str) -> pd.DataFrame:
    return derived[derived["derivation"] == kind].set_index("obs_id")


def test_shares_of_totals(own, derived):
    parts = own[own["part_of"].notna() & own["value"].notna()]
    totals = own.set_index("obs_id")["value"]
    expected = 100 * parts["value"].to_numpy() / totals.loc[parts["part_of"]].to_numpy()
    got = _by_id(derived, "share_of_total")
    assert len(got) == len(parts) > 50
    for obs_id, share in zip(parts["obs_id"], expected, strict=True):
        row = got.loc[f"drv_share_{obs_id}"]
        assert float(row["share"]) == pytest.approx(share, rel=1e-9)
        assert row["share_low"] <= share <= row["share_high"]
        assert row["input_obs_ids"].split(",") == [obs_id, row["part_of"]]


def _country_parts(own: pd.DataFrame, total_id: str) -> pd.DataFrame:
    return own[(own["part_of"] == total_id) & own["country"].notna()]


def test_group_totals_exact_where_every_membership_is_known(own, derived):
    groups = _by_id(derived, "group_total")
    for total_id in ("arr_2024q1_total", "dep_2024q1_total", "prp_2024q1_total"):
        parts = _country_parts(own, total_id)
        # membership: dated CIS membership, else the group the remainder was delivered in
        group = parts["cis_member"].map({True: "CIS", False: "non-CIS"}).fillna(parts["country_group"])
        assert group.notna().all()
        sums = parts.groupby(group)["value"].sum()
        total = float(own.set_index("obs_id").loc[total_id, "value"])
        assert sums.sum() == total
        for name, slug in (("CIS", "cis"), ("non-CIS", "noncis")):
            row = groups.loc[f"drv_{slug}_{total_id}"]
            assert row["qualifier"] is None and row["country_group"] == name
            assert float(row["value"]) == sums[name] == row["value_low"] == row["value_high"]
            share = _by_id(derived, "group_share").loc[f"drv_{slug}_share_{total_id}"]
            assert float(share["share"]) == pytest.approx(100 * sums[name] / total, abs=5e-4)


def test_group_totals_over_named_countries_where_a_remainder_hides_membership(own, derived):
    groups = _by_id(derived, "group_total")
    parts = _country_parts(own, "rem_out_2024q1_total")
    assert (parts["country_iso3"] == "ZZZ").sum() == 1  # 'Other countries', delivered without a group
    named_cis = parts.loc[parts["cis_member"].eq(True), "value"]
    row = groups.loc["drv_cis_rem_out_2024q1_total"]
    assert row["qualifier"] == "named_countries_only"
    assert float(row["value"]) == pytest.approx(named_cis.sum())
    # money in millions at 0.1 million: the interval is the sum of the parts' rounding intervals
    assert row["value_high"] - row["value_low"] == pytest.approx(len(named_cis) * 100_000)


def test_shares_within_groups(own, derived):
    parts = _country_parts(own, "arr_2024q1_total")
    cis = parts[parts["cis_member"].eq(True)]
    got = _by_id(derived, "share_within_group")
    for row in cis.itertuples():
        share = got.loc[f"drv_share_in_group_{row.obs_id}"]
        assert share["part_of"] == "drv_cis_arr_2024q1_total"
        assert float(share["share"]) == pytest.approx(100 * row.value / cis["value"].sum(), abs=5e-4)
    shares = got[got.index.isin("drv_share_in_group_" + cis["obs_id"])]["share"].astype(float)
    assert shares.sum() == pytest.approx(100, abs=0.01)


def test_ranks_within_breakdowns_and_groups(own, derived):
    parts = _country_parts(own, "dep_2024q1_total")
    expected = parts.set_index("obs_id")["value"].rank(method="min", ascending=False).astype(int)
    ranks = _by_id(derived, "rank")["rank"]
    for obs_id, rank in expected.items():
        assert ranks.loc[f"drv_rank_{obs_id}"] == rank
    non = parts[parts["cis_member"].eq(False)].set_index("obs_id")["value"]
    for obs_id, rank in non.rank(method="min", ascending=False).astype(int).items():
        assert ranks.loc[f"drv_rank_in_group_{obs_id}"] == rank
    top = derived[(derived["obs_id"] == f"drv_rank_in_group_{non.idxmax()}")]
    assert top["country_group"].item() == "non-CIS" and top["qualifier"].item() is None


def test_changes_against_previous_quarter_and_year_earlier(own, history, derived):
    keys = ["measure", "direction", "country_iso3", "purpose", "category", "sector", "education", "age_group"]
    changes = _by_id(derived, "change")
    for base_quarter in ("2023-Q4", "2023-Q1"):
        base = history[(history["period"] == base_quarter) & history["value"].notna()]
        now = own[(own["period"] == QUARTER) & own["value"].notna()]
        merged = now.merge(base, on=keys, suffixes=("", "_base"))
        merged = merged[merged["country"].isna() == merged["country_base"].isna()]
        assert len(merged) > 50
        for row in merged.itertuples():
            change = changes.loc[f"drv_change_{row.obs_id}_vs_{base_quarter.lower().replace('-', '')}"]
            assert float(change["change"]) == pytest.approx(100 * (row.value / row.value_base - 1), abs=5e-5)
            assert change["change_base_period"] == base_quarter and change["change_unit"] == "percent"


def test_stock_change_against_the_previous_date_delivered(own, derived):
    change = _by_id(derived, "change").loc["drv_change_fw_20240401_total_vs_20240101"]
    assert change["period"] == "2024-04-01" and change["change_base_period"] == "2024-01-01"
    assert change["input_obs_ids"] == "fw_20240401_total,2023-Q4/fw_20240101_total"


def test_group_change_uses_the_earlier_quarters_derived_group(counts_only, history):
    earlier = derive_quarter(counts_only["2023-Q4"], history)
    derived = derive_quarter(counts_only[QUARTER], history, earlier)
    own, base = counts_only[QUARTER], counts_only["2023-Q4"]
    cis_now = own[(own["part_of"] == "arr_2024q1_total") & own["cis_member"].eq(True)]["value"].sum()
    cis_then = base[(base["part_of"] == "arr_2023q4_total") & base["cis_member"].eq(True)]["value"].sum()
    change = derived.set_index("obs_id").loc["drv_change_drv_cis_arr_2024q1_total_vs_2023q4"]
    assert change["country_group"] == "CIS"
    assert float(change["change"]) == pytest.approx(100 * (cis_now / cis_then - 1), abs=5e-5)


def test_year_as_the_sum_of_its_quarters(counts_only, history):
    q4 = derive_quarter(counts_only["2023-Q4"], history)
    years = q4[q4["derivation"] == "year_sum"].set_index("obs_id")
    frames = pd.concat(counts_only.values(), ignore_index=True)
    emigrants = frames[(frames["obs_id"].str.match(r"emi_2023q\d_total$"))]
    assert len(emigrants) == 4
    row = years.loc["drv_year_2023_emi_2023q4_total"]
    assert row["period"] == "2023" and row["period_kind"] == "year"
    assert float(row["value"]) == emigrants["value"].sum()
    assert sorted(row["input_obs_ids"].split(",")) == sorted(
        [
            "emi_2023q4_total",
            "2023-Q1/emi_2023q1_total",
            "2023-Q2/emi_2023q2_total",
            "2023-Q3/emi_2023q3_total",
        ]
    )


def test_obs_ids_unique_and_every_figure_has_inputs(derived):
    assert derived["obs_id"].is_unique
    assert (derived["stage"] == "derived").all() and (derived["delivery_quarter"] == QUARTER).all()
    assert derived["input_obs_ids"].str.len().gt(0).all()
    facets = derived[["value", "share", "change", "rank"]].notna().sum(axis=1)
    assert (facets == 1).all()  # one figure per row


def test_later_deliveries_do_not_change_a_quarter(counts_only, history):
    without_later = derive_quarter(counts_only["2023-Q4"], history[history["delivery_quarter"] < "2023-Q4"])
    with_later = derive_quarter(counts_only["2023-Q4"], pd.concat(counts_only.values(), ignore_index=True))
    columns = ["obs_id", "value", "share", "change", "rank", "qualifier", "input_obs_ids"]
    pd.testing.assert_frame_equal(without_later[columns], with_later[columns])


def test_year_of_a_derived_group_total(counts_only, history):
    derived = None
    for quarter in ("2023-Q1", "2023-Q2", "2023-Q3", "2023-Q4"):
        made = derive_quarter(counts_only[quarter], history, derived)
        derived = made if derived is None else pd.concat([derived, made], ignore_index=True)
    row = derived.set_index("obs_id").loc["drv_year_2023_drv_noncis_dep_2023q4_total"]
    frames = pd.concat(counts_only.values(), ignore_index=True)
    departures = frames[frames["obs_id"].str.match(r"dep_2023q\d_[a-z]{3}$") & frames["cis_member"].eq(False)]
    assert set(departures["period"]) == {"2023-Q1", "2023-Q2", "2023-Q3", "2023-Q4"}
    assert row["country_group"] == "non-CIS" and row["period"] == "2023" and row["qualifier"] is None
    assert float(row["value"]) == departures["value"].sum()
    assert len(row["input_obs_ids"].split(",")) == len(departures)
