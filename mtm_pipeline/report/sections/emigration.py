"""6. Emigration: Kazakh citizens leaving for permanent residence, by destination and education."""

from __future__ import annotations

from mtm_pipeline.report import charts
from mtm_pipeline.report.document import Paragraph
from mtm_pipeline.report.facts import Fact
from mtm_pipeline.report.format import country_phrase, in_period, join_words, period_caption, period_phrase
from mtm_pipeline.report.narrative import agency_phrase, availability_sentence, missing_sentence
from mtm_pipeline.report.sections.context import EMIGRANTS


def emigration(ctx) -> None:
    ctx.h(2, "6. Emigration")
    v = ctx.views[(EMIGRANTS, None)]
    ctx.track(v)
    ctx.note(availability_sentence(v, "emigration"))
    if not v.period:
        return
    countries = list(v.countries.get(None, ())) + [f for g, fs in v.countries.items() if g for f in fs]
    if countries:
        first, rest = countries[0], countries[1:]
        change = emigration_change(ctx, first, long=True)
        text = (
            f"According to {agency_phrase(v.agency)}, {in_period(v.period)}, {country_phrase(first.country_name)} "
            f"was the primary destination for Kazakh citizens seeking permanent residence, with "
            f"{ctx.w.value(first)} individuals relocating{change}."
        )
        if rest:
            items = [
                f"{country_phrase(f.country_name)}: {ctx.w.value(f)}{emigration_change(ctx, f)}" for f in rest
            ]
            text += (
                f" The second most popular destination was {items[0]}"
                + (f", followed by {join_words(items[1:])}" if items[1:] else "")
                + "."
            )
        ctx.para(text)
        ctx.figure(
            f"Emigration of Kazakh citizens by country of destination, {period_caption(v.period)} (absolute numbers)",
            charts.value_chart(countries, "emigrants"),
            countries,
        )
    education = list(v.breakdowns.get("education", ()))
    if education:
        ages = sorted({f.age_group for f in education if f.age_group})
        age = f" aged {join_words(ages)}" if ages else ""
        first, rest = education[0], education[1:]
        lead = f"{ctx.w.value(first)} people have {(first.education or '').lower()} education"
        items = [lead + emigration_change(ctx, first)]
        items += [f"{(f.education or '').lower()}: {ctx.w.value(f)}{emigration_change(ctx, f)}" for f in rest]
        ctx.para(f"Among those who left Kazakhstan{age}, {join_words(items)}.")
    bases = sorted({c.base_period for f in countries + education for c in f.changes})
    if bases:
        ctx.add(
            Paragraph(
                f"Changes in parentheses are compared to {join_words([period_phrase(b) for b in bases])}.",
                "note",
            )
        )
    ctx.rankings(v)
    ctx.note(missing_sentence(v))


def emigration_change(ctx, f: Fact, long: bool = False) -> str:
    c = next(iter(f.changes), None)
    if c is None:
        return ""
    if long:
        kind = "an increase" if c.sign > 0 else "a decrease"
        if c.unit == "times":
            return (
                f", marking {kind} of {ctx.w.change_abs(c)} times compared to {period_phrase(c.base_period)}"
            )
        if c.unit == "percent":
            return f", marking {kind} of {ctx.w.change_abs(c)} per cent compared to {period_phrase(c.base_period)}"
        return f", marking {kind}{ctx.w.cite_change(c)} compared to {period_phrase(c.base_period)}"
    return f" ({ctx.w.change_signed(c)})"
