"""Suggestions for a reviewer: accepted candidates ranked, grouped by the findings they share, with their
evidence in words; and the failing findings no edit explains, with the reason.

Ranking: most findings cleared, then fewest figures changed, then figures written as their neighbours are
(the precision of the same field in the rest of the breakdown), then the plausibility of the kind (a sign
before a typing error before a swap, ..., the pinned value last), then the smallest change. A suggestion's
rank is 1 when no better suggestion clears any of the same findings. A pinned value is offered only when
no other kind of edit clears the same findings.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from mtm_pipeline.checks.findings import Finding
from mtm_pipeline.checks.rules.observations import as_records
from mtm_pipeline.checks.suggest.candidate import KINDS, PLAUSIBILITY
from mtm_pipeline.checks.suggest.figures import FieldEdit, Stage, missing
from mtm_pipeline.checks.suggest.rounding import rounding_reason
from mtm_pipeline.checks.suggest.search import Accepted, FindingKey, SearchResult, search

SUGGESTION_COLUMNS = (
    "quarter",
    "stage",
    "suggestion_id",
    "rank",
    "group_id",
    "source",
    "obs_id",
    "field",
    "published",
    "suggested",
    "kind",
    "findings_cleared",
    "findings",
    "evidence",
    "created_at",
)
UNEXPLAINED_COLUMNS = ("quarter", "stage", "rule", "subject", "reason", "created_at")


@dataclass(frozen=True)
class Suggestion:
    suggestion_id: str
    rank: int
    group_id: int
    kind: str
    edits: tuple[FieldEdit, ...]
    cleared: tuple[Finding, ...]
    evidence: str

    @property
    def description(self) -> str:
        return "; ".join(f"{e.cell} {e.published_text} -> {e.suggested_text}" for e in self.edits)


@dataclass(frozen=True)
class Unexplained:
    finding: Finding
    reason: str


@dataclass
class Suggestions:
    quarter: str
    stage: str
    suggestions: list[Suggestion]
    unexplained: list[Unexplained]
    candidates_tried: int
    stopped_early: str | None
    seconds: float

    def for_finding(self, rule: str, subject: str) -> list[Suggestion]:
        """The suggestions that clear a finding, best first."""
        return [
            s for s in self.suggestions if any(f.rule == rule and f.subject == subject for f in s.cleared)
        ]

    def unexplained_reason(self, rule: str, subject: str) -> str | None:
        return next(
            (u.reason for u in self.unexplained if u.finding.rule == rule and u.finding.subject == subject),
            None,
        )

    def rows(self) -> pd.DataFrame | None:
        """quality.suggested_corrections: one row per figure edited; None when there is none."""
        created = datetime.now(UTC).replace(tzinfo=None)
        rows = [
            {
                "quarter": self.quarter,
                "stage": self.stage,
                "suggestion_id": s.suggestion_id,
                "rank": s.rank,
                "group_id": s.group_id,
                "source": e.cell.source,
                "obs_id": e.cell.obs_id,
                "field": e.cell.field,
                "published": e.published_text,
                "suggested": e.suggested_text,
                "kind": s.kind,
                "findings_cleared": len(s.cleared),
                "findings": "\n".join(f"{f.rule}: {f.subject}" for f in s.cleared),
                "evidence": s.evidence,
                "created_at": created,
            }
            for s in self.suggestions
            for e in s.edits
        ]
        return pd.DataFrame(rows, columns=list(SUGGESTION_COLUMNS)) if rows else None

    def unexplained_rows(self) -> pd.DataFrame | None:
        created = datetime.now(UTC).replace(tzinfo=None)
        rows = [
            {
                "quarter": self.quarter,
                "stage": self.stage,
                "rule": u.finding.rule,
                "subject": u.finding.subject,
                "reason": u.reason,
                "created_at": created,
            }
            for u in self.unexplained
        ]
        return pd.DataFrame(rows, columns=list(UNEXPLAINED_COLUMNS)) if rows else None

    def summary(self) -> str:
        best = sum(1 for s in self.suggestions if s.rank == 1)
        text = (
            f"{len(self.suggestions)} suggested correction(s) ({best} ranked first) for the failing findings of "
            f"the {self.stage} stage of {self.quarter}; {len(self.unexplained)} finding(s) no edit explains"
        )
        return text + (f"; the search {self.stopped_early}" if self.stopped_early else "")


def suggest_corrections(
    observations: pd.DataFrame | Sequence[Mapping[str, Any]],
    history: Sequence | None = None,
    findings: Sequence[Finding] | None = None,
    severities: Mapping[str, str] | None = None,
    *,
    quarter: str = "",
    stage: str = "delivered",
    **bounds: Any,
) -> Suggestions:
    """The ranked suggestions for one stage of one quarter. findings: the rules' evaluation of exactly these
    rows and history (evaluated here when not given). bounds: max_candidates, max_seconds of the search."""
    from mtm_pipeline.checks.rules import evaluate_rules

    rows = Stage(as_records(observations))
    if findings is None:
        findings = evaluate_rules(rows.normalised, history, severities)
    return _rank(search(rows, history, findings, severities, **bounds), rows, quarter=quarter, stage=stage)


def _size_of_change(accepted: Accepted) -> float:
    return sum(abs(e.suggested - e.published) / max(abs(e.published), 1e-9) for e in accepted.candidate.edits)


def _unusual_notation(stage: Stage, accepted: Accepted) -> int:
    """Edits whose suggested figure is written at a precision none of its neighbours (the same field of the
    other parts of its breakdown) is written at: '2.9' in a column of whole per cents."""
    count = 0
    for edit in accepted.candidate.edits:
        me = stage.position[(edit.cell.source, edit.cell.obs_id)]
        field, total = edit.cell.field, stage.normalised[me].part_of
        if field == "rank" or total is None:
            continue
        written = f"{field}_precision"  # as delivered: the rules widen a count's precision
        precisions = {
            round(float(stage.records[pos][written]), 9)
            for pos, other in enumerate(stage.normalised)
            if pos != me
            and other.source == edit.cell.source
            and other.part_of == total
            and not missing(stage.records[pos].get(written))
        }
        if precisions and round(edit.suggested_precision or 0.0, 9) not in precisions:
            count += 1
    return count


def _sort_key(stage: Stage, accepted: Accepted) -> tuple:
    c = accepted.candidate
    return (
        -len(accepted.cleared),
        len(c.edits),
        _unusual_notation(stage, accepted),
        PLAUSIBILITY[c.kind],
        _size_of_change(accepted),
        c.detail,
    )


def _groups(result: SearchResult) -> dict[FindingKey, int]:
    """Failing findings that share a figure (obs_id) form one group, numbered in the stage's order."""
    group_of: dict[FindingKey, int] = {}
    owner: dict[str, int] = {}
    parent: dict[int, int] = {}

    def find(g: int) -> int:
        while parent[g] != g:
            g = parent[g]
        return g

    for number, key in enumerate(result.failing):
        parent[number] = number
        group_of[key] = number
        for obs_id in key[1]:
            if obs_id in owner:
                parent[find(number)] = find(owner[obs_id])
            else:
                owner[obs_id] = number
    roots = sorted({find(g) for g in group_of.values()})
    return {key: roots.index(find(g)) + 1 for key, g in group_of.items()}


def _rank(result: SearchResult, rows: Stage, *, quarter: str, stage: str) -> Suggestions:
    accepted = result.accepted
    explained_otherwise = [set(a.cleared) for a in accepted if a.candidate.kind != "pinned_value"]
    accepted = [
        a
        for a in accepted
        if a.candidate.kind != "pinned_value"
        or not any(set(a.cleared) <= other for other in explained_otherwise)
    ]
    accepted.sort(key=lambda a: _sort_key(rows, a))
    groups = _groups(result)
    prefix = stage[:1].upper()
    suggestions: list[Suggestion] = []
    for number, a in enumerate(accepted, start=1):
        rank = 1 + sum(1 for better in accepted[: number - 1] if set(better.cleared) & set(a.cleared))
        cleared = tuple(result.findings[k] for k in a.cleared)
        passing = "; ".join(f"{f.rule} ({f.subject})" for f in cleared)
        evidence = (
            f"{KINDS[a.candidate.kind][0].upper()}{KINDS[a.candidate.kind][1:]}: {a.candidate.detail}. With this "
            f"edit {len(cleared)} failing finding(s) pass: {passing}; no rule that passed fails."
        )
        suggestions.append(
            Suggestion(
                f"{prefix}{number}",
                rank,
                groups[a.cleared[0]],
                a.candidate.kind,
                a.candidate.edits,
                cleared,
                evidence,
            )
        )
    cleared_keys = {k for a in accepted for k in a.cleared}
    unexplained = [
        Unexplained(result.findings[k], _reason(result.findings[k], rows, result.stopped_early))
        for k in result.failing
        if k not in cleared_keys
    ]
    return Suggestions(
        quarter,
        stage,
        suggestions,
        unexplained,
        result.candidates_tried,
        result.stopped_early,
        result.seconds,
    )


def _reason(finding: Finding, stage: Stage, stopped_early: str | None) -> str:
    bounded = f" (the search {stopped_early}: an edit may exist that it did not try)" if stopped_early else ""
    if finding.rule == "country_group_matches_reference":
        return (
            "a country group, not a figure: fix the group in the extract or the reference membership"
            + bounded
        )
    reason = rounding_reason(finding, stage)
    if reason:
        return reason
    if finding.rule == "stated_change_matches":
        return (
            "no single edit of the figures involved reconciles the stated change with the values without making "
            "a passing rule fail: the change may be on a basis the data does not hold" + bounded
        )
    return (
        "no single edit of the kinds searched (typing error, sign, swap, share base, pinned value) makes this "
        "finding pass without making a passing one fail" + bounded
    )
