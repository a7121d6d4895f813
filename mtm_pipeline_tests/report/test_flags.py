"""Figures a failed check of the corrected stage is about, left as published: marked with a double dagger
and footnoted with the check, what it expected and what it observed; every other figure is not marked."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from mtm_pipeline.report.compose import QuarterlySource, compose_quarterly
from mtm_pipeline.report.document import FN_PATTERN, Footnotes, TableBlock
from mtm_pipeline.report.facts import FactStore
from mtm_pipeline.report.figures_data import Selector
from mtm_pipeline.report.format import FLAGGED_MARK
from mtm_pipeline.report.narrative import Writer, comparison_parts, ranking_sentence
from mtm_pipeline.report.render_markdown import render_markdown
from mtm_pipeline_tests.report import (
    Q1_CORRECTED_FINDINGS,
    check_row,
    frame,
    observations_for,
    q1_corrected_findings,
)
from mtm_pipeline_tests.report.test_report_numbers import check_narrative

FACET = {"share_matches_ratio": "share", "stated_change_matches": "change"}
STATED_CHANGE = next(f for f in Q1_CORRECTED_FINDINGS if f[1] == "stated_change_matches")


def compose(obs: pd.DataFrame, check_results: pd.DataFrame, quarter: str = "2024-Q1"):
    store = FactStore.from_observations(obs, None, check_results)
    doc, _ = compose_quarterly(QuarterlySource(quarter, store, check_results, pd.DataFrame()))
    return doc, render_markdown(doc)


def body(md: str) -> str:
    """Key findings to the annexes (the methodology's legend names the mark without marking a figure)."""
    return md[md.index("## II. Key Findings") : md.index("## Annex A")]


def footnote(md: str, ref: str) -> str:
    return re.search(rf"^\[\^{ref}\]: (.*)$", md, re.MULTILINE).group(1)


@pytest.fixture(scope="module")
def q1_obs():
    return observations_for("2024-Q1")


def test_a_failed_stated_change_marks_the_change_in_the_key_findings_and_the_section(q1_obs):
    _, md = compose(q1_obs, pd.DataFrame([check_row(*STATED_CHANGE)]))
    found = re.findall(r"51\.8\u2021\[\^(\d+)\] per cent", body(md))
    assert len(found) == 2 and len(set(found)) == 1  # key finding 7 and section 7.2, one footnote
    assert "transfers to Kazakhstan declined by 51.8\u2021[^" in md
    assert "compared to 2022 was 51.8\u2021[^" in md
    note = footnote(md, found[0])
    assert note == (
        "Inconsistent with other published figures, left as published (rem\\_in\\_2023\\_total, change): "
        "stated\\_change\\_matches expected \\[-37.16, -37.11\\] per cent, observed -51.8 per cent; "
        "see Annex A."
    )
    assert body(md).count(FLAGGED_MARK) == 2  # nothing else is marked
    checked, problems = check_narrative(md, q1_obs, {("rem_in_2023_total", "change")})
    assert problems == [] and checked >= 120


def test_every_figure_of_the_q1_corrected_findings_is_marked_and_only_those(q1_obs):
    doc, md = compose(q1_obs, q1_corrected_findings())
    flagged = {(ids.split(",")[0], FACET[rule]) for _, rule, ids, *_ in Q1_CORRECTED_FINDINGS}
    checked, problems = check_narrative(md, q1_obs, flagged)
    assert problems == [] and checked >= 120
    text = body(md)
    for share in ("45.2", "6.3", "5.3", "33.4"):  # the PRP shares of section 4
        assert re.search(rf"\b{re.escape(share)}\u2021\[\^\d+\] per cent", text), share
    assert "share\\_matches\\_ratio expected 45.29 per cent (2,602 / 5,745), observed 45.2 per cent" in md
    # the 2022 share of Türkiye is in Table 3 only: the cell is marked and the table's note names the check
    table = next(
        b.table for b in doc.blocks if isinstance(b, TableBlock) and "to Kazakhstan" in b.table.title
    )
    row = next(r for r in table.rows if r[0].text == "Türkiye")
    assert [c.text for c in row[1:]] == ["16.6", "4%\u2021", "17.9", "6%", "+7.8"]
    assert row[2].value == 4.0 and "share_matches_ratio" in row[2].comment
    assert [n for n in table.notes if n.startswith(FLAGGED_MARK)] == [
        (
            "\u2021 Türkiye, Share of total 2022 %: inconsistent with other published figures, left as "
            "published: share_matches_ratio expected [3.46, 3.50] per cent (16.6 million / 476.9 million), "
            "observed 4 per cent (implies a value of [16.68, 21.47] million); see Annex A."
        )
    ]
    assert "| Türkiye | 16.6 | 4%\u2021 | 17.9 | 6% | +7.8 |" in md
    # the legend explains every mark
    legend = md[: md.index("## II. Key Findings")]
    assert all(mark in legend for mark in ("\\*", "\u2020", "\u2021"))


def test_the_check_of_the_numbers_fails_when_a_flag_is_missing_or_misplaced(q1_obs):
    _, md = compose(q1_obs, q1_corrected_findings())
    flagged = {(ids.split(",")[0], FACET[rule]) for _, rule, ids, *_ in Q1_CORRECTED_FINDINGS}
    assert check_narrative(md, q1_obs, flagged)[1] == []
    unmarked = re.sub(r"51\.8\u2021(\[\^\d+\])", r"51.8\1", md, count=1)
    assert check_narrative(unmarked, q1_obs, flagged)[1]
    misplaced = md.replace("2.3 per cent (135 migrants)", "2.3\u2021 per cent (135 migrants)")
    assert misplaced != md and check_narrative(misplaced, q1_obs, flagged)[1]


@pytest.mark.parametrize(
    "changes",
    [
        {},  # no finding at all
        {"passed": True},  # the check passed
        {"stage": "delivered"},  # a finding of the delivered stage (corrected, or still failing in corrected)
        {"quarter": "2023-Q4"},  # another quarter's finding
        {"obs_ids": None},  # a finding that names no observation
        {"rule": "country_group_matches_reference"},  # about a country group, not a number
    ],
)
def test_no_mark_without_a_failed_corrected_finding_on_the_figure(q1_obs, changes):
    results = pd.DataFrame() if not changes else pd.DataFrame([{**check_row(*STATED_CHANGE), **changes}])
    _, md = compose(q1_obs, results)
    assert FLAGGED_MARK not in body(md)
    assert "Inconsistent with other published figures" not in md
    assert check_narrative(md, q1_obs, set())[1] == []


def test_a_check_results_frame_without_obs_ids_flags_nothing(q1_obs):
    results = pd.DataFrame([check_row(*STATED_CHANGE)]).drop(columns=["obs_ids"])
    _, md = compose(q1_obs, results)
    assert FLAGGED_MARK not in body(md)


# ------------------------------------------------------------------------ small frames: every facet

ARR = {
    "measure": "border_crossings",
    "direction": "in",
    "unit": "crossings",
    "value_precision": 1.0,
    "agency": "National Border Service of Kazakhstan",
}


def finding(rule: str, obs_ids: str, **fields) -> dict:
    return check_row("border_crossings", rule, obs_ids, f"{rule} on {obs_ids}", "E", "O", **fields)


def test_the_rule_decides_which_facet_of_the_first_obs_id_is_marked():
    rows = frame(
        {
            **ARR,
            "obs_id": "t",
            "value": 100.0,
            "change": -10.0,
            "change_precision": 1.0,
            "change_unit": "percent",
            "change_base_period": "2023-Q4",
        },
        {
            **ARR,
            "obs_id": "p",
            "country_group": "CIS",
            "value": 60.0,
            "share": 60.0,
            "share_precision": 1.0,
            "part_of": "t",
        },
        {**ARR, "obs_id": "b", "period": "2023-Q4", "value": 110.0},
    )
    results = pd.DataFrame([finding("parts_sum_to_total", "t,p"), finding("share_matches_ratio", "p,t")])
    store = FactStore.from_observations(rows, None, results)
    total = store.one("border_crossings", "2024-Q1", direction="in")
    part = store.one("border_crossings", "2024-Q1", direction="in", country_group="CIS")
    notes = Footnotes()
    w = Writer(notes)
    assert FN_PATTERN.sub("", w.value(total)) == "100\u2021"  # the total, not the part it was compared with
    assert FN_PATTERN.sub("", w.value(part)) == "60" and FN_PATTERN.sub("", w.share(part)) == "60\u2021"
    assert FN_PATTERN.sub("", w.change_abs(total.change("2023-Q4"))) == "10"
    assert notes.texts == [
        (
            "Inconsistent with other published figures, left as published (t, value): parts_sum_to_total "
            "expected E, observed O; see Annex A."
        ),
        (
            "Inconsistent with other published figures, left as published (p, share): share_matches_ratio "
            "expected E, observed O; see Annex A."
        ),
    ]


def test_a_stated_change_finding_marks_that_change_and_a_corrected_figure_keeps_its_asterisk():
    rows = frame(
        {
            **ARR,
            "obs_id": "t",
            "value": 100.0,
            "change": -10.0,
            "change_precision": 1.0,
            "change_unit": "percent",
            "change_base_period": "2023-Q4",
            "corrected_fields": "value",
        },
        {**ARR, "obs_id": "b", "period": "2023-Q4", "value": 110.0},
    )
    corrections = pd.DataFrame(
        [
            {
                "quarter": "2024-Q1",
                "source": "border_crossings",
                "obs_id": "t",
                "field": "value",
                "published_value": "1000",
                "corrected_value": "100",
                "justification": "j",
                "author": "a",
                "decided_on": "2024-05-01",
            }
        ]
    )
    results = pd.DataFrame([finding("stated_change_matches", "t,b"), finding("subset_within_total", "t,b")])
    store = FactStore.from_observations(rows, corrections, results)
    view = Selector(store, "2024-Q1").view("border_crossings", "in")
    w = Writer(Footnotes())
    assert (
        FN_PATTERN.sub("", w.value(view.headline)) == "100*\u2021"
    )  # corrected, and still fails a value check
    clauses, _ = comparison_parts(w, view, "migrants")
    assert (
        FN_PATTERN.sub("", clauses[0])
        == "10\u2021 per cent less than in the last quarter of 2023 (110 migrants)"
    )
    assert w.notes.texts[0].startswith("Corrected from the published 1,000 (t, value)")


def test_a_stated_direction_and_a_rank_are_marked_where_they_are_written():
    country = {
        **ARR,
        "period": "2024-Q2",
        "delivery_quarter": "2024-Q2",
        "country_group": "non-CIS",
        "unit": None,
        "value_precision": None,
    }
    rows = frame(
        {
            **country,
            "obs_id": "c1",
            "country": "China",
            "country_iso3": "CHN",
            "country_name": "China",
            "rank": 1,
        },
        {
            **country,
            "obs_id": "c2",
            "country": "India",
            "country_iso3": "IND",
            "country_name": "India",
            "rank": 2,
        },
        {
            **ARR,
            "obs_id": "d",
            "period": "2024-Q2",
            "delivery_quarter": "2024-Q2",
            "value": 110.0,
            "change": 1.0,
            "change_precision": 1.0,
            "change_unit": "direction",
            "change_base_period": "2024-Q1",
        },
        {**ARR, "obs_id": "a", "value": 100.0},
    )
    results = pd.DataFrame(
        [
            finding("rank_matches_values", "c2,c1", quarter="2024-Q2"),
            finding("stated_change_matches", "d,a", quarter="2024-Q2"),
        ]
    )
    view = Selector(FactStore.from_observations(rows, None, results), "2024-Q2").view(
        "border_crossings", "in"
    )
    w = Writer(Footnotes())
    sentence = ranking_sentence(view.rankings[0], view, lambda f: w.mark(f, "rank"))
    assert FN_PATTERN.sub("", sentence).startswith("China and India\u2021 were the top two non-CIS countries")
    clauses, _ = comparison_parts(w, view, "migrants")
    assert FN_PATTERN.sub("", clauses[0]).startswith("more\u2021 than in the first quarter of 2024")


def test_a_finding_on_a_figure_of_an_earlier_delivery_marks_the_figure_the_report_uses():
    rows = frame(
        {**ARR, "obs_id": "q1", "value": 100.0},
        {**ARR, "obs_id": "q2", "period": "2024-Q2", "delivery_quarter": "2024-Q2", "value": 120.0},
    )
    results = pd.DataFrame([finding("plausible_change", "q1,q2", quarter="2024-Q2")])
    store = FactStore.from_observations(rows, None, results)
    assert (
        store.one("border_crossings", "2024-Q1", direction="in").flags["value"][0].rule == "plausible_change"
    )
    assert store.one("border_crossings", "2024-Q2", direction="in").flags == {}
