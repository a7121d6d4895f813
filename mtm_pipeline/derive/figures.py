"""The figures derivations read and write.

`Figure` is one published observation normalised once: its value and share as intervals (a figure stands
for every value that rounds to it; a count written in full is exact, as in the consistency rules), its
identity (measure, period and dimensions) and the way lineage names it. `DerivedFigure` is one computed
figure: a row of `published.derived_figures` plus the identity and facet it would share with a published
figure, so that a published figure always stands instead of a computed one.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import pandas as pd

from mtm_pipeline.cells import missing_as_none
from mtm_pipeline.intervals import REL_EPS, Interval, float_slack

# Columns of published.derived_figures, in table order (warehouse/schema.sql).
DERIVED_COLUMNS: tuple[str, ...] = (
    "delivery_quarter",
    "stage",
    "source",
    "obs_id",
    "derivation",
    "measure",
    "period",
    "direction",
    "country",
    "country_group",
    "purpose",
    "category",
    "sector",
    "education",
    "age_group",
    "unit",
    "part_of",
    "parts_complete",
    "change_unit",
    "change_base_period",
    "value",
    "value_precision",
    "value_low",
    "value_high",
    "share",
    "share_precision",
    "share_low",
    "share_high",
    "change",
    "change_precision",
    "change_low",
    "change_high",
    "rank",
    "qualifier",
    "input_obs_ids",
    "period_kind",
    "period_start",
    "period_end",
    "country_iso3",
    "country_name",
    "cis_member",
    "loaded_at",
)

# Copied from the figure a derived row describes (the part, the total, the later period ...).
_DESCRIPTIVE = (
    "source",
    "measure",
    "period",
    "direction",
    "country",
    "country_group",
    "purpose",
    "category",
    "sector",
    "education",
    "age_group",
    "unit",
    "period_kind",
    "period_start",
    "period_end",
    "country_iso3",
    "country_name",
    "cis_member",
)
_OTHER_DIMS = ("purpose", "category", "sector", "education", "age_group")

# Qualifiers (NULL: the figure is what its name says, to the precision stated).
NAMED_COUNTRIES_ONLY = "named_countries_only"  # covers only the countries the breakdown names
RANK_UNCERTAIN = "rank_uncertain"  # the inputs' intervals allow another order

CIS, NON_CIS = "CIS", "non-CIS"


def _float(x: Any) -> float | None:
    x = missing_as_none(x)
    return None if x is None else float(x)


@dataclass(frozen=True)
class Figure:
    """One published observation (a row of the corrected stage), normalised.

    The normalised attributes are cached on first use: most earlier deliveries' figures are read for only a
    few of them, and computing all of them at construction measured no faster (derive_quarter of the last of
    40 synthetic quarters)."""

    record: Mapping[str, Any]
    own_quarter: str  # the delivery quarter being derived (lineage names other quarters' rows in full)

    def get(self, column: str) -> Any:
        return missing_as_none(self.record.get(column))

    @property
    def obs_id(self) -> str:
        return str(self.record["obs_id"])

    @property
    def delivery_quarter(self) -> str:
        return str(self.record["delivery_quarter"])

    @property
    def lineage(self) -> str:
        """obs_id within the quarter being derived; '<delivery quarter>/<obs_id>' for an earlier delivery."""
        if self.delivery_quarter == self.own_quarter:
            return self.obs_id
        return f"{self.delivery_quarter}/{self.obs_id}"

    def lineage_ids(self) -> list[str]:
        """The published figures behind this one: itself, or for a derived figure the inputs it records."""
        inputs = self.get("input_obs_ids")
        if not inputs:
            return [self.lineage]
        if self.delivery_quarter == self.own_quarter:
            return inputs.split(",")
        return [i if "/" in i else f"{self.delivery_quarter}/{i}" for i in inputs.split(",")]

    @cached_property
    def country_key(self) -> str | None:
        return self.get("country_iso3") or self.get("country")

    @property
    def is_remainder(self) -> bool:
        from mtm_pipeline.countries import REMAINDER_ISO3
        from mtm_pipeline.sources.contract import REMAINDER_DIMENSIONS, REMAINDER_LABEL

        return self.get("country_iso3") == REMAINDER_ISO3 or any(
            self.get(d) == REMAINDER_LABEL for d in REMAINDER_DIMENSIONS
        )

    @cached_property
    def dims(self) -> tuple:
        """Dimensions without measure and period: the delivered group counts only for a row without a country
        (a country's group follows from dated membership)."""
        group = self.get("country_group") if self.country_key is None else None
        return (self.get("direction"), self.country_key, group, *(self.get(d) for d in _OTHER_DIMS))

    @cached_property
    def series(self) -> tuple:
        return (self.get("measure"), *self.dims)

    @cached_property
    def identity(self) -> tuple:
        return (self.get("measure"), self.get("period"), *self.dims)

    def group_identity(self, group: str | None) -> tuple:
        """The identity of the country group (None: all countries) this figure's dimensions fall in."""
        direction, _, _, *others = self.dims
        return (self.get("measure"), self.get("period"), direction, None, group, *others)

    @cached_property
    def membership(self) -> str | None:
        """CIS / non-CIS by dated membership; for a remainder, the group the source delivered it in; else
        None."""
        member = self.get("cis_member")
        if member is not None:
            return CIS if bool(member) else NON_CIS
        if self.country_key is not None:
            return self.get("country_group")
        return None

    @cached_property
    def value(self) -> Interval | None:
        value = _float(self.record.get("value"))
        if value is None:
            return None
        low, high = _float(self.record.get("value_low")), _float(self.record.get("value_high"))
        if low is not None and high is not None:  # a derived figure carries its interval
            return Interval(low, high)
        precision = _float(self.record.get("value_precision"))
        if precision is not None and precision <= 1 and self.get("unit") != "percent":
            precision = 0.0  # written in full units: a count such as 2,975,788 is exact
        return Interval.around(value, precision)

    @property
    def point(self) -> float | None:
        return _float(self.record.get("value"))

    @property
    def value_precision(self) -> float | None:
        return _float(self.record.get("value_precision"))

    @cached_property
    def share(self) -> Interval | None:
        share = _float(self.record.get("share"))
        return None if share is None else Interval.around(share, _float(self.record.get("share_precision")))


def figures_of(frame: pd.DataFrame | None, own_quarter: str) -> list[Figure]:
    if frame is None or frame.empty:
        return []
    columns = list(frame.columns)
    cells = [frame[c].astype(object).where(frame[c].notna(), None).tolist() for c in columns]
    return [Figure(dict(zip(columns, row, strict=True)), own_quarter) for row in zip(*cells, strict=True)]


@dataclass
class DerivedFigure:
    """One computed figure: its row, the identity and facet it answers, and the published figures it used."""

    derivation: str
    obs_id: str
    template: Figure  # the figure whose measure, period and dimensions it describes
    identity: tuple
    facet: tuple  # ("value",), ("share", of identity), ("change", base period), ("rank", within identity)
    inputs: list[str]  # lineage of the published figures used
    fields: dict[str, Any] = field(default_factory=dict)

    def row(self, quarter: str, loaded_at: Any) -> dict[str, Any]:
        out: dict[str, Any] = {c: None for c in DERIVED_COLUMNS}
        out.update({c: self.template.get(c) for c in _DESCRIPTIVE})
        out.update(self.fields)
        out.update(
            delivery_quarter=quarter,
            stage="derived",
            obs_id=self.obs_id,
            derivation=self.derivation,
            input_obs_ids=",".join(dict.fromkeys(self.inputs)),
            loaded_at=loaded_at,
        )
        return out


# --- precision a computed interval supports ---------------------------------------------------------------

PERCENT_STEPS = (0.1, 1.0, 10.0, 100.0)


def percent_precision(interval: Interval) -> float:
    """The finest step (0.1, 1, 10 or 100 percentage points) at least as wide as the interval: a share or
    change printed at that step is within one step of every value the inputs allow."""
    width = interval.high - interval.low
    return next((step for step in PERCENT_STEPS if width <= step * (1 + REL_EPS)), PERCENT_STEPS[-1])


def value_precision(interval: Interval, input_precisions: Iterable[float | None]) -> float:
    """A sum of exact figures keeps their precision (1 for counts written in full); an interval of width w
    supports the smallest power of ten not below w."""
    width = interval.high - interval.low
    given = [p for p in input_precisions if p is not None and not math.isnan(p)]
    if width <= float_slack(interval.high):
        return max(given) if given else 1.0
    return 10.0 ** math.ceil(math.log10(width) - 1e-12)


def interval_fields(prefix: str, interval: Interval, point: float, precision: float) -> dict[str, Any]:
    """The figure (computed from the published figures) with its interval; the point is always inside the
    interval (interval arithmetic by reciprocals can differ from the direct quotient in the last bit)."""
    return {
        prefix: point,
        f"{prefix}_precision": precision,
        f"{prefix}_low": min(interval.low, point),
        f"{prefix}_high": max(interval.high, point),
    }


def slug(period: str) -> str:
    return period.lower().replace("-", "")
