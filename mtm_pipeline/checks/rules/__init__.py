"""Consistency rules over the long-format observations of one delivery quarter (pure functions, no Dagster).

Every rule is written once over the frame (the columns of published.observations) and applied wherever
its pattern occurs; no rule names a country, a figure, an observation or a quarter.

Precision: a published figure stands for an interval (value +/- precision/2, see checks/intervals.py).
A rule fails only when no values inside the intervals of all the figures involved satisfy it, so figures
that agree within rounding ("34%" for 4,326 of 12,882) always pass.

Where a figure is looked up (a total, a comparison base, the value behind a change-only or rank-only
row), rows are matched on the natural key: measure, period, direction, country (as ISO3, so spellings
such as 'Türkiye' and 'Republic of Türkiye' match), the country group when no country is given,
purpose, category, sector, education and age group. The delivery's own rows come first; then `history`
(rows of other delivery quarters), the newest delivery quarter winning.

The package: this module holds the registry (`RULES`, with each rule's description and default
severity) and runs the rules (`evaluate_rules`, `resolve_severities`, `check_plausible_change`);
`observations` normalises rows (`Obs`, `prepare_rows`, `prepare_history`), `context` holds the look-ups
the rules share, `wording` writes the figures of a finding; the rules themselves are in `breakdowns`,
`totals`, `changes` and `labels`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from mtm_pipeline.checks.findings import SEVERITIES, Finding
from mtm_pipeline.checks.rules import breakdowns, changes, labels, totals
from mtm_pipeline.checks.rules.changes import PLAUSIBLE_CHANGE_THRESHOLD_PERCENT
from mtm_pipeline.checks.rules.context import Context
from mtm_pipeline.checks.rules.observations import Obs, prepare_history, prepare_rows
from mtm_pipeline.checks.rules.wording import Emit

__all__ = [
    "PLAUSIBLE_CHANGE_THRESHOLD_PERCENT",
    "RULES",
    "Obs",
    "RuleSpec",
    "check_plausible_change",
    "evaluate_rules",
    "prepare_history",
    "prepare_rows",
    "resolve_severities",
]


@dataclass(frozen=True)
class RuleSpec:
    name: str
    description: str
    default_severity: str  # 'WARN' for inconsistencies between published figures


RULES: dict[str, RuleSpec] = {
    spec.name: spec
    for spec in (
        RuleSpec(
            "parts_sum_to_total",
            "Rows with the same part_of that differ from it in the same dimension (a breakdown) add up to "
            "the total: for a complete breakdown (parts_complete=yes) the sum of the parts' value intervals "
            "meets the total's interval; for an incomplete one the sum's lower bound does not exceed the "
            "total's upper bound. Needs a value on the total and on every part (breakdowns with a share-only "
            "part are skipped). CIS + non-CIS breakdowns are checked by group_totals_add_up, and a single "
            "listed part of an incomplete breakdown by subset_within_total.",
            "WARN",
        ),
        RuleSpec(
            "shares_sum_to_100",
            "The shares of a breakdown add up to 100 per cent: the sum of the share intervals contains 100 "
            "when the breakdown is complete and every part has a share; otherwise its lower bound is at most "
            "100. CIS + non-CIS shares are checked by group_totals_add_up.",
            "WARN",
        ),
        RuleSpec(
            "share_matches_ratio",
            "A stated share agrees with the row's value divided by the value of its part_of total: the share "
            "interval meets [part low / total high, part high / total low] x 100.",
            "WARN",
        ),
        RuleSpec(
            "stated_change_matches",
            "A stated change agrees with the values it compares: percent (value / base - 1) x 100; times "
            "-N means base / value = N and +N means value / base = N; absolute value - base; direction the "
            "sign of value - base. The base is the row with the same natural key at change_base_period (this "
            "delivery first, then history); the value of a change-only row is taken from the row of the same "
            "natural key that has one. Evaluated only when both values exist.",
            "WARN",
        ),
        RuleSpec(
            "group_totals_add_up",
            "Where CIS and non-CIS rows (country group set, no country) are parts of the same total, CIS + "
            "non-CIS equals the total (values, interval-aware) and their shares add up to 100. This is the "
            "country-group case of parts_sum_to_total and shares_sum_to_100, reported here once with the "
            "figure each group would need.",
            "WARN",
        ),
        RuleSpec(
            "subset_within_total",
            "A part never exceeds the total it is part of (lower bound of the part <= upper bound of the "
            "total), in every breakdown; likewise a purpose subset (e.g. labour) never exceeds the "
            "all-purpose figure of the same source, measure, period and dimensions.",
            "WARN",
        ),
        RuleSpec(
            "quarters_agree_with_year",
            "Where the four quarters and the year of the same measure and dimensions are published (this "
            "delivery and history), the quarters' intervals add up to the year's interval.",
            "WARN",
        ),
        RuleSpec(
            "country_group_matches_reference",
            "A delivered country group (CIS / non-CIS) agrees with the dated CIS membership of the reference "
            "data at the end of the row's period (associates count as non-CIS).",
            "WARN",
        ),
        RuleSpec(
            "rank_matches_values",
            "Stated ranks within a group (same measure, period and dimensions, ranked over one dimension) "
            "agree with the values of the ranked rows, where every ranked row has a value for that period "
            "(this delivery or history): a better rank never has a value certainly below a worse one's.",
            "WARN",
        ),
        RuleSpec(
            "plausible_change",
            "Quarter-on-quarter and year-on-year change of a quarterly total (no country) against the "
            f"comparison quarters in this delivery or history stays within +/- "
            f"{PLAUSIBLE_CHANGE_THRESHOLD_PERCENT:g} per cent (every value in the intervals beyond it: "
            "flagged). "
            "Always WARN: a large change can be real.",
            "WARN",
        ),
    )
}

_WARN_ONLY = frozenset({"plausible_change"})

RULE_FUNCTIONS: dict[str, Callable[[Context, Emit], None]] = {
    "parts_sum_to_total": breakdowns.parts_sum_to_total,
    "shares_sum_to_100": breakdowns.shares_sum_to_100,
    "share_matches_ratio": totals.share_matches_ratio,
    "stated_change_matches": changes.stated_change_matches,
    "group_totals_add_up": breakdowns.group_totals_add_up,
    "subset_within_total": totals.subset_within_total,
    "quarters_agree_with_year": totals.quarters_agree_with_year,
    "country_group_matches_reference": labels.country_group_matches_reference,
    "rank_matches_values": labels.rank_matches_values,
    "plausible_change": changes.plausible_change,
}
assert list(RULE_FUNCTIONS) == list(RULES)


def resolve_severities(severities: Mapping[str, str] | None) -> dict[str, str]:
    """Severity per rule: the default, or the override (plausible_change is always WARN)."""
    overrides = dict(severities or {})
    unknown = sorted(set(overrides) - set(RULES))
    if unknown:
        raise ValueError(f"severity override for unknown rule(s) {unknown}; rules are {list(RULES)}")
    resolved = {}
    for name, spec in RULES.items():
        severity = str(overrides.get(name, spec.default_severity)).upper()
        if severity not in SEVERITIES:
            raise ValueError(f"severity {overrides[name]!r} for rule {name} is not one of {SEVERITIES}")
        resolved[name] = "WARN" if name in _WARN_ONLY else severity
    return resolved


def evaluate_rules(
    observations: pd.DataFrame | Sequence[Mapping[str, Any]],
    history: pd.DataFrame | Sequence[Obs] | None = None,
    severities: Mapping[str, str] | None = None,
    only: frozenset[str] | None = None,
) -> list[Finding]:
    """observations: one delivery quarter, one stage (a frame, or its rows as records or `prepare_rows`).
    history: published rows of OTHER delivery quarters (same columns; may be None or empty), or those rows
    already normalised by `prepare_history`. severities: per-rule overrides of default_severity. only: these
    rules alone.
    Returns one Finding per rule evaluation (passed ones too). A rule with nothing to evaluate returns
    nothing."""
    resolved = resolve_severities(severities)
    ctx = Context(observations, history)
    findings: list[Finding] = []
    for name, rule in RULE_FUNCTIONS.items():
        if only is not None and name not in only:
            continue
        emit = Emit(name, resolved[name])
        rule(ctx, emit)
        findings.extend(emit.findings)
    return findings


def check_plausible_change(
    observations: pd.DataFrame,
    history: pd.DataFrame | None = None,
    *,
    threshold: float = PLAUSIBLE_CHANGE_THRESHOLD_PERCENT,
) -> list[Finding]:
    """plausible_change alone with another threshold (per cent); always WARN."""
    emit = Emit("plausible_change", "WARN")
    changes.plausible_change(Context(observations, history), emit, threshold)
    return emit.findings
