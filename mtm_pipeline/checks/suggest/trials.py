"""Trying edits on a stage: the stage's findings before any edit, and the two tests an edit (or a set of
edits) goes through.

The first test is cheap: each rule of the failing findings that involve the edited figures, re-run alone on
the rows of those findings (candidate values of one figure are first tried together as one range, see
screen). The full test applies the edits to a copy of the rows a rule can compare with the edited ones (the
same source and measure, linked through part_of), re-runs every rule on them, and matches findings before
and after by rule and the figures involved.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Mapping, Sequence
from dataclasses import dataclass, field

from mtm_pipeline.checks.findings import Finding
from mtm_pipeline.checks.rules import evaluate_rules
from mtm_pipeline.checks.suggest.candidate import Candidate
from mtm_pipeline.checks.suggest.figures import Cell, FieldEdit, Stage, apply
from mtm_pipeline.checks.suggest.rounding import rounding_reason
from mtm_pipeline.periods import is_quarter_key, previous_quarter, same_quarter_last_year

FindingKey = tuple[str, tuple[str, ...], int]  # rule, sorted obs_ids, occurrence of that pair


def keyed(findings: Sequence[Finding]) -> dict[FindingKey, Finding]:
    """Findings by rule, the figures involved and the occurrence of that pair (stable across edits)."""
    seen: dict[tuple, int] = {}
    out: dict[FindingKey, Finding] = {}
    for finding in findings:
        pair = (finding.rule, tuple(sorted(finding.obs_ids)))  # a rank finding lists its rows in rank order
        out[(*pair, seen.get(pair, 0))] = finding
        seen[pair] = seen.get(pair, 0) + 1
    return out


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


class History:
    """History rows (normalised) by natural key and period: an evaluation sees only the rows a rule may
    compare its rows with (the rules look history up by natural key and period only). Edits never change a
    row's natural key or period, so the same look-up serves every edited copy of the stage."""

    def __init__(self, history: Sequence | None, stage: Stage) -> None:
        self.stage = stage
        self.by_key: dict[tuple, dict[str, list]] = {}
        for obs in history or []:
            self.by_key.setdefault(obs.key, {}).setdefault(obs.period, []).append(obs)
        self._wanted: dict[int, list[tuple]] = {}
        self._rows: dict[tuple, list] = {}

    def for_positions(self, positions: Sequence[int]) -> list:
        """The history rows a rule may compare the rows at these positions with."""
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


@dataclass
class Outcome:
    """What a set of edits does to the findings that involve the edited figures."""

    cleared: set[FindingKey]  # failing before, passing after
    broken: bool  # a finding that passed (or did not exist) fails
    still_failing: set[FindingKey] = field(default_factory=set)


@dataclass
class Trials:
    """A stage, its history and its findings before any edit; the failing ones an edit is searched for."""

    stage: Stage
    hist: History
    baseline: dict[FindingKey, Finding]
    severities: Mapping[str, str] | None
    failing: list[FindingKey]  # in the stage's order, rounding ones included
    targets: list[FindingKey]  # failing and not rounding: an edit is searched for them
    rows_of: dict[FindingKey, list[int]]
    failing_of: dict[str, list[FindingKey]]  # obs_id -> the targets that involve it

    @classmethod
    def start(cls, stage: Stage, history, findings: Sequence[Finding], severities) -> Trials:
        """The trials of one stage; findings: the rules' evaluation of exactly its rows and history."""
        baseline = keyed(findings)
        failing = [k for k, f in baseline.items() if not f.passed]
        # a rounding difference is not a transcription error: no edit is searched for it
        targets = [k for k in failing if rounding_reason(baseline[k], stage) is None]
        failing_of: dict[str, list[FindingKey]] = {}
        for key in targets:
            for obs_id in key[1]:
                failing_of.setdefault(obs_id, []).append(key)
        rows_of = {k: stage.rows_of(baseline[k].obs_ids, baseline[k].source) for k in targets}
        return cls(
            stage, History(history, stage), baseline, severities, failing, targets, rows_of, failing_of
        )

    def clears_a_failing_finding(
        self,
        stage: Stage,
        edits: Sequence[FieldEdit],
        failing: Container[FindingKey] | None = None,
        unknown_passes: bool = False,
    ) -> bool:
        """The cheap first test on `stage` (the stage, or an edited copy whose failing targets are `failing`).
        unknown_passes: a finding the rule no longer evaluates (e.g. a total whose range reaches 0) counts as
        passing, so that a group of candidates is never dropped for it."""
        keys = sorted(
            {
                k
                for e in edits
                for k in self.failing_of.get(e.cell.obs_id, ())
                if failing is None or k in failing
            }
        )
        for rule in dict.fromkeys(k[0] for k in keys):
            mine = [k for k in keys if k[0] == rule]
            positions = stage.with_totals(sorted({p for key in mine for p in self.rows_of[key]}))
            rows = apply(stage, positions, edits)
            history = self.hist.for_positions(positions)
            after = keyed(evaluate_rules(rows, history, self.severities, only=frozenset({rule})))
            if any(after[k].passed if k in after else unknown_passes for k in mine):
                return True
        return False

    def outcome(self, edits: Sequence[FieldEdit]) -> Outcome:
        """The full test: every rule re-run on the rows around the edited figures of the stage."""
        edited = {(e.cell.source, e.cell.obs_id) for e in edits}
        edited_ids = {obs_id for _, obs_id in edited}
        positions = self.stage.slice_positions(sorted(edited))
        rows = apply(self.stage, positions, edits)
        result = Outcome(set(), False)
        for key, finding in keyed(
            evaluate_rules(rows, self.hist.for_positions(positions), self.severities)
        ).items():
            if not edited_ids.intersection(finding.obs_ids):
                continue
            before = self.baseline.get(key)
            if finding.passed and before is not None and not before.passed:
                result.cleared.add(key)
            elif not finding.passed and (before is None or before.passed):
                result.broken = True
            elif not finding.passed:
                result.still_failing.add(key)
        return result


def screen(batch: list[Candidate], first_test: Callable[..., bool]) -> list[Candidate]:
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
        survivors += bisect(cell, candidates, first_test)
    return survivors


def bisect(cell: Cell, candidates: list[Candidate], first_test: Callable[..., bool]) -> list[Candidate]:
    """The candidates of one figure that pass the first test, their range tried before each of them."""
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
    return bisect(cell, candidates[:half], first_test) + bisect(cell, candidates[half:], first_test)
