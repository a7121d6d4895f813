"""Sets of up to three edits that together explain a group of failing findings single edits leave
unexplained (error localisation in the sense of Fellegi and Holt, over the candidate edits of the kinds
searched, within the published precision of every figure).

A group is the failing findings (rounding ones aside) that share figures. The set search runs on a group
only where single edits leave it unexplained: the best single edits of the group, made together, conflict
(two values for one figure), make a passing finding fail, or leave a finding failing that is not a rounding
difference then; or a finding no single edit clears passes only with several of them.

The search is a bounded combinatorial one over the existing candidate generators, not a solver: a set
starts with an edit that clears a failing finding on its own (the first test), and grows by an edit,
generated on the stage as already edited, that clears a finding still failing. Candidates generated on
the edited stage are what makes a solved value or a share's base follow the other edits (a total's sum
after a swap, a share over a corrected total). A set is offered when, with all its edits made:
- no finding that passed fails;
- every failing finding that involves an edited figure passes (rounding ones aside);
- it clears a finding none of its edits clears alone (otherwise it is independent single edits, shown as
  such), and, of three edits, more than any two of them.
Where a group has a set that clears all its findings with two edits, sets of three are not searched. The
linear solver route (scipy.optimize.milp over the rules written as linear constraints on intervals) was
not taken: several rules are not linear (ratios, ranks, stated changes), a solver's values would not be
written in the figures' notation, and the rules would be written twice; the evaluated rules stay the one
judge of every set.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from mtm_pipeline.checks.suggest import order, pinned_values
from mtm_pipeline.checks.suggest.candidate import PLAUSIBILITY, Candidate
from mtm_pipeline.checks.suggest.figures import Stage
from mtm_pipeline.checks.suggest.rounding import rounding_reason
from mtm_pipeline.checks.suggest.search import Accepted, SearchResult, cell_candidates, cells_of
from mtm_pipeline.checks.suggest.trials import FindingKey, Outcome, Trials, screen

MAX_FIRST_EDITS = 40  # edits a set of one group may start with
BEAM = 6  # partial sets of one size extended per group, those that clear the most findings first
MAX_STATES = 200  # partial sets extended by one edit, for the whole stage


@dataclass
class _Partial:
    members: tuple[Candidate, ...]
    outcome: Outcome

    @property
    def edits(self) -> tuple:
        return tuple(e for m in self.members for e in m.edits)


def target_groups(trials: Trials) -> list[frozenset[FindingKey]]:
    """The failing findings searched for (rounding ones aside) that share figures, in the stage's order."""
    groups: list[set[FindingKey]] = []
    for key in trials.targets:
        touching = [g for g in groups if any(set(key[1]) & set(other[1]) for other in g)]
        merged = {key}.union(*touching)
        groups = [g for g in groups if g not in touching] + [merged]
    return sorted((frozenset(g) for g in groups), key=lambda g: min(trials.targets.index(k) for k in g))


def search_sets(trials: Trials, result: SearchResult, *, max_set_size: int, max_seconds: float) -> None:
    """Add to result.accepted the sets of up to max_set_size edits of the groups single edits leave
    unexplained; the cost (partial sets extended, seconds) is recorded in the result."""
    started = time.perf_counter()
    alone: dict[frozenset, set[FindingKey]] = {}
    for group in target_groups(trials):
        if not _needs_sets(trials, result, group):
            continue
        result.set_groups.append(group)
        _search_group(trials, result, group, max_set_size, started + max_seconds, alone)
        if result.set_stopped_early:
            break
    result.set_seconds = time.perf_counter() - started


def _needs_sets(trials: Trials, result: SearchResult, group: frozenset[FindingKey]) -> bool:
    """Whether single edits leave the group unexplained: its best single edits (rank 1), made together,
    disagree on a figure, make a passing finding fail, or leave a finding of the group failing (but for a
    rounding difference, which no edit corrects); or a finding no single edit clears passes only with
    several of them (a set says so)."""
    singles = [a for a in result.accepted if set(a.cleared) & group]
    best = [a for rank, a in order.ranked(trials.stage, singles) if rank == 1]
    chosen: dict = {}
    for edit in (e for a in best for e in a.edits):
        if chosen.setdefault(edit.cell, edit).signature() != edit.signature():
            return True  # two best single edits of one figure disagree
    made = trials.outcome(list(chosen.values())) if chosen else None
    if made is not None and made.broken:
        return True
    stage = trials.stage.edited(list(chosen.values()))
    by_single = {k for a in singles for k in a.cleared}
    cleared = made.cleared if made is not None else set()
    for key in group:
        if key in cleared and key not in by_single:
            return True  # it passes only with several edits: the set says so
        if key not in cleared and rounding_reason(trials.baseline[key], stage) is None:
            return True  # still failing, and not by rounding
    return False


def _first_edits(trials: Trials, result: SearchResult, group: frozenset[FindingKey]) -> list[Candidate]:
    """The edits a set may start with: those of the group's figures that clear a finding on their own,
    accepted single edits first (best first), then by plausibility."""
    accepted = {a.members[0].signature(): a for a in result.accepted if set(a.cleared) & group}
    best = [a.members[0] for _, a in order.ranked(trials.stage, list(accepted.values()))]
    ids = {obs_id for key in group for obs_id in key[1]}
    others = [
        c
        for c in result.screened
        if c.signature() not in accepted and any(e.cell.obs_id in ids for e in c.edits)
    ]
    others.sort(key=lambda c: PLAUSIBILITY[c.kind])
    return (best + others)[:MAX_FIRST_EDITS]


def _search_group(trials, result, group, max_set_size, deadline, alone) -> None:
    seen: set[frozenset] = set()
    states = []
    for first in _first_edits(trials, result, group):
        outcome = trials.outcome(first.edits)
        if not outcome.broken:
            states.append(_Partial((first,), outcome))
    for _size in range(2, max_set_size + 1):
        grown: list[_Partial] = []
        states.sort(key=lambda s: (-len(s.outcome.cleared), [PLAUSIBILITY[m.kind] for m in s.members]))
        for state in states[:BEAM]:
            if result.set_states >= MAX_STATES or time.perf_counter() > deadline:
                result.set_stopped_early = (
                    f"stopped after extending {result.set_states} partial sets of edits (the set search's "
                    "bound)"
                    if result.set_states >= MAX_STATES
                    else "stopped at the search's time bound"
                )
                return
            result.set_states += 1
            grown += _grow(trials, result, group, state, seen, alone)
        if any(group <= set(a.cleared) for a in result.accepted if len(a.members) > 1):
            return  # a set explains the whole group: no larger set is searched
        states = grown


def _remaining(trials: Trials, group: frozenset[FindingKey], cleared: set, stage: Stage) -> set[FindingKey]:
    """The group's findings still failing on the edited stage, a rounding difference aside (never edited)."""
    return {k for k in group - cleared if rounding_reason(trials.baseline[k], stage) is None}


def _candidates(trials: Trials, stage: Stage, remaining: set[FindingKey], edited: set) -> list[Candidate]:
    """The candidate edits of the figures of the remaining findings, on the edited stage (so that a pinned
    value or a share's base follows the edits made); none of a figure already edited."""
    pending: dict[frozenset, Candidate] = {}

    def keep(candidate: Candidate) -> None:
        signature = candidate.signature()
        if edited & {e.cell for e in candidate.edits}:
            return
        if signature not in pending or PLAUSIBILITY[candidate.kind] < PLAUSIBILITY[pending[signature].kind]:
            pending[signature] = candidate

    cells = dict.fromkeys(
        cell for key in remaining for cell in cells_of(stage, trials.baseline[key], trials.rows_of[key])
    )
    for cell in cells:
        for candidate in cell_candidates(stage, cell):
            keep(candidate)
    for key in remaining:
        finding = trials.baseline[key]
        for candidate in pinned_values.candidates(stage, finding.rule, finding.subject, trials.rows_of[key]):
            keep(candidate)
    return list(pending.values())


def _grow(trials, result, group, state: _Partial, seen: set, alone: dict) -> list[_Partial]:
    """The partial sets one edit larger; those that are sets to offer are added to result.accepted."""
    stage = trials.stage.edited(state.edits)
    remaining = _remaining(trials, group, state.outcome.cleared, stage)
    pending = _candidates(trials, stage, remaining, {e.cell for e in state.edits})

    def first_test(edits, unknown_passes=False) -> bool:
        return trials.clears_a_failing_finding(stage, edits, remaining, unknown_passes)

    grown = []
    for candidate in screen(pending, first_test):
        members = tuple(sorted((*state.members, candidate), key=lambda m: _table_order(trials, m)))
        signature = frozenset(s for m in members for s in m.signature())
        if signature in seen or signature in result.decided:
            continue  # tried, or a single edit (a swap of values and shares is one edit, not two)
        seen.add(signature)
        outcome = trials.outcome([e for m in members for e in m.edits])
        if outcome.broken or not outcome.cleared:
            continue
        grown.append(_Partial(members, outcome))
        if _offered(trials, result, members, outcome, alone):
            result.accepted.append(
                Accepted(members, tuple(k for k in trials.failing if k in outcome.cleared))
            )
    return grown


def _table_order(trials: Trials, member: Candidate) -> int:
    return min(trials.stage.position[(e.cell.source, e.cell.obs_id)] for e in member.edits)


def _cleared_by(trials: Trials, result: SearchResult, members, alone: dict) -> set[FindingKey]:
    """What these edits clear without making a passing finding fail (empty when they break one)."""
    signature = frozenset(s for m in members for s in m.signature())
    if signature not in alone:
        known = result.decided.get(signature, False) if len(members) == 1 else False
        if known is not False:
            alone[signature] = set() if known is None else set(known.cleared)
        else:
            outcome = trials.outcome([e for m in members for e in m.edits])
            alone[signature] = set() if outcome.broken else outcome.cleared
    return alone[signature]


def _offered(trials, result, members, outcome: Outcome, alone: dict) -> bool:
    stage = trials.stage.edited([e for m in members for e in m.edits])
    if any(rounding_reason(trials.baseline[k], stage) is None for k in outcome.still_failing):
        return False  # a failing finding of an edited figure still fails, not by rounding
    singly = set().union(*(_cleared_by(trials, result, (m,), alone) for m in members))
    if not outcome.cleared - singly:
        return False  # independent single edits
    if len(members) == 3:
        pairs = [tuple(m for m in members if m is not left_out) for left_out in members]
        return all(_cleared_by(trials, result, pair, alone) != outcome.cleared for pair in pairs)
    return True
