"""Suggestions for a reviewer: accepted edits and sets of edits ranked (order.py), grouped by the findings
they share, with their evidence in words (wording.py); and the failing findings no edit explains, with the
reason. A suggestion's rank is 1 when no better suggestion clears any of the same findings. A pinned value
alone is offered only when no other kind of edit clears the same findings.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from mtm_pipeline.checks.findings import Finding
from mtm_pipeline.checks.rules.observations import as_records
from mtm_pipeline.checks.suggest import order, wording
from mtm_pipeline.checks.suggest.candidate import Candidate
from mtm_pipeline.checks.suggest.figures import FieldEdit, Stage
from mtm_pipeline.checks.suggest.search import SearchResult, search
from mtm_pipeline.checks.suggest.trials import FindingKey

SUGGESTION_COLUMNS = (
    "quarter",
    "stage",
    "suggestion_id",
    "edit_number",
    "edits_in_set",
    "description",
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
    """One suggestion: a single edit, or a set of up to three edits made together (members)."""

    suggestion_id: str
    rank: int
    group_id: int
    kind: str  # the kind of the edit, or 'set'
    edits: tuple[FieldEdit, ...]
    cleared: tuple[Finding, ...]
    evidence: str
    members: tuple[Candidate, ...] = ()

    @property
    def description(self) -> str:
        """A single edit's figures ('a value 2476 -> 2276'), or a set as one instruction."""
        if len(self.members) > 1:
            return wording.set_phrase(self.members)
        return "; ".join(f"{e.cell} {e.published_text} -> {e.suggested_text}" for e in self.edits)

    @property
    def kinds(self) -> str:
        """'typing_digit', or a set's kinds: 'swap + typing_digit'."""
        return " + ".join(m.kind for m in self.members) if len(self.members) > 1 else self.kind


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
    set_search: str | None = None  # where the set search ran and what it cost

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
        """quality.suggested_corrections: one row per figure edited, the rows of a set sharing its
        suggestion_id (each row with its edit's number and kind); None when there is none."""
        created = datetime.now(UTC).replace(tzinfo=None)
        rows = [
            {
                "quarter": self.quarter,
                "stage": self.stage,
                "suggestion_id": s.suggestion_id,
                "edit_number": number,
                "edits_in_set": len(s.members),
                "description": wording.set_phrase(s.members),
                "rank": s.rank,
                "group_id": s.group_id,
                "source": e.cell.source,
                "obs_id": e.cell.obs_id,
                "field": e.cell.field,
                "published": e.published_text,
                "suggested": e.suggested_text,
                "kind": member.kind,
                "findings_cleared": len(s.cleared),
                "findings": "\n".join(f"{f.rule}: {f.subject}" for f in s.cleared),
                "evidence": s.evidence,
                "created_at": created,
            }
            for s in self.suggestions
            for number, member in enumerate(s.members, start=1)
            for e in member.edits
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
        """One line for the log: how many suggestions, how many findings no edit explains, the bounds hit and
        what the set search cost."""
        best = sum(1 for s in self.suggestions if s.rank == 1)
        text = (
            f"{len(self.suggestions)} suggested correction(s) ({best} ranked first) for the failing findings "
            f"of the {self.stage} stage of {self.quarter}; {len(self.unexplained)} finding(s) "
            "no edit explains"
        )
        text += f"; the search {self.stopped_early}" if self.stopped_early else ""
        return text + (f"; {self.set_search}" if self.set_search else "")


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
    rows and history (evaluated here when not given). bounds: max_candidates, max_seconds, max_set_size of
    the search."""
    from mtm_pipeline.checks.rules import evaluate_rules

    rows = Stage(as_records(observations))
    if findings is None:
        findings = evaluate_rules(rows.normalised, history, severities)
    return _rank(search(rows, history, findings, severities, **bounds), rows, quarter=quarter, stage=stage)


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


def _set_search(result: SearchResult) -> str | None:
    if not result.set_groups:
        return None
    found = sum(1 for a in result.accepted if len(a.members) > 1)
    text = (
        f"the set search ran on {len(result.set_groups)} group(s) of findings single edits leave "
        "unexplained: "
        f"{found} set(s) found, {result.set_states} partial set(s) extended in {result.set_seconds:.2f} s"
    )
    return text + (f", {result.set_stopped_early}" if result.set_stopped_early else "")


def _rank(result: SearchResult, rows: Stage, *, quarter: str, stage: str) -> Suggestions:
    explained_otherwise = [set(a.cleared) for a in result.accepted if a.kind != "pinned_value"]
    accepted = [
        a
        for a in result.accepted
        if a.kind != "pinned_value" or not any(set(a.cleared) <= other for other in explained_otherwise)
    ]
    groups = _groups(result)
    prefix = stage[:1].upper()
    suggestions: list[Suggestion] = []
    for number, (rank, a) in enumerate(order.ranked(rows, accepted), start=1):
        cleared = tuple(result.findings[k] for k in a.cleared)
        suggestions.append(
            Suggestion(
                f"{prefix}{number}",
                rank,
                groups[a.cleared[0]],
                a.kind,
                a.edits,
                cleared,
                wording.evidence(a.members, cleared),
                a.members,
            )
        )
    cleared_keys = {k for a in accepted for k in a.cleared}
    searched = {k for group in result.set_groups for k in group}
    unexplained = [
        Unexplained(
            result.findings[k],
            wording.unexplained_reason(
                result.findings[k],
                rows,
                result.stopped_early or (result.set_stopped_early if k in searched else None),
                k in searched,
            ),
        )
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
        _set_search(result),
    )
