"""The quarterly report and the trend report as Documents (pure: no files, no rendering libraries).

Structure follows the published Q1 2024 report: about MTM (methodology, limitations), key findings,
sections 2 to 7, then what the published report does not have: revised figures, sources, the annex of
data-quality findings and corrections, and the footnotes. Section 1 of the published report (policy
developments) is not a data source of the pipeline and is not generated.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import pandas as pd

from mtm_pipeline.periods import parse_period, quarter_range, same_quarter_last_year
from mtm_pipeline.report import charts, tables
from mtm_pipeline.report.document import (
    Bullets,
    Document,
    Figure,
    FigureBlock,
    Heading,
    PageBreak,
    Paragraph,
    TableBlock,
)
from mtm_pipeline.report.facts import ANY, SET, Fact, FactStore
from mtm_pipeline.report.figures_data import MeasureView, Selector, order_facts
from mtm_pipeline.report.format import (
    COMPUTED_MARK,
    CORRECTED_MARK,
    FLAGGED_MARK,
    capitalise,
    country_phrase,
    in_period,
    join_words,
    period_caption,
    period_phrase,
    period_short,
    quarters_phrase,
)
from mtm_pipeline.report.narrative import (
    CATEGORY_WORDS,
    Writer,
    agency_phrase,
    availability_sentence,
    change_note_sentences,
    comparison_parts,
    country_item,
    group_long,
    group_short,
    joined_comparisons,
    missing_comparisons_sentence,
    missing_sentence,
    more_fewer,
    ranking_sentence,
    words,
)

FLOW = "border_crossings"
TRP_HOLDERS, TRP_ISSUED, PRP = "trp_holders", "trp_issued", "prp_issued"
WORKERS, EMPLOYERS = "foreign_workers", "employers_recruiting"
QUOTA, QUOTA_SHARE = "work_permit_quota", "work_permit_quota_share_of_labour_force"
EMIGRANTS, REMITTANCES = "emigrants", "personal_remittances"

MEASURE_NOTES = {
    FLOW: "Border crossings count crossing events, not distinct people: one person crossing twice counts twice.",
    TRP_HOLDERS: "Temporary residence permit holders are counted in the quarter; permits issued are a "
    "different count and are shown separately.",
    PRP: "Permanent residence permits are counted as issued in the period.",
    WORKERS: "Foreign workers are a stock of permit holders on a date.",
    EMIGRANTS: "Emigration of Kazakh citizens for permanent residence (Bureau of National Statistics) is not the "
    "same concept as the issuance of permanent residence permits to foreigners.",
    REMITTANCES: "Personal remittances are balance-of-payments figures of the National Bank in US dollars; they "
    "are not the money-transfer-system totals in tenge that the press quotes, and the two are never mixed.",
}


MARKS_LEGEND = (
    f"Marks after a figure: {CORRECTED_MARK} a figure corrected before use (the published figure and the reason "
    f"are in Annex B); {COMPUTED_MARK} (in tables) a figure computed by this report from published figures, not "
    f"published; {FLAGGED_MARK} a published figure that is inconsistent with other published figures and is "
    "left as published because no correction could be justified (the footnote or table note names the check, "
    "what it expected and what it observed; all findings are in Annex A)."
)


VIEWS = (
    (FLOW, "in"), (FLOW, "out"), (TRP_HOLDERS, None), (TRP_ISSUED, None), (PRP, None), (WORKERS, None),
    (EMPLOYERS, None), (QUOTA, None), (QUOTA_SHARE, None), (EMIGRANTS, None), (REMITTANCES, "out"),
    (REMITTANCES, "in"),
)  # fmt: skip


@dataclass(frozen=True)
class QuarterlySource:
    quarter: str
    store: FactStore
    check_results: pd.DataFrame
    corrections: pd.DataFrame
    suggestions: pd.DataFrame | None = None  # quality.suggested_corrections of the quarter
    unexplained: pd.DataFrame | None = None  # quality.unexplained_findings of the quarter


class _Composer:
    def __init__(self, src: QuarterlySource) -> None:
        self.src = src
        self.q = src.quarter
        self.store = src.store
        self.sel = Selector(src.store, src.quarter)
        self.doc = Document(
            title="Kazakhstan \u2014 Migration Situation Report",
            subtitle=f"{period_caption(self.q)} \u00b7 IOM Mobility Tracking Matrix (MTM) \u00b7 generated from "
            f"the warehouse (deliveries up to {self.q})",
        )
        self.w = Writer(self.doc.footnotes)
        self.figure_no = 0
        self.table_no = 0
        self.used: list[Fact] = []
        self.views = {
            (m, d): self.sel.view(m, d)
            for m, d in VIEWS
        }

    # ------------------------------------------------------------ helpers

    def add(self, *blocks) -> None:
        self.doc.add(*blocks)

    def h(self, level: int, text: str) -> None:
        self.add(Heading(level, text))

    def para(self, *sentences: str | None, role: str = "narrative") -> None:
        text = " ".join(s for s in sentences if s)
        if text:
            self.add(self.w.para(text, role))
        else:
            self.w.discard()

    def note(self, *sentences: str | None) -> None:
        text = " ".join(s for s in sentences if s)
        if text:
            self.add(Paragraph(text, "missing"))

    def figure(self, title: str, chart, facts: list[Fact], notes: tuple[str, ...] = ()) -> None:
        if not chart.categories:
            return
        self.figure_no += 1
        self.used.extend(facts)
        fig = Figure(self.figure_no, title, chart, tables.source_line(facts), f"figure-{self.figure_no:02d}.png",
                     notes)  # fmt: skip
        self.add(FigureBlock(fig))

    def table(self, make) -> None:
        self.table_no += 1
        table = make(self.table_no)
        self.add(TableBlock(table))

    def track(self, v: MeasureView) -> None:
        self.used.extend(v.facts)

    def rankings(self, v: MeasureView) -> None:
        for r in v.rankings:
            for f in r.facts:
                self.w.cite(f, "rank")
            self.used.extend(r.facts)
            self.para(ranking_sentence(r, v, lambda f: self.w.mark(f, "rank")))

    # ------------------------------------------------------------ document

    def compose(self) -> Document:
        self.h(1, self.doc.title)
        self.add(Paragraph(self.doc.subtitle, "boilerplate"))
        self.about()
        self.key_findings()
        self.flows()
        self.trp()
        self.prp()
        self.labour()
        self.emigration()
        self.remittances()
        self.revisions()
        self.sources()
        self.annex()
        return self.doc

    def about(self) -> None:
        agencies = sorted({f.agency for v in self.views.values() for f in v.facts if v.period})
        self.h(2, "I. About Mobility Tracking Matrix")
        self.para(
            "Mobility Tracking Matrix (MTM) is a system based on the IOM's Global Displacement Tracking Matrix "
            "(DTM) and aims to track and monitor population mobility. MTM collects and analyses information "
            "about mobility and vulnerabilities of mobile populations, so that decision-makers can act on the "
            "needs of these populations.",
            role="boilerplate",
        )
        self.h(3, "I.I Methodology")
        self.para(
            "The quarterly report is developed by combining secondary data obtained from government agencies "
            "and other organizations. More specifically, the report for "
            f"{period_phrase(self.q)} was derived from data from "
            f"{join_words([agency_phrase(a) for a in agencies]) or 'no agency'}.",
            "Every number in this report is generated from the delivered data: figures are shown as published, "
            "at the precision they were published at; a figure the report computes itself (for example a change "
            "from two published values) is marked as computed.",
            MARKS_LEGEND,
            "Each section uses the newest reference period available at the end of the quarter and says so "
            "when that is not the quarter itself.",
            role="boilerplate",
        )
        self.h(3, "I.II Limitation")
        measures = {m for (m, _), v in self.views.items() if v.period}
        self.para(
            "The report focuses on the most relevant topics related to migration trends in Kazakhstan using "
            "currently available relevant and reliable datasets. It does not aim to address all migration "
            "topics. Limitations in data may arise from the unavailability of some data for the indicated "
            "period, incompatible disaggregation with other data, methodology not publicly available, or data "
            "collection and reporting periods that do not align.",
            "A rounded figure stands for an interval (a share published in whole per cent may be up to half a "
            "point off), so figures are checked against each other only within their rounding; the checks "
            "that found disagreements are listed in Annex A.",
            *[MEASURE_NOTES[m] for m in MEASURE_NOTES if m in measures],
            "Section 1 of the published report (developments in migration policy) is not generated: it does "
            "not come from the delivered data.",
            role="boilerplate",
        )

    # ------------------------------------------------------------ key findings

    def key_findings(self) -> None:
        self.h(2, "II. Key Findings")
        items = [x for x in (self.kf_flows(), self.kf_non_cis(), self.kf_trp(), self.kf_prp(), self.kf_labour(),
                             self.kf_emigration(), self.kf_remittances()) if x]  # fmt: skip
        self.w.discard()
        if items:
            self.add(Bullets(tuple(items), numbered=True, role="key"))
        else:
            self.note(f"No data were delivered for {period_phrase(self.q)}.")

    def kf_flows(self) -> str | None:
        vin, vout = self.views[(FLOW, "in")], self.views[(FLOW, "out")]
        heads = [(v, v.headline) for v in (vin, vout) if v.headline is not None and v.headline.value is not None]
        if not heads:
            return None
        period = heads[0][0].period
        prev = {v.direction: next((c for c in v.comparisons if c.kind == "previous"), None) for v, _ in heads}
        dirs = {d: (c.direction if c else None) for d, c in prev.items()}
        counts = [f"{self.w.value(h)} {words(FLOW, v.direction)['noun']}" for v, h in heads]
        base = next((c.base_period for c in prev.values() if c and c.direction), None)
        if base and all(dirs.get(v.direction) for v, _ in heads) and len(set(dirs.values())) == 1:
            word = more_fewer(next(iter(dirs.values())))
            verbs = join_words(["arrived in" if v.direction == "in" else "departed from" for v, _ in heads])
            text = (f"{capitalise(in_period(period))}, {word} migrants {verbs} the country ({join_words(counts)}) "
                    f"than {in_period(base)}.")  # fmt: skip
        elif base:
            parts = []
            for (v, _), count in zip(heads, counts, strict=True):
                d = dirs.get(v.direction)
                move = words(FLOW, v.direction)["move"]
                parts.append(f"{more_fewer(d)} migrants {move} ({count})" if d else f"{count} were recorded")
            text = f"{capitalise(in_period(period))}, {join_words(parts)} than {in_period(base)}."
        else:
            text = f"{capitalise(in_period(period))}, {join_words(counts)} were recorded."
        ranked = [r for r in vin.rankings if r.group is None and r.dimension == "country_iso3"]
        if ranked:
            names = [country_phrase(f.country_name) for f in ranked[0].facts]
            text += f" Most incoming migrants come from {join_words(names)}."
        else:
            first = next(iter(vin.countries.items()), None)
            if first:
                group, facts = first
                names = [country_phrase(f.country_name) for f in facts[:2]]
                text += f" Among {group_short(group)}, most arrivals came from {join_words(names)}."
        return text

    def kf_non_cis(self) -> str | None:
        vin = self.views[(FLOW, "in")]
        ranked = [r for r in vin.rankings if r.group == "non-CIS" and r.dimension == "country_iso3"]
        facts = list(ranked[0].facts) if ranked else list(vin.countries.get("non-CIS", ()))[:3]
        facts = [f for f in facts if f.country_iso3 != "ZZZ"][:3]
        if not facts:
            return None
        names = [country_phrase(f.country_name) for f in facts]
        count = {1: "top country", 2: "top two countries", 3: "top three countries"}[len(facts)]
        return f"{capitalise(join_words(names))} are the {count} of origin among non-CIS countries {in_period(vin.period)}."

    def kf_trp(self) -> str | None:
        v = self.views[(TRP_HOLDERS, None)]
        if v.headline is None or v.headline.value is None:
            return None
        prev = next((c for c in v.comparisons if c.kind == "previous" and c.direction), None)
        text = f"{capitalise(in_period(v.period))}, {self.w.value(v.headline)} migrants held temporary residence permits"
        labour = v.subsets.get("purpose", ())
        if labour:
            text += " (" + join_words([f"{self.w.value(f)} of them for {f.purpose} purposes" for f in labour]) + ")"
        if prev:
            text += f", {more_fewer(prev.direction)} than {in_period(prev.base_period)}"
        return text + "."

    def kf_prp(self) -> str | None:
        v = self.views[(PRP, None)]
        if not v.period:
            return None
        ups = [c for c in v.comparisons if c.direction]
        if v.headline is not None and v.headline.value is not None:
            text = f"{capitalise(in_period(v.period))}, {self.w.value(v.headline)} migrants obtained permanent residence permits"
            if ups:
                text += ", " + join_words([f"{more_fewer(c.direction)} than {in_period(c.base_period)}" for c in ups])
            text += "."
        elif ups:
            signs = {c.direction for c in ups}
            if len(signs) == 1:
                text = (f"{capitalise(more_fewer(ups[0].direction))} migrants obtained permanent residence permits "
                        f"{in_period(v.period)} than in "
                        f"{join_words([period_phrase(c.base_period) for c in ups])}.")  # fmt: skip
            else:
                text = capitalise(join_words([f"{more_fewer(c.direction)} permits than {in_period(c.base_period)}" for c in ups])) + "."
        else:
            return None
        countries = order_facts([f for facts in v.countries.values() for f in facts if f.country_iso3 != "ZZZ"])
        by_value = sorted([f for f in countries if f.value is not None], key=lambda f: (-f.value, f.country_name))
        if by_value:
            text += (f" Nationals of {join_words([country_phrase(f.country_name) for f in by_value[:3]])} "
                     "obtained the most permits.")  # fmt: skip
        return text

    def kf_labour(self) -> str | None:
        v = self.views[(WORKERS, None)]
        sectors = list(v.breakdowns.get("sector", ()))
        if not sectors:
            ranked = [r for r in v.rankings if r.dimension == "sector"]
            sectors = list(ranked[0].facts) if ranked else []
        if not sectors and v.headline is None:
            return None
        text = ""
        if v.headline is not None and v.headline.value is not None:
            text = f"{capitalise(in_period(v.period))}, {self.w.value(v.headline)} foreign workers held work permits in Kazakhstan. "
        if sectors:
            names = [f.sector.lower() for f in sectors]
            text += f"The highest concentration of migrant workers can be found in {join_words(names)}."
        return text.strip()

    def kf_emigration(self) -> str | None:
        v = self.views[(EMIGRANTS, None)]
        facts = list(v.countries.get(None, ()))
        when = in_period(v.period) if v.period else ""
        if not facts:
            ranked = [r for r in v.rankings if r.dimension == "country_iso3"]
            facts = list(ranked[0].facts) if ranked else []
        if not facts:
            return None
        names = [country_phrase(f.country_name) for f in facts]
        return f"Most Kazakh citizens emigrating for permanent residence {when} went to {join_words(names)}."

    def kf_remittances(self) -> str | None:
        parts, period, base, signs = [], None, None, set()
        for d in ("out", "in"):
            v = self.views[(REMITTANCES, d)]
            if v.headline is None or v.headline.value is None:
                continue
            prev = next((c for c in v.comparisons if c.kind == "previous" and c.direction), None)
            flow = words(REMITTANCES, d)["flow"]
            if prev is None:
                parts.append(f"{flow} amounted to {self.w.money(v.headline)}")
                continue
            period, base = v.period, prev.base_period
            signs.add(prev.direction)
            verb = "rose" if prev.direction > 0 else "declined"
            if prev.percent is not None:
                parts.append(f"{flow} {verb} by {self.w.change_abs(prev.percent)} per cent to {self.w.money(v.headline)}")
            elif prev.computed is not None:
                parts.append(f"{flow} {verb} by {self.w.computed(prev.computed)} per cent (computed) to {self.w.money(v.headline)}")
            else:
                parts.append(f"{flow} {verb} to {self.w.money(v.headline)}")
        if not parts:
            return None
        if period and base and len(signs) == 1:
            word = "increased" if signs == {1} else "decreased"
            latest = "" if within(period, self.q) else " (the latest data available)"
            return (f"Compared to {period_phrase(base)}, the volume of personal remittances {word} "
                    f"{in_period(period)}{latest}: {join_words(parts)}.")  # fmt: skip
        return capitalise(join_words(parts)) + "."

    # ------------------------------------------------------------ 2. flows

    def flows(self) -> None:
        self.h(2, "2. Migration Inflow and Outflow")
        for i, d in enumerate(("in", "out"), start=1):
            v = self.views[(FLOW, d)]
            wd = words(FLOW, d)
            self.h(3, f"2.{i} Migration {wd['flow'].capitalize()}")
            self.track(v)
            self.note(availability_sentence(v, f"migrant {wd['short']}"))
            if not v.period:
                continue
            self.headline_paragraph(v, wd, verb="reported a total of")
            for f in v.subsets.get("purpose", ()):
                share = f" ({self.w.share(f)}% of the total)" if f.share is not None else ""
                self.para(f"Of the total number of those who {wd['verb']}, {self.w.value(f)} {wd['people']}{share} "
                          f"indicated {f.purpose} as the purpose of their {wd['trip']}.")  # fmt: skip
            self.group_paragraphs(v, wd)
            for group, facts in v.countries.items():
                if not any(f.share is not None for f in facts):
                    continue
                complete = all(bool(f.parts_complete) for f in facts)
                title = (f"Migrant {wd['flow']} {'from' if d == 'in' else 'to'} {group_long(group) if group else 'countries'}, "
                         f"{period_caption(v.period)} (%)")  # fmt: skip
                label = f"% of {wd['short']} {'from' if d == 'in' else 'to'} {group_short(group) if group else 'all countries'}"
                self.figure(title, charts.share_chart(list(facts), label, complete=complete), list(facts))
            self.rankings(v)
            self.note(missing_sentence(v))

    def headline_paragraph(self, v: MeasureView, wd: dict, verb: str) -> None:
        """'<Agency> reported a total of N <noun> in <period>, which is ... than in ... (...).'"""
        h = v.headline
        clauses, missing = comparison_parts(self.w, v, wd["people"]) if h else ([], [])
        if h is not None and h.value is not None:
            text = (f"{capitalise(agency_phrase(v.agency))} {verb} {self.w.value(h)} {wd['noun']} {in_period(v.period)}"
                    f"{joined_comparisons(clauses)}.")  # fmt: skip
            self.para(text, missing_comparisons_sentence(missing))
            return
        self.direction_only_paragraph(v, wd)

    def direction_only_paragraph(self, v: MeasureView, wd: dict, passive: str = "recorded") -> None:
        stated = [(c, next(x for x in c.stated if x.unit == "direction")) for c in v.comparisons
                  if any(x.unit == "direction" for x in c.stated)]  # fmt: skip
        if not stated:
            return
        marks = {c.base_period: self.w.cite_change(ch) for c, ch in stated}
        by_sign: dict = {}
        for c, ch in stated:
            by_sign.setdefault(ch.sign, []).append(c.base_period)
        parts = [f"{more_fewer(sign)} {wd['noun']} were {passive} {in_period(v.period)} than in "
                 f"{join_words([period_phrase(b) + marks[b] for b in bases])}"
                 for sign, bases in sorted(by_sign.items(), reverse=True)]  # fmt: skip
        text = capitalise("; ".join(parts)) + " (the direction was stated; no figure was published)."
        latest = v.latest.get(("headline",))
        extra = None
        if latest:
            f = self.store.one(v.measure, latest, direction=v.direction)
            if f is not None and f.value is not None:
                self.used.append(f)
                extra = f"The latest published figure, for {period_phrase(latest)}, is {self.w.value(f)} {wd['people']}."
        self.para(text, extra)

    def group_paragraphs(self, v: MeasureView, wd: dict) -> None:
        sentences = []
        groups = {f.country_group: f for f in v.groups}
        for group in [g for g in groups] + [g for g in v.countries if g and g not in groups]:
            gf = groups.get(group)
            items = [country_item(self.w, f, wd["people"], wd["prep"]) for f in v.countries.get(group, ())]
            if gf is not None and gf.share is not None:
                lead = f"{self.w.share(gf)} per cent of total {wd['short']} accounted for {group_long(group)}"
            elif gf is not None:
                lead = f"{self.w.value(gf)} {wd['short']} accounted for {group_long(group)}"
            else:
                lead = f"Of {wd['short']} {wd['prep']} {group_short(group)}"
            if items:
                lead += (": of these, " if gf is not None else ", ") + join_words(items)
            sentences.append(capitalise(lead) + ".")
        ungrouped = v.countries.get(None, ())
        if ungrouped:
            items = [country_item(self.w, f, wd["people"], wd["prep"]) for f in ungrouped]
            sentences.append(f"By country: {join_words(items)}.")
        if sentences:
            self.para(*sentences)

    # ------------------------------------------------------------ 3. TRP

    def trp(self) -> None:
        self.h(2, "3. Temporary Residence Permits")
        v = self.views[(TRP_HOLDERS, None)]
        wd = words(TRP_HOLDERS, None)
        self.track(v)
        self.note(availability_sentence(v, "temporary residence permits"))
        if v.period:
            h = v.headline
            if h is not None and h.value is not None:
                clauses, missing = comparison_parts(self.w, v, wd["people"])
                text = (f"{capitalise(in_period(v.period))}, {agency_phrase(v.agency)} registered {self.w.value(h)} "
                        f"{wd['noun']}{joined_comparisons(clauses)}.")  # fmt: skip
                self.para(text, missing_comparisons_sentence(missing))
            else:
                self.direction_only_paragraph(v, wd)
            for f in v.subsets.get("purpose", ()):
                self.para(f"Of these, {self.w.value(f)} {wd['people']} held temporary residence permits for "
                          f"{f.purpose} purposes.")  # fmt: skip
            holders_by_country = [f for facts in v.countries.values() for f in facts]
            if holders_by_country:
                items = [country_item(self.w, f, wd["people"], wd["prep"]) for f in holders_by_country]
                self.para(f"By country of origin: {join_words(items)}.")
                self.figure(f"Temporary residence permit holders by country, {period_caption(v.period)} (absolute numbers)",
                            charts.value_chart(holders_by_country, "holders"), holders_by_country)  # fmt: skip
            else:
                self.note(f"No breakdown of temporary residence permit holders by country is available for {period_phrase(v.period)}.")
        self.trp_issued(show_figure=not any(v.countries.values()))
        series = self.sel.series(TRP_HOLDERS, None, kinds=("quarter",))
        if series and v.period:
            wanted = quarter_range(same_quarter_last_year(series[-1].period), series[-1].period)
            absent = [q for q in wanted if q not in {f.period for f in series}]
            first, last = series[0].period, series[-1].period
            span = period_short(first) if first == last else f"{period_short(first)} to {period_short(last)}"
            self.figure(f"Temporary residence permit holders by quarter, {span} (absolute numbers)",
                        charts.series_chart([("holders", series)], "holders"), series)  # fmt: skip
            if absent:
                self.note(f"No figures of holders were delivered for {quarters_phrase(absent)}; "
                          "the figure shows the quarters delivered.")  # fmt: skip

    def trp_issued(self, show_figure: bool) -> None:
        v = self.views[(TRP_ISSUED, None)]
        if not v.period or v.headline is None:
            return
        wd = words(TRP_ISSUED, None)
        self.track(v)
        countries = [f for facts in v.countries.values() for f in facts]
        text = (f"Permits issued are a different count from holders: {in_period(v.period)}, "
                f"{agency_phrase(v.agency)} issued {self.w.value(v.headline)} temporary residence permits")  # fmt: skip
        if countries:
            text += ", of which " + join_words([country_item(self.w, f, wd["people"], wd["prep"]) for f in countries])
        self.para(text + ".")
        if show_figure and countries:
            self.figure(f"Temporary residence permits issued by country, {period_caption(v.period)} (absolute numbers)",
                        charts.value_chart(countries, "permits issued"), countries)  # fmt: skip

    # ------------------------------------------------------------ 4. PRP

    def prp(self) -> None:
        self.h(2, "4. Permanent Residence Permits")
        v = self.views[(PRP, None)]
        wd = words(PRP, None)
        self.track(v)
        self.note(availability_sentence(v, "permanent residence permits"))
        if not v.period:
            return
        h = v.headline
        if h is not None and h.value is not None:
            clauses, missing = comparison_parts(self.w, v, wd["people"])
            self.para(f"{capitalise(in_period(v.period))}, {self.w.value(h)} migrants received permanent residence "
                      f"permits{joined_comparisons(clauses)}.", missing_comparisons_sentence(missing))  # fmt: skip
        else:
            self.direction_only_paragraph(v, wd, passive="issued")
        prp_periods = set(self.sel.periods(PRP))
        seen = sorted({f.country_group for f in self.store.query(PRP, country_group=SET, country_iso3=ANY)
                       if f.period in prp_periods}, key=lambda g: {"CIS": 0}.get(g, 1))  # fmt: skip
        groups = {f.country_group: f for f in v.groups}
        for i, group in enumerate(seen, start=1):
            self.h(3, f"4.{i} Permanent Residence Permit Holders from {capitalise(group)} Countries")
            gf, facts = groups.get(group), list(v.countries.get(group, ()))
            if gf is None and not facts:
                self.note(f"No figures of permanent residence permits for nationals of {group_short(group)} are "
                          f"available for {period_phrase(v.period)}.")  # fmt: skip
                continue
            items = [country_item(self.w, f, wd["people"], wd["prep"]) for f in facts]
            if gf is not None and gf.value is not None:
                lead = f"Nationals of {group_short(group)} received {self.w.value(gf)} permanent residence permits"
            elif gf is not None and gf.share is not None:
                lead = f"Nationals of {group_short(group)} received {self.w.share(gf)} per cent of the permanent residence permits"
            else:
                lead = f"Of the permits issued to nationals of {group_short(group)}"
            self.para(lead + (": " + join_words(items) if items else "") + ".")
            if any(f.share is not None for f in facts):
                complete = all(bool(f.parts_complete) for f in facts)
                self.figure(f"Permanent residence permit holders from {group_short(group)}, {period_caption(v.period)} (%)",
                            charts.share_chart(facts, f"% of permits to nationals of {group_short(group)}", complete=complete),
                            facts)  # fmt: skip
        self.note(missing_sentence(v))

    # ------------------------------------------------------------ 5. labour

    def labour(self) -> None:
        self.h(2, "5. Labour Migration")
        v = self.views[(WORKERS, None)]
        wd = words(WORKERS, None)
        self.track(v)
        self.note(availability_sentence(v, "foreign workers"))
        if v.period:
            h = v.headline
            if h is not None and h.value is not None:
                clauses, missing = comparison_parts(self.w, v, wd["people"])
                text = (f"{capitalise(agency_phrase(v.agency))} reported that {self.w.value(h)} migrant workers were "
                        f"working in Kazakhstan {in_period(v.period)}{joined_comparisons(clauses)}.")  # fmt: skip
                self.para(text, missing_comparisons_sentence(missing))
            cats = list(v.subsets.get("category", ()))
            if cats and all(bool(f.parts_complete) for f in cats):
                self.add(Paragraph("The permits for foreign labour force include the following categories:", "narrative"))
                self.add(self.w.bullets([f"{self.w.value(f)} permits for {CATEGORY_WORDS.get(f.category, f.category)}"
                                         for f in cats]))  # fmt: skip
            elif cats:
                self.para("Of these, " + join_words([f"{self.w.value(f)} held permits for "
                                                     f"{CATEGORY_WORDS.get(f.category, f.category)}" for f in cats]) + ".")  # fmt: skip
        self.employers(v)
        if v.period:
            sectors = list(v.breakdowns.get("sector", ()))
            if sectors:
                self.para(f"When categorized by economic activities, the highest numbers of individuals are employed "
                          f"in the sectors shown in Table {self.table_no + 1}.", role="narrative")  # fmt: skip
                self.used.extend(sectors)
                self.table(lambda n: tables.sector_table(n, sectors, v.headline, v.period))
            self.rankings(v)
            countries = [f for facts in v.countries.values() for f in facts]
            if countries:
                items = []
                for f in countries:
                    if f.value is not None and f.share is not None:
                        figure = f"{self.w.value(f)} people ({self.w.share(f)}%)"
                    elif f.value is not None:
                        figure = f"{self.w.value(f)} people"
                    else:
                        figure = f"{self.w.share(f)}%"
                    items.append(f"{f.country_name} \u2013 {figure}")
                self.para(f"{capitalise(agency_phrase(v.agency))} reported that the main countries of origin of labour "
                          f"migrants are: {join_words(items)}.")  # fmt: skip
            self.note(missing_sentence(v))
        self.quota()

    def employers(self, workers: MeasureView) -> None:
        v = self.views[(EMPLOYERS, None)]
        if not v.period or v.headline is None or v.headline.value is None:
            return
        self.track(v)
        if v.is_report_period:
            self.para(f"{self.w.value(v.headline)} employers in Kazakhstan legally recruited migrant workers "
                      f"{in_period(v.period)}.")  # fmt: skip
        else:
            self.para(f"The number of employers recruiting migrant workers is not available for {period_phrase(self.q)}; "
                      f"the latest figure, for {period_phrase(v.period)}, is {self.w.value(v.headline)} employers.")  # fmt: skip

    def quota(self) -> None:
        qv, sv = self.views[(QUOTA, None)], self.views[(QUOTA_SHARE, None)]
        if not qv.period and not sv.period:
            return
        self.track(qv)
        self.track(sv)
        period = qv.period or sv.period
        q = qv.headline if qv.period == period else None
        s = self.store.one(QUOTA_SHARE, period)
        if s is not None:
            self.used.append(s)
        bits = []
        if s is not None and s.value is not None:
            bits.append(f"{self.w.value(s)}% of the labour force in the Republic")
        if q is not None and q.value is not None:
            bits.append(f"{self.w.value(q)} permits")
        text = (f"In order to protect the domestic labour market, {agency_phrase(qv.agency or sv.agency)} annually "
                f"establishes and distributes a quota to attract foreign specialists to the country. "
                f"{capitalise(in_period(period))}, the total quota is set at {join_words(bits, 'or')}")  # fmt: skip
        prev = str(parse_period(period).start.year - 1) if parse_period(period).kind == "year" else None
        if prev:
            pq, ps = self.store.one(QUOTA, prev), self.store.one(QUOTA_SHARE, prev)
            pbits = []
            if ps is not None and ps.value is not None:
                pbits.append(f"{self.w.value(ps)}%")
                self.used.append(ps)
            if pq is not None and pq.value is not None:
                pbits.append(f"{self.w.value(pq)} permits")
                self.used.append(pq)
            if pbits:
                text += f" ({prev}: {join_words(pbits, 'or')})"
        self.para(text + ".")

    # ------------------------------------------------------------ 6. emigration

    def emigration(self) -> None:
        self.h(2, "6. Emigration")
        v = self.views[(EMIGRANTS, None)]
        self.track(v)
        self.note(availability_sentence(v, "emigration"))
        if not v.period:
            return
        countries = list(v.countries.get(None, ())) + [f for g, fs in v.countries.items() if g for f in fs]
        if countries:
            first, rest = countries[0], countries[1:]
            change = self.emigration_change(first, long=True)
            text = (f"According to {agency_phrase(v.agency)}, {in_period(v.period)}, {country_phrase(first.country_name)} "
                    f"was the primary destination for Kazakh citizens seeking permanent residence, with "
                    f"{self.w.value(first)} individuals relocating{change}.")  # fmt: skip
            if rest:
                items = [f"{country_phrase(f.country_name)}: {self.w.value(f)}{self.emigration_change(f)}" for f in rest]
                text += (f" The second most popular destination was {items[0]}"
                         + (f", followed by {join_words(items[1:])}" if items[1:] else "") + ".")  # fmt: skip
            self.para(text)
            self.figure(f"Emigration of Kazakh citizens by country of destination, {period_caption(v.period)} (absolute numbers)",
                        charts.value_chart(countries, "emigrants"), countries)  # fmt: skip
        education = list(v.breakdowns.get("education", ()))
        if education:
            ages = sorted({f.age_group for f in education if f.age_group})
            age = f" aged {join_words(ages)}" if ages else ""
            first, rest = education[0], education[1:]
            lead = f"{self.w.value(first)} people have {(first.education or '').lower()} education"
            items = [lead + self.emigration_change(first)]
            items += [f"{(f.education or '').lower()}: {self.w.value(f)}{self.emigration_change(f)}" for f in rest]
            self.para(f"Among those who left Kazakhstan{age}, {join_words(items)}.")
        bases = sorted({c.base_period for f in countries + education for c in f.changes})
        if bases:
            self.add(Paragraph(f"Changes in parentheses are compared to {join_words([period_phrase(b) for b in bases])}.",
                               "note"))  # fmt: skip
        self.rankings(v)
        self.note(missing_sentence(v))

    def emigration_change(self, f: Fact, long: bool = False) -> str:
        c = next(iter(f.changes), None)
        if c is None:
            return ""
        if long:
            kind = "an increase" if c.sign > 0 else "a decrease"
            if c.unit == "times":
                return f", marking {kind} of {self.w.change_abs(c)} times compared to {period_phrase(c.base_period)}"
            if c.unit == "percent":
                return f", marking {kind} of {self.w.change_abs(c)} per cent compared to {period_phrase(c.base_period)}"
            return f", marking {kind}{self.w.cite_change(c)} compared to {period_phrase(c.base_period)}"
        return f" ({self.w.change_signed(c)})"

    # ------------------------------------------------------------ 7. remittances

    def remittances(self) -> None:
        self.h(2, "7. Personal Remittances")
        vout, vin = self.views[(REMITTANCES, "out")], self.views[(REMITTANCES, "in")]
        same = vout.period == vin.period
        if same:
            self.note(availability_sentence(vout, "personal remittances"))
        for i, (v, title) in enumerate(((vout, "Personal Remittance Outflows from Kazakhstan"),
                                        (vin, "Personal Remittance Inflows to Kazakhstan")), start=1):  # fmt: skip
            self.h(3, f"7.{i} {title}")
            self.track(v)
            if not same or not v.period:
                self.note(availability_sentence(v, words(REMITTANCES, v.direction)["noun"]))
            if v.period:
                self.remittance_subsection(v)

    def remittance_subsection(self, v: MeasureView) -> None:
        wd = words(REMITTANCES, v.direction)
        h = v.headline
        sentences = []
        if h is not None and h.value is not None:
            text = f"The volume of {wd['noun']} {in_period(v.period)} was {self.w.money(h)}"
            with_value = [g for g in v.groups if g.value is not None]
            if with_value:
                text += ", of which " + join_words([f"the {group_short(g.country_group)} accounted for "
                                                    f"{self.w.money(g)}" for g in with_value])  # fmt: skip
            sentences.append(text + ".")
            missing = []
            for cmp in v.comparisons:
                if cmp.base is not None and cmp.kind == "previous":
                    base_groups = [g for g in self.store.query(REMITTANCES, cmp.base_period, direction=v.direction,
                                                               country_group=SET) if g.value is not None]  # fmt: skip
                    self.used.extend([cmp.base, *base_groups])
                    extra = ""
                    if base_groups:
                        extra = " (" + "; ".join(f"{group_short(g.country_group)}: {self.w.money(g)}" for g in base_groups) + ")"
                    sentences.append(f"{capitalise(in_period(cmp.base_period))}, the volume of {wd['noun']} amounted to "
                                     f"{self.w.money(cmp.base)}{extra}.")  # fmt: skip
                pct = cmp.percent
                absolute = next((c for c in cmp.stated if c.unit == "absolute"), None)
                direction = next((c for c in cmp.stated if c.unit == "direction"), None)
                if pct is not None or cmp.computed is not None:
                    sign = pct.sign if pct is not None else (1 if cmp.computed > 0 else -1)
                    size = (f"{self.w.change_abs(pct)} per cent" if pct is not None
                            else f"{self.w.computed(cmp.computed)} per cent (computed from the two figures)")  # fmt: skip
                    inside = []
                    if absolute is not None:
                        inside.append(f"{self.w.change_abs(absolute, 'USD')} USD")
                    if cmp.base is None:
                        inside.append(f"no figure for {period_phrase(cmp.base_period)} is available")
                    word = "increase" if sign > 0 else "decline"
                    sentences.append(f"The {word} {in_period(v.period)} compared to {period_phrase(cmp.base_period)} "
                                     f"was {size}" + (f" ({'; '.join(inside)})" if inside else "") + ".")  # fmt: skip
                elif direction is not None:
                    mark = self.w.cite_change(direction)
                    sentences.append(f"The volume {'increased' if direction.sign > 0 else 'decreased'}{mark} compared to "
                                     f"{period_phrase(cmp.base_period)} (direction stated; no figure published).")  # fmt: skip
                elif cmp.base is None and cmp.kind in ("previous", "year_ago"):
                    missing.append(cmp.base_period)
            sentences.append(missing_comparisons_sentence(missing))
        self.para(*sentences)
        countries = [f for facts in v.countries.values() for f in facts if f.value is not None]
        if countries:
            bases = Counter(c.base_period for f in countries for c in f.changes if c.unit == "percent")
            prev = next((c.base_period for c in v.comparisons if c.kind == "previous"), None)
            base_period = bases.most_common(1)[0][0] if bases else prev
            base = [f for f in self.store.query(REMITTANCES, base_period, direction=v.direction, country_iso3=SET,
                                                country_group=ANY) if f.value is not None] if base_period else []  # fmt: skip
            base_total = self.store.one(REMITTANCES, base_period, direction=v.direction) if base_period else None
            self.used.extend(base)
            self.table(lambda n: tables.remittance_table(
                n, "from" if v.direction == "out" else "to", countries, base, v.period, base_period,
                (h, base_total)))  # fmt: skip
            self.para(self.variance_sentence(countries, base_period))
            for sentence in change_note_sentences(self.w, v):
                self.para(sentence)
            self.used.extend(v.change_notes)
            direction = "from" if v.direction == "out" else "to"
            self.figure(f"Remittances transferred {direction} Kazakhstan in {period_caption(v.period)} (USD million)",
                        charts.value_chart(countries, "million USD", scale=1e6), countries)  # fmt: skip
            if base:
                self.figure(f"Remittances transferred {direction} Kazakhstan in {period_caption(base_period)} (USD million)",
                            charts.value_chart(list(order_facts(base)), "million USD", scale=1e6), base)  # fmt: skip
        else:
            for sentence in change_note_sentences(self.w, v):
                self.para(sentence)
            self.used.extend(v.change_notes)
        self.note(missing_sentence(v))

    def variance_sentence(self, countries: list[Fact], base_period: str | None) -> str | None:
        if not base_period:
            return None
        stated = [(f, f.change(base_period, "percent")) for f in countries]
        stated = [(f, c) for f, c in stated if c is not None]
        ups = sorted([x for x in stated if x[1].value > 0], key=lambda x: (-x[1].value, x[0].country_name))[:2]
        downs = sorted([x for x in stated if x[1].value < 0], key=lambda x: (x[1].value, x[0].country_name))[:2]
        parts = []
        if ups:
            parts.append("the largest increases were for " + join_words(
                [f"{country_phrase(f.country_name)} ({self.w.change_signed(c)})" for f, c in ups]))  # fmt: skip
        if downs:
            parts.append("the largest declines were for " + join_words(
                [f"{country_phrase(f.country_name)} ({self.w.change_signed(c)})" for f, c in downs]))  # fmt: skip
        if not parts:
            return None
        return f"Compared to {period_phrase(base_period)}, " + "; ".join(parts) + "."

    # ------------------------------------------------------------ after the sections

    def revisions(self) -> None:
        self.h(2, "8. Revised Figures")
        revisions = [r for r in self.store.revisions if r.later_quarter <= self.q]
        if revisions:
            self.add(Paragraph("The following figures were delivered again, in a later quarter or as a new file "
                               "for the same quarter, with different numbers; the report uses the newest "
                               "delivery.", "boilerplate"))  # fmt: skip
            self.add(TableBlock(tables.revisions_table(revisions)))
        else:
            self.add(Paragraph("No figure delivered in more than one quarter differs between deliveries.", "boilerplate"))

    def sources(self) -> None:
        self.h(2, "Sources")
        table = tables.sources_table(self.used)
        items = [f"{r[0].text} ({r[2].text[:4]}). {r[1].text}. Delivered in {r[3].text}." for r in table.rows]
        self.add(Bullets(tuple(items), role="boilerplate"))
        self.sources_table = table

    def annex(self) -> None:
        self.add(PageBreak())
        self.h(2, "Annex A: Data-Quality Findings")
        findings = tables.findings_table(self.src.check_results)
        evaluated = 0 if self.src.check_results is None else len(self.src.check_results)
        if findings.rows:
            self.add(Paragraph(f"{len(findings.rows)} of {evaluated} check evaluations for {self.q} failed. Figures "
                               "named here are shown as published unless Annex B lists a correction; a figure of the "
                               f"corrected stage that a failed check is about is marked {FLAGGED_MARK} in the text and "
                               "tables.", "boilerplate"))  # fmt: skip
            self.add(TableBlock(findings))
            from mtm_pipeline.report.suggestions import INTRODUCTION, suggestion_lines

            self.add(Paragraph(INTRODUCTION, "boilerplate"))
            self.add(Bullets(suggestion_lines(self.src.check_results, self.src.suggestions, self.src.unexplained), role="boilerplate"))
        elif evaluated:
            self.add(Paragraph(f"All {evaluated} check evaluations for {self.q} passed.", "boilerplate"))
        else:
            self.add(Paragraph(f"No check results were recorded for {self.q}.", "boilerplate"))
        self.h(2, "Annex B: Corrections Applied")
        corrections = tables.corrections_table(self.src.corrections)
        if corrections.rows:
            self.add(Paragraph("Corrections applied between the delivered and the corrected stage; corrected figures "
                               "are marked with an asterisk in the text and tables.", "boilerplate"))  # fmt: skip
            self.add(TableBlock(corrections))
        else:
            self.add(Paragraph(f"No corrections were applied for {self.q}.", "boilerplate"))


def within(period: str, quarter: str) -> bool:
    from mtm_pipeline.report.figures_data import within_quarter

    return within_quarter(period, quarter)


def compose_quarterly(src: QuarterlySource) -> tuple[Document, list]:
    """The quarterly report and the extra XLSX tables (findings, corrections, revisions, sources)."""
    c = _Composer(src)
    doc = c.compose()
    extra = [tables.findings_table(src.check_results), tables.corrections_table(src.corrections),
             tables.revisions_table([r for r in src.store.revisions if r.later_quarter <= src.quarter]),
             c.sources_table]  # fmt: skip
    return doc, extra


# ---------------------------------------------------------------------------- trend report


def compose_trend(store: FactStore) -> tuple[Document, list]:
    """Multi-quarter trends across every period present: flows, TRP holders, labour stock, remittances."""
    doc = Document(title="Kazakhstan \u2014 Migration Trends", subtitle="All delivered quarters \u00b7 IOM Mobility "
                   "Tracking Matrix (MTM) \u00b7 generated from the warehouse")  # fmt: skip
    w = Writer(doc.footnotes)
    doc.add(Heading(1, doc.title), Paragraph(doc.subtitle, "boilerplate"))
    quarters = sorted({p.delivery_quarter for f in store.facts for p in f.prov.values()})
    doc.add(Paragraph(f"Delivery quarters: {join_words(quarters)}. Each figure is the newest delivery of it; "
                      "figures are shown as published.", "boilerplate"))  # fmt: skip
    state = {"figure": 0, "table": 0, "used": []}

    def headline_series(measure, direction=None, kinds=("quarter",)):
        out = []
        for label in store.periods(measure, direction=direction):
            if parse_period(label).kind not in kinds:
                continue
            f = store.one(measure, label, direction=direction)
            if f is not None and f.value is not None:
                out.append(f)
        return out

    def section(title, series, unit_label, unit, scale=1.0, kinds_note=""):
        doc.add(Heading(2, title))
        series = [(name, facts) for name, facts in series if facts]
        if not series:
            doc.add(Paragraph(f"No figures were delivered for this trend{kinds_note}.", "missing"))
            return
        facts = [f for _, fs in series for f in fs]
        state["used"].extend(facts)
        sentences = []
        value = w.money if unit == "USD" else w.value
        for name, fs in series:
            first, last = fs[0], fs[-1]
            if len(fs) == 1:
                sentences.append(f"{capitalise(name)}: {value(first)} {in_period(first.period)} "
                                 "(one period delivered).")  # fmt: skip
            else:
                sentences.append(f"{capitalise(name)}: from {value(first)} {in_period(first.period)} to "
                                 f"{value(last)} {in_period(last.period)} ({len(fs)} periods delivered).")  # fmt: skip
        doc.add(w.para(" ".join(sentences)))
        state["figure"] += 1
        n = state["figure"]
        doc.add(FigureBlock(Figure(n, f"{title} ({unit_label})", charts.series_chart(series, unit_label, scale=scale),
                                   tables.source_line(facts), f"trend-{n:02d}.png")))  # fmt: skip
        state["table"] += 1
        doc.add(TableBlock(tables.series_table(f"Table {state['table']}", f"Table {state['table']}: {title}",
                                               series, unit)))  # fmt: skip

    section("Arrivals and departures by quarter",
            [("Arrivals", headline_series(FLOW, "in")), ("Departures", headline_series(FLOW, "out"))],
            "border crossings", "crossings")  # fmt: skip
    section("Temporary residence permit holders by quarter", [("Holders", headline_series(TRP_HOLDERS))],
            "persons", "persons")  # fmt: skip
    section("Foreign workers with permits by date", [("Foreign workers", headline_series(
        WORKERS, kinds=("quarter", "date")))], "persons", "persons")  # fmt: skip
    section("Personal remittances by year", [("Sent from Kazakhstan", headline_series(REMITTANCES, "out", ("year",))),
                                             ("Sent to Kazakhstan", headline_series(REMITTANCES, "in", ("year",)))],
            "million USD", "USD", scale=1e6)  # fmt: skip
    section("Personal remittances by quarter", [("Sent from Kazakhstan", headline_series(REMITTANCES, "out")),
                                                ("Sent to Kazakhstan", headline_series(REMITTANCES, "in"))],
            "million USD", "USD", scale=1e6, kinds_note=" (only annual figures or none were delivered)")  # fmt: skip
    doc.add(Heading(2, "Revised Figures"))
    if store.revisions:
        doc.add(TableBlock(tables.revisions_table(store.revisions)))
    else:
        doc.add(Paragraph("No figure delivered in more than one quarter differs between deliveries.", "boilerplate"))
    doc.add(Heading(2, "Sources"))
    src = tables.sources_table(state["used"])
    doc.add(Bullets(tuple(f"{r[0].text} ({r[2].text[:4]}). {r[1].text}. Delivered in {r[3].text}." for r in src.rows),
                    role="boilerplate"))  # fmt: skip
    return doc, [tables.revisions_table(store.revisions), src]
