"""Observation rows resolved into facts: one per figure (measure + period + dimensions), newest delivery wins.

A figure is identified as in the extract contract, with countries compared by ISO3 code (so "Türkiye" and
"Republic of Türkiye" are one country). Each of its facets (value, share, rank, and one change per base
period and unit) is taken from the newest delivery quarter that carries it; a facet delivered by two
quarters with different numbers is a Revision. A facet named in `corrected_fields` carries a Correction
with the published figure it replaced (from quality.corrections_applied). A facet that a failed check of the
corrected stage is about (the first obs_id of the finding, quality.check_results) carries a Flag: the figure
was left as published although it disagrees with other published figures.

Derived figures (published.derived_figures: shares, group totals, ranks and changes the warehouse computed
from the delivered figures) fill the facets no delivery published: a published facet always stands. A
computed facet's Provenance names its derivation, its qualifier and the figures it was computed from. The
rankings other than a figure's rank within its breakdown (among the countries of all groups, by per cent
change against a base period) are facets of their own, in `Fact.ranks`.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import partial

import pandas as pd

from mtm_pipeline.cells import missing_as_none
from mtm_pipeline.periods import Period, parse_period

DIMENSIONS: tuple[str, ...] = (
    "direction",
    "country_iso3",
    "country_group",
    "purpose",
    "category",
    "sector",
    "education",
    "age_group",
)
NUMERIC_FIELDS = ("value", "share", "change", "rank")
# Derived rankings kept beside a figure's own rank (derive/ranks.py, derive/change_ranks.py): the facet is the
# derivation, and for a ranking of changes the derivation and the base period ("increase_rank|2022").
OTHER_RANKS = ("all_countries_rank",)
CHANGE_RANKS = ("increase_rank", "decline_rank")


def rank_facet(derivation: str, base_period: str | None = None) -> str:
    """The facet of a derived ranking other than the rank within a breakdown."""
    return f"{derivation}|{base_period}" if derivation in CHANGE_RANKS else derivation


class _Marker:
    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


ANY = _Marker("ANY")  # a dimension may hold anything, empty included
SET = _Marker("SET")  # a dimension must be filled


# A report cell: missing as in every layer, and blank text too; numpy scalars as Python scalars.
clean = partial(missing_as_none, blank_text=True, python_scalars=True)


@dataclass(frozen=True)
class Provenance:
    obs_id: str
    delivery_quarter: str
    source: str
    agency: str
    publication: str
    publication_date: str
    location: str
    published_text: str | None = None
    derivation: str | None = None  # set: computed in the warehouse (published.derived_figures), not published
    inputs: tuple[str, ...] = ()  # the obs_ids of the figures it was computed from
    qualifier: str | None = None  # e.g. lower_bound, named_countries_only (None: exact to its precision)
    interval: tuple[float | None, float | None] = (None, None)  # a computed figure's low and high

    @property
    def computed(self) -> bool:
        return self.derivation is not None

    @property
    def citation(self) -> str:
        """Short source line as the report prints it: 'National Border Service of Kazakhstan, 2024'."""
        return f"{self.agency}, {self.publication_date[:4]}"


@dataclass(frozen=True)
class Correction:
    field: str
    published: str | None  # the published text of the field, as recorded with the correction
    corrected: str | None
    justification: str | None


@dataclass(frozen=True)
class Flag:
    """A failed corrected-stage check about one facet of a figure (the finding's first obs_id)."""

    rule: str
    facet: str  # value | share | rank | change
    obs_id: str
    expected: str | None
    observed: str | None
    tolerance: str | None = None
    subject: str | None = None
    message: str | None = None

    @property
    def text(self) -> str:
        """'stated_change_matches expected [-37.16, -37.11] per cent, observed -51.8 per cent'."""
        said = [f"{name} {x}" for name, x in (("expected", self.expected), ("observed", self.observed)) if x]
        if not said and self.message:
            said = [self.message.rstrip(".")]
        return f"{self.rule} {', '.join(said)}" if said else self.rule


# Which facet of its first obs_id a rule's finding is about; None: the finding is about no published number.
FLAG_FACETS: dict[str, str | None] = {
    "share_matches_ratio": "share",
    "shares_sum_to_100": "share",
    "stated_change_matches": "change",
    "parts_sum_to_total": "value",
    "group_totals_add_up": "value",
    "subset_within_total": "value",
    "quarters_agree_with_year": "value",
    "plausible_change": "value",
    "rank_matches_values": "rank",
    "country_group_matches_reference": None,
}


def flags_text(flags: Iterable[Flag]) -> str:
    """The findings of one facet in one phrase ('rule expected ..., observed ...; rule ...')."""
    return "; ".join(f.text for f in flags)


@dataclass(frozen=True)
class Change:
    base_period: str
    unit: str  # percent | times | absolute | direction
    value: float
    precision: float | None
    prov: Provenance
    correction: Correction | None = None
    flags: tuple[Flag, ...] = ()

    @property
    def sign(self) -> int:
        return (self.value > 0) - (self.value < 0)

    @property
    def computed(self) -> bool:
        return self.prov.computed


@dataclass(frozen=True, eq=False)
class Fact:
    measure: str
    period: str
    direction: str | None
    country_iso3: str | None
    country_group: str | None
    purpose: str | None
    category: str | None
    sector: str | None
    education: str | None
    age_group: str | None
    country_name: str | None
    cis_member: bool | None
    unit: str | None
    value: float | None
    value_precision: float | None
    share: float | None
    share_precision: float | None
    parent: tuple | None  # key of the total the share refers to
    parts_complete: bool | None
    rank: int | None
    changes: tuple[Change, ...]
    prov: dict  # facet -> Provenance
    corrections: dict  # facet -> Correction
    order: tuple = ()  # (delivery quarter, row number) of the row the figure was first delivered in
    flags: dict = field(default_factory=dict)  # facet (as in prov) -> tuple[Flag, ...]
    # rank_facet(...) -> rank, for the derived rankings in OTHER_RANKS and CHANGE_RANKS
    ranks: dict = field(default_factory=dict)

    @property
    def key(self) -> tuple:
        return (self.measure, self.period, *(getattr(self, d) for d in DIMENSIONS))

    @property
    def period_obj(self) -> Period:
        return parse_period(self.period)

    @property
    def agency(self) -> str:
        return next(iter(self.prov.values())).agency

    def provenance(self, facet: str | None = None) -> Provenance:
        if facet and facet in self.prov:
            return self.prov[facet]
        for name in ("value", "share", "rank"):
            if name in self.prov:
                return self.prov[name]
        return next(iter(self.prov.values()))

    def computed(self, facet: str) -> bool:
        """The facet (value, share, rank, or change|<base>|<unit>) is a derived figure, not a published
        one."""
        return facet in self.prov and self.prov[facet].computed

    def qualifier(self, facet: str) -> str | None:
        return self.prov[facet].qualifier if facet in self.prov else None

    def change(self, base_period: str | None = None, unit: str | None = None) -> Change | None:
        for c in self.changes:
            if (base_period is None or c.base_period == base_period) and (unit is None or c.unit == unit):
                return c
        return None

    def changes_vs(self, base_period: str) -> list[Change]:
        return [c for c in self.changes if c.base_period == base_period]

    @property
    def label(self) -> str:
        """What the figure is, in words, for annex tables:
        'border_crossings 2024-Q1 (in, Russian Federation, CIS)'."""
        parts = [
            self.direction,
            self.country_name,
            self.country_group,
            self.purpose,
            self.category,
            self.sector,
            self.education,
            self.age_group,
        ]
        inner = ", ".join(p for p in parts if p)
        return f"{self.measure} {self.period}" + (f" ({inner})" if inner else "")


@dataclass(frozen=True)
class Revision:
    """The same facet of one figure delivered with different numbers by two delivery quarters."""

    label: str
    facet: str
    earlier_quarter: str
    earlier: float
    later_quarter: str
    later: float
    unit: str | None
    precision_earlier: float | None
    precision_later: float | None


def _row_key(row: dict) -> tuple:
    return (row["measure"], row["period"], *(row[d] for d in DIMENSIONS))


def _fields(corrected_fields) -> list[str]:
    text = clean(corrected_fields)
    if not text:
        return []
    return re.findall(r"[a-z_]+", str(text).lower())


def _corrections_index(corrections: pd.DataFrame | None) -> dict:
    index: dict = {}
    if corrections is None or corrections.empty:
        return index
    for row in corrections.to_dict("records"):
        quarter = clean(row.get("quarter"))
        key = (clean(row.get("source")), clean(row.get("obs_id")), clean(row.get("field")))
        index[(quarter, *key)] = row
        index.setdefault((None, *key), row)
    return index


def _flags_index(check_results: pd.DataFrame | None, rows: list[dict]) -> dict:
    """(delivery quarter, obs_id) -> [Flag] for every failed check of the corrected stage (passed is False).

    A finding is about its first obs_id, a row of the finding's quarter; when that quarter has no such row
    (the figure came from an earlier delivery), the newest earlier delivery of that obs_id is meant.
    """
    index: dict = {}
    if check_results is None or check_results.empty or "obs_ids" not in check_results.columns:
        return index
    delivered: dict = {}
    for r in rows:
        delivered.setdefault(r["obs_id"], set()).add(r.get("delivery_quarter"))
    seen = set()
    for rec in check_results.to_dict("records"):
        if clean(rec.get("stage")) != "corrected" or not _false(rec):
            continue
        rule = clean(rec.get("rule"))
        facet = FLAG_FACETS.get(rule or "")
        ids = [x.strip() for x in str(clean(rec.get("obs_ids")) or "").split(",") if x.strip()]
        if facet is None or not ids:
            continue
        obs_id, quarter = ids[0], clean(rec.get("quarter"))
        quarters = delivered.get(obs_id, set())
        if quarter not in quarters:
            earlier = sorted(
                q for q in quarters if q is not None and (quarter is None or str(q) <= str(quarter))
            )
            if not earlier:
                continue
            quarter = earlier[-1]
        flag = Flag(
            rule=rule,
            facet=facet,
            obs_id=obs_id,
            expected=_text(rec.get("expected")),
            observed=_text(rec.get("observed")),
            tolerance=_text(rec.get("tolerance")),
            subject=_text(rec.get("subject")),
            message=_text(rec.get("message")),
        )
        key = (quarter, obs_id)
        if (key, flag) in seen:
            continue
        seen.add((key, flag))
        index.setdefault(key, []).append(flag)
    for flags in index.values():
        flags.sort(key=lambda f: (f.rule, f.expected or "", f.observed or ""))
    return index


def _false(rec: dict) -> bool:
    """passed is False (a boolean, or its text from a CSV)."""
    passed = clean(rec.get("passed"))
    return passed is False or (isinstance(passed, str) and passed.strip().lower() in ("false", "0", "no"))


def _text(x) -> str | None:
    x = clean(x)
    return None if x is None else str(x)


def _facets_of_field(name: str, row: dict) -> list[str]:
    if name in ("value", "value_precision", "unit"):
        return ["value"]
    if name in ("share", "share_precision"):
        return ["share"]
    if name == "rank":
        return ["rank"]
    if name.startswith("change"):
        return ["change"]
    return ["value", "share", "rank", "change"]  # a dimension or period corrected: every number of the row


_FLOATS = ("value", "value_precision", "share", "share_precision", "change", "change_precision")


def _records(frame: pd.DataFrame) -> list[dict]:
    """Rows as dicts with None for every missing cell and numbers as floats (DECIMAL columns included)."""
    columns = list(frame.columns)
    rows = []
    for raw in frame.to_dict("records"):
        row = {c: clean(raw.get(c)) for c in columns}
        for d in DIMENSIONS:
            row.setdefault(d, None)
        for name in _FLOATS:
            if row.get(name) is not None:
                row[name] = float(row[name])
        rows.append(row)
    return rows


@dataclass
class _Builder:
    key: tuple
    base: dict
    facets: dict = field(default_factory=dict)  # facet -> (row, correction, flags)
    derived: dict = field(default_factory=dict)  # facet -> Provenance of a computed facet
    history: dict = field(
        default_factory=dict
    )  # facet -> list of (delivery_quarter, number, precision, unit)


def _sorted_rows(observations: pd.DataFrame) -> list[dict]:
    """The observation rows in delivery order: delivery quarter, source, row number, obs_id."""
    rows = _records(observations)
    rows.sort(
        key=lambda r: (
            str(r.get("delivery_quarter") or ""),
            str(r.get("source") or ""),
            int(r.get("row_number") or 0),
            str(r.get("obs_id") or ""),
        )
    )
    return rows


def _row_corrections(row: dict, fixes: dict) -> dict[str, Correction]:
    """The correction of each facet of a row, from its corrected fields (first field wins per facet)."""
    fixed: dict[str, Correction] = {}
    for name in _fields(row.get("corrected_fields")):
        per_quarter = (row.get("delivery_quarter"), row.get("source"), row["obs_id"], name)
        rec = fixes.get(per_quarter) or fixes.get((None, *per_quarter[1:]))
        corr = Correction(
            field=name,
            published=clean(rec.get("published_value")) if rec else None,
            corrected=clean(rec.get("corrected_value")) if rec else None,
            justification=clean(rec.get("justification")) if rec else None,
        )
        for facet in _facets_of_field(name, row):
            fixed.setdefault(facet, corr)
    return fixed


def _row_flags(row: dict, flagged: dict) -> dict[str, list[Flag]]:
    """The flags of a row's observation, by facet."""
    flags: dict[str, list[Flag]] = {}
    for flag in flagged.get((row.get("delivery_quarter"), row["obs_id"]), ()):
        flags.setdefault(flag.facet, []).append(flag)
    return flags


def _add_row(b: _Builder, row: dict, fixed: dict, flags: dict) -> None:
    """Record a row's published value, share, rank and change facets (with their corrections and flags)
    and their delivery history in the builder of its fact."""
    numbers = {
        "value": (row.get("value"), row.get("value_precision"), row.get("unit")),
        "share": (row.get("share"), row.get("share_precision"), "percent"),
        "rank": (row.get("rank"), 1.0, None),
    }
    for facet, (number, precision, unit) in numbers.items():
        if number is None:
            continue
        b.facets[facet] = (row, fixed.get(facet), tuple(flags.get(facet, ())))
        b.history.setdefault(facet, []).append((row.get("delivery_quarter"), float(number), precision, unit))
    if row.get("change") is not None:
        facet = f"change|{row.get('change_base_period')}|{row.get('change_unit')}"
        b.facets[facet] = (row, fixed.get("change"), tuple(flags.get("change", ())))
        unit = row.get("unit") if row.get("change_unit") == "absolute" else row.get("change_unit")
        b.history.setdefault(facet, []).append(
            (row.get("delivery_quarter"), float(row["change"]), row.get("change_precision"), unit)
        )


class FactStore:
    """Resolved facts with a small query language over the dimensions (see query)."""

    def __init__(self, facts: Iterable[Fact], revisions: Iterable[Revision] = ()) -> None:
        facts = list(facts)
        # The part of a total its list does not itemise is drawn in charts only (not_itemised); queries, and
        # so the text and tables, state the parts a source listed.
        self.not_itemised: dict[tuple, Fact] = {f.parent: f for f in facts if _not_itemised(f)}
        facts = [f for f in facts if not _not_itemised(f)]
        self.facts: list[Fact] = sorted(
            facts, key=lambda f: tuple("" if k is None else str(k) for k in f.key)
        )
        self.revisions: list[Revision] = list(revisions)
        self._by_key = {f.key: f for f in self.facts}
        self._by_measure: dict[str, list[Fact]] = {}
        for fact in self.facts:
            self._by_measure.setdefault(fact.measure, []).append(fact)

    @classmethod
    def from_observations(
        cls,
        observations: pd.DataFrame,
        corrections: pd.DataFrame | None = None,
        check_results: pd.DataFrame | None = None,
        derived: pd.DataFrame | None = None,
    ) -> FactStore:
        """Facts of the observations; corrections (quality.corrections_applied) mark corrected facets and
        failed corrected-stage findings (quality.check_results with obs_ids) flag the facets they are about;
        derived figures (published.derived_figures) fill the facets no observation published."""
        rows = _sorted_rows(observations)
        obs_key = {(r.get("delivery_quarter"), r.get("source"), r["obs_id"]): _row_key(r) for r in rows}
        fixes = _corrections_index(corrections)
        flagged = _flags_index(check_results, rows)
        builders: dict[tuple, _Builder] = {}
        for row in rows:
            key = _row_key(row)
            b = builders.setdefault(key, _Builder(key, row))
            _add_row(b, row, _row_corrections(row, fixes), _row_flags(row, flagged))
        _add_derived(builders, obs_key, derived, rows)
        facts, revisions = [], []
        for b in builders.values():
            facts.append(_fact(b, obs_key))
            revisions.extend(_revisions(b))
        return cls(facts, sorted(revisions, key=lambda r: (r.label, r.facet, r.earlier_quarter)))

    # ------------------------------------------------------------ queries

    def get(self, key: tuple) -> Fact | None:
        return self._by_key.get(key)

    def query(self, measure: str | Iterable[str], period: str | None = None, **dims) -> list[Fact]:
        """Facts of a measure (and period). Dimensions not named must be empty; ANY = anything, SET = filled.

        query('border_crossings', '2024-Q1', direction='in')  -> the arrivals total (and nothing else)
        query('border_crossings', '2024-Q1', direction='in', country_group='CIS', country_iso3=SET)
        """
        unknown = set(dims) - set(DIMENSIONS)
        if unknown:
            raise TypeError(f"unknown dimensions {sorted(unknown)}")
        measures = [measure] if isinstance(measure, str) else list(dict.fromkeys(measure))
        candidates = (
            self.facts if len(measures) > 1 else self._by_measure.get(measures[0], []) if measures else []
        )
        out = []
        for f in candidates:
            if f.measure not in measures or (period is not None and f.period != period):
                continue
            if all(_matches(getattr(f, d), dims.get(d)) for d in DIMENSIONS):
                out.append(f)
        return out

    def one(self, measure: str, period: str, **dims) -> Fact | None:
        found = self.query(measure, period, **dims)
        return found[0] if len(found) == 1 else None

    def periods(self, measure: str | Iterable[str], cutoff: date | None = None, **dims) -> list[str]:
        """Reference periods with facts for the measure, oldest first; only those available at `cutoff`."""
        labels = {f.period for f in self.query(measure, **{d: dims.get(d, ANY) for d in DIMENSIONS})}
        if cutoff is not None:
            labels = {p for p in labels if available_at(p, cutoff)}
        return sorted(labels, key=period_sort_key)


NOT_ITEMISED_DERIVATION = "remainder"  # derive/remainders.py
_RANKINGS = (*OTHER_RANKS, *CHANGE_RANKS)


def _not_itemised(f: Fact) -> bool:
    return f.parent is not None and all(p.derivation == NOT_ITEMISED_DERIVATION for p in f.prov.values())


def _matches(have, want) -> bool:
    if want is ANY:
        return True
    if want is SET:
        return have is not None
    if isinstance(want, (set, frozenset, tuple, list)):
        return have in want
    return have == want


def period_sort_key(label: str) -> tuple:
    p = parse_period(label)
    return (p.end, p.start)


def available_at(label: str, cutoff: date) -> bool:
    """A period is usable in a report whose quarter ends on `cutoff` if it began by then.

    A stock dated the day after the quarter's end (as of 1 July for Q2) is the end-of-quarter position.
    """
    p = parse_period(label)
    if p.kind == "date":
        return p.start <= cutoff + timedelta(days=1)
    return p.start <= cutoff


def _prov(row: dict, cited: dict | None = None, **computed) -> Provenance:
    """Where a facet comes from: the row's figure, cited by the publication of `cited` (default: the row's
    own). `computed`: derivation, inputs, qualifier and interval of a computed facet."""
    publication = row if cited is None else cited
    return Provenance(
        obs_id=row["obs_id"],
        delivery_quarter=row.get("delivery_quarter") or "",
        source=row.get("source") or "",
        agency=publication.get("agency") or "",
        publication=publication.get("publication") or "",
        publication_date=str(publication.get("publication_date") or ""),
        location=publication.get("location") or "",
        published_text=row.get("published_text"),
        **computed,
    )


def _fact(b: _Builder, obs_key: dict) -> Fact:
    base = b.base
    values = {}
    prov, corrections, changes, flags = {}, {}, [], {}
    for facet, (row, corr, found) in sorted(b.facets.items()):
        prov[facet] = b.derived.get(facet) or _prov(row)
        if corr is not None:
            corrections[facet] = corr
        if found:
            flags[facet] = found
        if facet.startswith("change|"):
            changes.append(
                Change(
                    base_period=row["change_base_period"],
                    unit=row["change_unit"],
                    value=float(row["change"]),
                    precision=row.get("change_precision"),
                    prov=prov[facet],
                    correction=corr,
                    flags=found,
                )
            )
        else:
            values[facet] = row
    value_row, share_row, rank_row = values.get("value"), values.get("share"), values.get("rank")
    ranks = {name: int(row["rank"]) for name, row in values.items() if name.split("|")[0] in _RANKINGS}
    parent = None
    if share_row is not None and share_row.get("part_of"):
        parent = obs_key.get(
            (share_row.get("delivery_quarter"), share_row.get("source"), share_row["part_of"])
        )
    elif value_row is not None and value_row.get("part_of"):
        parent = obs_key.get(
            (value_row.get("delivery_quarter"), value_row.get("source"), value_row["part_of"])
        )
    part_row = share_row or value_row or base
    changes.sort(key=lambda c: (period_sort_key(c.base_period), c.unit))
    return Fact(
        measure=base["measure"],
        period=base["period"],
        **{d: base.get(d) for d in DIMENSIONS},
        country_name=base.get("country_name"),
        cis_member=base.get("cis_member"),
        unit=(value_row or {}).get("unit") or base.get("unit"),
        value=float(value_row["value"]) if value_row else None,
        value_precision=value_row.get("value_precision") if value_row else None,
        share=float(share_row["share"]) if share_row else None,
        share_precision=share_row.get("share_precision") if share_row else None,
        parent=parent,
        parts_complete=part_row.get("parts_complete"),
        rank=int(rank_row["rank"]) if rank_row else None,
        changes=tuple(changes),
        prov=prov,
        corrections=corrections,
        order=(str(base.get("delivery_quarter") or ""), int(base.get("row_number") or 0)),
        flags=flags,
        ranks=ranks,
    )


def _revisions(b: _Builder) -> list[Revision]:
    out = []
    base = b.base
    parts = [
        base.get("direction"),
        base.get("country_name"),
        base.get("country_group"),
        base.get("purpose"),
        base.get("category"),
        base.get("sector"),
        base.get("education"),
        base.get("age_group"),
    ]
    inner = ", ".join(str(p) for p in parts if p)
    label = f"{base['measure']} {base['period']}" + (f" ({inner})" if inner else "")
    for facet, history in sorted(b.history.items()):
        by_quarter: dict = {}
        for quarter, number, precision, unit in history:
            by_quarter[quarter] = (number, precision, unit)
        quarters = sorted(by_quarter)
        for earlier, later in itertools.pairwise(quarters):
            (n0, p0, u0), (n1, p1, u1) = by_quarter[earlier], by_quarter[later]
            if not math.isclose(n0, n1, rel_tol=0, abs_tol=1e-9) or p0 != p1:
                name = facet
                if facet.startswith("change|"):
                    _, base_period, unit = facet.split("|")
                    name = f"change vs {base_period} ({unit})"
                out.append(Revision(label, name, earlier, n0, later, n1, u1 or u0, p0, p1))
    return out


def _input_ids(x) -> tuple[str, ...]:
    """input_obs_ids as stored: a list, or text separated by commas, semicolons or spaces."""
    if x is None:
        return ()
    if isinstance(x, str):
        return tuple(s for s in re.split(r"[,;\s]+", x) if s)
    try:
        return tuple(str(s) for s in x if s is not None)
    except TypeError:
        return (str(x),)


def _add_derived(builders: dict, obs_key: dict, derived: pd.DataFrame | None, published: list[dict]) -> None:
    """Fill each figure's facets that no delivery published with the derived figure of the newest delivery
    quarter; a derived figure's citation is that of the first figure it was computed from."""
    if derived is None or derived.empty:
        return
    frame = derived.drop(columns=["input_obs_ids"], errors="ignore")
    inputs = [_input_ids(x) for x in derived["input_obs_ids"]] if "input_obs_ids" in derived else None
    rows = _records(frame)
    for i, row in enumerate(rows):
        row["input_obs_ids"] = inputs[i] if inputs is not None else ()
        for name in ("value", "share", "change"):
            low, high = _number(row.get(f"{name}_low")), _number(row.get(f"{name}_high"))
            if row.get(name) is not None and low is not None and low == high:
                row[name] = low  # an exact figure: its full digits, not the stored column's four decimals
    # Newest delivery last (it stands); within one, a figure of a CIS / non-CIS group states its share of the
    # group (share_within_group), not of the total of all countries (share_of_total).
    rows.sort(
        key=lambda r: (
            str(r.get("delivery_quarter") or ""),
            r.get("derivation") == "share_within_group",
            str(r.get("source") or ""),
            str(r["obs_id"]),
        )
    )
    by_id = {}
    for r in published:
        by_id.setdefault((r.get("delivery_quarter"), r["obs_id"]), r)
        by_id.setdefault((None, r["obs_id"]), r)
    for row in rows:
        obs_key[(row.get("delivery_quarter"), row.get("source"), row["obs_id"])] = _row_key(row)
    for row in rows:
        key = _row_key(row)
        b = builders.setdefault(key, _Builder(key, row))
        facets = [(name, name) for name in ("value", "share", "rank") if row.get(name) is not None]
        if row.get("derivation") in _RANKINGS:
            facets = [(rank_facet(row["derivation"], row.get("change_base_period")), "rank")]
        elif row.get("change") is not None:
            facets.append((f"change|{row.get('change_base_period')}|{row.get('change_unit')}", "change"))
        for facet, column in facets:
            if facet in b.facets and facet not in b.derived:
                continue  # the published figure stands
            b.facets[facet] = (row, None, ())
            b.derived[facet] = _derived_prov(row, by_id, column)


def _derived_prov(row: dict, published: dict, column: str) -> Provenance:
    """A computed facet, cited by the first of the figures it was computed from that the report has."""
    ids = row["input_obs_ids"]
    first = None
    for lineage in ids:
        quarter, _, obs_id = lineage.rpartition("/")
        first = published.get((quarter or row.get("delivery_quarter"), obs_id)) or published.get(
            (None, obs_id)
        )
        if first is not None:
            break
    return _prov(
        row,
        first or {},
        derivation=row.get("derivation") or "derived",
        inputs=ids,
        qualifier=row.get("qualifier"),
        interval=(_number(row.get(f"{column}_low")), _number(row.get(f"{column}_high"))),
    )


def _number(x) -> float | None:
    x = clean(x)
    return None if x is None else float(x)
