"""5. Labour Migration: foreign workers, permit categories, employers, sectors (Table 1), countries, the
quota."""

from __future__ import annotations

from mtm_pipeline.periods import parse_period
from mtm_pipeline.report import tables
from mtm_pipeline.report.document import Paragraph
from mtm_pipeline.report.figures_data import REMAINDER_ISO3, MeasureView
from mtm_pipeline.report.format import capitalise, country_phrase, in_period, join_words, period_phrase
from mtm_pipeline.report.narrative import (
    CATEGORY_WORDS,
    agency_phrase,
    missing_sentence,
)
from mtm_pipeline.report.sections.context import EMPLOYERS, QUOTA, QUOTA_SHARE, WORKERS


def labour(ctx) -> None:
    """Section 5: foreign workers, their permit categories, employers, sectors, countries and the quota."""
    v, wd = ctx.open_measure("5. Labour Migration", WORKERS, "foreign workers")
    if v.period:
        h = v.headline
        if h is not None and h.value is not None:
            ctx.compared_paragraph(
                v,
                wd,
                f"{capitalise(agency_phrase(v.agency))} reported that {ctx.w.value(h)} "
                f"migrant workers were working in Kazakhstan {in_period(v.period)}",
            )
        categories(ctx, v)
    employers(ctx, v)
    if v.period:
        sectors_and_countries(ctx, v)
        ctx.note(missing_sentence(v))
    quota(ctx)


def categories(ctx, v: MeasureView) -> None:
    """The permits by category: a list where the categories cover the total, else one sentence."""
    cats = list(v.subsets.get("category", ()))
    if cats and all(bool(f.parts_complete) for f in cats):
        ctx.add(
            Paragraph("The permits for foreign labour force include the following categories:", "narrative")
        )
        ctx.add(
            ctx.w.bullets(
                [f"{ctx.w.value(f)} permits for {CATEGORY_WORDS.get(f.category, f.category)}" for f in cats]
            )
        )
    elif cats:
        ctx.para(
            "Of these, "
            + join_words(
                [
                    f"{ctx.w.value(f)} held permits for {CATEGORY_WORDS.get(f.category, f.category)}"
                    for f in cats
                ]
            )
            + "."
        )


def sectors_and_countries(ctx, v: MeasureView) -> None:
    """Table 1 of sectors (in the order of their ranks), published rankings, and the countries of origin."""
    sectors = list(v.breakdowns.get("sector", ()))
    if sectors:
        ctx.para(
            f"When categorized by economic activities, the highest numbers of individuals are employed "
            f"in the sectors shown in Table {ctx.table_no + 1}.",
            role="narrative",
        )
        ctx.used.extend(sectors)
        ctx.table(lambda n: tables.sector_table(n, sectors, v.headline, v.period))
    ctx.rankings(v)
    countries = [f for facts in v.countries.values() for f in facts]
    if not countries:
        return
    items = []
    for f in countries:
        if f.value is not None and f.share is not None:
            figure = f"{ctx.w.value(f)} people ({ctx.w.share(f, sign=True)})"
        elif f.value is not None:
            figure = f"{ctx.w.value(f)} people"
        else:
            figure = ctx.w.share(f, sign=True)
        name = country_phrase(f.country_name) if f.country_iso3 == REMAINDER_ISO3 else f.country_name
        items.append(f"{name} \u2013 {figure}")
    ctx.para(
        f"{capitalise(agency_phrase(v.agency))} reported that the main countries of origin of labour "
        f"migrants are: {join_words(items)}."
    )


def employers(ctx, workers: MeasureView) -> None:
    """The employers recruiting migrant workers, or the latest figure where the quarter has none."""
    v = ctx.views[(EMPLOYERS, None)]
    if not v.period or v.headline is None or v.headline.value is None:
        return
    ctx.track(v)
    if v.is_report_period:
        ctx.para(
            f"{ctx.w.value(v.headline)} employers in Kazakhstan legally recruited migrant workers "
            f"{in_period(v.period)}."
        )
    else:
        ctx.para(
            f"The number of employers recruiting migrant workers is not available for "
            f"{period_phrase(ctx.q)}; "
            f"the latest figure, for {period_phrase(v.period)}, is {ctx.w.value(v.headline)} employers."
        )


def quota(ctx) -> None:
    """The work permit quota of the year, as permits and as a share of the labour force, with the year
    before."""
    qv, sv = ctx.views[(QUOTA, None)], ctx.views[(QUOTA_SHARE, None)]
    if not qv.period and not sv.period:
        return
    ctx.track(qv)
    ctx.track(sv)
    period = qv.period or sv.period
    q = qv.headline if qv.period == period else None
    s = ctx.store.one(QUOTA_SHARE, period)
    if s is not None:
        ctx.used.append(s)
    bits = []
    if s is not None and s.value is not None:
        bits.append(f"{ctx.w.value(s)}% of the labour force in the Republic")
    if q is not None and q.value is not None:
        bits.append(f"{ctx.w.value(q)} permits")
    text = (
        f"In order to protect the domestic labour market, {agency_phrase(qv.agency or sv.agency)} annually "
        f"establishes and distributes a quota to attract foreign specialists to the country. "
        f"{capitalise(in_period(period))}, the total quota is set at {join_words(bits, 'or')}"
    )
    prev = str(parse_period(period).start.year - 1) if parse_period(period).kind == "year" else None
    if prev:
        pq, ps = ctx.store.one(QUOTA, prev), ctx.store.one(QUOTA_SHARE, prev)
        pbits = []
        if ps is not None and ps.value is not None:
            pbits.append(f"{ctx.w.value(ps)}%")
            ctx.used.append(ps)
        if pq is not None and pq.value is not None:
            pbits.append(f"{ctx.w.value(pq)} permits")
            ctx.used.append(pq)
        if pbits:
            text += f" ({prev}: {join_words(pbits, 'or')})"
    ctx.para(text + ".")
