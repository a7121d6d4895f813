"""The bounded search: for every failing finding of a stage, the candidate edits of its figures that make
it pass without making any finding that passed fail.

Each candidate is first tried on the rows of the failing findings that involve its figures, with their rules
alone (cheap, most candidates stop there; candidate values of one figure are first tried together as one
range, see _screen); a survivor is applied to a copy of the rows a rule can compare with the edited ones (the
same source and measure, linked through part_of) and every rule is re-run on them. Findings are matched
before and after by rule and the figures involved.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from mtm_pipeline.checks.findings import Finding
from mtm_pipeline.checks.rules import evaluate_rules
from mtm_pipeline.checks.suggest import pinned_values, share_bases, signs, swaps, typing_errors
from mtm_pipeline.checks.suggest.candidate import PLAUSIBILITY, Candidate
from mtm_pipeline.checks.suggest.figures import RULE_FIELDS, Cell, FieldEdit, Stage, apply
from mtm_pipeline.checks.suggest.rounding import rounding_reason
from mtm_pipeline.periods import is_quarter_key, previous_quarter, same_quarter_last_year

# Bounds of one stage's search (candidates tried on their finding's rows; wall-clock seconds).
MAX_CANDIDATES = 50_000
MAX_SECONDS = 10.0

FindingKey = tuple[str, tuple[str, ...], int]  # rule, sorted obs_ids, occurrence of that pair


def keyed(findings: Sequence[Finding]) -> dict[FindingKey, Finding]:
    seen: dict[tuple, int] = {}
    out: dict[FindingKey, Finding] = {}
    for finding in findings:
        pair = (finding.rule, tuple(sorted(finding.obs_ids)))  # a rank finding lists its rows in rank order
        out[(*pair, seen.get(pair, 0))] = finding
        seen[pair] = seen.get(pair, 0) + 1
    return out


@dataclass
class Accepted:
    candidate: Candidate
    cleared: tuple[FindingKey, ...]  # failing findings that pass with the edit, in the stage's order


@dataclass
class SearchResult:
    findings: dict[FindingKey, Finding]  # every evaluation of the stage (passed ones too)
    accepted: list[Accepted]
    candidates_tried: int
    stopped_early: str | None = None  # why the search stopped before trying every candidate
    seconds: float = 0.0
    failing: list[FindingKey] = field(default_factory=list)  # in the stage's order, rounding ones included


def _periods_compared(obs) -> set[str]:
    """The periods a rule may compare a row's figure with: its own, the stated change's base, the previous
    quarter and the same quarter a year before, and the year with its four quarters."""
    periods = {obs.period, obs.change_base_period}
    if is_quarter_key(obs.period):
        periods |= {previous_quarter(obs.period), same_quarter_last_year(obs.period)}
    year = obs.period[:4]
    if year.isdigit():
        periods |= {year, *(f"{year}-Q{q}" for q in range(1, 5))}
    return periods


class _History:
    """History rows (normalised) by natural key and period: an evaluation sees only the rows a rule may
    compare its rows with (the rules look history up by natural key and period only)."""

    def __init__(self, history: Sequence | None, stage: Stage) -> None:
        self.stage = stage
        self.by_key: dict[tuple, dict[str, list]] = {}
        for obs in history or []:
            self.by_key.setdefault(obs.key, {}).setdefault(obs.period, []).append(obs)
        self._wanted: dict[int, list[tuple]] = {}
        self._rows: dict[tuple, list] = {}

    def for_positions(self, positions: Sequence[int]) -> list:
        wanted = tuple(positions)
        if wanted not in self._rows:
            pairs = dict.fromkeys(pair for p in positions for pair in self._pairs(p))
            self._rows[wanted] = [obs for key, period in pairs for obs in self.by_key[key][period]]
        return self._rows[wanted]

    def _pairs(self, position: int) -> list[tuple]:
        if position not in self._wanted:
            obs = self.stage.normalised[position]
            periods = self.by_key.get(obs.key, {})
            self._wanted[position] = [(obs.key, p) for p in _periods_compared(obs) if p in periods]
        return self._wanted[position]


def _cells(stage: Stage, finding: Finding, positions: list[int]) -> list[Cell]:
    cells = []
    for pos in positions:
        obs = stage.normalised[pos]
        for name in RULE_FIELDS.get(finding.rule, ()):
            if getattr(obs, name) is not None:
                cells.append(Cell(obs.source, obs.obs_id, name))
    return cells


def _generate(stage: Stage, finding: Finding, positions: list[int]) -> Iterator[Candidate]:
    for cell in _cells(stage, finding, positions):
        yield from signs.candidates(stage, cell)
        yield from typing_errors.candidates(stage, cell)
        yield from swaps.candidates(stage, cell)
        yield from share_bases.candidates(stage, cell)
    yield from pinned_values.candidates(stage, finding.rule, finding.subject, positions)


def search(
    stage: Stage,
    history: Sequence | None,
    findings: Sequence[Finding],
    severities: Mapping[str, str] | None = None,
    *,
    max_candidates: int = MAX_CANDIDATES,
    max_seconds: float = MAX_SECONDS,
) -> SearchResult:
    """stage: the rows of one stage of one quarter; history: other quarters' rows normalised by
    rules.prepare_history; findings: the rules' evaluation of exactly these rows and history."""
    started = time.perf_counter()
    hist = _History(history, stage)
    baseline = keyed(findings)
    failing = [k for k, f in baseline.items() if not f.passed]
    result = SearchResult(baseline, [], 0, failing=failing)
    # a rounding difference is not a transcription error: no edit is searched for it
    targets = [k for k in failing if rounding_reason(baseline[k], stage) is None]
    rows_of = {k: stage.rows_of(baseline[k].obs_ids, baseline[k].source) for k in targets}
    failing_of: dict[str, list[FindingKey]] = {}
    for key in targets:
        for obs_id in key[1]:
            failing_of.setdefault(obs_id, []).append(key)
    # signature -> the accepted edit, or None (it clears nothing, or makes a passing finding fail)
    decided: dict[frozenset, Accepted | None] = {}

    def first_test(edits, *, unknown_passes: bool = False) -> bool:
        return _clears_a_failing_finding(stage, edits, rows_of, failing_of, hist, severities, unknown_passes)

    for key in targets:
        pending: dict[frozenset, Candidate] = {}
        for candidate in _generate(stage, baseline[key], rows_of[key]):
            signature = candidate.signature()
            known = decided.get(signature, pending.get(signature))
            if isinstance(known, Accepted):
                if PLAUSIBILITY[candidate.kind] < PLAUSIBILITY[known.candidate.kind]:
                    known.candidate = candidate
            elif signature in pending:
                if PLAUSIBILITY[candidate.kind] < PLAUSIBILITY[known.kind]:
                    pending[signature] = candidate
            elif signature not in decided:
                pending[signature] = candidate
        batch = list(pending.values())
        if result.candidates_tried + len(batch) > max_candidates:
            batch = batch[: max_candidates - result.candidates_tried]
            result.stopped_early = f"stopped after {max_candidates} candidate edits (the search's bound)"
        result.candidates_tried += len(batch)
        for candidate in batch:
            decided[candidate.signature()] = None
        for candidate in _screen(batch, first_test):
            cleared = _cleared_without_breaking(stage, candidate, baseline, hist, severities)
            if cleared:
                accepted = Accepted(candidate, tuple(k for k in failing if k in cleared))
                decided[candidate.signature()] = accepted
                result.accepted.append(accepted)
        if not result.stopped_early and time.perf_counter() - started > max_seconds:
            result.stopped_early = f"stopped after {max_seconds:g} s (the search's time bound)"
        if result.stopped_early:
            break
    result.seconds = time.perf_counter() - started
    return result


def _screen(batch: list[Candidate], first_test) -> list[Candidate]:
    """The candidates that pass the first test. Edits of one value or one share are tested in groups first:
    a rule passes when some values within the intervals of its figures satisfy it, so a rule that fails
    with the figure standing for the whole range of a group of candidates fails for each of them, and the
    group is dropped after one evaluation (the range is halved until single candidates are tested)."""
    groups: dict[Cell, list[Candidate]] = {}
    survivors = []
    for candidate in batch:
        if len(candidate.edits) == 1 and candidate.edits[0].cell.field in ("value", "share"):
            groups.setdefault(candidate.edits[0].cell, []).append(candidate)
        elif first_test(candidate.edits):
            survivors.append(candidate)
    for cell, candidates in groups.items():
        candidates.sort(key=lambda c: c.edits[0].suggested)
        survivors += _bisect(cell, candidates, first_test)
    return survivors


def _bisect(cell: Cell, candidates: list[Candidate], first_test) -> list[Candidate]:
    if len(candidates) <= 2:
        return [c for c in candidates if first_test(c.edits)]
    edits = [c.edits[0] for c in candidates]
    low = min(e.suggested - (e.suggested_precision or 0.0) / 2 for e in edits)
    high = max(e.suggested + (e.suggested_precision or 0.0) / 2 for e in edits)
    width = max(high - low, 2.0) if cell.field == "value" else high - low  # <= 1 would read as an exact count
    probe = FieldEdit(cell, edits[0].published, edits[0].published_precision, (low + high) / 2, width)
    if not first_test((probe,), unknown_passes=True):
        return []
    half = len(candidates) // 2
    return _bisect(cell, candidates[:half], first_test) + _bisect(cell, candidates[half:], first_test)


def _clears_a_failing_finding(
    stage, edits, rows_of, failing_of, hist, severities, unknown_passes=False
) -> bool:
    """The cheap first test: each rule of the failing findings that involve the edited figures, re-run alone
    on the rows of its findings (a rule re-run on another rule's rows would evaluate findings not needed).
    unknown_passes: a finding the rule no longer evaluates (e.g. a total whose range reaches 0) counts as
    passing, so that a group of candidates is never dropped for it."""
    keys = sorted({k for e in edits for k in failing_of.get(e.cell.obs_id, ())})
    for rule in dict.fromkeys(k[0] for k in keys):
        mine = [k for k in keys if k[0] == rule]
        positions = stage.with_totals(sorted({p for key in mine for p in rows_of[key]}))
        rows = apply(stage, positions, edits)
        after = keyed(evaluate_rules(rows, hist.for_positions(positions), severities, only=frozenset({rule})))
        if any(after[k].passed if k in after else unknown_passes for k in mine):
            return True
    return False


def _cleared_without_breaking(stage, candidate, baseline, hist, severities) -> set | None:
    edited = {(e.cell.source, e.cell.obs_id) for e in candidate.edits}
    edited_ids = {obs_id for _, obs_id in edited}
    positions = stage.slice_positions(sorted(edited))
    rows = apply(stage, positions, candidate.edits)
    history = hist.for_positions(positions)
    cleared = set()
    for key, finding in keyed(evaluate_rules(rows, history, severities)).items():
        if not edited_ids.intersection(finding.obs_ids):
            continue
        before = baseline.get(key)
        if finding.passed and before is not None and not before.passed:
            cleared.add(key)
        elif not finding.passed and (before is None or before.passed):
            return None
    return cleared
