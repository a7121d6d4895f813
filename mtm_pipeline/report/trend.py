"""The trend report as a Document: figures across every quarter in the warehouse (pure: no files, no rendering)."""

from __future__ import annotations

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


def compose_trend(store: FactStore) -> tuple[Document, list]:
    """Multi-quarter trends across every period present: flows, TRP holders, labour stock, remittances."""
    doc = Document(
        title="Kazakhstan \u2014 Migration Trends",
        subtitle="All delivered quarters \u00b7 IOM Mobility "
        "Tracking Matrix (MTM) \u00b7 generated from the warehouse",
    )
    w = Writer(doc.footnotes)
    doc.add(Heading(1, doc.title), Paragraph(doc.subtitle, "boilerplate"))
    quarters = sorted({p.delivery_quarter for f in store.facts for p in f.prov.values()})
    doc.add(
        Paragraph(
            f"Delivery quarters: {join_words(quarters)}. Each figure is the newest delivery of it; "
            "figures are shown as published.",
            "boilerplate",
        )
    )
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
                sentences.append(
                    f"{capitalise(name)}: {value(first)} {in_period(first.period)} (one period delivered)."
                )
            else:
                sentences.append(
                    f"{capitalise(name)}: from {value(first)} {in_period(first.period)} to "
                    f"{value(last)} {in_period(last.period)} ({len(fs)} periods delivered)."
                )
        doc.add(w.para(" ".join(sentences)))
        state["figure"] += 1
        n = state["figure"]
        doc.add(
            FigureBlock(
                Figure(
                    n,
                    f"{title} ({unit_label})",
                    charts.series_chart(series, unit_label, scale=scale),
                    tables.source_line(facts),
                    f"trend-{n:02d}.png",
                )
            )
        )
        state["table"] += 1
        doc.add(
            TableBlock(
                tables.series_table(
                    f"Table {state['table']}", f"Table {state['table']}: {title}", series, unit
                )
            )
        )

    section(
        "Arrivals and departures by quarter",
        [("Arrivals", headline_series(FLOW, "in")), ("Departures", headline_series(FLOW, "out"))],
        "border crossings",
        "crossings",
    )
    section(
        "Temporary residence permit holders by quarter",
        [("Holders", headline_series(TRP_HOLDERS))],
        "persons",
        "persons",
    )
    section(
        "Foreign workers with permits by date",
        [("Foreign workers", headline_series(WORKERS, kinds=("quarter", "date")))],
        "persons",
        "persons",
    )
    section(
        "Personal remittances by year",
        [
            ("Sent from Kazakhstan", headline_series(REMITTANCES, "out", ("year",))),
            ("Sent to Kazakhstan", headline_series(REMITTANCES, "in", ("year",))),
        ],
        "million USD",
        "USD",
        scale=1e6,
    )
    section(
        "Personal remittances by quarter",
        [
            ("Sent from Kazakhstan", headline_series(REMITTANCES, "out")),
            ("Sent to Kazakhstan", headline_series(REMITTANCES, "in")),
        ],
        "million USD",
        "USD",
        scale=1e6,
        kinds_note=" (only annual figures or none were delivered)",
    )
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
    src = tables.sources_table(state["used"])
    doc.add(
        Bullets(
            tuple(f"{r[0].text} ({r[2].text[:4]}). {r[1].text}. Delivered in {r[3].text}." for r in src.rows),
            role="boilerplate",
        )
    )
    return doc, [tables.revisions_table(store.revisions), src]
