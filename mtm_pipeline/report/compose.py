"""The quarterly report as a Document (pure: no files, no rendering libraries): the sections in order.

Structure follows the published Q1 2024 report: about MTM (methodology, limitations), key findings,
sections 2 to 7, then what the published report does not have: revised figures, sources, the annex of
data-quality findings and corrections, and the footnotes. Section 1 of the published report (policy
developments) is not a data source of the pipeline and is not generated. Each section is a module of
report.sections; what they share (the document, the Writer, the measure views) is a ReportContext.
"""

from __future__ import annotations

from mtm_pipeline.report import tables
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


def compose_quarterly(src: QuarterlySource) -> tuple[Document, list]:
    """The quarterly report and the extra XLSX tables (findings, corrections, revisions, sources, lineage,
    derived figures)."""
    ctx = ReportContext(src)
    ctx.h(1, ctx.doc.title)
    ctx.add(Paragraph(ctx.doc.subtitle, "boilerplate"))
    for section in SECTIONS:
        section(ctx)
    extra = [
        tables.findings_table(src.check_results),
        tables.corrections_table(src.corrections),
        tables.revisions_table([r for r in src.store.revisions if r.later_quarter <= src.quarter]),
        ctx.sources_table,
        tables.lineage_table(ctx.used),
        tables.derived_table(ctx.used),
    ]
    return ctx.doc, extra
