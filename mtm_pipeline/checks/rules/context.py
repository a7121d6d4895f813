"""What the rules look up: the delivery's rows and the history, a figure's value by natural key and
period, and the breakdowns (the parts of each total, by the dimension in which they differ from it)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from mtm_pipeline.checks.rules.observations import (
    TEXT_DIMS,
    Obs,
    as_records,
    obs_from_record,
    prepare_history,
)
from mtm_pipeline.intervals import Interval


class Context:
    """The delivery's rows and the history, with the look-ups the rules share."""

    def __init__(
        self,
        observations: pd.DataFrame | Sequence[Mapping[str, Any]],
        history: pd.DataFrame | Sequence[Obs] | None,
    ) -> None:
        self.obs = [r if isinstance(r, Obs) else obs_from_record(r, False) for r in as_records(observations)]
        own_quarters = {o.delivery_quarter for o in self.obs}
        prepared = history if isinstance(history, Sequence) else prepare_history(history)
        self.hist = sorted(
            (o for o in prepared if o.delivery_quarter not in own_quarters),
            key=lambda o: o.delivery_quarter or "",
            reverse=True,
        )
        self.by_id: dict[tuple[str, str], Obs] = {(o.source, o.obs_id): o for o in self.obs}
        self._values: dict[tuple, Obs] = {}
        for o in [*self.obs, *self.hist]:  # the delivery first, then history newest first
            if o.value is not None:
                self._values.setdefault((o.key, o.period), o)
        self.breakdowns = self._breakdowns()

    def value_row(self, key: tuple, period: str, *, history: bool = True) -> Obs | None:
        row = self._values.get((key, period))
        if row is not None and row.from_history and not history:
            return None
        return row

    def value_of(self, o: Obs, *, history: bool = False) -> tuple[Interval, Obs] | None:
        """The row's value, else the value of a row with the same natural key and period."""
        if o.value is not None:
            return o.value, o
        row = self.value_row(o.key, o.period, history=history)
        return None if row is None else (row.value, row)

    def _breakdowns(self) -> dict[tuple, list[Obs]]:
        groups: dict[tuple, list[Obs]] = {}
        for o in self.obs:
            if o.part_of is None:
                continue
            total = self.by_id.get((o.source, o.part_of))
            if total is None:
                continue
            groups.setdefault((o.source, o.part_of, breakdown_dims(o, total)), []).append(o)
        return groups


def breakdown_dims(part: Obs, total: Obs) -> tuple[str, ...]:
    """The dimension(s) in which a part differs from its total (a country implies its group)."""
    if part.country_key != total.country_key:
        return ("country",)
    dims = tuple(d for d in TEXT_DIMS if getattr(part, d) != getattr(total, d))
    return dims or ("none",)


def is_group_breakdown(dims: tuple[str, ...], parts: list[Obs]) -> bool:
    """A breakdown of a total into CIS and non-CIS (checked by group_totals_add_up)."""
    return dims == ("country_group",) and {"CIS", "non-CIS"} <= {p.country_group for p in parts}
