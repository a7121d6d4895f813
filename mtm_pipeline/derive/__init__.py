"""The derived stage: every figure the report states that the sources did not publish, computed from the
figures they did (pure functions, no Dagster, no warehouse).

    derive_quarter(corrected, history, derived_history) -> DataFrame of published.derived_figures rows

From a quarter's corrected observations and the corrected stage of earlier deliveries:
- share_of_total       a part's share of its delivered total (shares.py)
- group_total          CIS / non-CIS total from a breakdown by country (groups.py)
- group_share          that group total's share of the total
- share_within_group   a country's share of its group's total, published or derived exactly
- remainder            the part of a total an incomplete breakdown does not itemise (remainders.py)
- rank                 order within a breakdown, and of countries within their group (ranks.py)
- quarter_from_cumulative  a quarter as the difference of two periods from January of its year, where the
                       quarter was not published (January-September less January-June: cumulative.py)
- year_sum             a year as the sum of its four quarters (years.py)
- change               per cent change against the previous quarter, the same quarter a year earlier, the
                       previous year, or for a stock the previous date delivered (changes.py)

Each figure records the published figures it came from (`input_obs_ids`: obs_ids of this delivery,
`<delivery quarter>/<obs_id>` for an earlier one), the interval its inputs allow (`*_low`, `*_high`) and the
precision that interval supports, and a `qualifier` where it is not what its name alone says. A figure the
sources published (same measure, period, dimensions and facet: value, share of the same total, change
against the same base, rank within the same group) is never derived: the published one stands.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd

from mtm_pipeline.derive.book import FigureBook
from mtm_pipeline.derive.change_ranks import change_rankings
from mtm_pipeline.derive.changes import changes
from mtm_pipeline.derive.cumulative import quarters_from_cumulative
from mtm_pipeline.derive.figures import DERIVED_COLUMNS, DerivedFigure, Figure, figures_of
from mtm_pipeline.derive.groups import group_totals
from mtm_pipeline.derive.ranks import all_country_rankings, rankings
from mtm_pipeline.derive.remainders import remainders
from mtm_pipeline.derive.shares import shares_of_totals, shares_within_groups
from mtm_pipeline.derive.years import year_sums

__all__ = ["DERIVED_COLUMNS", "derive_quarter", "empty_derived"]

# Derived figures later derivations may build on (as bases of changes): exact amounts.
BASE_DERIVATIONS = ("group_total", "quarter_from_cumulative", "year_sum")


def empty_derived() -> pd.DataFrame:
    return _typed(pd.DataFrame(columns=list(DERIVED_COLUMNS)))


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.astype(object).where(frame.notna(), None)
    for column in ("parts_complete", "cis_member"):
        frame[column] = frame[column].astype("boolean")
    frame["rank"] = pd.to_numeric(frame["rank"]).astype("Int64")
    for column in ("period_start", "period_end", "loaded_at"):
        frame[column] = pd.to_datetime(frame[column])
    for column in DERIVED_COLUMNS:
        if column.endswith(("_low", "_high", "_precision")) or column in ("value", "share", "change"):
            frame[column] = pd.to_numeric(frame[column]).astype("float64")
    return frame


def _not_published(derived: list[DerivedFigure], published: set[tuple]) -> list[DerivedFigure]:
    """Drop what a source published, and a figure an earlier derivation already gave (first one stands)."""
    seen = set(published)
    kept = []
    for figure in derived:
        key = (figure.identity, figure.facet)
        if key in seen:
            continue
        seen.add(key)
        kept.append(figure)
    return kept


def _earlier_bases(derived_history: pd.DataFrame | None, quarter: str) -> list[Figure]:
    """Exact derived figures of earlier deliveries that later derivations may build on (BASE_DERIVATIONS)."""
    if derived_history is None or derived_history.empty:
        return []
    usable = derived_history[
        (derived_history["delivery_quarter"] < quarter)
        & derived_history["derivation"].isin(BASE_DERIVATIONS)
        & derived_history["qualifier"].isna()
    ].sort_values("delivery_quarter", ascending=False)
    return figures_of(usable, quarter)


def derive_quarter(
    corrected: pd.DataFrame,
    history: pd.DataFrame | None = None,
    derived_history: pd.DataFrame | None = None,
    *,
    quarter: str | None = None,
    loaded_at: datetime | None = None,
) -> pd.DataFrame:
    """The derived figures of one delivery quarter (rows of published.derived_figures, possibly none).

    corrected:       the quarter's corrected observations
    history:         corrected observations of other deliveries (only earlier ones are used)
    derived_history: derived figures of other deliveries (only earlier exact group totals and year sums are
                     used, as bases of changes)
    """
    quarter = quarter or _one_quarter(corrected)
    book = FigureBook(quarter, corrected, history)
    groups = group_totals(book)
    exact = [g for g in groups if g.derivation == "group_total" and g.fields["qualifier"] is None]
    loaded_at = loaded_at or datetime.now(UTC).replace(tzinfo=None)
    own_groups = {
        g.identity: Figure(g.row(quarter, loaded_at), quarter) for g in _not_published(exact, book.published)
    }
    earlier_bases = _earlier_bases(derived_history, quarter)
    from_cumulative = quarters_from_cumulative(book)
    own_quarters = [
        Figure(d.row(quarter, loaded_at), quarter) for d in _not_published(from_cumulative, book.published)
    ]
    years = year_sums(book, [*own_groups.values(), *own_quarters], earlier_bases)
    own_bases = [
        *own_groups.values(),
        *own_quarters,
        *(Figure(d.row(quarter, loaded_at), quarter) for d in _not_published(years, book.published)),
    ]
    derived_changes = changes(book, own_bases, earlier_bases)
    derived = [
        *shares_of_totals(book),
        *groups,
        *shares_within_groups(book, own_groups),
        *rankings(book),
        *all_country_rankings(book),
        *remainders(book),
        *from_cumulative,
        *years,
        *derived_changes,
        *change_rankings(book, derived_changes),
    ]
    return _derived_frame(_not_published(derived, book.published), quarter, loaded_at)


def _one_quarter(corrected: pd.DataFrame) -> str:
    """The one delivery quarter of the corrected rows (derive_quarter works on one quarter at a time)."""
    quarters = corrected["delivery_quarter"].unique()
    if len(quarters) != 1:
        raise ValueError(f"derive_quarter needs the rows of one delivery quarter, got {list(quarters)}")
    return str(quarters[0])


def _derived_frame(kept: list[DerivedFigure], quarter: str, loaded_at: datetime) -> pd.DataFrame:
    """The kept derived figures as rows of published.derived_figures; obs_ids must be unique."""
    if not kept:
        return empty_derived()
    frame = pd.DataFrame([figure.row(quarter, loaded_at) for figure in kept], columns=list(DERIVED_COLUMNS))
    duplicated = frame["obs_id"][frame["obs_id"].duplicated()]
    if not duplicated.empty:
        raise ValueError(
            f"derived obs_ids repeat in {quarter}: {sorted(set(duplicated))[:5]}: two of the quarter's files "
            "use the same obs_id; give each row an obs_id unique across the quarter's files"
        )
    return _typed(frame)
