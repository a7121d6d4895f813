"""A suggestion in words (pure): what it does ("swap the values of A and B, and set T value to 6097 (published
7097)"), its evidence, and why a finding no edit explains stays unexplained."""

from __future__ import annotations

from collections.abc import Sequence

from mtm_pipeline.checks.findings import Finding
from mtm_pipeline.checks.suggest.candidate import KINDS, Candidate
from mtm_pipeline.checks.suggest.figures import Stage
from mtm_pipeline.checks.suggest.rounding import rounding_reason

_PLURAL = {"value": "values", "share": "shares", "change": "changes", "rank": "ranks"}


def edit_phrase(member: Candidate) -> str:
    """One edit as an instruction: 'swap the values of a and b', 'set t value to 6097 (published 7097)'."""
    edits = member.edits
    if member.kind == "swap":
        ids = list(dict.fromkeys(e.cell.obs_id for e in edits))
        fields = " and ".join(_PLURAL[f] for f in dict.fromkeys(e.cell.field for e in edits))
        return f"swap the {fields} of {' and '.join(ids)}"
    return ", ".join(f"set {e.cell} to {e.suggested_text} (published {e.published_text})" for e in edits)


def set_phrase(members: Sequence[Candidate]) -> str:
    """A set of edits as one instruction: 'A, and B' or 'A, B, and C'."""
    phrases = [edit_phrase(m) for m in members]
    return phrases[0] if len(phrases) == 1 else ", ".join(phrases[:-1]) + ", and " + phrases[-1]


def _kind(kind: str) -> str:
    return KINDS[kind][0].upper() + KINDS[kind][1:]


def evidence(members: Sequence[Candidate], cleared: Sequence[Finding]) -> str:
    """Why the suggestion is offered: what each edit undoes, and the findings that pass with it."""
    passing = "; ".join(f"{f.rule} ({f.subject})" for f in cleared)
    if len(members) == 1:
        return (
            f"{_kind(members[0].kind)}: {members[0].detail}. With this edit {len(cleared)} failing "
            f"finding(s) pass: {passing}; no rule that passed fails."
        )
    undone = "; ".join(f"({n}) {_kind(m.kind)}: {m.detail}" for n, m in enumerate(members, start=1))
    return (
        f"A set of {len(members)} edits: {undone}. With these edits made together {len(cleared)} failing "
        f"finding(s) pass: {passing}; no rule that passed fails, every failing finding of the edited figures "
        "passes, and no edit alone (nor any smaller set) clears them all."
    )


def unexplained_reason(finding: Finding, stage: Stage, stopped_early: str | None, sets_searched: bool) -> str:
    """Why no suggestion clears a failing finding."""
    bounded = f" (the search {stopped_early}: an edit may exist that it did not try)" if stopped_early else ""
    if finding.rule == "country_group_matches_reference":
        return (
            "a country group, not a figure: fix the group in the extract or the reference membership"
            + bounded
        )
    reason = rounding_reason(finding, stage)
    if reason:
        return reason
    edits = "no single edit, and no set of up to three edits," if sets_searched else "no single edit"
    if finding.rule == "stated_change_matches":
        return (
            f"{edits} of the figures involved reconciles the stated change with the values without making "
            "a passing rule fail: the change may be on a basis the data does not hold" + bounded
        )
    return (
        f"{edits} of the kinds searched (typing error, sign, swap, share base, pinned value) makes this "
        "finding pass without making a passing one fail" + bounded
    )
