"""The report's sentences, written from MeasureViews in the published report's phrasing (pure text).

Every number goes through a Writer, which formats it at its published precision, marks a corrected figure
("2,276*" with a footnote naming the published figure), marks a figure that a failed check of the corrected
stage is about and that was left as published ("51.8\u2021" with a footnote naming the check, what it expected
and what it observed), marks a figure computed in the warehouse from the delivered figures ("45.3\u2020",
published.derived_figures; the paragraph's footnote says so) and remembers the provenance of the figures of
the current paragraph for its source footnote. A change computed from two figures also says "computed" in
words. The report computes nothing itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from mtm_pipeline.report.document import Bullets, Footnotes, Paragraph
from mtm_pipeline.report.facts import Change, Fact, Flag, Provenance, flags_text
from mtm_pipeline.report.figures_data import REMAINDER_ISO3, Comparison, MeasureView, Ranking
from mtm_pipeline.report.format import (
    COMPUTED_MARK,
    CORRECTED_MARK,
    FLAGGED_MARK,
    capitalise,
    country_phrase,
    fmt_percent,
    fmt_signed,
    fmt_value,
    in_period,
    join_words,
    period_data_phrase,
    period_phrase,
)

# Words per measure (and direction): the contract's codes, never a country or a figure.
WORDS: dict[tuple[str, str | None], dict[str, str]] = {
    ("border_crossings", "in"): {
        "noun": "migrant arrivals",
        "short": "arrivals",
        "people": "migrants",
        "prep": "from",
        "came": "came from",
        "verb": "entered the country",
        "trip": "visit",
        "move": "arrived",
        "flow": "inflow",
    },
    ("border_crossings", "out"): {
        "noun": "migrant departures",
        "short": "departures",
        "people": "migrants",
        "prep": "to",
        "came": "went to",
        "verb": "departed from the country",
        "trip": "travel",
        "move": "departed",
        "flow": "outflow",
    },
    ("trp_holders", None): {
        "noun": "holders of temporary residence permits",
        "short": "holders",
        "people": "holders",
        "prep": "from",
    },
    ("trp_issued", None): {
        "noun": "temporary residence permits issued",
        "short": "permits issued",
        "people": "permits",
        "prep": "to nationals of",
    },
    ("prp_issued", None): {
        "noun": "permanent residence permits",
        "short": "permits",
        "people": "migrants",
        "prep": "from",
    },
    ("foreign_workers", None): {
        "noun": "foreign workers with permits",
        "short": "foreign workers",
        "people": "people",
        "prep": "from",
    },
    ("employers_recruiting", None): {
        "noun": "employers recruiting migrant workers",
        "short": "employers",
        "people": "employers",
        "prep": "from",
    },
    ("emigrants", None): {"noun": "emigrants", "short": "emigrants", "people": "people", "prep": "to"},
    ("personal_remittances", "out"): {
        "noun": "personal remittances sent from Kazakhstan",
        "short": "remittances sent from Kazakhstan",
        "people": "USD",
        "prep": "to",
        "flow": "transfers from Kazakhstan",
    },
    ("personal_remittances", "in"): {
        "noun": "personal remittances sent to Kazakhstan",
        "short": "remittances sent to Kazakhstan",
        "people": "USD",
        "prep": "from",
        "flow": "transfers to Kazakhstan",
    },
}
GROUP_WORDS = {
    "CIS": ("Commonwealth of Independent States (CIS) member states", "CIS countries"),
    "non-CIS": ("non-CIS countries", "non-CIS countries"),
}
CATEGORY_WORDS = {
    "first": "managers and their deputies (first category)",
    "second": "heads of structural subdivisions (second category)",
    "third": "specialists (third category)",
    "fourth": "skilled workers (fourth category)",
    "seasonal": "seasonal work",
    "intra-corporate transfer": "intra-corporate transfers",
}


def words(measure: str, direction: str | None) -> dict[str, str]:
    return (
        WORDS.get((measure, direction))
        or WORDS.get((measure, None))
        or {
            "noun": measure.replace("_", " "),
            "short": measure.replace("_", " "),
            "people": "",
            "prep": "from",
        }
    )


def group_long(group: str | None) -> str:
    """'Commonwealth of Independent States (CIS) member states'; no group (None): 'all countries'."""
    if not group:
        return "all countries"
    return GROUP_WORDS.get(group, (f"{group} countries", f"{group} countries"))[0]


def group_short(group: str | None) -> str:
    """'CIS countries'; no group (None): 'all countries'."""
    if not group:
        return "all countries"
    return GROUP_WORDS.get(group, (f"{group} countries", f"{group} countries"))[1]


def agency_phrase(agency: str | None) -> str:
    """'Migration Service Committee, Ministry of Internal Affairs' -> 'the Migration Service Committee of the
    Ministry of Internal Affairs'."""
    if not agency:
        return "the delivering agency"
    return "the " + agency.replace(", ", " of the ")


# How a qualified derived figure is worded: before its number, or in place of its group's name.
QUALIFIER_WORDS = {"lower_bound": "at least", "upper_bound": "at most"}
NAMED_COUNTRIES_ONLY = "named_countries_only"


def computed_citation(provs: Iterable[Provenance]) -> str | None:
    """'\u2020 Computed in the warehouse from delivered figures of <agency>, not published (share of
    total); each computed figure and the figures it comes from are in the annex workbook, sheet Derived.'"""
    provs = [p for p in provs if p.computed]
    if not provs:
        return None
    agencies = sorted({p.agency for p in provs if p.agency})
    kinds = sorted({p.derivation.replace("_", " ") for p in provs})
    of = f" of {join_words(agencies)}" if agencies else ""
    return (
        f"{COMPUTED_MARK} Computed in the warehouse from delivered figures{of}, not published "
        f"({'; '.join(kinds)}); each computed figure and the figures it comes from are in the annex "
        "workbook, sheet Derived."
    )


def sorted_citations(provs: Iterable[Provenance]) -> str:
    """One footnote text for the figures of a paragraph: agency, year, publication and locations; then what
    its computed figures come from."""
    provs = list(provs)
    computed = computed_citation(provs)
    provs = [p for p in provs if not p.computed]
    groups: dict[tuple, list[str]] = {}
    for p in provs:
        groups.setdefault((p.agency, p.publication_date, p.publication), [])
        if p.location not in groups[(p.agency, p.publication_date, p.publication)]:
            groups[(p.agency, p.publication_date, p.publication)].append(p.location)
    parts = []
    for (agency, date, publication), locations in sorted(groups.items()):
        parts.append(f"{agency}, {date[:4]}. {publication}: {'; '.join(sorted(locations))}.")
    return " ".join([*parts, *([computed] if computed else [])])


class Writer:
    """Formats figures for the text and collects the footnotes of the paragraph being written."""

    def __init__(self, notes: Footnotes) -> None:
        self.notes = notes
        self._used: list[Provenance] = []

    # ---------------------------------------------------------------- figures

    def value(self, f: Fact, *, bare_money: bool = False) -> str:
        self._used.append(f.provenance("value"))
        text = fmt_value(f.value, f.value_precision, f.unit)
        if f.unit == "percent":
            text = fmt_percent(f.value, f.value_precision)
        return _qualified(f, "value", text + self._mark(f, "value"))

    def money(self, f: Fact) -> str:
        """'883.5 million USD'."""
        return f"{self.value(f)} USD"

    def share(self, f: Fact, *, sign: bool = False) -> str:
        """'58.2' ('58.2%' with sign), its marks after it: '45.2\u2021', '1.4%\u2020'."""
        self._used.append(f.provenance("share"))
        text = fmt_percent(f.share, f.share_precision) + ("%" if sign else "")
        return _qualified(f, "share", text + self._mark(f, "share"))

    def change_abs(self, c: Change, unit: str | None = None) -> str:
        """The size of a stated change without its sign: '12.6', '1.6', '201.5 million'."""
        self._used.append(c.prov)
        if c.unit == "absolute":
            text = fmt_value(abs(c.value), c.precision, unit)
        else:
            text = fmt_percent(abs(c.value), c.precision)
        return text + self._correction_mark(c)

    def change_signed(self, c: Change) -> str:
        """'-9.7%', '+32.5%', '-1.6 times' (as in the report's parentheses)."""
        self._used.append(c.prov)
        mark = self._correction_mark(c)
        if c.unit == "times":
            return f"{fmt_signed(c.value, c.precision)} times{mark}"
        if c.unit == "direction":
            return ("up" if c.value > 0 else "down") + mark
        return f"{fmt_signed(c.value, c.precision)}%{mark}"

    def cite(self, f: Fact, facet: str | None = None) -> None:
        self._used.append(f.provenance(facet))

    def cite_change(self, c: Change) -> str:
        """A change written in words only (a stated direction): cited, no number; returns its marks, to be
        written after the words that state it."""
        self._used.append(c.prov)
        return self._correction_mark(c)

    # ---------------------------------------------------------------- marks and paragraphs

    def mark(self, f: Fact, facet: str) -> str:
        """The marks of a facet written without its number (a rank): corrected and flagged."""
        return self._mark(f, facet)

    def _mark(self, f: Fact, facet: str) -> str:
        out = ""
        corr = f.corrections.get(facet)
        if corr is not None:
            out += CORRECTED_MARK + self.notes.ref(correction_note(f, facet, corr.published, corr.field))
        if f.computed(facet):
            out += COMPUTED_MARK
        return out + self._flag_mark(f.flags.get(facet, ()), f.provenance(facet).obs_id, facet)

    def _correction_mark(self, c: Change) -> str:
        out = ""
        if c.correction is not None:
            published = c.correction.published
            text = f"Corrected from the published {published}" if published else "Corrected"
            out = CORRECTED_MARK + self.notes.ref(
                f"{text} ({c.prov.obs_id}, {c.correction.field}); see Annex B."
            )
        if c.computed:
            out += COMPUTED_MARK
        return out + self._flag_mark(c.flags, c.prov.obs_id, "change")

    def _flag_mark(self, flags: tuple[Flag, ...], obs_id: str, field: str) -> str:
        if not flags:
            return ""
        return FLAGGED_MARK + self.notes.ref(flag_note(flags, obs_id, field))

    def para(self, text: str, role: str = "narrative") -> Paragraph:
        """A paragraph; a narrative one ends with a footnote naming the sources of its figures."""
        if self._used and role == "narrative":
            text = text + self.notes.ref(sorted_citations(self._used))
        self._used = []
        return Paragraph(text, role)

    def bullets(self, items: list[str], *, numbered: bool = False, role: str = "narrative") -> Bullets:
        items = list(items)
        if self._used and role == "narrative" and items:
            items[-1] = items[-1] + self.notes.ref(sorted_citations(self._used))
        self._used = []
        return Bullets(tuple(items), numbered, role)

    def discard(self) -> None:
        self._used = []


def qualifiers(f: Fact, facet: str) -> set[str]:
    """The qualifiers of a derived facet (stored comma-separated, e.g.
    'named_countries_only,rank_uncertain')."""
    return {q.strip() for q in (f.qualifier(facet) or "").split(",") if q.strip()}


def _qualified(f: Fact, facet: str, text: str) -> str:
    """'at least 5,873\u2020' for a derived figure that is a bound."""
    words = [QUALIFIER_WORDS[q] for q in sorted(qualifiers(f, facet)) if q in QUALIFIER_WORDS]
    return f"{words[0]} {text}" if words else text


def group_phrase(f: Fact, facet: str, words: str) -> str:
    """The group a group figure is about, in the caller's words ('CIS countries', 'the CIS countries'),
    or 'the named CIS countries' when the figure covers only the countries its breakdown names (a
    remainder such as 'Other countries' hides the membership of the rest)."""
    if NAMED_COUNTRIES_ONLY in qualifiers(f, facet):
        return f"the named {group_short(f.country_group)}"
    return words


def correction_note(f: Fact, facet: str, published: str | None, field: str) -> str:
    shown = published
    if published:
        try:
            from mtm_pipeline.numbers import parse_published_number

            number = parse_published_number(published, allow_percent_sign=True)
            if facet == "value":
                shown = fmt_value(float(number.value), float(number.precision), f.unit)
            elif facet == "share":
                shown = fmt_percent(float(number.value), float(number.precision))
        except ValueError:
            shown = published
    obs = f.provenance(facet).obs_id
    if shown:
        return f"Corrected from the published {shown} ({obs}, {field}); see Annex B."
    return f"Corrected ({obs}, {field}); the published figure is not recorded; see Annex B."


def flag_note(flags: tuple[Flag, ...], obs_id: str, field: str) -> str:
    """'Inconsistent with other published figures, left as published (rem_in_2023_total, change):
    stated_change_matches expected [-37.16, -37.11] per cent, observed -51.8 per cent; see Annex A.'"""
    return (
        f"Inconsistent with other published figures, left as published ({obs_id}, {field}): "
        f"{flags_text(flags)}; see Annex A."
    )


# -------------------------------------------------------------------- sentence parts


def more_less(sign: int, money: bool = False) -> str:
    if money:
        return "higher" if sign > 0 else "lower"
    return "more" if sign > 0 else "less"


def more_fewer(sign: int, money: bool = False) -> str:
    if money:
        return "higher" if sign > 0 else "lower"
    return "more" if sign > 0 else "fewer"


def comparison_clause(w: Writer, cmp: Comparison, people: str, unit: str | None) -> str | None:
    """'12.6 per cent less than in the last quarter of 2023 (3,405,102 migrants)'; None when nothing is
    known."""
    money = unit == "USD"
    base_text = period_phrase(cmp.base_period)
    than = "than " + in_period(cmp.base_period)
    base_value = None
    if cmp.base is not None:
        base_value = w.money(cmp.base) if money else f"{w.value(cmp.base)} {people}".rstrip()
    pct = cmp.percent
    times = next((c for c in cmp.stated if c.unit == "times"), None)
    absolute = next((c for c in cmp.stated if c.unit == "absolute"), None)
    direction = next((c for c in cmp.stated if c.unit == "direction"), None)
    extra = []
    if pct is not None:
        main = f"{w.change_abs(pct)} per cent {more_less(pct.sign, money)} {than}"
    elif times is not None:
        main = f"{w.change_abs(times)} times {more_less(times.sign, money)} {than}"
    elif absolute is not None:
        main = (
            f"{w.change_abs(absolute, unit)} {'USD ' if money else ''}"
            f"{more_less(absolute.sign, money)} {than}"
        )
        absolute = None
    elif direction is not None:
        main = f"{more_fewer(direction.sign, money)}{w.cite_change(direction)} {than}"
        if cmp.computed is not None:
            extra.append(
                f"{w.change_abs(cmp.computed)} per cent {more_less(cmp.computed.sign, money)}, "
                "computed from the two figures"
            )
        elif cmp.base is None:
            extra.append(f"no figure for {base_text} is available")
    elif cmp.computed is not None:
        word = more_less(cmp.computed.sign, money)
        main = f"{w.change_abs(cmp.computed)} per cent {word} (computed from the two figures) {than}"
    elif base_value is not None:  # no change published or derived: the base figure alone
        return f"against {base_value} {in_period(cmp.base_period)}"
    else:
        return None
    if absolute is not None:
        extra.insert(
            0, f"{'-' if absolute.sign < 0 else '+'}{w.change_abs(absolute, unit)}{' USD' if money else ''}"
        )
    inside = [x for x in [base_value, *extra] if x]
    return main + (f" ({'; '.join(inside)})" if inside else "")


def comparison_parts(w: Writer, v: MeasureView, people: str) -> tuple[list[str], list[str]]:
    """The headline's comparison clauses, and the base periods nothing is known about."""
    clauses, missing = [], []
    unit = v.headline.unit if v.headline else None
    for cmp in v.comparisons:
        clause = comparison_clause(w, cmp, people, unit)
        if clause:
            clauses.append(clause)
        elif cmp.kind in ("previous", "year_ago"):
            missing.append(cmp.base_period)
    return clauses, missing


def joined_comparisons(clauses: list[str]) -> str:
    """', which is 12.6 per cent less than ... and 10 per cent more than ...' (or ', fewer than ...')."""
    if not clauses:
        return ""
    return (", which is " if clauses[0][:1].isdigit() else ", ") + join_words(clauses)


def missing_comparisons_sentence(bases: list[str]) -> str | None:
    if not bases:
        return None
    if len(bases) == 1:
        return f"No figure for {period_phrase(bases[0])} is available for comparison."
    return (
        f"No figures for {join_words([period_phrase(b) for b in bases], 'or')} are available for comparison."
    )


def country_item(w: Writer, f: Fact, people: str, prep: str) -> str:
    """'64 per cent from the Russian Federation', '45.2 per cent (2,602 migrants) from Uzbekistan'."""
    name = country_phrase(f.country_name or f.country_iso3 or "")
    if f.country_iso3 == REMAINDER_ISO3:
        prep = "from" if prep in ("from", "to nationals of") else prep
    if f.share is not None and f.value is not None:
        return f"{w.share(f)} per cent ({w.value(f)} {people}) {prep} {name}"
    if f.share is not None:
        return f"{w.share(f)} per cent {prep} {name}"
    return f"{w.value(f)} {people} {prep} {name}"


def ranking_sentence(r: Ranking, v: MeasureView, mark: Callable[[Fact], str] | None = None) -> str:
    """'China, Türkiye and India were the top three non-CIS countries of origin in the second quarter of 2024
    (in the order given; no figures were published).' `mark` gives the marks of a ranked item's rank."""
    names = [
        (
            country_phrase(f.country_name)
            if f.country_iso3
            else (f.sector or f.education or f.category or "").lower()
        )
        + (mark(f) if mark else "")
        for f in r.facts
    ]
    count = {
        1: "top",
        2: "top two",
        3: "top three",
        4: "top four",
        5: "top five",
        6: "top six",
        7: "top seven",
        8: "top eight",
        9: "top nine",
        10: "top ten",
    }.get(len(names), f"top {len(names)}")
    when = in_period(r.period)
    wd = words(v.measure, v.direction)
    if r.dimension == "country_iso3":
        of = "of origin" if wd.get("prep") == "from" else "of destination"
        if v.measure == "emigrants":
            what = "destination countries of Kazakh citizens emigrating for permanent residence"
        elif r.group:
            what = f"{group_short(r.group)} {of}"
        else:
            what = f"countries {of} of {wd['short']}"
        subject = join_words(names)
        return (
            f"{capitalise(subject)} were the {count} {what} {when} "
            "(in the order given; no figures were published)."
        )
    subject = join_words(names)
    return (
        f"{capitalise(when)}, the {count} {r.dimension}s by number of {wd['short']} were {subject} "
        "(in the order given; no figures were published)."
    )


ORDER_NOT_CERTAIN = "the order is not certain within the published precision"


def order_caveat(certain: bool) -> str:
    """' (the order is not certain within the published precision)' after a list whose ranks are
    rank_uncertain (derive/ranks.py), else nothing: the list's order is the ranks' order."""
    return "" if certain else f" ({ORDER_NOT_CERTAIN})"


def availability_sentence(v: MeasureView, topic: str) -> str | None:
    """Why a section uses another period than the report quarter, or that it has no data at all."""
    quarter = period_phrase(v.quarter)
    if v.period is None:
        who = capitalise(agency_phrase(v.agency)) if v.agency else "No agency"
        return (
            f"{who} has not delivered any data on {topic} for this report; "
            f"this section cannot be written for {quarter}."
        )
    if v.is_report_period:
        return None
    return (
        f"{capitalise(agency_phrase(v.agency))} has not yet published data for {quarter}; "
        f"this section uses {period_data_phrase(v.period)}, the latest available."
    )


def component_words(c: tuple, v: MeasureView) -> str:
    wd = words(v.measure, v.direction)
    kind = c[0]
    if kind == "headline":
        return (
            f"the total number of {wd['noun']}"
            if wd.get("people") != "USD"
            else f"the total volume of {wd['noun']}"
        )
    if kind == "purpose":
        return f"the number of {wd['short']} with {c[1]} as the stated purpose"
    if kind == "category":
        return f"{CATEGORY_WORDS.get(c[1], c[1])}"
    if kind == "groups":
        return f"the CIS and non-CIS figures of {wd['short']}"
    if kind == "countries":
        group = f"{group_short(c[1])[: -len(' countries')]} " if c[1] else ""
        return f"the breakdown of {wd['short']} by {group}country"
    if kind == "sector":
        return f"the breakdown of {wd['short']} by sector"
    if kind == "education":
        return f"the breakdown of {wd['short']} by education level"
    return " ".join(str(x) for x in c)


_CATEGORY_ORDER = {name: i for i, name in enumerate(CATEGORY_WORDS)}


def missing_sentence(v: MeasureView) -> str | None:
    """'Not available for the second quarter of 2024: ... (latest: the first quarter of 2024).'"""
    if not v.missing or v.period is None:
        return None
    wd = words(v.measure, v.direction)
    items: list[tuple[str, str | None]] = []
    countries = [c for c in v.missing if c[0] == "countries"]
    categories = sorted(
        (c for c in v.missing if c[0] == "category"), key=lambda c: _CATEGORY_ORDER.get(c[1], 99)
    )
    for c in v.missing:
        if c[0] == "countries" and c == countries[0]:
            groups = [group_short(x[1])[: -len(" countries")] for x in countries if x[1]]
            by = f"by {' and by '.join(groups)} country" if groups else "by country"
            latest = max(
                (v.latest.get(x) for x in countries if v.latest.get(x)), default=None, key=_period_key
            )
            items.append((f"the breakdown of {wd['short']} {by}", latest))
        elif c[0] not in ("countries", "category"):
            items.append((component_words(c, v), v.latest.get(c)))
    if categories:
        names = [CATEGORY_WORDS.get(c[1], c[1]) for c in categories]
        latest = max((v.latest.get(c) for c in categories if v.latest.get(c)), default=None, key=_period_key)
        items.append(
            (f"the numbers of {wd['short']} in the permit categories for {join_words(names)}", latest)
        )
    latest = {x for _, x in items}
    if len(latest) == 1:
        (only,) = latest
        when = (
            "" if only is None else f" (latest{' for each' if len(items) > 1 else ''}: {period_phrase(only)})"
        )
        return f"Not available {for_period(v.period)}: {join_words([t for t, _ in items])}{when}."
    texts = [t + (f" (latest: {period_phrase(x)})" if x else "") for t, x in items]
    return f"Not available {for_period(v.period)}: {join_words(texts)}."


def for_period(label: str) -> str:
    """'for the second quarter of 2024', 'for 2023', 'as of 1 July 2024'."""
    return in_period(label) if in_period(label).startswith("as of") else f"for {period_phrase(label)}"


def _period_key(label: str):
    from mtm_pipeline.report.facts import period_sort_key

    return period_sort_key(label)


def change_note_sentences(w: Writer, v: MeasureView) -> list[str]:
    """Stated changes of country figures in other periods ('In the last quarter of 2023 compared to the third
    quarter of 2023, remittances sent from Kazakhstan to Uzbekistan decreased by 39.8 per cent ...')."""
    wd = words(v.measure, v.direction)
    by: dict = {}
    for f in v.change_notes:
        for c in f.changes:
            by.setdefault((f.period, c.base_period), []).append((f, c))
    out = []
    for (period, base), items in sorted(by.items()):
        figures = [(f, c) for f, c in items if c.unit in ("percent", "times")]  # in the source's order
        directions = [(f, c) for f, c in items if c.unit == "direction"]
        head = f"In {period_phrase(period)} compared to {period_phrase(base)}"
        parts = []
        for i, (f, c) in enumerate(figures):
            verb = ("increased" if c.sign > 0 else "decreased") if i == 0 else ""
            unit_word = "per cent" if c.unit == "percent" else "times"
            name = country_phrase(f.country_name) if f.country_iso3 else (f.sector or "")
            lead = f"{wd['short']} {wd['prep']} {name}" if i == 0 else f"{wd['prep']} {name}"
            parts.append(
                f"{lead} {verb + ' ' if verb else ''}by {w.change_abs(c)} {unit_word}".replace("  ", " ")
            )
        sentence = head + ", " + join_words(parts) if parts else head + ","
        if directions:
            up = [f for f, c in directions if c.sign > 0]
            down = [f for f, c in directions if c.sign < 0]
            marks = {id(f): w.cite_change(c) for f, c in directions}
            bits = []
            for group, verb in ((down, "decreased"), (up, "increased")):
                if group:
                    names = join_words([country_phrase(f.country_name) + marks[id(f)] for f in group])
                    also = " also" if parts else ""
                    bits.append(f"{wd['short'] if not parts else 'those'} {wd['prep']} {names}{also} {verb}")
            sentence += (
                ("; " if parts else " ") + "; ".join(bits) + " (direction stated, no figure published)"
            )
        out.append(sentence + ".")
    return out
