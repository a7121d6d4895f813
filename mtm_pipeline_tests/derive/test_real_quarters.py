"""On the real 2024-Q1 and 2024-Q2 deliveries no derived figure restates a published one."""

from __future__ import annotations

import pandas as pd
import pytest

from mtm_pipeline.checks.corrections import apply_corrections, load_corrections
from mtm_pipeline.derive import derive_quarter
from mtm_pipeline_tests.conftest import CORRECTIONS, REPO
from mtm_pipeline_tests.derive.conftest import conformed_quarter

DIMS = ["direction", "purpose", "category", "sector", "education", "age_group"]


@pytest.fixture(scope="module")
def corrected() -> dict[str, pd.DataFrame]:
    out = {}
    for quarter in ("2024-Q1", "2024-Q2"):
        delivered = conformed_quarter(REPO / "data", quarter)
        out[quarter] = apply_corrections(delivered, load_corrections(CORRECTIONS, quarter))
    return out


def _identity(frame: pd.DataFrame) -> pd.Series:
    """measure, period and dimensions as one string; the group counts only for a row without a country."""
    country = frame["country_iso3"].fillna(frame["country"])
    group = frame["country_group"].where(country.isna())
    parts = [frame["measure"], frame["period"], country, group, *(frame[d] for d in DIMS)]
    return pd.concat([p.fillna("-").astype(str) for p in parts], axis=1).agg("|".join, axis=1)


@pytest.mark.parametrize("quarter", ["2024-Q1", "2024-Q2"])
def test_no_derived_figure_duplicates_a_published_one(corrected, quarter):
    published = corrected[quarter]
    history = pd.concat(corrected.values(), ignore_index=True)
    derived = derive_quarter(published, history)
    assert not derived.empty
    published = published.assign(identity=_identity(published))
    derived = derived.assign(identity=_identity(derived))
    everything = (
        pd.concat([published, derived], ignore_index=True).drop_duplicates("obs_id").set_index("obs_id")
    )

    def denominators(frame: pd.DataFrame) -> pd.Series:
        return frame["part_of"].map(everything["identity"])

    published = published.assign(denominator=denominators(published))
    derived = derived.assign(denominator=denominators(derived))
    for facet, extra in (("value", []), ("share", ["denominator"]), ("rank", [])):
        stated = published[published[facet].notna()]
        made = derived[derived[facet].notna()]
        clash = made.merge(stated, on=["identity", *extra])
        if facet == "rank":  # a rank is within the stated group
            clash = clash[clash["country_group_x"].fillna("-") == clash["country_group_y"].fillna("-")]
        assert clash.empty, clash[["obs_id_x", "obs_id_y"]]
    stated = published[published["change_unit"].isin(["percent", "times"])]
    clash = derived[derived["change"].notna()].merge(stated, on=["identity", "change_base_period"])
    assert clash.empty, clash[["obs_id_x", "obs_id_y"]]


def test_a_published_share_of_a_published_group_is_not_recomputed(corrected):
    derived = derive_quarter(corrected["2024-Q1"])
    # PRP by country: counts and shares of the CIS / non-CIS totals were published (Section 4.1)
    assert (
        not derived["obs_id"]
        .isin(["drv_share_prp_2024q1_cis_uzb", "drv_share_in_group_prp_2024q1_cis_uzb"])
        .any()
    )
    # the CIS and non-CIS PRP totals were published, their shares of all PRPs were not
    shares = derived.set_index("obs_id")
    assert float(shares.loc["drv_share_prp_2024q1_cis", "share"]) == pytest.approx(
        100 * 5745 / 7964, abs=5e-4
    )
