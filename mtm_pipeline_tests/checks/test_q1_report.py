"""The rules on the real 2024-Q1 delivery: exactly the contradictions found by reading the published
report fail, and figures known to agree within rounding pass."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from mtm_pipeline.checks.rules import evaluate_rules
from mtm_pipeline.conform import conform
from mtm_pipeline.countries import country_mapper
from mtm_pipeline.ingest import read_validated_extract
from mtm_pipeline.settings import DataPaths
from mtm_pipeline.sources import SOURCES

DATA = Path(__file__).resolve().parents[2] / "data"

# The contradictions of the published Q1 2024 report, found by hand (rule, obs_ids involved).
EXPECTED_FAILURES: list[tuple[str, tuple[str, ...]]] = [
    # Section 4: CIS 5,745 + non-CIS 3,799 = 9,544, not the 7,964 total.
    ("group_totals_add_up", ("prp_2024q1_total", "prp_2024q1_cis", "prp_2024q1_noncis")),
    # Section 4.1: the seven CIS countries sum to 5,945, not 5,745 (Russian Federation 2,476 vs 39.6 %).
    (
        "parts_sum_to_total",
        (
            "prp_2024q1_cis",
            "prp_2024q1_cis_uzb",
            "prp_2024q1_cis_rus",
            "prp_2024q1_cis_kgz",
            "prp_2024q1_cis_tjk",
            "prp_2024q1_cis_aze",
            "prp_2024q1_cis_blr",
            "prp_2024q1_cis_arm",
        ),
    ),
    ("share_matches_ratio", ("prp_2024q1_cis_rus", "prp_2024q1_cis")),  # 39.6 % vs 2,476 / 5,745 = 43.1 %
    ("share_matches_ratio", ("prp_2024q1_cis_uzb", "prp_2024q1_cis")),  # 45.2 % vs 45.29 %
    ("share_matches_ratio", ("prp_2024q1_cis_kgz", "prp_2024q1_cis")),  # 6.3 % vs 6.23 %
    ("share_matches_ratio", ("prp_2024q1_cis_tjk", "prp_2024q1_cis")),  # 5.3 % vs 5.36 %
    # Section 4.2: every non-CIS country share contradicts the 3,799 base (they imply ~2,211-2,215).
    *[
        ("share_matches_ratio", (f"prp_2024q1_noncis_{c}", "prp_2024q1_noncis"))
        for c in ("chn", "mng", "tur", "geo", "ukr", "tkm", "deu", "irn")
    ],
    # Table 2: Georgia 70.7 -> 76.1 million is +7.6 %, printed -7.6.
    ("stated_change_matches", ("rem_out_2023_geo", "rem_out_2022_geo")),
    # Section 7.2: 299.8 vs 476.9 million is -37.1 %, printed -51.8 %.
    ("stated_change_matches", ("rem_in_2023_total", "rem_in_2022_total")),
    # Table 3: Kyrgyzstan 2022/2023 cells swapped: variance -78.5 % and both shares contradict the values.
    ("stated_change_matches", ("rem_in_2023_kgz", "rem_in_2022_kgz")),
    ("share_matches_ratio", ("rem_in_2022_kgz", "rem_in_2022_total")),
    ("share_matches_ratio", ("rem_in_2023_kgz", "rem_in_2023_total")),
    # Table 3: Türkiye 2022 16.6 of 476.9 million is 3.48 %, printed 4 % (double rounding 3.48 -> 3.5 -> 4).
    ("share_matches_ratio", ("rem_in_2022_tur", "rem_in_2022_total")),
]


def load_quarter(quarter: str) -> pd.DataFrame:
    paths = DataPaths(DATA.absolute())
    extracts = [read_validated_extract(paths, quarter, spec) for spec in SOURCES.values()]
    staged = pd.concat([e.rows for e in extracts if e is not None])
    return conform(staged, country_mapper())


@pytest.fixture(scope="module")
def delivered() -> pd.DataFrame:
    return load_quarter("2024-Q1")


@pytest.fixture(scope="module")
def findings(delivered):
    return evaluate_rules(delivered)


def failures(findings) -> set[tuple[str, frozenset[str]]]:
    return {(f.rule, frozenset(f.obs_ids)) for f in findings if not f.passed}


def find(findings, rule: str, *obs_ids: str):
    """The finding of `rule` about obs_ids[0] that involves all of `obs_ids`."""
    matches = [
        f
        for f in findings
        if f.rule == rule and f.obs_ids[0] == obs_ids[0] and set(obs_ids) <= set(f.obs_ids)
    ]
    assert len(matches) == 1, (rule, obs_ids, matches)
    return matches[0]


def test_exactly_the_known_contradictions_fail(findings):
    expected = {(rule, frozenset(ids)) for rule, ids in EXPECTED_FAILURES}
    assert len(expected) == len(EXPECTED_FAILURES) == 20
    assert failures(findings) == expected


def test_every_failure_is_a_warning_with_figures(findings):
    for f in findings:
        assert f.severity == "WARN"
        assert f.subject and f.message and f.expected and f.observed
        assert f.source in SOURCES


def test_figures_known_to_agree_pass(findings):
    categories = find(findings, "parts_sum_to_total", "fw_2024q1_total", "fw_2024q1_cat_first")
    assert categories.passed and categories.expected == "12,882"
    arrivals = find(findings, "stated_change_matches", "arr_2024q1_total", "arr_2023q4_total")
    assert arrivals.passed and arrivals.observed == "-12.6 per cent"
    assert find(findings, "stated_change_matches", "arr_2024q1_total_vs_2023q1", "arr_2023q1_total").passed
    assert find(findings, "stated_change_matches", "dep_2024q1_total", "dep_2023q4_total").passed
    for sector in ("construction", "manufacturing", "mining", "professional", "agriculture"):  # Table 1
        assert find(findings, "share_matches_ratio", f"fw_2024q1_sector_{sector}").passed
    for country in ("chn", "ind", "tur", "uzb"):
        assert find(findings, "share_matches_ratio", f"fw_2024q1_{country}").passed
    assert find(
        findings, "group_totals_add_up", "arr_2024q1_total", "arr_2024q1_noncis"
    ).passed  # 58.2 + 41.8
    assert find(
        findings, "group_totals_add_up", "dep_2024q1_total", "dep_2024q1_noncis"
    ).passed  # 62.7 + 37.3
    assert find(
        findings, "shares_sum_to_100", "prp_2024q1_cis_uzb", "prp_2024q1_cis_arm"
    ).passed  # 99.9 within +/- 0.35
    assert find(findings, "stated_change_matches", "rem_out_2023_total", "rem_out_2022_total").passed  # -18.6
    assert find(findings, "stated_change_matches", "rem_out_2023_total_abs_change").passed  # -201.5 million
    assert find(findings, "stated_change_matches", "rem_in_2023_total_abs_change").passed  # -177.1 million
    for country in ("rus", "tur", "uzb", "kgz", "chn"):  # Table 2 variances other than Georgia
        assert find(findings, "stated_change_matches", f"rem_out_2023_{country}").passed
    for country in (
        "rus",
        "usa",
        "deu",
        "kor",
        "tur",
        "are",
        "uzb",
    ):  # Table 3 variances other than Kyrgyzstan
        assert find(findings, "stated_change_matches", f"rem_in_2023_{country}").passed
    assert find(findings, "rank_matches_values", "emi_2023_rus", "emi_2023_isr").passed
    assert find(
        findings, "share_matches_ratio", "prp_2024q1_cis_aze"
    ).passed  # 2.3 % vs 2.3499 %: at the edge
    assert all(f.passed for f in findings if f.rule == "country_group_matches_reference")
    assert all(f.passed for f in findings if f.rule == "subset_within_total")
    assert all(f.passed for f in findings if f.rule == "plausible_change")


def test_later_history_changes_nothing_in_q1(delivered, findings):
    later = load_quarter("2024-Q2")
    assert failures(evaluate_rules(delivered, later)) == failures(findings)
