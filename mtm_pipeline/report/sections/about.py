"""I. About Mobility Tracking Matrix: methodology, the marks after figures, and the limitations of the
data."""

from __future__ import annotations

from mtm_pipeline.report.format import COMPUTED_MARK, CORRECTED_MARK, FLAGGED_MARK, join_words, period_phrase
from mtm_pipeline.report.narrative import agency_phrase
from mtm_pipeline.report.sections.context import (
    EMIGRANTS,
    FLOW,
    PRP,
    REMITTANCES,
    TRP_HOLDERS,
    WORKERS,
)

MEASURE_NOTES = {
    FLOW: "Border crossings count crossing events, not distinct people: one person crossing twice "
    "counts twice.",
    TRP_HOLDERS: "Temporary residence permit holders are counted in the quarter; permits issued are a "
    "different count and are shown separately.",
    PRP: "Permanent residence permits are counted as issued in the period.",
    WORKERS: "Foreign workers are a stock of permit holders on a date.",
    EMIGRANTS: "Emigration of Kazakh citizens for permanent residence (Bureau of National Statistics) "
    "is not the same concept as the issuance of permanent residence permits to foreigners.",
    REMITTANCES: "Personal remittances are balance-of-payments figures of the National Bank in US dollars; "
    "they are not the money-transfer-system totals in tenge that the press quotes, and the two are "
    "never mixed.",
}


MARKS_LEGEND = (
    f"Marks after a figure: {CORRECTED_MARK} a figure corrected before use (the published figure and the "
    f"reason are in Annex B); {COMPUTED_MARK} a figure computed in the warehouse from the delivered figures, "
    f"not published (each with the figures it comes from in the annex workbook, sheet Derived); "
    f"{FLAGGED_MARK} a published figure that is inconsistent with other published figures and is "
    "left as published because no correction could be justified (the footnote or table note names the check, "
    "what it expected and what it observed; all findings are in Annex A)."
)


def about(ctx) -> None:
    """Section I: about the MTM, the sources of this quarter, methodology and limitations."""
    agencies = sorted({f.agency for v in ctx.views.values() for f in v.facts if v.period})
    ctx.h(2, "I. About Mobility Tracking Matrix")
    ctx.para(
        "Mobility Tracking Matrix (MTM) is a system based on the IOM's Global Displacement Tracking Matrix "
        "(DTM) and aims to track and monitor population mobility. MTM collects and analyses information "
        "about mobility and vulnerabilities of mobile populations, so that decision-makers can act on the "
        "needs of these populations.",
        role="boilerplate",
    )
    ctx.h(3, "I.I Methodology")
    ctx.para(
        "The quarterly report is developed by combining secondary data obtained from government agencies "
        "and other organizations. More specifically, the report for "
        f"{period_phrase(ctx.q)} was derived from data from "
        f"{join_words([agency_phrase(a) for a in agencies]) or 'no agency'}.",
        "Every number in this report is generated from the delivered data: figures are shown as published, "
        "at the precision they were published at; where no source published a figure the report's structure "
        "uses (a share, a group total, a ranking, a change), the figure computed in the warehouse from the "
        "delivered figures is stated instead and marked as computed.",
        MARKS_LEGEND,
        "Each section uses the newest reference period available at the end of the quarter and says so "
        "when that is not the quarter itself.",
        role="boilerplate",
    )
    ctx.h(3, "I.II Limitation")
    measures = {m for (m, _), v in ctx.views.items() if v.period}
    ctx.para(
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
