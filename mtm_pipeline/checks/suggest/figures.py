"""Published figures as the search sees them: one cell (obs_id, field) of a stage, its notation, and the
edits a candidate makes to copies of the stage's rows (pure, no Dagster).

A stage holds its rows twice: as delivered (the records: a figure and the precision it was written at, which
the suggestions write back) and as the rules read them (`Obs`: empty cells are None, figures are intervals,
the natural key); what the rules already read is taken from the `Obs`."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from mtm_pipeline.checks.rules.observations import Obs, obs_from_record, prepare_rows
from mtm_pipeline.intervals import Interval
from mtm_pipeline.numbers import NumberFormatError, parse_published_number, published_notation

# Which fields of the rows a rule compares (the figures a finding of that rule involves).
RULE_FIELDS: dict[str, tuple[str, ...]] = {
    "parts_sum_to_total": ("value",),
    "shares_sum_to_100": ("share",),
    "share_matches_ratio": ("value", "share"),
    "stated_change_matches": ("value", "change"),
    "group_totals_add_up": ("value", "share"),
    "subset_within_total": ("value",),
    "quarters_agree_with_year": ("value",),
    "country_group_matches_reference": (),
    "rank_matches_values": ("value", "rank"),
    "plausible_change": ("value",),
}


def missing(x: Any) -> bool:
    """An empty cell of a delivered row."""
    return x is None or x is pd.NA or (isinstance(x, float) and math.isnan(x))


def notation(field: str, value: float, precision: float | None) -> str:
    """A figure written as the extract contract writes it: '2476', '-7.6', '31.7 million', a rank '3'."""
    return str(int(value)) if field == "rank" else published_notation(value, precision)


def parse(field: str, written: str) -> tuple[float, float | None] | None:
    """The value and precision a written figure stands for; None when it is not a figure."""
    if field == "rank":
        return (float(written), None) if written.isdigit() and int(written) >= 1 else None
    try:
        number = parse_published_number(written, allow_percent_sign=field != "value")
    except NumberFormatError:
        return None
    return float(number.value), float(number.precision)


@dataclass(frozen=True)
class Cell:
    """One published figure: a field of a delivered row."""

    source: str
    obs_id: str
    field: str

    def __str__(self) -> str:
        return f"{self.obs_id} {self.field}"


@dataclass(frozen=True)
class FieldEdit:
    cell: Cell
    published: float
    published_precision: float | None
    suggested: float
    suggested_precision: float | None

    @property
    def published_text(self) -> str:
        return notation(self.cell.field, self.published, self.published_precision)

    @property
    def suggested_text(self) -> str:
        return notation(self.cell.field, self.suggested, self.suggested_precision)

    def signature(self) -> tuple:
        return (
            self.cell,
            round(self.suggested, 9),
            None if self.suggested_precision is None else round(self.suggested_precision, 9),
        )


class Stage:
    """A stage's rows as records, indexed by (source, obs_id), with the groups the rules look across."""

    def __init__(self, records: Sequence[Mapping[str, Any]]) -> None:
        self.records = [dict(r) for r in records]
        self.normalised: list[Obs] = prepare_rows(self.records)  # the rows as the rules read them
        self.position = {(str(r["source"]), str(r["obs_id"])): i for i, r in enumerate(self.records)}
        self.by_obs_id: dict[str, list[int]] = {}
        for i, r in enumerate(self.records):
            self.by_obs_id.setdefault(str(r["obs_id"]), []).append(i)
        self.component = self._components()

    def row(self, cell_or_key) -> dict:
        key = (cell_or_key.source, cell_or_key.obs_id) if isinstance(cell_or_key, Cell) else cell_or_key
        return self.records[self.position[key]]

    def obs(self, cell: Cell) -> Obs:
        """The cell's row as the rules read it."""
        return self.normalised[self.position[(cell.source, cell.obs_id)]]

    def figure(self, cell: Cell) -> tuple[float, float | None] | None:
        """The figure as delivered and the precision it was written at (the rules widen a count's)."""
        row = self.records[self.position[(cell.source, cell.obs_id)]]
        value = row.get(cell.field)
        if missing(value):
            return None
        if cell.field == "rank":
            return float(value), None
        precision = row.get(f"{cell.field}_precision")
        return float(value), None if missing(precision) else float(precision)

    def edited(self, edits: Sequence[FieldEdit]) -> Stage:
        """A copy of the stage with the edits made (the same rows in the same order: positions, natural keys
        and the groups a rule looks across are unchanged, only figures are)."""
        copy = object.__new__(Stage)
        copy.__dict__.update(self.__dict__)
        copy.records, copy.normalised = list(self.records), list(self.normalised)
        positions = sorted({self.position[(e.cell.source, e.cell.obs_id)] for e in edits})
        for pos, row in zip(positions, apply(self, positions, edits), strict=True):
            copy.records[pos] = row
            copy.normalised[pos] = obs_from_record(row, False)
        return copy

    def _components(self) -> list[int]:
        """Rows a rule may compare with each other: the same source and measure, linked through part_of."""
        parent = list(range(len(self.records)))

        def find(i: int) -> int:
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i

        def union(i: int, j: int) -> None:
            parent[find(i)] = find(j)

        first_of_measure: dict[tuple, int] = {}
        for i, obs in enumerate(self.normalised):
            key = (obs.source, obs.measure)
            if key in first_of_measure:
                union(i, first_of_measure[key])
            else:
                first_of_measure[key] = i
            if obs.part_of and (obs.source, obs.part_of) in self.position:
                union(i, self.position[(obs.source, obs.part_of)])
        return [find(i) for i in range(len(self.records))]

    def slice_positions(self, keys: Sequence[tuple[str, str]]) -> list[int]:
        wanted = {self.component[self.position[k]] for k in keys}
        return [i for i, c in enumerate(self.component) if c in wanted]

    def with_totals(self, positions: Sequence[int]) -> list[int]:
        """The positions and those of the totals their rows are parts of (a rule needs the total)."""
        out = list(positions)
        for pos in positions:
            obs = self.normalised[pos]
            key = (obs.source, obs.part_of)
            if key in self.position and self.position[key] not in out:
                out.append(self.position[key])
        return out

    def rows_of(self, obs_ids: Sequence[str], source: str) -> list[int]:
        """Positions of a finding's rows (its source first, else any source with that obs_id)."""
        out = []
        for obs_id in obs_ids:
            if (source, obs_id) in self.position:
                out.append(self.position[(source, obs_id)])
            else:
                out.extend(self.by_obs_id.get(obs_id, []))
        return out


def apply(stage: Stage, positions: Sequence[int], edits: Sequence[FieldEdit]) -> list:
    """The rows at `positions` for the rules: edited copies as records, the others as normalised once."""
    by_position: dict[int, dict] = {}
    wanted = set(positions)
    for edit in edits:
        pos = stage.position[(edit.cell.source, edit.cell.obs_id)]
        if pos not in wanted:
            continue
        row = by_position.setdefault(pos, dict(stage.records[pos]))
        if edit.cell.field == "rank":
            row["rank"] = int(edit.suggested)
        else:
            row[edit.cell.field] = edit.suggested
            row[f"{edit.cell.field}_precision"] = edit.suggested_precision
    return [by_position.get(p, stage.normalised[p]) for p in positions]


def value_of(stage: Stage, pos: int) -> Interval | None:
    """The row's value as the rules read it, else that of the row of the same natural key and period that
    has one (a share row and the count it is a share of)."""
    obs = stage.normalised[pos]
    if obs.value is not None:
        return obs.value
    return next(
        (
            o.value
            for o in stage.normalised
            if o.period == obs.period and o.value is not None and o.key == obs.key
        ),
        None,
    )
