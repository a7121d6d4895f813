"""Sets of up to three edits that together explain a group of failing findings single edits leave
unexplained (error localisation in the sense of Fellegi and Holt, over the candidate edits of the kinds
searched, within the published precision of every figure).

A group is the failing findings (rounding ones aside) that share figures. The set search runs on a group
only where single edits leave it unexplained: the best single edits of the group, made together, conflict
(two values for one figure), make a passing finding fail, or leave a finding failing that is not a rounding
difference then; or a finding no single edit clears passes only with several of them.

The search is a bounded combinatorial one over the existing candidate generators, not a solver: a set
starts with an accepted single edit of the group (or, where there are few, another edit that clears a
failing finding on its own in the first test), and grows by an edit, generated on the stage as already
edited, that clears a finding still failing. Candidates generated on
the edited stage are what makes a solved value or a share's base follow the other edits (a total's sum
after a swap, a share over a corrected total). A set is offered when, with all its edits made:
- no finding that passed fails;
- every failing finding that involves an edited figure passes (rounding ones aside);
- it clears a finding single edits leave unexplained;
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
from dataclasses import dataclass, field

from mtm_pipeline.checks.suggest import order, pinned_values, share_bases, signs, swaps, typing_errors
from mtm_pipeline.checks.suggest.candidate import PLAUSIBILITY, Candidate
from mtm_pipeline.checks.suggest.figures import Cell, Stage
from mtm_pipeline.checks.suggest.rounding import rounding_reason
from mtm_pipeline.checks.suggest.search import Accepted, SearchResult, cells_of
from mtm_pipeline.checks.suggest.trials import FindingKey, Outcome, Trials, screen

MAX_FIRST_EDITS = 40  # other edits tried as the start of a set where a group has few accepted single edits
BEAM = 6  # partial sets of one size extended per group, those that clear the most findings first
MAX_STATES = 200  # partial sets extended by one edit, for the whole stage


@dataclass
class _Partial:
    members: tuple[Candidate, ...]
    outcome: Outcome

    @property
    def edits(self) -> tuple:
        """Every figure the partial set changes."""
        return tuple(e for m in self.members for e in m.edits)


def target_groups(trials: Trials) -> list[frozenset[FindingKey]]:
    """The failing findings searched for (rounding ones aside) that share figures, in the stage's order."""
    groups: list[set[FindingKey]] = []
    for key in trials.targets:
        touching = [g for g in groups if any(set(key[1]) & set(other[1]) for other in g)]
        merged = {key}.union(*touching)
        groups = [g for g in groups if g not in touching] + [merged]
    return sorted((frozenset(g) for g in groups), key=lambda g: min(trials.targets.index(k) for k in g))


def search_sets(trials: Trials, result: SearchResult, *, max_set_size: int, deadline: float) -> None:
    """Add to result.accepted the sets of up to max_set_size edits of the groups single edits leave
    unexplained, until the deadline (time.perf_counter() of the whole search's time bound: the set search
    shares it with the single edits); the cost (partial sets extended, seconds) is recorded in the result."""
    started = time.perf_counter()
    alone: dict[frozenset, set[FindingKey]] = {}
    for group in target_groups(trials):
        unexplained = _unexplained(trials, result, group)
        if not unexplained:
            continue
        result.set_groups.append(group)
        search = _GroupSearch(trials, result, group, unexplained, deadline, alone)
        search.run(max_set_size)
        if result.set_stopped_early:
            break
    result.set_seconds = time.perf_counter() - started


def _unexplained(trials: Trials, result: SearchResult, group: frozenset[FindingKey]) -> frozenset:
    """The findings of a group single edits leave unexplained (none: no set is searched). The best single
    edits of the group (rank 1) are made together: a finding that then still fails (but for a rounding
    difference, which no edit corrects), or that passes although no single edit clears it (a set says so).
    Where they disagree on a figure or make a passing finding fail, every finding of the group."""
    singles = [a for a in result.accepted if set(a.cleared) & group]
    best = [a for rank, a in order.ranked(trials.stage, singles) if rank == 1]
    chosen: dict = {}
    for edit in (e for a in best for e in a.edits):
        if chosen.setdefault(edit.cell, edit).signature() != edit.signature():
            return group  # two best single edits of one figure disagree
    made = trials.outcome(list(chosen.values())) if chosen else Outcome(set(), False)
    if made.broken:
        return group
    stage = trials.stage.edited(list(chosen.values()))
    by_single = {k for a in singles for k in a.cleared}
    return frozenset(
        key
        for key in group
        if (key in made.cleared and key not in by_single)
        or (key not in made.cleared and rounding_reason(trials.baseline[key], stage) is None)
    )


def _remaining(trials: Trials, keys: frozenset[FindingKey], cleared: set, stage: Stage) -> set[FindingKey]:
    """The findings still failing on the edited stage, a rounding difference aside (never edited)."""
    return {k for k in keys - cleared if rounding_reason(trials.baseline[k], stage) is None}


def _candidates(
    trials: Trials, stage: Stage, remaining: set[FindingKey], edited: set, own: dict[Cell, list[Candidate]]
) -> list[Candidate]:
    """The candidate edits of the figures of the remaining findings, on the edited stage (so that a pinned
    value, a swap or a share's base follows the edits made); none of a figure already edited. own: the
    slips and signs of each figure, which depend on that figure alone (kept across partial sets)."""
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
        if cell in edited:
            continue
        if cell not in own:
            own[cell] = [*signs.candidates(stage, cell), *typing_errors.candidates(stage, cell)]
        for candidate in (*own[cell], *swaps.candidates(stage, cell), *share_bases.candidates(stage, cell)):
            keep(candidate)
    for key in remaining:
        finding = trials.baseline[key]
        for candidate in pinned_values.candidates(stage, finding.rule, finding.subject, trials.rows_of[key]):
            keep(candidate)
    return list(pending.values())


@dataclass
class _GroupSearch:
    """The set search of one group: partial sets grown one edit at a time, level by level."""

    trials: Trials
    result: SearchResult
    group: frozenset[FindingKey]
    unexplained: frozenset[FindingKey]  # a set offered clears one of them
    deadline: float
    alone: dict[frozenset, set[FindingKey]]  # what edits clear without the others (cache)
    seen: set[frozenset] = field(default_factory=set)
    own: dict[Cell, list[Candidate]] = field(default_factory=dict)  # a figure's slips and signs (cache)

    def run(self, max_set_size: int) -> None:
        """Sets of 2, then 3, ... edits; the larger ones only where no set explains the whole group."""
        states = self._first_states()
        for size in range(2, max_set_size + 1):
            grown: list[_Partial] = []
            states.sort(key=lambda s: (-len(s.outcome.cleared), [PLAUSIBILITY[m.kind] for m in s.members]))
            for state in states[:BEAM]:
                if self._out_of_bounds():
                    return
                self.result.set_states += 1
                grown += self._grow(state, last=size == max_set_size)
                if self._explained(size):
                    return  # the best partial sets first: a set of this size explains the whole group
            states = grown

    def _first_states(self) -> list[_Partial]:
        """The edits a set may start with: the group's accepted single edits (best first); where there are
        fewer than BEAM, the other edits of the group's figures that clear a finding on their own in the
        first test, by plausibility (those that make a passing finding fail are left out)."""
        accepted = [a for a in self.result.accepted if set(a.cleared) & self.group]
        states = [
            _Partial(a.members, Outcome(set(a.cleared), False))
            for _, a in order.ranked(self.trials.stage, accepted)
        ]
        ids = {obs_id for key in self.group for obs_id in key[1]}
        taken = {a.members[0].signature() for a in accepted}
        others = [
            c
            for c in self.result.screened
            if c.signature() not in taken and any(e.cell.obs_id in ids for e in c.edits)
        ]
        for candidate in sorted(others, key=lambda c: PLAUSIBILITY[c.kind])[:MAX_FIRST_EDITS]:
            if len(states) >= BEAM:
                break
            outcome = self.trials.outcome(candidate.edits)
            if not outcome.broken:
                states.append(_Partial((candidate,), outcome))
        return states

    def _out_of_bounds(self) -> bool:
        if self.result.set_states >= MAX_STATES:
            self.result.set_stopped_early = (
                f"stopped after extending {MAX_STATES} partial sets of edits (the set search's bound)"
            )
        elif time.perf_counter() > self.deadline:
            self.result.set_stopped_early = "stopped at the search's time bound"
        return self.result.set_stopped_early is not None

    def _explained(self, size: int) -> bool:
        return any(len(a.members) == size and self.group <= set(a.cleared) for a in self.result.accepted)

    def _grow(self, state: _Partial, *, last: bool) -> list[_Partial]:
        """The partial sets one edit larger; those to offer are added to result.accepted. The last edit of
        a set that clears no unexplained finding yet must clear one: only their figures are edited then."""
        trials = self.trials
        stage = trials.stage.edited(state.edits)
        wanted = self.unexplained if last and not state.outcome.cleared & self.unexplained else self.group
        remaining = _remaining(trials, wanted, state.outcome.cleared, stage)
        pending = _candidates(trials, stage, remaining, {e.cell for e in state.edits}, self.own)

        def first_test(edits, unknown_passes=False) -> bool:
            return trials.clears_a_failing_finding(stage, edits, remaining, unknown_passes)

        grown = []
        for candidate in screen(pending, first_test):
            members = tuple(sorted((*state.members, candidate), key=lambda m: _table_order(trials, m)))
            signature = frozenset(s for m in members for s in m.signature())
            if signature in self.seen or signature in self.result.decided:
                continue  # tried, or a single edit (a swap of values and shares is one edit, not two)
            self.seen.add(signature)
            outcome = trials.outcome([e for m in members for e in m.edits])
            if outcome.broken or not outcome.cleared:
                continue
            grown.append(_Partial(members, outcome))
            if self._offered(members, outcome):
                cleared = tuple(k for k in trials.failing if k in outcome.cleared)
                self.result.accepted.append(Accepted(members, cleared))
        return grown

    def _offered(self, members: tuple[Candidate, ...], outcome: Outcome) -> bool:
        trials, result, alone = self.trials, self.result, self.alone
        if not outcome.cleared & self.unexplained:
            return False  # it explains nothing single edits leave unexplained
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
