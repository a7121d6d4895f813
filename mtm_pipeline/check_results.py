"""Check findings as warehouse rows (quality.check_results) and as per-rule summaries (pure, no Dagster)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

import pandas as pd

CHECK_RESULT_COLUMNS = (
    "quarter",
    "stage",
    "source",
    "rule",
    "severity",
    "passed",
    "subject",
    "expected",
    "observed",
    "tolerance",
    "message",
    "evaluated_at",
    "obs_ids",
)


def findings_to_rows(findings: Iterable, *, quarter: str, stage: str) -> pd.DataFrame | None:
    """One row per evaluation; None when there were none (so a write deletes the old rows only)."""
    evaluated_at = datetime.now(UTC).replace(tzinfo=None)
    rows = [
        {
            "quarter": quarter,
            "stage": stage,
            "source": f.source,
            "rule": f.rule,
            "severity": f.severity,
            "passed": bool(f.passed),
            "subject": f.subject,
            "expected": f.expected,
            "observed": f.observed,
            "tolerance": f.tolerance,
            "message": f.message,
            "evaluated_at": evaluated_at,
            "obs_ids": ",".join(f.obs_ids) or None,
        }
        for f in findings
    ]
    return pd.DataFrame(rows, columns=list(CHECK_RESULT_COLUMNS)) if rows else None


@dataclass(frozen=True)
class RuleSummary:
    rule: str
    evaluated: int
    failed: list  # the failed findings
    severity: str

    @property
    def passed(self) -> bool:
        return not self.failed


def summarise_by_rule(
    findings: list, rules: Iterable[str], default_severity: dict[str, str]
) -> list[RuleSummary]:
    """One summary per rule, rules with no evaluation included (evaluated=0)."""
    summaries = []
    for rule in rules:
        mine = [f for f in findings if f.rule == rule]
        failed = [f for f in mine if not f.passed]
        severity = (
            "ERROR" if any(f.severity == "ERROR" for f in failed) else default_severity.get(rule, "WARN")
        )
        summaries.append(RuleSummary(rule, len(mine), failed, severity))
    return summaries


def failure_table_markdown(failed: list, limit: int = 20) -> str:
    lines = ["| source | subject | expected | observed | tolerance |", "|---|---|---|---|---|"]
    for f in failed[:limit]:
        cells = [f.source, f.subject, f.expected or "", f.observed or "", f.tolerance or ""]
        lines.append("| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |")
    if len(failed) > limit:
        lines.append(f"\n... and {len(failed) - limit} more (see quality.check_results)")
    return "\n".join(lines)
