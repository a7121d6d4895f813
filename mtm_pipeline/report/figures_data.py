"""Which facts each section of the report uses (pure selection, no wording).

For a measure (and direction) the report uses the newest reference period available at the end of the
report quarter (facts.available_at). A MeasureView holds what that period has: the headline figure (no
breakdown), its comparisons with the previous period and the same period a year earlier, subsets (purpose,
permit category), CIS / non-CIS groups, countries per group, sectors, education levels, rank-only lists,
the components that earlier periods had but this one lacks (named in the text as missing), and the derived
part of a total that an incomplete list does not itemise (drawn in charts only).

The report compares no figures: lists are in the order of the ranks published or derived in the warehouse
(rank_order), and "the first n" of a list is read from them (leaders), with whether that order holds within
the published precision (a rank_uncertain rank says it does not).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import timedelta

from mtm_pipeline.derive.figures import RANK_UNCERTAIN
from mtm_pipeline.periods import parse_period, parse_quarter_key, previous_quarter, same_quarter_last_year
from mtm_pipeline.report.facts import ANY, SET, Change, Fact, FactStore, period_sort_key
from mtm_pipeline.sources.contract import REMAINDER_DIMENSIONS, REMAINDER_LABEL

REMAINDER_ISO3 = "ZZZ"
BREAKDOWN_DIMS = ("purpose", "category", "sector", "education")


@dataclass(frozen=True)
class Comparison:
    """The headline of the view's period against one base period."""

    base_period: str
    kind: str  # previous | year_ago | stated
    stated: tuple[Change, ...]  # changes as published (percent, times, absolute, direction)
    base: Fact | None  # the base period's headline, when it has a value
    computed: Change | None  # per cent change derived from the two values, when no per cent is stated

    @property
    def percent(self) -> Change | None:
        return next((c for c in self.stated if c.unit == "percent"), None)

    @property
    def direction(self) -> int | None:
        """+1 / -1 from whatever is known: a stated figure, a stated direction, or the computed change."""
        for c in self.stated:
            if c.unit in ("percent", "times", "absolute", "direction") and c.value != 0:
                return c.sign
        if self.computed is not None and self.computed.value != 0:
            return self.computed.sign
        return None


@dataclass(frozen=True)
class Ranking:
    """A rank-only list (no figure published): countries or sectors in the order the source gives."""

    period: str
    dimension: str  # country_iso3 | sector | ...
    group: str | None  # country_group of the ranked items
    facts: tuple[Fact, ...]


@dataclass(frozen=True)
class MeasureView:
    measure: str
    direction: str | None
    quarter: str
    period: str | None
    headline: Fact | None = None
    comparisons: tuple[Comparison, ...] = ()
    subsets: dict = field(default_factory=dict)  # dim -> tuple[Fact] (purpose / category)
    groups: tuple[Fact, ...] = ()  # CIS / non-CIS figures, in that order
    countries: dict = field(default_factory=dict)  # country_group (or None) -> tuple[Fact] with value/share
    breakdowns: dict = field(default_factory=dict)  # sector / education -> tuple[Fact] with value/share
    rankings: tuple[Ranking, ...] = ()
    change_notes: tuple[Fact, ...] = ()  # change-only facts of other periods within this one (or newer)
    missing: tuple[
        tuple, ...
    ] = ()  # components earlier periods had: ('headline',), ('countries', 'CIS'), ...
    latest: dict = field(default_factory=dict)  # missing component -> newest period that has it
    agency: str | None = None
    not_itemised: dict = field(
        default_factory=dict
    )  # key of a total -> the derived part its list does not itemise

    def not_itemised_of(self, facts) -> Fact | None:
        """The derived remainder of the total these listed parts belong to (None: complete, or not
        derived)."""
        parents = {f.parent for f in facts}
        return self.not_itemised.get(next(iter(parents))) if len(parents) == 1 else None

    @property
    def available(self) -> bool:
        return self.period is not None

    @property
    def facts(self) -> list[Fact]:
        out = [self.headline] if self.headline else []
        for group in self.subsets.values():
            out.extend(group)
        out.extend(self.groups)
        for group in self.countries.values():
            out.extend(group)
        for group in self.breakdowns.values():
            out.extend(group)
        return out

    @property
    def is_report_period(self) -> bool:
        """The period is the report quarter, or lies within it (a stock dated inside or at its end)."""
        return self.period is not None and within_quarter(self.period, self.quarter)


def within_quarter(label: str, quarter: str) -> bool:
    p, q = parse_period(label), parse_quarter_key(quarter)
    if p.kind == "date":
        return q.start < p.start <= q.end + timedelta(days=1)
    return q.start <= p.start and p.end <= q.end


def has_number(f: Fact) -> bool:
    return f.value is not None or f.share is not None


NATURAL_ORDER_DIMS = ("category", "education")  # ordinal levels: kept in the order the source lists them


def is_remainder(f: Fact) -> bool:
    """The stated unnamed rest of a breakdown ('Other countries', a sector or education level 'Other')."""
    return f.country_iso3 == REMAINDER_ISO3 or any(
        getattr(f, d) == REMAINDER_LABEL for d in REMAINDER_DIMENSIONS
    )


def rank_order(facts: list[Fact], ranking: str | None = None) -> tuple[Fact, ...]:
    """The facts in the order of their ranks, as published or derived (derive/ranks.py): `ranking` None is a
    figure's rank within its breakdown, else one of Fact.ranks (e.g. 'all_countries_rank'). Facts without a
    rank follow the ranked ones, and facts of equal rank keep the source's order; a remainder ('Other
    countries', 'Other') comes last. Permit categories and education levels keep the source's order. The
    report compares no figures itself: a list without ranks stays in the source's order."""

    def key(f: Fact):
        rank = f.rank if ranking is None else f.ranks.get(ranking)
        if any(getattr(f, d) is not None for d in NATURAL_ORDER_DIMS):
            rank = None
        return (is_remainder(f), rank is None, rank or 0, f.order)

    return tuple(sorted(facts, key=key))


@dataclass(frozen=True)
class Leaders:
    """The first n of a ranked list, read from the ranks: `facts` are those ranked n or better (more than n
    where the ranks tie or overlap), in rank order.

    certain_set: these are certainly the first n (no other part can be among them within the published
    precision); certain_order: and their order is certain too (no rank of theirs is rank_uncertain)."""

    facts: tuple[Fact, ...]
    certain_set: bool
    certain_order: bool


def rank_of(f: Fact, ranking: str | None = None) -> int | None:
    """A fact's rank within its breakdown (ranking None) or in one of Fact.ranks."""
    return f.rank if ranking is None else f.ranks.get(ranking)


def rank_uncertain(f: Fact, ranking: str | None = None) -> bool:
    """The derived rank carries the qualifier rank_uncertain: the figures' intervals allow another order."""
    facet = "rank" if ranking is None else ranking
    return RANK_UNCERTAIN in (f.qualifier(facet) or "").split(",")


def leaders(facts, n: int, ranking: str | None = None) -> Leaders:
    """The facts ranked n or better (named parts only, a remainder is never ranked)."""
    ranked = [f for f in facts if rank_of(f, ranking) is not None and not is_remainder(f)]
    top = tuple(f for f in rank_order(ranked, ranking) if rank_of(f, ranking) <= n)
    uncertain = any(rank_uncertain(f, ranking) for f in top)
    return Leaders(top, len(top) <= n, len(top) <= n and not uncertain)


def order_certain(facts, ranking: str | None = None) -> bool:
    """The order of the list (a remainder aside) is that of its ranks, and none of them is rank_uncertain: it
    holds within the published precision. A list of parts without ranks has no order the report can state."""
    named = [f for f in facts if not is_remainder(f)]
    if len(named) < 2:
        return True
    return all(rank_of(f, ranking) is not None and not rank_uncertain(f, ranking) for f in named)


class Selector:
    """Views of the facts for one report quarter."""

    def __init__(self, store: FactStore, quarter: str) -> None:
        self.store = store
        self.quarter = quarter
        self.cutoff = parse_quarter_key(quarter).end

    # ------------------------------------------------------------ periods

    def periods(self, measure: str, direction=ANY) -> list[str]:
        return self.store.periods(measure, cutoff=self.cutoff, direction=direction)

    def choose_period(self, measure: str, direction=ANY) -> str | None:
        """The newest available period; on a tie of end dates a quarter (or year, or date) before months from
        January, then the one with a headline value, then most facts."""
        candidates = self.periods(measure, direction)
        if not candidates:
            return None

        def score(label: str):
            facts = self.store.query(measure, label, **_all_dims(direction))
            head = self.store.one(measure, label, direction=direction) if direction is not ANY else None
            return (
                period_sort_key(label)[0],
                parse_period(label).kind != "cumulative",  # the quarter (published or computed) first
                head is not None and head.value is not None,
                any(has_number(f) for f in facts),
                len(facts),
                period_sort_key(label),
            )

        return max(candidates, key=score)

    # ------------------------------------------------------------ the view

    def view(
        self, measure: str, direction: str | None = None, period: str | None = None, *, by_group: bool = False
    ) -> MeasureView:
        """by_group: countries are stated within their CIS / non-CIS group (see within_groups)."""
        period = period or self.choose_period(measure, direction)
        agency = next((f.agency for f in self.store.query(measure, **_all_dims(ANY))), None)
        if period is None:
            return MeasureView(measure, direction, self.quarter, None, agency=agency)
        q = self.store.query
        headline = self.store.one(measure, period, direction=direction)
        subsets = {
            dim: rank_order(
                [f for f in q(measure, period, direction=direction, **{dim: SET}) if has_number(f)]
            )
            for dim in ("purpose", "category")
        }
        groups = tuple(  # CIS, then non-CIS, as the published report states them
            sorted(
                (f for f in q(measure, period, direction=direction, country_group=SET) if has_number(f)),
                key=lambda f: (_group_order(f.country_group), f.order),
            )
        )
        countries: dict = {}
        found = q(measure, period, direction=direction, country_iso3=SET, country_group=ANY)
        for f in within_groups(found) if by_group else found:
            if has_number(f):
                countries.setdefault(f.country_group, []).append(f)
        countries = {
            g: rank_order(v) for g, v in sorted(countries.items(), key=lambda kv: _group_order(kv[0]))
        }
        breakdowns = {}
        for dim in ("sector", "education"):
            found = [
                f
                for f in q(measure, period, direction=direction, **{dim: SET}, age_group=ANY)
                if has_number(f)
            ]
            if found:
                breakdowns[dim] = rank_order(found)
        return MeasureView(
            measure=measure,
            direction=direction,
            quarter=self.quarter,
            period=period,
            headline=headline,
            comparisons=self._comparisons(measure, direction, period, headline),
            subsets={k: v for k, v in subsets.items() if v},
            groups=groups,
            countries=countries,
            breakdowns=breakdowns,
            rankings=self._rankings(measure, direction, period),
            not_itemised=self._not_itemised(measure, direction, period),
            change_notes=self._change_notes(measure, direction, period),
            missing=(missing := self._missing(measure, direction, period)),
            latest={m: self._latest_with(measure, direction, m, period) for m in missing},
            agency=agency,
        )

    def _comparisons(self, measure, direction, period, headline) -> tuple[Comparison, ...]:
        p = parse_period(period)
        bases: list[tuple[str, str]] = []
        if p.kind == "quarter":
            bases = [(previous_quarter(period), "previous"), (same_quarter_last_year(period), "year_ago")]
        elif p.kind == "year":
            bases = [(str(p.start.year - 1), "previous")]
        else:
            earlier = [
                x
                for x in self.periods(measure, direction)
                if parse_period(x).kind == "date" and period_sort_key(x) < period_sort_key(period)
            ]
            bases = [(earlier[-1], "previous")] if earlier else []
        stated_bases = sorted(
            {c.base_period for c in headline.changes if not c.computed} if headline else set(),
            key=period_sort_key,
        )
        for b in stated_bases:
            if b not in [x for x, _ in bases]:
                bases.append((b, "stated"))
        out = []
        for base_period, kind in bases:
            changes = headline.changes_vs(base_period) if headline else []
            stated = tuple(c for c in changes if not c.computed)
            base = self.store.one(measure, base_period, direction=direction)
            base = base if base is not None and base.value is not None else None
            computed = None
            if not any(c.unit == "percent" for c in stated):
                computed = next((c for c in changes if c.computed and c.unit == "percent"), None)
            if stated or computed is not None or base is not None or kind != "stated":
                out.append(Comparison(base_period, kind, stated, base, computed))
        return tuple(out)

    def _not_itemised(self, measure, direction, period) -> dict:
        """The derived remainders of this period's incomplete lists, by the key of their total."""
        return {
            key: f
            for key, f in self.store.not_itemised.items()
            if (f.measure, f.period, f.direction) == (measure, period, direction)
        }

    def _rankings(self, measure, direction, period) -> tuple[Ranking, ...]:
        """Rank-only lists of this period and of other periods within the report quarter."""
        out = []
        periods = [period] + [
            x for x in self.periods(measure, direction) if x != period and within_quarter(x, self.quarter)
        ]
        for label in periods:
            ranked = [
                f
                for f in self.store.query(measure, label, **_all_dims(direction))
                if f.rank is not None and not f.computed("rank") and not has_number(f)
            ]
            by: dict = {}
            for f in ranked:
                dim = next(
                    (
                        d
                        for d in ("country_iso3", "sector", "education", "category", "purpose")
                        if getattr(f, d) is not None
                    ),
                    "country_iso3",
                )
                by.setdefault((dim, f.country_group), []).append(f)
            for (dim, group), facts in sorted(by.items(), key=lambda kv: (kv[0][0], _group_order(kv[0][1]))):
                out.append(Ranking(label, dim, group, tuple(sorted(facts, key=lambda f: f.rank))))
        return tuple(out)

    def _change_notes(self, measure, direction, period) -> tuple[Fact, ...]:
        """Change-only facts (no value, no share) of other periods that lie within this one or are newer."""
        p = parse_period(period)
        out = []
        for label in self.periods(measure, direction):
            if label == period or parse_period(label).start < p.start:
                continue
            out.extend(
                f
                for f in self.store.query(measure, label, **_all_dims(direction))
                if f.changes and not has_number(f) and f.rank is None
            )
        return tuple(sorted(out, key=lambda f: (period_sort_key(f.period), f.order)))

    # ------------------------------------------------------------ missing components

    def components(self, measure, direction, period, published_only: bool = False) -> set[tuple]:
        """The kinds of figures a period has (headline, groups, countries by group, ...); published_only: a
        kind counts only where a source published a number of it (not where one was derived)."""
        found = set()
        for f in self.store.query(measure, period, **_all_dims(direction)):
            if not has_number(f):
                continue
            if published_only and not any(
                getattr(f, x) is not None and not f.computed(x) for x in ("value", "share")
            ):
                continue
            found.add(_component(f))
        return found

    def _missing(self, measure, direction, period) -> tuple[tuple, ...]:
        """What earlier periods published that this period has neither published nor derived."""
        here = self.components(measure, direction, period)
        seen: set = set()
        for label in self.periods(measure, direction):
            if label != period:
                seen |= self.components(measure, direction, label, published_only=True)
        return tuple(sorted(seen - here, key=_component_order))

    def _latest_with(self, measure, direction, component, period) -> str | None:
        labels = [
            x
            for x in self.periods(measure, direction)
            if x != period and component in self.components(measure, direction, x, published_only=True)
        ]
        return labels[-1] if labels else None

    # ------------------------------------------------------------ series

    def series(self, measure: str, direction=None, kinds=("quarter",), **dims) -> list[Fact]:
        """Headline (or dims-filtered) facts with a value across available periods of the given kinds."""
        out = []
        for label in self.periods(measure, direction):
            if parse_period(label).kind not in kinds:
                continue
            f = self.store.one(measure, label, direction=direction, **dims)
            if f is not None and f.value is not None:
                out.append(f)
        return out


def within_groups(facts: list[Fact]) -> list[Fact]:
    """A country delivered without its group, whose share within its CIS / non-CIS group was derived, is
    stated within that group: its share of the group with its count (the group figure joined with the count
    of the delivered one; a group's list is complete when the delivered breakdown is, since a share within a
    group is derived only from an exact group total). Every other figure as it is."""
    grouped = {
        (f.country_iso3, f.period): f for f in facts if f.country_group is not None and f.share is not None
    }
    out, joined = [], set()
    for f in facts:
        g = grouped.get((f.country_iso3, f.period)) if f.country_group is None else None
        if g is None or g.value is not None or f.value is None:
            out.append(f)
            continue
        joined.add(id(g))
        out.append(
            replace(
                g,
                value=f.value,
                value_precision=f.value_precision,
                unit=f.unit or g.unit,
                prov={**g.prov, "value": f.prov["value"]},
                order=f.order,
                changes=f.changes,
                parts_complete=f.parts_complete,
                corrections={**g.corrections, **{k: v for k, v in f.corrections.items() if k == "value"}},
                flags={**g.flags, **{k: v for k, v in f.flags.items() if k == "value"}},
            )
        )
    return [f for f in out if id(f) not in joined]


def _all_dims(direction) -> dict:
    return {
        "direction": direction,
        "country_iso3": ANY,
        "country_group": ANY,
        "purpose": ANY,
        "category": ANY,
        "sector": ANY,
        "education": ANY,
        "age_group": ANY,
    }


def _group_order(group: str | None) -> tuple:
    return (group is None, {"CIS": 0, "non-CIS": 1}.get(group or "", 2), group or "")


def _component(f: Fact) -> tuple:
    if f.country_iso3 is not None:
        return ("countries", f.country_group or "")
    if f.country_group is not None:
        return ("groups",)
    for dim in ("purpose", "category"):
        if getattr(f, dim) is not None:
            return (dim, getattr(f, dim))
    for dim in ("sector", "education"):
        if getattr(f, dim) is not None:
            return (dim,)
    return ("headline",)


def _component_order(c: tuple) -> tuple:
    order = {
        "headline": 0,
        "purpose": 1,
        "category": 2,
        "groups": 3,
        "countries": 4,
        "sector": 5,
        "education": 6,
    }
    return (order.get(c[0], 9), tuple(str(x) for x in c[1:]))
