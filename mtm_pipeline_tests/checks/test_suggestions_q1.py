"""Suggested corrections on the real 2024-Q1 delivery: for every finding the reviewed corrections of
data/corrections/2024-Q1.csv resolve, the top suggestion is that correction; the findings they leave
are reported as explained by no edit, with the reason."""

from __future__ import annotations

import pytest

from mtm_pipeline.checks.corrections import apply_corrections, load_corrections
from mtm_pipeline.checks.rules import evaluate_rules
from mtm_pipeline.checks.suggest import suggest_corrections
from mtm_pipeline.checks.suggest.search import keyed
from mtm_pipeline.numbers import parse_published_number
from mtm_pipeline_tests.checks.test_q1_report import DATA, load_quarter


@pytest.fixture(scope="module")
def delivered():
    return load_quarter("2024-Q1")


@pytest.fixture(scope="module")
def corrections():
    return load_corrections(DATA / "corrections", "2024-Q1")


@pytest.fixture(scope="module")
def corrected(delivered, corrections):
    return apply_corrections(delivered, corrections)


@pytest.fixture(scope="module")
def suggestions(delivered):
    return suggest_corrections(delivered, quarter="2024-Q1", stage="delivered")


def _number(text: str) -> tuple[float, float]:
    parsed = parse_published_number(text, allow_percent_sign=True)
    return float(parsed.value), float(parsed.precision)


def _as_corrections(suggestion) -> set[tuple]:
    return {
        (e.cell.source, e.cell.obs_id, e.cell.field, _number(e.published_text), _number(e.suggested_text))
        for e in suggestion.edits
    }


def test_top_suggestion_of_every_resolved_finding_is_the_reviewed_correction(
    delivered, corrected, corrections, suggestions
):
    before = keyed(evaluate_rules(delivered))
    after = keyed(evaluate_rules(corrected))
    resolved = [f for k, f in before.items() if not f.passed and k in after and after[k].passed]
    assert len(resolved) == 14
    reviewed = {
        (c["source"], c["obs_id"], c["field"], _number(c["published_value"]), _number(c["corrected_value"]))
        for c in corrections.to_dict("records")
    }
    tops = set()
    for finding in resolved:
        ranked = suggestions.for_finding(finding.rule, finding.subject)
        assert ranked, f"no suggestion for {finding.subject}"
        top = ranked[0]
        assert top.rank == 1
        assert _as_corrections(top) <= reviewed, (finding.subject, top.description)
        # a suggestion carries every reviewed correction of the figures it edits (the swap as one)
        edited = {(e.cell.obs_id) for e in top.edits}
        assert {r for r in reviewed if r[1] in edited} == _as_corrections(top)
        tops.add(top.suggestion_id)
    by_id = {s.suggestion_id: s for s in suggestions.suggestions}
    assert sorted((by_id[t].kind, len({e.cell.obs_id for e in by_id[t].edits})) for t in tops) == [
        ("pinned_value", 1),
        ("sign", 1),
        ("swap", 2),
        ("typing_digit", 1),
    ]
    assert set().union(*(_as_corrections(by_id[t]) for t in tops)) == reviewed


def test_what_the_suggestions_say(suggestions):
    swap = next(s for s in suggestions.suggestions if s.kind == "swap" and s.rank == 1)
    assert [(e.cell.obs_id, e.cell.field, e.published_text, e.suggested_text) for e in swap.edits] == [
        ("rem_in_2022_kgz", "value", "6.8 million", "31.7 million"),
        ("rem_in_2022_kgz", "share", "2", "7"),
        ("rem_in_2023_kgz", "value", "31.7 million", "6.8 million"),
        ("rem_in_2023_kgz", "share", "7", "2"),
    ]
    assert len(swap.cleared) == 3 and "no rule that passed fails" in swap.evidence
    rows = suggestions.rows()
    assert set(rows["suggestion_id"]) == {s.suggestion_id for s in suggestions.suggestions}
    sign = rows[rows["obs_id"] == "rem_out_2023_geo"].iloc[0]
    assert (sign["published"], sign["suggested"], sign["kind"], sign["rank"]) == ("-7.6", "7.6", "sign", 1)
    assert suggestions.stopped_early is None


def test_findings_no_edit_explains_say_why(suggestions):
    reasons = {u.finding.obs_ids[0]: u.reason for u in suggestions.unexplained}
    assert "rounded twice" in reasons["rem_in_2022_tur"]
    assert "basis the data does not hold" in reasons["rem_in_2023_total"]
    for obs_id in ("prp_2024q1_cis_uzb", "prp_2024q1_cis_kgz", "prp_2024q1_cis_tjk"):
        assert "less than one unit of its last digit" in reasons[obs_id]
    assert set(reasons) == {
        "rem_in_2022_tur",
        "rem_in_2023_total",
        "prp_2024q1_cis_uzb",
        "prp_2024q1_cis_kgz",
        "prp_2024q1_cis_tjk",
        "prp_2024q1_noncis_chn",
    }


def test_corrected_stage_gets_no_suggestion_only_reasons(corrected):
    result = suggest_corrections(corrected, quarter="2024-Q1", stage="corrected")
    assert result.suggestions == []
    assert result.rows() is None
    assert len(result.unexplained) == 6
    china = next(u for u in result.unexplained if u.finding.obs_ids[0] == "prp_2024q1_noncis_chn")
    assert "less than one unit of its last digit" in china.reason


def test_the_search_is_bounded_and_says_so(delivered):
    result = suggest_corrections(delivered, quarter="2024-Q1", max_candidates=50)
    assert result.stopped_early and "50 candidate edits" in result.stopped_early
    assert result.candidates_tried == 50
    searched = [
        u for u in result.unexplained if "rounding" not in u.reason and "rounded twice" not in u.reason
    ]
    assert searched and all("the search stopped after 50" in u.reason for u in searched)


def test_candidates_tried_together_as_a_range_lose_none(delivered, suggestions, monkeypatch):
    """Dropping a group of candidate values after one evaluation of their range gives exactly what trying
    each candidate alone gives."""
    from mtm_pipeline.checks.suggest import trials

    monkeypatch.setattr(
        trials, "bisect", lambda cell, candidates, first_test: [c for c in candidates if first_test(c.edits)]
    )
    one_by_one = suggest_corrections(delivered, quarter="2024-Q1", stage="delivered")
    assert [(s.kind, s.description, s.rank, len(s.cleared)) for s in one_by_one.suggestions] == [
        (s.kind, s.description, s.rank, len(s.cleared)) for s in suggestions.suggestions
    ]
    assert [u.reason for u in one_by_one.unexplained] == [u.reason for u in suggestions.unexplained]
