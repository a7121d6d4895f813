"""What a quarter's derivations can see: its own corrected observations, the corrected stage of earlier
deliveries (the published history), and which figures were published, so none is computed twice."""

from __future__ import annotations

from collections import defaultdict

import pandas as pd

from mtm_pipeline.derive.figures import Figure, figures_of

# Stated changes that give the same figure a derived per cent change would (a direction or an absolute
# amount says less, so a per cent change is still derived next to it).
RATIO_CHANGE_UNITS = ("percent", "times")
# How far back earlier deliveries are read: a change compares with at most a year before; a stock with the
# previous date delivered within this window.
HISTORY_YEARS = 2


def varying_dimensions(part: Figure, total: Figure) -> tuple[int, ...]:
    """Positions of the dimensions in which a part differs from its total."""
    return tuple(i for i, (a, b) in enumerate(zip(part.dims, total.dims, strict=True)) if a != b)


def stated_complete(parts: list[Figure]) -> bool:
    """The source says the parts cover their total (parts_complete yes on every part)."""
    return all(bool(p.get("parts_complete")) for p in parts)


def stated_incomplete(parts: list[Figure]) -> bool:
    """The source says the parts do not cover their total (parts_complete no on every part)."""
    return all(p.get("parts_complete") is not None and not p.get("parts_complete") for p in parts)


class FigureBook:
    """The figures of one delivery quarter and of the deliveries before it.

    Only earlier deliveries are read, so a quarter's derived figures do not change when a later quarter is
    loaded, and of them only figures of periods ending at most HISTORY_YEARS before this delivery's earliest
    period starts (the bases of its changes, the other quarters of its years). Where a figure was delivered
    more than once, this delivery's figure is used, else the latest.
    """

    def __init__(self, quarter: str, observations: pd.DataFrame, history: pd.DataFrame | None = None) -> None:
        self.quarter = quarter
        self.own = figures_of(observations, quarter)
        earlier = None
        if history is not None and not history.empty and not observations.empty:
            since = pd.Timestamp(observations["period_start"].min()) - pd.DateOffset(years=HISTORY_YEARS)
            earlier = history[
                (history["delivery_quarter"] < quarter) & (pd.to_datetime(history["period_end"]) >= since)
            ]
        self.earlier = sorted(figures_of(earlier, quarter), key=lambda f: f.delivery_quarter, reverse=True)
        self._by_id = {(f.delivery_quarter, f.get("source"), f.obs_id): f for f in [*self.own, *self.earlier]}
        self._parts: dict[tuple, list[Figure]] = defaultdict(list)
        for figure in self.own:
            if figure.get("part_of"):
                self._parts[(figure.get("source"), figure.get("part_of"))].append(figure)
        self._own_values = {f.identity: f for f in reversed(self.own) if f.value is not None}
        self._values: dict[tuple, Figure] = {}
        for figure in [*self.own, *self.earlier]:  # own first, then latest delivery first
            if figure.value is not None:
                self._values.setdefault(figure.identity, figure)
        self.published = self._published_facets()

    def total_of(self, figure: Figure) -> Figure | None:
        part_of = figure.get("part_of")
        if not part_of:
            return None
        return self._by_id.get((figure.delivery_quarter, figure.get("source"), part_of))

    def breakdowns(self) -> list[tuple[Figure, list[Figure]]]:
        """Each total of this delivery with its parts, one breakdown per dimension the parts differ from it
        in (a total broken down by category, by sector and by country gives three breakdowns)."""
        out = []
        for (source, total_id), parts in self._parts.items():
            total = self._by_id.get((self.quarter, source, total_id))
            if total is None:
                continue
            by_dimension: dict[tuple, list[Figure]] = defaultdict(list)
            for part in parts:
                by_dimension[varying_dimensions(part, total)].append(part)
            out += [(total, group) for group in by_dimension.values()]
        return out

    def value_figure(self, identity: tuple) -> Figure | None:
        """The figure with this identity and a value: this delivery's, else the latest earlier delivery's."""
        return self._values.get(identity)

    def own_value_figure(self, identity: tuple) -> Figure | None:
        """This delivery's figure with this identity and a value."""
        return self._own_values.get(identity)

    def value_figures(self) -> list[Figure]:
        """Every figure with a value, one per identity (as value_figure chooses)."""
        return list(self._values.values())

    def denominator(self, figure: Figure) -> tuple:
        """What a share or rank of this figure is relative to: its total, else its stated group."""
        total = self.total_of(figure)
        return total.identity if total is not None else figure.group_identity(figure.get("country_group"))

    def _published_facets(self) -> set[tuple]:
        facets: set[tuple] = set()
        for figure in [*self.own, *self.earlier]:
            identity = figure.identity
            if figure.get("value") is not None:
                facets.add((identity, ("value",)))
            if figure.get("share") is not None:
                facets.add((identity, ("share", self.denominator(figure))))
            if figure.get("change") is not None and figure.get("change_unit") in RATIO_CHANGE_UNITS:
                facets.add((identity, ("change", figure.get("change_base_period"))))
            if figure.get("rank") is not None:
                facets.add((identity, ("rank", self.denominator(figure))))
        return facets
