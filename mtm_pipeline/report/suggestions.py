"""Annex A's suggested corrections: next to each failed check, the best edit of the published figures that
would clear it (from quality.suggested_corrections), or why no edit explains it
(quality.unexplained_findings). The report states what the checks stage computed; it searches nothing
itself."""

from __future__ import annotations

import pandas as pd

from mtm_pipeline.checks.suggest.candidate import KINDS
from mtm_pipeline.report.facts import clean

INTRODUCTION = (
    "Suggested corrections. For each failed check, the edit of the published figures (or the set of up to "
    "three edits made together) that makes it pass without making any other check fail, as found by the "
    "checks (the best of those that clear it; all are in quality.suggested_corrections), or why no edit "
    "explains it. A suggestion is never applied by itself: a "
    "reviewer accepts it into the quarter's corrections file (python -m mtm_pipeline.suggestions accept "
    "<quarter> <id>), and only the reviewed file changes the corrected stage."
)


def _failed(check_results: pd.DataFrame | None) -> list[dict]:
    if check_results is None or check_results.empty:
        return []
    frame = (
        check_results[~check_results["passed"].fillna(False).astype(bool)]
        if "passed" in check_results
        else check_results
    )
    records = [
        {c: clean(r.get(c)) for c in ("stage", "severity", "source", "rule", "subject", "message")}
        for r in frame.to_dict("records")
    ]
    order = {"delivered": 0, "corrected": 1}
    records.sort(
        key=lambda r: (
            order.get(r["stage"] or "", 2),
            r["severity"] != "ERROR",
            *(str(r[c] or "") for c in ("source", "rule", "subject", "message")),
        )
    )
    return records


def _best(suggestions: pd.DataFrame, stage: str, rule: str, subject: str) -> tuple[pd.DataFrame, int] | None:
    if suggestions is None or suggestions.empty:
        return None
    line = f"{rule}: {subject}"
    mine = suggestions[
        (suggestions["stage"] == stage) & suggestions["findings"].map(lambda f: line in str(f).split("\n"))
    ]
    if mine.empty:
        return None
    ids = sorted(set(mine["suggestion_id"]), key=lambda s: int(str(s)[1:]))
    return mine[mine["suggestion_id"] == ids[0]], len(ids)


def _suggestion_text(rows: pd.DataFrame, count: int) -> str:
    """'suggested correction D4 (a lost or extra sign, clears 1 finding(s)): a change -7.6 → 7.6.', or a set
    named as one suggestion with its edits in words."""
    first = rows.iloc[0]
    alternatives = f", best of {count}" if count > 1 else ""
    size = int(first["edits_in_set"]) if "edits_in_set" in rows and pd.notna(first["edits_in_set"]) else 1
    if size > 1:
        kinds = sorted(dict.fromkeys(zip(rows["edit_number"], rows["kind"], strict=True)))
        named = " + ".join(KINDS.get(kind, kind) for _, kind in kinds)
        return (
            f"suggested correction {first['suggestion_id']} (a set of {size} edits made together: {named}; "
            f"clears {first['findings_cleared']} finding(s){alternatives}): {first['description']}."
        )
    figures = "; ".join(f"{r.obs_id} {r.field} {r.published} \u2192 {r.suggested}" for r in rows.itertuples())
    return (
        f"suggested correction {first['suggestion_id']} ({KINDS.get(first['kind'], first['kind'])}, "
        f"clears {first['findings_cleared']} finding(s){alternatives}): {figures}."
    )


def suggestion_lines(
    check_results: pd.DataFrame | None, suggestions: pd.DataFrame | None, unexplained: pd.DataFrame | None
) -> tuple[str, ...]:
    """One line per failed check, in Annex A's order: its top suggestion, or why no edit explains it."""
    lines = []
    for finding in _failed(check_results):
        stage, rule, subject = finding["stage"], finding["rule"], finding["subject"]
        head = f"{stage}, {rule}, {subject}: "
        best = _best(suggestions, stage, rule, subject)
        if best is not None:
            lines.append(head + _suggestion_text(*best))
            continue
        reason = None
        if unexplained is not None and not unexplained.empty:
            match = unexplained[
                (unexplained["stage"] == stage)
                & (unexplained["rule"] == rule)
                & (unexplained["subject"] == subject)
            ]
            reason = None if match.empty else str(match.iloc[0]["reason"])
        lines.append(head + (f"no edit explains it: {reason}." if reason else "no suggestion was recorded."))
    return tuple(lines)
