"""The quarterly report as a Document (pure: no files, no rendering libraries): the sections in order.

Structure follows the published Q1 2024 report: about MTM (methodology, limitations), key findings,
sections 2 to 7, then what the published report does not have: revised figures, sources, the annex of
data-quality findings and corrections, and the footnotes. Section 1 of the published report (policy
developments) is the analyst's, as is any note at the end of a section (report.analyst places them; a
section's id is its function's name, SECTION_IDS). Each section is a module of report.sections; what they
share (the document, the Writer, the measure views) is a ReportContext.
"""

from __future__ import annotations

from mtm_pipeline.report import analyst, tables
from mtm_pipeline.report.document import Document, Paragraph
from mtm_pipeline.report.sections import (
    about,
    annexes,
    emigration,
    flows,
    key_findings,
    labour,
    remittances,
    residence_permits,
)
from mtm_pipeline.report.sections.context import QuarterlySource, ReportContext
from mtm_pipeline.report.trend import compose_trend

__all__ = ["QuarterlySource", "compose_quarterly", "compose_trend"]

SECTIONS = (
    about.about,
    key_findings.key_findings,
    flows.flows,
    residence_permits.trp,
    residence_permits.prp,
    labour.labour,
    emigration.emigration,
    remittances.remittances,
    annexes.revisions,
    annexes.sources,
    annexes.annex,
)
SECTION_IDS = tuple(section.__name__ for section in SECTIONS)


def compose_quarterly(src: QuarterlySource, text: analyst.AnalystText | None = None) -> tuple[Document, list]:
    """The quarterly report and the extra XLSX tables (findings, corrections, revisions, sources, lineage,
    derived figures); `text`: the analyst's sections, placed after the sections they belong to."""
    ctx = ReportContext(src)
    ctx.h(1, ctx.doc.title)
    ctx.add(Paragraph(ctx.doc.subtitle, "boilerplate"))
    for section in SECTIONS:
        section(ctx)
        analyst.place(ctx, section.__name__, text)
    extra = [
        tables.findings_table(src.check_results),
        tables.corrections_table(src.corrections),
        tables.revisions_table([r for r in src.store.revisions if r.later_quarter <= src.quarter]),
        ctx.sources_table,
        tables.lineage_table(ctx.used),
        tables.derived_table(ctx.used),
    ]
    return ctx.doc, extra
