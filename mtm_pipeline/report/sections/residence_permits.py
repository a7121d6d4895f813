"""3. Temporary and 4. Permanent Residence Permits: holders, permits issued, permits by country group."""

from __future__ import annotations

from mtm_pipeline.periods import quarter_range, same_quarter_last_year
from mtm_pipeline.report import charts
from mtm_pipeline.report.facts import ANY, SET
from mtm_pipeline.report.format import (
    capitalise,
    in_period,
    join_words,
    period_caption,
    period_phrase,
    period_short,
    quarters_phrase,
)
from mtm_pipeline.report.narrative import (
    agency_phrase,
    country_item,
    group_phrase,
    group_short,
    missing_sentence,
    words,
)
from mtm_pipeline.report.sections.context import PRP, TRP_HOLDERS, TRP_ISSUED


def trp(ctx) -> None:
    """Section 3: holders of temporary residence permits, permits issued, and holders by quarter."""
    v, wd = ctx.open_measure("3. Temporary Residence Permits", TRP_HOLDERS, "temporary residence permits")
    if v.period:
        h = v.headline
        if h is not None and h.value is not None:
            ctx.compared_paragraph(
                v,
                wd,
                f"{capitalise(in_period(v.period))}, {agency_phrase(v.agency)} registered "
                f"{ctx.w.value(h)} {wd['noun']}",
            )
        else:
            ctx.direction_only_paragraph(v, wd)
        for f in v.subsets.get("purpose", ()):
            ctx.para(
                f"Of these, {ctx.w.value(f)} {wd['people']} held temporary residence permits for "
                f"{f.purpose} purposes."
            )
        holders_by_country = [f for facts in v.countries.values() for f in facts]
        if holders_by_country:
            items = [country_item(ctx.w, f, wd["people"], wd["prep"]) for f in holders_by_country]
            ctx.para(f"By country of origin: {join_words(items)}.")
            ctx.figure(
                f"Temporary residence permit holders by country, {period_caption(v.period)} "
                "(absolute numbers)",
                charts.value_chart(holders_by_country, "holders"),
                holders_by_country,
            )
        else:
            ctx.note(
                "No breakdown of temporary residence permit holders by country is available for "
                f"{period_phrase(v.period)}."
            )
    trp_issued(ctx, show_figure=not any(v.countries.values()))
    series = ctx.sel.series(TRP_HOLDERS, None, kinds=("quarter",))
    if series and v.period:
        wanted = quarter_range(same_quarter_last_year(series[-1].period), series[-1].period)
        absent = [q for q in wanted if q not in {f.period for f in series}]
        first, last = series[0].period, series[-1].period
        span = period_short(first) if first == last else f"{period_short(first)} to {period_short(last)}"
        ctx.figure(
            f"Temporary residence permit holders by quarter, {span} (absolute numbers)",
            charts.series_chart([("holders", series)], "holders"),
            series,
        )
        if absent:
            ctx.note(
                f"No figures of holders were delivered for {quarters_phrase(absent)}; "
                "the figure shows the quarters delivered."
            )


def trp_issued(ctx, show_figure: bool) -> None:
    """Temporary residence permits issued (a count other than holders), by country."""
    v = ctx.views[(TRP_ISSUED, None)]
    if not v.period or v.headline is None:
        return
    wd = words(TRP_ISSUED, None)
    ctx.track(v)
    countries = [f for facts in v.countries.values() for f in facts]
    text = (
        f"Permits issued are a different count from holders: {in_period(v.period)}, "
        f"{agency_phrase(v.agency)} issued {ctx.w.value(v.headline)} temporary residence permits"
    )
    if countries:
        text += ", of which " + join_words(
            [country_item(ctx.w, f, wd["people"], wd["prep"]) for f in countries]
        )
    ctx.para(text + ".")
    if show_figure and countries:
        ctx.figure(
            f"Temporary residence permits issued by country, {period_caption(v.period)} (absolute numbers)",
            charts.value_chart(countries, "permits issued"),
            countries,
        )


def prp(ctx) -> None:
    """Section 4: permanent residence permits, then by CIS and non-CIS countries (4.1, 4.2)."""
    v, wd = ctx.open_measure("4. Permanent Residence Permits", PRP, "permanent residence permits")
    if not v.period:
        return
    h = v.headline
    if h is not None and h.value is not None:
        ctx.compared_paragraph(
            v,
            wd,
            f"{capitalise(in_period(v.period))}, {ctx.w.value(h)} migrants received "
            "permanent residence permits",
        )
    else:
        ctx.direction_only_paragraph(v, wd, passive="issued")
    prp_periods = set(ctx.sel.periods(PRP))
    seen = sorted(
        {
            f.country_group
            for f in ctx.store.query(PRP, country_group=SET, country_iso3=ANY)
            if f.period in prp_periods
        },
        key=lambda g: {"CIS": 0}.get(g, 1),
    )
    groups = {f.country_group: f for f in v.groups}
    for i, group in enumerate(seen, start=1):
        ctx.h(3, f"4.{i} Permanent Residence Permit Holders from {capitalise(group)} Countries")
        gf, facts = groups.get(group), list(v.countries.get(group, ()))
        if gf is None and not facts:
            ctx.note(
                f"No figures of permanent residence permits for nationals of {group_short(group)} are "
                f"available for {period_phrase(v.period)}."
            )
            continue
        items = [country_item(ctx.w, f, wd["people"], wd["prep"]) for f in facts]
        if gf is not None and gf.value is not None:
            lead = (
                f"Nationals of {group_phrase(gf, 'value', group_short(group))} received "
                f"{ctx.w.value(gf)} permanent residence permits"
            )
        elif gf is not None and gf.share is not None:
            lead = (
                f"Nationals of {group_phrase(gf, 'share', group_short(group))} received "
                f"{ctx.w.share(gf)} per cent of the permanent residence permits"
            )
        else:
            lead = f"Of the permits issued to nationals of {group_short(group)}"
        ctx.para(lead + (": " + join_words(items) if items else "") + ".")
        if any(f.share is not None for f in facts):
            rest = v.not_itemised_of(facts)
            ctx.figure(
                f"Permanent residence permit holders from {group_short(group)}, "
                f"{period_caption(v.period)} (%)",
                charts.share_chart(facts, f"% of permits to nationals of {group_short(group)}", rest),
                facts + ([rest] if rest else []),
                charts.incomplete_note(facts, rest),
            )
    ctx.note(missing_sentence(v))
