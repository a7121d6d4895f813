"""The trend report as a Document: figures across every quarter in the warehouse (pure: no files, no
rendering)."""

from __future__ import annotations

from dataclasses import dataclass, field

from mtm_pipeline.periods import parse_period
from mtm_pipeline.report import charts, tables
from mtm_pipeline.report.document import (
    Bullets,
    Document,
    Figure,
    FigureBlock,
    Heading,
    Paragraph,
    TableBlock,
)
from mtm_pipeline.report.facts import FactStore
from mtm_pipeline.report.format import capitalise, in_period, join_words
from mtm_pipeline.report.narrative import Writer
from mtm_pipeline.report.sections.context import FLOW, REMITTANCES, TRP_HOLDERS, WORKERS


@dataclass(frozen=True)
class TrendSection:
    """One trend: its title, its series (name, measure, direction, period kinds) and units."""

    title: str
    series: tuple[tuple[str, str, str | None, tuple[str, ...]], ...]
    unit_label: str
    unit: str
    scale: float = 1.0
    kinds_note: str = ""


SECTIONS = (
    TrendSection(
        "Arrivals and departures by quarter",
        (("Arrivals", FLOW, "in", ("quarter",)), ("Departures", FLOW, "out", ("quarter",))),
        "border crossings",
        "crossings",
    ),
    TrendSection(
        "Temporary residence permit holders by quarter",
        (("Holders", TRP_HOLDERS, None, ("quarter",)),),
        "persons",
        "persons",
    ),
    TrendSection(
        "Foreign workers with permits by date",
        (("Foreign workers", WORKERS, None, ("quarter", "date")),),
        "persons",
        "persons",
    ),
    TrendSection(
        "Personal remittances by year",
        (
            ("Sent from Kazakhstan", REMITTANCES, "out", ("year",)),
            ("Sent to Kazakhstan", REMITTANCES, "in", ("year",)),
        ),
        "million USD",
        "USD",
        scale=1e6,
    ),
    TrendSection(
        "Personal remittances by quarter",
        (
            ("Sent from Kazakhstan", REMITTANCES, "out", ("quarter",)),
            ("Sent to Kazakhstan", REMITTANCES, "in", ("quarter",)),
        ),
        "million USD",
        "USD",
        scale=1e6,
        kinds_note=" (only annual figures or none were delivered)",
    ),
)


@dataclass
class _Trends:
    """The trend document being written, with its figure and table numbers and the facts it used."""

    store: FactStore
    doc: Document
    writer: Writer
    figures: int = 0
    tables: int = 0
    used: list = field(default_factory=list)

    def headline_series(self, measure: str, direction: str | None, kinds: tuple[str, ...]) -> list:
        """The measure's headline figure in each period of the given kinds, oldest first."""
        out = []
        for label in self.store.periods(measure, direction=direction):
            if parse_period(label).kind not in kinds:
                continue
            f = self.store.one(measure, label, direction=direction)
            if f is not None and f.value is not None:
                out.append(f)
        return out

    def add_section(self, spec: TrendSection) -> None:
        """The section's heading, one sentence per series, its chart and its table."""
        doc = self.doc
        doc.add(Heading(2, spec.title))
        series = [(name, self.headline_series(m, d, kinds)) for name, m, d, kinds in spec.series]
        series = [(name, facts) for name, facts in series if facts]
        if not series:
            doc.add(Paragraph(f"No figures were delivered for this trend{spec.kinds_note}.", "missing"))
            return
        facts = [f for _, fs in series for f in fs]
        self.used.extend(facts)
        doc.add(self.writer.para(" ".join(self._sentence(name, fs, spec.unit) for name, fs in series)))
        self.figures += 1
        n = self.figures
        chart = charts.series_chart(series, spec.unit_label, scale=spec.scale)
        caption = f"{spec.title} ({spec.unit_label})"
        doc.add(FigureBlock(Figure(n, caption, chart, tables.source_line(facts), f"trend-{n:02d}.png")))
        self.tables += 1
        label = f"Table {self.tables}"
        doc.add(TableBlock(tables.series_table(label, f"{label}: {spec.title}", series, spec.unit)))

    def _sentence(self, name: str, fs: list, unit: str) -> str:
        value = self.writer.money if unit == "USD" else self.writer.value
        first, last = fs[0], fs[-1]
        if len(fs) == 1:
            return f"{capitalise(name)}: {value(first)} {in_period(first.period)} (one period delivered)."
        return (
            f"{capitalise(name)}: from {value(first)} {in_period(first.period)} to "
            f"{value(last)} {in_period(last.period)} ({len(fs)} periods delivered)."
        )


def compose_trend(store: FactStore) -> tuple[Document, list]:
    """Multi-quarter trends across every period present: flows, TRP holders, labour stock, remittances."""
    doc = Document(
        title="Kazakhstan \u2014 Migration Trends",
        subtitle="All delivered quarters \u00b7 IOM Mobility "
        "Tracking Matrix (MTM) \u00b7 generated from the warehouse",
    )
    doc.add(Heading(1, doc.title), Paragraph(doc.subtitle, "boilerplate"))
    quarters = sorted({p.delivery_quarter for f in store.facts for p in f.prov.values()})
    doc.add(
        Paragraph(
            f"Delivery quarters: {join_words(quarters)}. Each figure is the newest delivery of it; "
            "figures are shown as published.",
            "boilerplate",
        )
    )
    trends = _Trends(store, doc, Writer(doc.footnotes))
    for spec in SECTIONS:
        trends.add_section(spec)
    doc.add(Heading(2, "Revised Figures"))
    if store.revisions:
        doc.add(TableBlock(tables.revisions_table(store.revisions)))
    else:
        doc.add(
            Paragraph(
                "No figure delivered in more than one quarter differs between deliveries.", "boilerplate"
            )
        )
    doc.add(Heading(2, "Sources"))
    src = tables.sources_table(trends.used)
    doc.add(
        Bullets(
            tuple(f"{r[0].text} ({r[2].text[:4]}). {r[1].text}. Delivered in {r[3].text}." for r in src.rows),
            role="boilerplate",
        )
    )
    return doc, [tables.revisions_table(store.revisions), src]
