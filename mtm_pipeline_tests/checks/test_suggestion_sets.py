"""Sets of edits on consistent synthetic quarters with two or three interacting transcription errors
injected into one table: the true set is the top suggestion of every finding the errors cause, shown as one
suggestion, stored as one row per figure with the set's id, and accepted as a whole.

Figures are chosen by their structure (the parts of a complete breakdown by country, their group total),
never by name, so the cases hold for any seed."""

from __future__ import annotations

import pytest

from mtm_pipeline import synthetic
from mtm_pipeline.checks.rules import evaluate_rules
from mtm_pipeline.checks.suggest import suggest_corrections
from mtm_pipeline_tests.checks.test_suggestions_synthetic import (
    QUARTER,
    _complete_country_parts,
    _figure,
    _inject,
    _slip_digit,
    _transpose,
    quarter,  # noqa: F401 (the fixture)
)


def _parts(frame):
    parts = _complete_country_parts(frame)
    group = parts.iloc[0]["part_of"]
    return list(parts["obs_id"]), group


def case_swap_and_mistyped_total(frame):
    """The shares of the largest and the third largest country swapped, and their group total mistyped.
    (Swapped shares of these rows read as swapped counts too: no rule tells them apart, so either reading
    of the swap is the true set; the single-error tests use ranked counts with changes for that reason.)"""
    (a, _, c, *_), group = _parts(frame)
    return [
        (a, "share", _figure(frame, c, "share")),
        (c, "share", _figure(frame, a, "share")),
        (group, "value", _slip_digit(_figure(frame, group, "value"))),
    ], 2


def case_wrong_base_and_digit_error(frame):
    """A country's share computed on the total instead of its group, and a digit of the group wrong: the
    share's right value is over the group as corrected."""
    (a, *_), group = _parts(frame)
    part = frame[frame["obs_id"] == a].iloc[0]
    total = frame[frame["obs_id"] == frame[frame["obs_id"] == group].iloc[0]["part_of"]].iloc[0]
    return [
        (a, "share", synthetic.share_text(int(part["value"]), int(total["value"]))),
        (group, "value", _slip_digit(_figure(frame, group, "value"))),
    ], 2


def case_two_digit_errors(frame):
    """Two countries' counts of one breakdown mistyped (one digit wrong, two digits transposed)."""
    (a, b, *_), _ = _parts(frame)
    return [
        (a, "value", _slip_digit(_figure(frame, a, "value"))),
        (b, "value", _transpose(_figure(frame, b, "value"))),
    ], 2


def case_three_errors(frame):
    """A swap (of shares, as above), a mistyped group total and a fourth country's count transposed."""
    (a, _, c, d, *_), group = _parts(frame)
    return [
        (a, "share", _figure(frame, c, "share")),
        (c, "share", _figure(frame, a, "share")),
        (group, "value", _slip_digit(_figure(frame, group, "value"))),
        (d, "value", _transpose(_figure(frame, d, "value"))),
    ], 3


CASES = [
    case_swap_and_mistyped_total,
    case_wrong_base_and_digit_error,
    case_two_digit_errors,
    case_three_errors,
]


def _other_reading(frame, fix: set) -> set:
    """The fix with a swap of two shares read as the swap of the two counts (the rules cannot tell)."""
    shares = sorted(obs_id for obs_id, field, _ in fix if field == "share")
    if len(shares) != 2:
        return fix
    a, c = shares
    counts = {(a, "value", _figure(frame, c, "value")), (c, "value", _figure(frame, a, "value"))}
    return {f for f in fix if f[1] != "share"} | counts


def _broken(frame, injected):
    broken = frame
    for obs_id, field, written in injected:
        assert written != _figure(frame, obs_id, field)
        broken = _inject(broken, obs_id, field, written)
    return broken


@pytest.mark.parametrize("case", CASES, ids=[c.__name__[5:] for c in CASES])
def test_the_true_set_ranks_first(quarter, case):  # noqa: F811
    frame, history = quarter
    injected, size = case(frame)
    broken = _broken(frame, injected)
    failing = [f for f in evaluate_rules(broken, history) if not f.passed]
    result = suggest_corrections(broken, history, quarter=QUARTER)
    fix = {(obs_id, field, _figure(frame, obs_id, field)) for obs_id, field, _ in injected}
    top = result.suggestions[0]
    found = {(e.cell.obs_id, e.cell.field, e.suggested_text) for e in top.edits}
    assert found in (fix, _other_reading(frame, fix)), top.description
    assert top.kind == "set" and len(top.members) == size and top.rank == 1
    for finding in failing:
        assert result.for_finding(finding.rule, finding.subject)[0] is top, finding.subject
    assert result.unexplained == []
    assert "set search ran on 1 group(s)" in result.summary()
    # one row per figure, all with the set's id, each with its edit's number and kind
    rows = result.rows()
    mine = rows[rows["suggestion_id"] == top.suggestion_id]
    assert len(mine) == len(fix) and set(mine["edits_in_set"]) == {size}
    assert sorted(set(mine["edit_number"])) == list(range(1, size + 1))
    assert set(mine["kind"]) == {m.kind for m in top.members}
    assert set(mine["description"]) == {top.description}
    assert f"A set of {size} edits" in top.evidence


def test_a_single_edit_that_explains_everything_stays_first(quarter):  # noqa: F811
    """One error: no set is searched, the single edit is first (as in test_suggestions_synthetic)."""
    frame, history = quarter
    (a, *_), _ = _parts(frame)
    broken = _broken(frame, [(a, "value", _slip_digit(_figure(frame, a, "value")))])
    result = suggest_corrections(broken, history, quarter=QUARTER)
    assert result.suggestions[0].kind == "typing_digit" and result.set_search is None
    assert not any(s.kind == "set" for s in result.suggestions)


def test_single_edits_only_when_asked(quarter):  # noqa: F811
    frame, history = quarter
    injected, _ = case_swap_and_mistyped_total(frame)
    result = suggest_corrections(_broken(frame, injected), history, quarter=QUARTER, max_set_size=1)
    assert not any(s.kind == "set" for s in result.suggestions)
    assert result.unexplained and all("no single edit of the kinds" in u.reason for u in result.unexplained)


def test_real_2024_q2_gets_no_suggestion():
    from mtm_pipeline_tests.checks.test_q1_report import load_quarter

    result = suggest_corrections(load_quarter("2024-Q2"), quarter="2024-Q2", stage="delivered")
    assert result.suggestions == [] and result.unexplained == [] and result.set_search is None


def test_a_set_stored_shown_in_the_annex_and_the_alert_and_accepted_whole(quarter, tmp_path):  # noqa: F811
    from mtm_pipeline.alerts import alerts_from_findings
    from mtm_pipeline.check_results import findings_to_rows
    from mtm_pipeline.report.suggestions import suggestion_lines
    from mtm_pipeline.settings import DataPaths
    from mtm_pipeline.suggestions import accept, read_suggestions, suggestion_line
    from mtm_pipeline.warehouse import connect
    from mtm_pipeline.warehouse.quarters import publish_stage

    frame, history = quarter
    injected, _ = case_two_digit_errors(frame)
    broken = _broken(frame, injected)
    findings = evaluate_rules(broken, history)
    result = suggest_corrections(broken, history, findings, quarter=QUARTER)
    top = result.suggestions[0]
    with connect(DataPaths(tmp_path).warehouse) as con:
        checks = findings_to_rows(findings, quarter=QUARTER, stage="delivered")
        publish_stage(con, QUARTER, "delivered", None, checks, suggestions=result)
    stored = [
        r for r in read_suggestions(DataPaths(tmp_path).warehouse, QUARTER) if r["suggestion_id"] == "D1"
    ]
    line = suggestion_line(stored)
    assert f"{top.description}: clears {len(top.cleared)} findings" in line and "a set of 2 edits" in line
    annex = [ln for ln in suggestion_lines(checks, result.rows(), result.unexplained_rows()) if "D1" in ln]
    assert annex and all("a set of 2 edits made together" in ln for ln in annex)
    alerts = alerts_from_findings(
        findings, quarter=QUARTER, stage="delivered", asset_key="x", suggestions=result
    )
    for alert in alerts:
        assert alert.suggestion.startswith("Suggested correction D1 (best"), alert.suggestion
    assert all(", a set of 2 edits made together: " in a.suggestion for a in alerts)
    path, numbers = accept(QUARTER, "D1", root=tmp_path)
    assert numbers == [2, 3]
    written = path.read_text(encoding="utf-8").splitlines()[1:]
    assert {(ln.split(",")[2], ln.split(",")[5]) for ln in written} == {
        (obs_id, _figure(frame, obs_id, field)) for obs_id, field, _ in injected
    }
    assert all("a set of 2 edits: typing_" in ln for ln in written)


def test_the_set_search_is_bounded_and_says_so(quarter, monkeypatch):  # noqa: F811
    from mtm_pipeline.checks.suggest import sets

    monkeypatch.setattr(sets, "MAX_STATES", 0)
    frame, history = quarter
    injected, _ = case_swap_and_mistyped_total(frame)
    result = suggest_corrections(_broken(frame, injected), history, quarter=QUARTER)
    assert not any(s.kind == "set" for s in result.suggestions)
    assert "stopped after extending 0 partial sets of edits" in result.summary()
    assert result.unexplained
    for item in result.unexplained:
        assert "the search stopped after extending 0 partial sets" in item.reason, item.reason
