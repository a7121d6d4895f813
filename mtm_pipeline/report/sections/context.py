"""What every section of the quarterly report writes with: the document being built, the Writer of its
sentences, the view of each measure for the report quarter, figure and table numbering, and the figures used
(for the Sources list). The sections themselves are functions of a ReportContext, one module per section."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from mtm_pipeline.report import tables
from mtm_pipeline.report.document import Document, Figure, FigureBlock, Heading, Paragraph, TableBlock
from mtm_pipeline.report.facts import Fact, FactStore
from mtm_pipeline.report.figures_data import MeasureView, Selector
from mtm_pipeline.report.format import (
    COMPUTED_MARK,
    capitalise,
    in_period,
    join_words,
    period_caption,
    period_phrase,
)
from mtm_pipeline.report.narrative import (
    Writer,
    agency_phrase,
    availability_sentence,
    comparison_parts,
    joined_comparisons,
    missing_comparisons_sentence,
    more_fewer,
    ranking_sentence,
    words,
)

FLOW = "border_crossings"
TRP_HOLDERS, TRP_ISSUED, PRP = "trp_holders", "trp_issued", "prp_issued"
WORKERS, EMPLOYERS = "foreign_workers", "employers_recruiting"
QUOTA, QUOTA_SHARE = "work_permit_quota", "work_permit_quota_share_of_labour_force"
EMIGRANTS, REMITTANCES = "emigrants", "personal_remittances"

VIEWS = (
    (FLOW, "in"),
    (FLOW, "out"),
    (TRP_HOLDERS, None),
    (TRP_ISSUED, None),
    (PRP, None),
    (WORKERS, None),
    (EMPLOYERS, None),
    (QUOTA, None),
    (QUOTA_SHARE, None),
    (EMIGRANTS, None),
    (REMITTANCES, "out"),
    (REMITTANCES, "in"),
)
# Measures whose countries the published report states within their CIS / non-CIS group ("of these, 64 per
# cent from the Russian Federation"); the others by country of all countries.
BY_GROUP = (FLOW, PRP)


@dataclass(frozen=True)
class QuarterlySource:
    quarter: str
    store: FactStore
    check_results: pd.DataFrame
    corrections: pd.DataFrame
    suggestions: pd.DataFrame | None = None  # quality.suggested_corrections of the quarter
    unexplained: pd.DataFrame | None = None  # quality.unexplained_findings of the quarter


class ReportContext:
    def __init__(self, src: QuarterlySource) -> None:
        self.src = src
        self.q = src.quarter
        self.store = src.store
        self.sel = Selector(src.store, src.quarter)
        self.doc = Document(
            title="Kazakhstan \u2014 Migration Situation Report",
            subtitle=f"{period_caption(self.q)} \u00b7 IOM Mobility Tracking Matrix (MTM) \u00b7 "
            "generated from "
            f"the warehouse (deliveries up to {self.q})",
        )
        self.w = Writer(self.doc.footnotes)
        self.figure_no = 0
        self.table_no = 0
        self.used: list[Fact] = []
        self.views = {(m, d): self.sel.view(m, d, by_group=m in BY_GROUP) for m, d in VIEWS}
        self.sources_table = None  # set by the Sources section, written to the annex workbook

    def add(self, *blocks) -> None:
        """Append blocks to the document."""
        self.doc.add(*blocks)

    def h(self, level: int, text: str) -> None:
        """A heading of the given level."""
        self.add(Heading(level, text))

    def para(self, *sentences: str | None, role: str = "narrative") -> None:
        """A paragraph of the given sentences (None skipped); nothing, and no footnote, when all are None."""
        text = " ".join(s for s in sentences if s)
        if text:
            self.add(self.w.para(text, role))
        else:
            self.w.discard()

    def note(self, *sentences: str | None) -> None:
        """A note in italics (what is missing, why a period is used); nothing when all sentences are None."""
        text = " ".join(s for s in sentences if s)
        if text:
            self.add(Paragraph(text, "missing"))

    def figure(self, title: str, chart, facts: list[Fact], notes: tuple[str, ...] = ()) -> None:
        """A numbered figure with its source line; a chart without categories is left out."""
        if not chart.categories:
            return
        self.figure_no += 1
        self.used.extend(facts)
        if any(COMPUTED_MARK in label for labels in chart.labels for label in labels):
            notes = (*notes, tables.COMPUTED_NOTE)
        fig = Figure(
            self.figure_no, title, chart, tables.source_line(facts), f"figure-{self.figure_no:02d}.png", notes
        )
        self.add(FigureBlock(fig))

    def table(self, make) -> None:
        """A numbered table, made by `make` from its number."""
        self.table_no += 1
        table = make(self.table_no)
        self.add(TableBlock(table))

    def track(self, v: MeasureView) -> None:
        """Remember the facts of a view as used (for the Sources list and the annex)."""
        self.used.extend(v.facts)

    def rankings(self, v: MeasureView) -> None:
        """One sentence per published rank-only list of the view, in the order given."""
        for r in v.rankings:
            for f in r.facts:
                self.w.cite(f, "rank")
            self.used.extend(r.facts)
            self.para(ranking_sentence(r, v, lambda f: self.w.mark(f, "rank")))

    def open_measure(self, heading: str, measure: str, what: str) -> tuple[MeasureView, dict]:
        """A section on one measure: its heading, and the note of which periods were delivered for `what`."""
        self.h(2, heading)
        v = self.views[(measure, None)]
        self.track(v)
        self.note(availability_sentence(v, what))
        return v, words(measure, None)

    def compared_paragraph(self, v: MeasureView, wd: dict, statement: str) -> None:
        """The statement of the headline figure, followed by its comparisons (', which is ... than in
        ...')."""
        clauses, missing = comparison_parts(self.w, v, wd["people"])
        self.para(f"{statement}{joined_comparisons(clauses)}.", missing_comparisons_sentence(missing))

    def headline_paragraph(self, v: MeasureView, wd: dict, verb: str) -> None:
        """'<Agency> reported a total of N <noun> in <period>, which is ... than in ... (...).'"""
        h = v.headline
        if h is not None and h.value is not None:
            self.compared_paragraph(
                v,
                wd,
                f"{capitalise(agency_phrase(v.agency))} {verb} {self.w.value(h)} "
                f"{wd['noun']} {in_period(v.period)}",
            )
            return
        self.direction_only_paragraph(v, wd)

    def direction_only_paragraph(self, v: MeasureView, wd: dict, passive: str = "recorded") -> None:
        """'More ... were recorded in ... than in ... (the direction was stated; no figure was
        published).', and the latest published figure where there is one."""
        stated = [
            (c, next(x for x in c.stated if x.unit == "direction"))
            for c in v.comparisons
            if any(x.unit == "direction" for x in c.stated)
        ]
        if not stated:
            return
        marks = {c.base_period: self.w.cite_change(ch) for c, ch in stated}
        by_sign: dict = {}
        for c, ch in stated:
            by_sign.setdefault(ch.sign, []).append(c.base_period)
        parts = [
            f"{more_fewer(sign)} {wd['noun']} were {passive} {in_period(v.period)} than in "
            f"{join_words([period_phrase(b) + marks[b] for b in bases])}"
            for sign, bases in sorted(by_sign.items(), reverse=True)
        ]
        text = capitalise("; ".join(parts)) + " (the direction was stated; no figure was published)."
        latest = v.latest.get(("headline",))
        extra = None
        if latest:
            f = self.store.one(v.measure, latest, direction=v.direction)
            if f is not None and f.value is not None:
                self.used.append(f)
                extra = (
                    f"The latest published figure, for {period_phrase(latest)}, is "
                    f"{self.w.value(f)} {wd['people']}."
                )
        self.para(text, extra)
