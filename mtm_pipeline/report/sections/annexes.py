"""After the sections: revised figures, sources, Annex A (data-quality findings, with suggested
corrections), Annex B (corrections)."""

from __future__ import annotations

from mtm_pipeline.report import suggestions, tables
from mtm_pipeline.report.document import Bullets, PageBreak, Paragraph, TableBlock
from mtm_pipeline.report.format import FLAGGED_MARK


def revisions(ctx) -> None:
    """Section 8: figures a later delivery published with other numbers than an earlier one."""
    ctx.h(2, "8. Revised Figures")
    revisions = [r for r in ctx.store.revisions if r.later_quarter <= ctx.q]
    if revisions:
        ctx.add(
            Paragraph(
                "The following figures were delivered again, in a later quarter or as a new file "
                "for the same quarter, with different numbers; the report uses the newest "
                "delivery.",
                "boilerplate",
            )
        )
        ctx.add(TableBlock(tables.revisions_table(revisions)))
    else:
        ctx.add(
            Paragraph(
                "No figure delivered in more than one quarter differs between deliveries.", "boilerplate"
            )
        )


def sources(ctx) -> None:
    """Sources: the publications of the figures the report used (also a sheet of the annex workbook)."""
    ctx.h(2, "Sources")
    table = tables.sources_table(ctx.used)
    items = [f"{r[0].text} ({r[2].text[:4]}). {r[1].text}. Delivered in {r[3].text}." for r in table.rows]
    ctx.add(Bullets(tuple(items), role="boilerplate"))
    ctx.sources_table = table


def annex(ctx) -> None:
    """The annexes: data-quality findings (A) and corrections applied (B), with the suggested corrections."""
    ctx.add(PageBreak())
    ctx.h(2, "Annex A: Data-Quality Findings")
    findings = tables.findings_table(ctx.src.check_results)
    evaluated = 0 if ctx.src.check_results is None else len(ctx.src.check_results)
    if findings.rows:
        ctx.add(
            Paragraph(
                f"{len(findings.rows)} of {evaluated} check evaluations for {ctx.q} failed. Figures "
                "named here are shown as published unless Annex B lists a correction; a figure of the "
                f"corrected stage that a failed check is about is marked {FLAGGED_MARK} in the text and "
                "tables.",
                "boilerplate",
            )
        )
        ctx.add(TableBlock(findings))
        ctx.add(Paragraph(suggestions.INTRODUCTION, "boilerplate"))
        ctx.add(
            Bullets(
                suggestions.suggestion_lines(ctx.src.check_results, ctx.src.suggestions, ctx.src.unexplained),
                role="boilerplate",
            )
        )
    elif evaluated:
        ctx.add(Paragraph(f"All {evaluated} check evaluations for {ctx.q} passed.", "boilerplate"))
    else:
        ctx.add(Paragraph(f"No check results were recorded for {ctx.q}.", "boilerplate"))
    ctx.h(2, "Annex B: Corrections Applied")
    corrections = tables.corrections_table(ctx.src.corrections)
    if corrections.rows:
        ctx.add(
            Paragraph(
                "Corrections applied between the delivered and the corrected stage; corrected figures "
                "are marked with an asterisk in the text and tables.",
                "boilerplate",
            )
        )
        ctx.add(TableBlock(corrections))
    else:
        ctx.add(Paragraph(f"No corrections were applied for {ctx.q}.", "boilerplate"))
