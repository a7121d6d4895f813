"""2. Migration Inflow and Outflow: arrivals and departures, their purposes, CIS / non-CIS groups and
countries."""

from __future__ import annotations

from mtm_pipeline.report import charts
from mtm_pipeline.report.figures_data import MeasureView
from mtm_pipeline.report.format import capitalise, join_words, period_caption
from mtm_pipeline.report.narrative import (
    availability_sentence,
    country_item,
    group_long,
    group_phrase,
    group_short,
    missing_sentence,
    words,
)
from mtm_pipeline.report.sections.context import FLOW


def flows(ctx) -> None:
    """Section 2: arrivals (2.1) and departures (2.2), their purposes, groups and countries."""
    ctx.h(2, "2. Migration Inflow and Outflow")
    for i, d in enumerate(("in", "out"), start=1):
        v = ctx.views[(FLOW, d)]
        wd = words(FLOW, d)
        ctx.h(3, f"2.{i} Migration {wd['flow'].capitalize()}")
        ctx.track(v)
        ctx.note(availability_sentence(v, f"migrant {wd['short']}"))
        if not v.period:
            continue
        ctx.headline_paragraph(v, wd, verb="reported a total of")
        for f in v.subsets.get("purpose", ()):
            share = f" ({ctx.w.share(f, sign=True)} of the total)" if f.share is not None else ""
            ctx.para(
                f"Of the total number of those who {wd['verb']}, {ctx.w.value(f)} {wd['people']}{share} "
                f"indicated {f.purpose} as the purpose of their {wd['trip']}."
            )
        group_paragraphs(ctx, v, wd)
        for group, facts in v.countries.items():
            if not any(f.share is not None for f in facts):
                continue
            title = (
                f"Migrant {wd['flow']} {'from' if d == 'in' else 'to'} {group_long(group)}, "
                f"{period_caption(v.period)} (%)"
            )
            label = f"% of {wd['short']} {'from' if d == 'in' else 'to'} {group_short(group)}"
            rest = v.not_itemised_of(facts)
            ctx.figure(
                title,
                charts.share_chart(list(facts), label, rest),
                list(facts) + ([rest] if rest else []),
                charts.incomplete_note(list(facts), rest),
            )
        ctx.rankings(v)
        ctx.note(missing_sentence(v))


def group_paragraphs(ctx, v: MeasureView, wd: dict) -> None:
    """The CIS / non-CIS figures with their countries, and the countries of no group."""
    sentences = []
    groups = {f.country_group: f for f in v.groups}
    for group in [g for g in groups] + [g for g in v.countries if g and g not in groups]:
        gf = groups.get(group)
        items = [country_item(ctx.w, f, wd["people"], wd["prep"]) for f in v.countries.get(group, ())]
        if gf is not None and gf.share is not None:
            lead = (
                f"{ctx.w.share(gf)} per cent of total {wd['short']} accounted for "
                f"{group_phrase(gf, 'share', group_long(group))}"
            )
        elif gf is not None:
            lead = (
                f"{ctx.w.value(gf)} {wd['short']} accounted for "
                f"{group_phrase(gf, 'value', group_long(group))}"
            )
        else:
            lead = f"Of {wd['short']} {wd['prep']} {group_short(group)}"
        if items:
            lead += (": of these, " if gf is not None else ", ") + join_words(items)
        sentences.append(capitalise(lead) + ".")
    ungrouped = v.countries.get(None, ())
    if ungrouped:
        items = [country_item(ctx.w, f, wd["people"], wd["prep"]) for f in ungrouped]
        sentences.append(f"By country: {join_words(items)}.")
    if sentences:
        ctx.para(*sentences)
