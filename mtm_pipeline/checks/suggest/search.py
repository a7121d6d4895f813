"""The bounded search: for every failing finding of a stage, the candidate edits of its figures that make
it pass without making any finding that passed fail (single edits); then, where single edits leave findings
of a group unexplained, sets of up to three edits (sets.py).

A candidate goes through the two tests of trials.py: first on the rows of the failing findings that involve
its figures, with their rules alone (cheap, most candidates stop there); a survivor then with every rule on
the rows around the edited figures.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from mtm_pipeline.checks.findings import Finding
from mtm_pipeline.checks.suggest import pinned_values, share_bases, signs, swaps, typing_errors
from mtm_pipeline.checks.suggest.candidate import PLAUSIBILITY, Candidate
from mtm_pipeline.checks.suggest.figures import RULE_FIELDS, Cell, FieldEdit, Stage
from mtm_pipeline.checks.suggest.trials import FindingKey, Trials, keyed, screen

__all__ = ["Accepted", "SearchResult", "cell_candidates", "cells_of", "generate", "keyed", "search"]

# Bounds of one stage's search (candidates tried on their finding's rows; wall-clock seconds).
MAX_CANDIDATES = 50_000
MAX_SECONDS = 10.0


@dataclass
class Accepted:
    """One edit, or a set of up to three, and the failing findings that pass with it."""

    members: tuple[Candidate, ...]
    cleared: tuple[FindingKey, ...]  # failing findings that pass with the edit(s), in the stage's order

    @property
    def edits(self) -> tuple[FieldEdit, ...]:
        """Every figure the suggestion changes."""
        return tuple(e for member in self.members for e in member.edits)

    @property
    def kind(self) -> str:
        """The kind of the edit, or 'set' for a set of edits."""
        return self.members[0].kind if len(self.members) == 1 else "set"


@dataclass
class SearchResult:
    findings: dict[FindingKey, Finding]  # every evaluation of the stage (passed ones too)
    accepted: list[Accepted]
    candidates_tried: int
    stopped_early: str | None = None  # why the search stopped before trying every candidate
    seconds: float = 0.0
    failing: list[FindingKey] = field(default_factory=list)  # in the stage's order, rounding ones included
    # candidates that passed the first test (accepted or not): the first edits of the set search
    screened: list[Candidate] = field(default_factory=list)
    decided: dict[frozenset, Accepted | None] = field(default_factory=dict)  # single edits by signature
    set_groups: list[frozenset] = field(default_factory=list)  # the groups the set search ran on
    set_states: int = 0  # partial sets the set search extended
    set_seconds: float = 0.0
    set_stopped_early: str | None = None


def cells_of(stage: Stage, finding: Finding, positions: list[int]) -> list[Cell]:
    """The figures a finding compares (its rows at `positions` of `stage`)."""
    cells = []
    for pos in positions:
        obs = stage.normalised[pos]
        for name in RULE_FIELDS.get(finding.rule, ()):
            if getattr(obs, name) is not None:
                cells.append(Cell(obs.source, obs.obs_id, name))
    return cells


def cell_candidates(stage: Stage, cell: Cell) -> Iterator[Candidate]:
    """Every candidate edit of one figure but a pinned value."""
    yield from signs.candidates(stage, cell)
    yield from typing_errors.candidates(stage, cell)
    yield from swaps.candidates(stage, cell)
    yield from share_bases.candidates(stage, cell)


def generate(stage: Stage, finding: Finding, positions: list[int]) -> Iterator[Candidate]:
    """Every candidate edit of the figures of a finding (its rows at `positions` of `stage`)."""
    for cell in cells_of(stage, finding, positions):
        yield from cell_candidates(stage, cell)
    yield from pinned_values.candidates(stage, finding.rule, finding.subject, positions)


def search(
    stage: Stage,
    history: Sequence | None,
    findings: Sequence[Finding],
    severities: Mapping[str, str] | None = None,
    *,
    max_candidates: int = MAX_CANDIDATES,
    max_seconds: float = MAX_SECONDS,
    max_set_size: int = 3,
) -> SearchResult:
    """stage: the rows of one stage of one quarter; history: other quarters' rows normalised by
    rules.prepare_history; findings: the rules' evaluation of exactly these rows and history.
    max_set_size: the most edits of a set (1: single edits only)."""
    from mtm_pipeline.checks.suggest import sets

    started = time.perf_counter()
    trials = Trials.start(stage, history, findings, severities)
    result = SearchResult(trials.baseline, [], 0, failing=trials.failing)
    for key in trials.targets:
        batch = _new_candidates(trials, key, result)
        if result.candidates_tried + len(batch) > max_candidates:
            batch = batch[: max_candidates - result.candidates_tried]
            result.stopped_early = f"stopped after {max_candidates} candidate edits (the search's bound)"
        _try_single_edits(trials, batch, result)
        if not result.stopped_early and time.perf_counter() - started > max_seconds:
            result.stopped_early = f"stopped after {max_seconds:g} s (the search's time bound)"
        if result.stopped_early:
            break
    result.seconds = time.perf_counter() - started
    if max_set_size > 1 and not result.stopped_early:
        sets.search_sets(trials, result, max_set_size=max_set_size, deadline=started + max_seconds)
        result.seconds = time.perf_counter() - started
    return result


def _new_candidates(trials: Trials, key: FindingKey, result: SearchResult) -> list[Candidate]:
    """The candidates of a finding not tried yet, one per edit (its most plausible reading); an edit
    accepted already keeps its most plausible reading."""
    pending: dict[frozenset, Candidate] = {}
    for candidate in generate(trials.stage, trials.baseline[key], trials.rows_of[key]):
        signature = candidate.signature()
        known = result.decided.get(signature)
        if isinstance(known, Accepted):
            if PLAUSIBILITY[candidate.kind] < PLAUSIBILITY[known.members[0].kind]:
                known.members = (candidate,)
        elif signature in pending:
            if PLAUSIBILITY[candidate.kind] < PLAUSIBILITY[pending[signature].kind]:
                pending[signature] = candidate
        elif signature not in result.decided:
            pending[signature] = candidate
    return list(pending.values())


def _try_single_edits(trials: Trials, batch: list[Candidate], result: SearchResult) -> None:
    result.candidates_tried += len(batch)
    for candidate in batch:
        result.decided[candidate.signature()] = None

    def first_test(edits, unknown_passes=False) -> bool:
        return trials.clears_a_failing_finding(trials.stage, edits, unknown_passes=unknown_passes)

    for candidate in screen(batch, first_test):
        result.screened.append(candidate)
        outcome = trials.outcome(candidate.edits)
        if outcome.cleared and not outcome.broken:
            accepted = Accepted((candidate,), tuple(k for k in trials.failing if k in outcome.cleared))
            result.decided[candidate.signature()] = accepted
            result.accepted.append(accepted)
