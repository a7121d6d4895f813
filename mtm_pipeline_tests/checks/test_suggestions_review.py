"""Suggested corrections as warehouse rows, in Annex A and alerts, and accepted into the reviewed
corrections file (a real DuckDB file, a real corrections CSV)."""

from __future__ import annotations

import pytest

from mtm_pipeline.alerts import alerts_from_findings, email_body
from mtm_pipeline.check_results import findings_to_rows
from mtm_pipeline.checks.corrections import CorrectionError, apply_corrections, load_corrections
from mtm_pipeline.checks.rules import evaluate_rules
from mtm_pipeline.checks.suggest import suggest_corrections
from mtm_pipeline.report.suggestions import suggestion_lines
from mtm_pipeline.settings import DataPaths
from mtm_pipeline.suggestions import SuggestionError, accept, read_suggestions
from mtm_pipeline.warehouse import connect
from mtm_pipeline.warehouse.quarters import publish_stage
from mtm_pipeline_tests.checks.test_q1_report import load_quarter

Q = "2024-Q1"


@pytest.fixture(scope="module")
def delivered():
    return load_quarter(Q)


@pytest.fixture(scope="module")
def findings(delivered):
    return evaluate_rules(delivered)


@pytest.fixture(scope="module")
def suggestions(delivered, findings):
    return suggest_corrections(delivered, None, findings, quarter=Q, stage="delivered")


@pytest.fixture
def root(tmp_path, findings, suggestions):
    paths = DataPaths(tmp_path)
    with connect(paths.warehouse) as con:
        publish_stage(
            con,
            Q,
            "delivered",
            None,
            findings_to_rows(findings, quarter=Q, stage="delivered"),
            suggestions=suggestions,
        )
    return tmp_path


def _count(root, table: str) -> int:
    with connect(DataPaths(root).warehouse, read_only=True) as con:
        return con.execute(f"SELECT count(*) FROM quality.{table} WHERE quarter = ?", [Q]).fetchone()[0]


def test_stored_one_row_per_figure_and_replaced_on_rerun(root, suggestions, delivered):
    rows = read_suggestions(DataPaths(root).warehouse, Q, "delivered")
    assert len(rows) == sum(len(s.edits) for s in suggestions.suggestions)
    swap = [r for r in rows if r["suggestion_id"] == "D2"]
    assert [(r["obs_id"], r["field"], r["published"], r["suggested"]) for r in swap] == [
        ("rem_in_2022_kgz", "value", "6.8 million", "31.7 million"),
        ("rem_in_2022_kgz", "share", "2", "7"),
        ("rem_in_2023_kgz", "value", "31.7 million", "6.8 million"),
        ("rem_in_2023_kgz", "share", "7", "2"),
    ]
    assert {r["findings_cleared"] for r in swap} == {3} and {r["kind"] for r in swap} == {"swap"}
    assert _count(root, "unexplained_findings") == 6
    # a consistent re-delivery: no finding, so no suggestion and nothing unexplained
    consistent = suggest_corrections(delivered.iloc[:1], quarter=Q, stage="delivered")
    with connect(DataPaths(root).warehouse) as con:
        publish_stage(con, Q, "delivered", None, None, suggestions=consistent)
    assert _count(root, "suggested_corrections") == 0 and _count(root, "unexplained_findings") == 0


def test_accept_appends_rows_that_apply_only_once_reviewed(root, delivered):
    path, numbers = accept(Q, "D2", root=root)
    assert numbers == [2, 3, 4, 5]
    lines = path.read_text(encoding="utf-8").splitlines()
    assert (
        lines[0]
        == "quarter,source,obs_id,field,published_value,corrected_value,justification,author,decided_on"
    )
    assert lines[1].startswith("2024-Q1,remittances,rem_in_2022_kgz,value,6.8 million,31.7 million,")
    assert all(line.endswith(",,") for line in lines[1:])  # author and date left for the reviewer
    assert "Suggested correction D2 (swap, rank 1, delivered stage)" in lines[1]
    with pytest.raises(CorrectionError, match="author"):
        load_corrections(path.parent, Q)  # an unreviewed row never applies
    with pytest.raises(SuggestionError, match="already corrects rem_in_2022_kgz value"):
        accept(Q, "D18", root=root)  # the value-only swap of the same figures
    with pytest.raises(SuggestionError, match="no suggestion 'D99' .*; the quarter has D1, D2, D3, D4, D5,"):
        accept(Q, "D99", root=root)
    reviewed = path.read_text(encoding="utf-8").replace(",,\n", ",Reviewer,2026-11-28\n")
    path.write_text(reviewed, encoding="utf-8")
    corrected = apply_corrections(delivered, load_corrections(path.parent, Q))
    failing = {f.subject.split(":")[0] for f in evaluate_rules(corrected) if not f.passed}
    assert not {"rem_in_2022_kgz", "rem_in_2023_kgz"} & failing


def test_no_warehouse_yet_is_a_clear_error(tmp_path, monkeypatch, capsys):
    from mtm_pipeline.suggestions import main

    with pytest.raises(SuggestionError, match="there is no warehouse at .* yet: run the quarter first"):
        accept(Q, "D1", root=tmp_path)
    monkeypatch.setenv("MTM_DATA_DIR", str(tmp_path))
    (tmp_path / "raw" / Q).mkdir(parents=True)  # the quarter is delivered, not yet run
    assert main(["show", Q]) == 1
    assert "error: there is no warehouse at" in capsys.readouterr().err
    assert not (DataPaths(tmp_path).warehouse).exists()


def test_annex_lines_next_to_each_finding(findings, suggestions):
    checks = findings_to_rows(findings, quarter=Q, stage="delivered")
    lines = suggestion_lines(checks, suggestions.rows(), suggestions.unexplained_rows())
    assert len(lines) == 20
    by_subject = {line.split(": ", 1)[0].split(", ", 2)[2]: line for line in lines}
    assert (
        "suggested correction D2 (two figures swapped, clears 3 finding(s)" in by_subject["rem_in_2023_kgz"]
    )
    assert "no edit explains it: a share rounded twice" in by_subject["rem_in_2022_tur"]
    assert "suggested correction D4 (a lost or extra sign" in by_subject["rem_out_2023_geo"]


def test_alert_names_the_top_suggestion(findings, suggestions):
    alerts = alerts_from_findings(
        findings, quarter=Q, stage="delivered", asset_key="delivered_observations", suggestions=suggestions
    )
    geo = next(a for a in alerts if a.subject.startswith("rem_out_2023_geo"))
    assert geo.suggestion == "Suggested correction D4 (best): rem_out_2023_geo change -7.6 -> 7.6 (sign)"
    assert geo.suggestion in email_body(alerts, base="http://localhost:3000")
    tur = next(a for a in alerts if a.subject.startswith("rem_in_2022_tur"))
    assert tur.suggestion.startswith("No edit explains it: a share rounded twice")
