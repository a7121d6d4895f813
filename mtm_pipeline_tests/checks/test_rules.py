"""Each rule on small synthetic frames: a passing case, a failing case, and a case that agrees only within
rounding (which must pass). Frames are built like the conformed observations (numbers parsed from the
contract's notation with their precision)."""

from __future__ import annotations

import pandas as pd
import pytest

from mtm_pipeline.checks.rules import RULES, check_plausible_change, evaluate_rules, resolve_severities
from mtm_pipeline_tests.rows import conformed_row as row


def frame(*rows: dict) -> pd.DataFrame:
    df = pd.DataFrame(list(rows))
    df["rank"] = df["rank"].astype("Int64")
    df["parts_complete"] = df["parts_complete"].astype("boolean")
    df["cis_member"] = df["cis_member"].astype("boolean")
    return df


def results(findings, rule: str) -> list:
    return [f for f in findings if f.rule == rule]


def only(findings, rule: str):
    mine = results(findings, rule)
    assert len(mine) == 1, mine
    return mine[0]


# --- the registry ----------------------------------------------------------------------------------------


def test_rules_registry():
    assert list(RULES) == [
        "parts_sum_to_total",
        "shares_sum_to_100",
        "share_matches_ratio",
        "stated_change_matches",
        "group_totals_add_up",
        "subset_within_total",
        "quarters_agree_with_year",
        "country_group_matches_reference",
        "rank_matches_values",
        "plausible_change",
    ]
    assert all(spec.default_severity == "WARN" and spec.name == name for name, spec in RULES.items())


def test_severity_overrides():
    assert resolve_severities({"parts_sum_to_total": "error"})["parts_sum_to_total"] == "ERROR"
    assert resolve_severities({"plausible_change": "ERROR"})["plausible_change"] == "WARN"  # clamped
    with pytest.raises(ValueError, match="unknown rule"):
        resolve_severities({"no_such_rule": "ERROR"})
    with pytest.raises(ValueError, match="not one of"):
        resolve_severities({"parts_sum_to_total": "FATAL"})
    df = frame(
        row("t", value="10"),
        row("p1", value="6", part_of="t", category="a", parts_complete="yes"),
        row("p2", value="6", part_of="t", category="b", parts_complete="yes"),
    )
    finding = only(evaluate_rules(df, severities={"parts_sum_to_total": "ERROR"}), "parts_sum_to_total")
    assert not finding.passed and finding.severity == "ERROR"


def test_empty_frame_and_nothing_to_evaluate():
    assert evaluate_rules(frame(row("a", value="5"))) == []
    assert evaluate_rules(frame(row("a", value="5")), history=pd.DataFrame()) == []


# --- 1 parts_sum_to_total --------------------------------------------------------------------------------


def _breakdown(
    total: str, parts: list[str], complete: str = "yes", unit: str = "persons", dim: str = "category"
):
    return frame(
        row("t", value=total, unit=unit),
        *[
            row(f"p{i}", value=v, unit=unit, part_of="t", parts_complete=complete, **{dim: f"c{i}"})
            for i, v in enumerate(parts)
        ],
    )


def test_parts_sum_to_total_complete():
    ok = only(
        evaluate_rules(_breakdown("12882", ["565", "2671", "5871", "595", "564", "2616"])),
        "parts_sum_to_total",
    )
    assert ok.passed and ok.expected == "12,882" and ok.tolerance == "exact"
    bad = only(
        evaluate_rules(_breakdown("5745", ["2602", "2476", "358", "308", "135", "40", "26"])),
        "parts_sum_to_total",
    )
    assert not bad.passed
    assert bad.expected == "5,745" and bad.observed.startswith("5,945")
    assert bad.obs_ids == ("t", "p0", "p1", "p2", "p3", "p4", "p5", "p6")
    assert "gap of 200" in bad.message


def test_parts_sum_to_total_within_rounding():
    # 1.24 + 0.84 = 2.08 million; "2.1 million" stands for [2.05, 2.15] million
    ok = only(
        evaluate_rules(_breakdown("2.1 million", ["1.24 million", "0.84 million"], unit="USD")),
        "parts_sum_to_total",
    )
    assert ok.passed
    bad = only(
        evaluate_rules(_breakdown("2.1 million", ["1.34 million", "0.84 million"], unit="USD")),
        "parts_sum_to_total",
    )
    assert not bad.passed  # 2.18 million: beyond 2.15 even with the parts at their lowest (2.175)


def test_parts_sum_to_total_incomplete():
    assert only(evaluate_rules(_breakdown("100", ["40", "50"], complete="no")), "parts_sum_to_total").passed
    bad = only(evaluate_rules(_breakdown("100", ["60", "50"], complete="no")), "parts_sum_to_total")
    assert not bad.passed and bad.expected == "<= 100"


def test_parts_sum_to_total_skips_missing_values_and_single_subsets():
    df = _breakdown("100", ["40", "50"])
    df.loc[df.obs_id == "p1", ["value", "value_precision"]] = None
    assert results(evaluate_rules(df), "parts_sum_to_total") == []
    single = _breakdown("100", ["120"], complete="no")  # one listed subset: subset_within_total reports it
    findings = evaluate_rules(single)
    assert results(findings, "parts_sum_to_total") == []
    assert not only(findings, "subset_within_total").passed


def test_breakdowns_by_different_dimensions_are_separate():
    df = frame(
        row("t", value="100"),
        row("a", value="60", category="x", part_of="t", parts_complete="yes"),
        row("b", value="40", category="y", part_of="t", parts_complete="yes"),
        row("s", value="70", sector="S", part_of="t", parts_complete="no"),
        row("u", value="20", sector="U", part_of="t", parts_complete="no"),
    )
    found = results(evaluate_rules(df), "parts_sum_to_total")
    assert len(found) == 2 and all(f.passed for f in found)


# --- 2 shares_sum_to_100 ---------------------------------------------------------------------------------


def _shares(shares: list[str], complete: str = "yes"):
    return frame(
        row("t", value="1000"),
        *[
            row(f"s{i}", share=s, country=f"C{i}", part_of="t", parts_complete=complete)
            for i, s in enumerate(shares)
        ],
    )


def test_shares_sum_to_100():
    ok = only(
        evaluate_rules(_shares(["45.2", "39.6", "6.3", "5.3", "2.3", "0.7", "0.5"])), "shares_sum_to_100"
    )
    assert (
        ok.passed and ok.expected == "100" and ok.observed == "99.9 (+/- 0.35)" and ok.tolerance == "+/- 0.35"
    )
    bad = only(evaluate_rules(_shares(["58.2", "40.0"])), "shares_sum_to_100")
    assert not bad.passed  # 98.2 +/- 0.1


def test_shares_sum_to_100_within_rounding_and_incomplete():
    assert only(evaluate_rules(_shares(["34", "33", "32"])), "shares_sum_to_100").passed  # 99 +/- 1.5
    assert only(
        evaluate_rules(_shares(["64", "27.4", "2.3", "2"], complete="no")), "shares_sum_to_100"
    ).passed
    bad = only(evaluate_rules(_shares(["60", "45"], complete="no")), "shares_sum_to_100")
    assert not bad.passed and bad.expected == "<= 100"


# --- 3 share_matches_ratio -------------------------------------------------------------------------------


def _share_of(part: str, share: str, total: str, unit: str = "persons"):
    return frame(
        row("t", value=total, unit=unit),
        row("p", value=part, share=share, unit=unit, sector="S", part_of="t", parts_complete="no"),
    )


def test_share_matches_ratio():
    ok = only(evaluate_rules(_share_of("4326", "34", "12882")), "share_matches_ratio")  # 33.58 -> "34%"
    assert ok.passed and ok.expected.startswith("33.58 per cent")
    bad = only(evaluate_rules(_share_of("2476", "39.6", "5745")), "share_matches_ratio")
    assert not bad.passed
    assert (
        bad.expected.startswith("43.10 per cent")
        and bad.observed == "39.6 per cent (implies a value of [2,273, 2,277])"
    )
    assert bad.obs_ids == ("p", "t")


def test_share_matches_ratio_within_rounding_of_both_figures():
    # 16.6 / 476.9 = 3.48 per cent: "3" fits, "4" does not; with "1.08 billion" the total itself is an
    # interval
    assert only(
        evaluate_rules(_share_of("16.6 million", "3", "476.9 million", "USD")), "share_matches_ratio"
    ).passed
    assert not only(
        evaluate_rules(_share_of("16.6 million", "4", "476.9 million", "USD")), "share_matches_ratio"
    ).passed
    assert only(
        evaluate_rules(_share_of("312.8 million", "29", "1.08 billion", "USD")), "share_matches_ratio"
    ).passed


def test_share_without_value_is_not_a_ratio():
    df = frame(row("t", value="100"), row("p", share="40", country="X", part_of="t", parts_complete="no"))
    assert results(evaluate_rules(df), "share_matches_ratio") == []


# --- 4 stated_change_matches -----------------------------------------------------------------------------


def _change(value: str, base: str, change: str, unit: str, *, money: str = "persons"):
    return frame(
        row(
            "now",
            value=value,
            unit=money,
            period="2030-Q1",
            change=change,
            change_unit=unit,
            change_base_period="2029-Q4",
        ),
        row("before", value=base, unit=money, period="2029-Q4"),
    )


@pytest.mark.parametrize(
    ("value", "base", "change", "unit", "passed"),
    [
        ("2975788", "3405102", "-12.6", "percent", True),
        ("76.1 million", "70.7 million", "-7.6", "percent", False),  # sign wrong
        ("76.1 million", "70.7 million", "7.6", "percent", True),
        ("299.8 million", "476.9 million", "-51.8", "percent", False),
        ("11720", "18752", "-1.6", "times", True),  # 18752 / 11720 = 1.6
        ("11720", "18752", "-1.9", "times", False),
        ("300", "100", "3", "times", True),
        ("299.8 million", "476.9 million", "-177.1 million", "absolute", True),
        ("299.8 million", "476.9 million", "-170 million", "absolute", False),
        ("104821", "110000", "-1", "direction", True),
        ("104821", "100000", "-1", "direction", False),
    ],
)
def test_stated_change_matches(value, base, change, unit, passed):
    money = "USD" if "million" in value else "persons"
    finding = only(evaluate_rules(_change(value, base, change, unit, money=money)), "stated_change_matches")
    assert finding.passed is passed, finding
    assert finding.obs_ids == ("now", "before")


def test_stated_change_within_rounding_of_a_rounded_base():
    # 2,975,788 against "2.7 million" is +8.2 .. +12.3 per cent: "10% more" agrees
    finding = only(
        evaluate_rules(_change("2975788", "2.7 million", "10", "percent")), "stated_change_matches"
    )
    assert finding.passed and finding.expected == "[+8.21, +12.30] per cent"


def test_change_only_row_takes_the_value_of_its_natural_key():
    df = frame(
        row("now", value="883.5 million", unit="USD", period="2023", direction="out"),
        row(
            "now_abs",
            unit="USD",
            period="2023",
            direction="out",
            change="-201.5 million",
            change_unit="absolute",
            change_base_period="2022",
        ),
        row("before", value="1.08 billion", unit="USD", period="2022", direction="out"),
        row("other_direction", value="1 million", unit="USD", period="2022", direction="in"),
    )
    finding = only(evaluate_rules(df), "stated_change_matches")
    assert finding.passed and finding.obs_ids == ("now_abs", "before", "now")


def test_base_from_history_newest_delivery_wins():
    now = frame(
        row(
            "now",
            value="110",
            period="2030-Q2",
            change="10",
            change_unit="percent",
            change_base_period="2030-Q1",
            delivery_quarter="2030-Q2",
        )
    )
    history = frame(
        row("old", value="50", period="2030-Q1", delivery_quarter="2030-Q1"),
        row("revised", value="100", period="2030-Q1", delivery_quarter="2030-Q1b"),
    )
    history.loc[1, "delivery_quarter"] = "2030-Q3"  # a later delivery revised the 2030-Q1 figure
    finding = only(evaluate_rules(now, history), "stated_change_matches")
    assert finding.passed and "revised" in finding.obs_ids
    assert results(evaluate_rules(now), "stated_change_matches") == []  # no base: nothing to evaluate


def test_history_prefers_the_corrected_stage():
    now = frame(
        row(
            "now",
            value="110",
            period="2030-Q2",
            change="10",
            change_unit="percent",
            change_base_period="2030-Q1",
            delivery_quarter="2030-Q2",
        )
    )
    history = frame(row("b", value="50", period="2030-Q1"), row("b", value="100", period="2030-Q1"))
    history["stage"] = ["delivered", "corrected"]
    assert only(evaluate_rules(now, history), "stated_change_matches").passed


# --- 5 group_totals_add_up -------------------------------------------------------------------------------


def test_group_totals_add_up_values():
    df = frame(
        row("t", value="7964"),
        row("cis", value="5745", country_group="CIS", part_of="t", parts_complete="yes"),
        row("non", value="3799", country_group="non-CIS", part_of="t", parts_complete="yes"),
    )
    findings = evaluate_rules(df)
    bad = only(findings, "group_totals_add_up")
    assert not bad.passed and bad.obs_ids == ("t", "cis", "non")
    assert bad.expected == "7,964" and bad.observed.startswith("9,544")
    assert "non-CIS would be 2,219" in bad.message
    assert results(findings, "parts_sum_to_total") == []  # reported once, here
    df.loc[df.obs_id == "non", "value"] = 2219.0
    assert only(evaluate_rules(df), "group_totals_add_up").passed


def test_group_totals_add_up_shares():
    df = frame(
        row("t", value="2975788"),
        row("cis", share="58.2", country_group="CIS", part_of="t", parts_complete="yes"),
        row("non", share="41.8", country_group="non-CIS", part_of="t", parts_complete="yes"),
    )
    findings = evaluate_rules(df)
    assert only(findings, "group_totals_add_up").passed
    assert results(findings, "shares_sum_to_100") == []
    df.loc[df.obs_id == "non", "share"] = 40.8
    assert not only(evaluate_rules(df), "group_totals_add_up").passed


# --- 6 subset_within_total -------------------------------------------------------------------------------


def test_subset_within_total():
    df = frame(
        row("t", value="104821"),
        row("lab", value="100247", purpose="labour", part_of="t", parts_complete="no"),
    )
    assert only(evaluate_rules(df), "subset_within_total").passed
    df.loc[df.obs_id == "lab", "value"] = 104822.0
    bad = only(evaluate_rules(df), "subset_within_total")
    assert not bad.passed and bad.expected == "<= 104,821" and bad.observed == "104,822"


def test_subset_within_total_within_rounding():
    df = frame(
        row("t", value="2.7 million"),
        row("p", value="2740000", purpose="labour", part_of="t", parts_complete="no"),
    )
    assert only(evaluate_rules(df), "subset_within_total").passed  # "2.7 million" may be 2.75 million


def test_purpose_subset_without_part_of():
    df = frame(
        row("all", value="1000", measure="m2"), row("lab", value="1200", measure="m2", purpose="labour")
    )
    bad = only(evaluate_rules(df), "subset_within_total")
    assert not bad.passed and bad.obs_ids == ("lab", "all")
    df2 = frame(
        row("all", value="1000", measure="m2"), row("lab", value="1200", measure="m3", purpose="labour")
    )
    assert results(evaluate_rules(df2), "subset_within_total") == []  # another measure: not a subset


# --- 7 quarters_agree_with_year --------------------------------------------------------------------------


def _quarters(year_value: str, quarters: list[str], *, in_history: int = 0):
    rows = [row(f"q{i + 1}", value=v, period=f"2029-Q{i + 1}") for i, v in enumerate(quarters)]
    rows.append(row("y", value=year_value, period="2029"))
    history = [{**r, "delivery_quarter": "2029-Q4"} for r in rows[:in_history]]
    return frame(*rows[in_history:]), (frame(*history) if in_history else None)


def test_quarters_agree_with_year():
    now, _ = _quarters("1000", ["100", "200", "300", "400"])
    ok = only(evaluate_rules(now), "quarters_agree_with_year")
    assert ok.passed and ok.obs_ids == ("q1", "q2", "q3", "q4", "y")
    now, _ = _quarters("1100", ["100", "200", "300", "400"])
    assert not only(evaluate_rules(now), "quarters_agree_with_year").passed


def test_quarters_agree_with_year_within_rounding_and_with_history():
    now, _ = _quarters("1.0 thousand", ["100", "200", "300", "440"])  # 1,040 within [950, 1,050]
    assert only(evaluate_rules(now), "quarters_agree_with_year").passed
    now, history = _quarters("1000", ["100", "200", "300", "500"], in_history=3)
    assert not only(evaluate_rules(now, history), "quarters_agree_with_year").passed
    assert results(evaluate_rules(now), "quarters_agree_with_year") == []  # three quarters missing
    only_history = frame(row("other", value="5"))
    assert results(evaluate_rules(only_history, pd.concat([now, history])), "quarters_agree_with_year") == []


# --- 8 country_group_matches_reference -------------------------------------------------------------------


def test_country_group_matches_reference():
    df = frame(
        row("a", share="5", country="Ukraine", country_iso3="UKR", country_group="non-CIS", cis_member=False),
        row("b", share="5", country="Georgia", country_iso3="GEO", country_group="CIS", cis_member=False),
        row("c", share="5", country="Other countries", country_iso3="ZZZ", country_group="non-CIS"),
        row("d", share="5", country="Uzbekistan", country_iso3="UZB", cis_member=True),  # no group delivered
    )
    found = {f.obs_ids[0]: f for f in results(evaluate_rules(df), "country_group_matches_reference")}
    assert set(found) == {"a", "b"}
    assert found["a"].passed and not found["b"].passed
    assert found["b"].expected.startswith("non-CIS") and found["b"].observed == "CIS"


# --- 9 rank_matches_values -------------------------------------------------------------------------------


def _ranked(values: list[str], ranks: list[int]):
    return frame(
        *[
            row(f"r{i}", value=v, rank=r, country=f"C{i}", period="2029")
            for i, (v, r) in enumerate(zip(values, ranks))
        ]
    )


def test_rank_matches_values():
    ok = only(evaluate_rules(_ranked(["11720", "2283", "452"], [1, 2, 3])), "rank_matches_values")
    assert ok.passed
    bad = only(evaluate_rules(_ranked(["211", "210", "452"], [1, 2, 3])), "rank_matches_values")
    assert not bad.passed and "C2 is ranked 3 with 452" in bad.message


def test_rank_within_rounding_and_ties():
    assert only(
        evaluate_rules(_ranked(["2.1 million", "2.14 million"], [1, 2])), "rank_matches_values"
    ).passed
    assert only(evaluate_rules(_ranked(["210", "210"], [1, 2])), "rank_matches_values").passed


def test_rank_values_from_history_and_skipped_without_values():
    now = frame(
        row("r1", rank=1, country="A", country_iso3="AAA", delivery_quarter="2030-Q2"),
        row("r2", rank=2, country="B", country_iso3="BBB", delivery_quarter="2030-Q2"),
    )
    assert results(evaluate_rules(now), "rank_matches_values") == []
    history = frame(
        row("h1", value="10", country="A (old spelling)", country_iso3="AAA"),
        row("h2", value="20", country="B", country_iso3="BBB"),
    )
    bad = only(evaluate_rules(now, history), "rank_matches_values")
    assert not bad.passed and set(bad.obs_ids) == {"r1", "r2", "h1", "h2"}


# --- 10 plausible_change ---------------------------------------------------------------------------------


def _totals(now: str, previous: str | None = None, last_year: str | None = None):
    rows = [row("now", value=now, period="2030-Q2", delivery_quarter="2030-Q2")]
    if previous:
        rows.append(row("prev", value=previous, period="2030-Q1", delivery_quarter="2030-Q1"))
    if last_year:
        rows.append(row("ly", value=last_year, period="2029-Q2", delivery_quarter="2029-Q2"))
    return frame(rows[0]), frame(*rows[1:])


def test_plausible_change():
    now, history = _totals("4001714", previous="2975788")
    ok = only(evaluate_rules(now, history), "plausible_change")
    assert ok.passed and ok.observed.startswith("+34.48 per cent")
    now, history = _totals("4800000", previous="2975788", last_year="4700000")
    qoq, yoy = results(
        evaluate_rules(now, history, severities={"plausible_change": "ERROR"}), "plausible_change"
    )
    assert not qoq.passed and qoq.severity == "WARN"  # never ERROR
    assert yoy.passed and "year-on-year" in yoy.subject


def test_plausible_change_within_rounding_and_threshold_parameter():
    # +48.8 .. +56.4 per cent: not certainly beyond 50
    now, history = _totals("3050000", previous="2.0 million")
    assert only(evaluate_rules(now, history), "plausible_change").passed
    assert not check_plausible_change(now, history, threshold=40)[0].passed
    country = frame(row("c", value="10", country="X", period="2030-Q2"))
    assert (
        results(
            evaluate_rules(country, frame(row("c0", value="1", country="X", period="2030-Q1"))),
            "plausible_change",
        )
        == []
    )
