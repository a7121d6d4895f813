"""6. Emigration: Kazakh citizens leaving for permanent residence, by destination and education.

Destinations are stated in the order of their ranks (published or derived); "the primary destination" and
"the second most popular" only where those ranks are certain within the published precision.
"""

from __future__ import annotations

from mtm_pipeline.report import charts
from mtm_pipeline.report.document import Paragraph
from mtm_pipeline.report.facts import Fact
from mtm_pipeline.report.figures_data import MeasureView, order_certain
from mtm_pipeline.report.format import country_phrase, in_period, join_words, period_caption, period_phrase
from mtm_pipeline.report.narrative import (
    ORDER_NOT_CERTAIN,
    agency_phrase,
    availability_sentence,
    missing_sentence,
)
from mtm_pipeline.report.sections.context import EMIGRANTS


def emigration(ctx) -> None:
    """Section 6: emigrants by country of destination and by education level."""
    ctx.h(2, "6. Emigration")
    v = ctx.views[(EMIGRANTS, None)]
    ctx.track(v)
    ctx.note(availability_sentence(v, "emigration"))
    if not v.period:
        return
    countries = list(v.countries.get(None, ())) + [f for g, fs in v.countries.items() if g for f in fs]
    if countries:
        ctx.para(destinations_sentence(ctx, v, countries))
        ctx.figure(
            f"Emigration of Kazakh citizens by country of destination, {period_caption(v.period)} "
            "(absolute numbers)",
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


def destinations_sentence(ctx, v: MeasureView, countries: list[Fact]) -> str:
    """'... the Russian Federation was the primary destination ... The second most popular destination was
    Germany: 2,283 (-9.7%), followed by ...'; where the ranks are uncertain, the destinations in rank order
    with the note that their order is not certain."""
    first, rest = countries[0], countries[1:]
    change = emigration_change(ctx, first, long=True)  # marks and footnotes in the order of the text
    count = ctx.w.value(first)
    items = [f"{country_phrase(f.country_name)}: {ctx.w.value(f)}{emigration_change(ctx, f)}" for f in rest]
    lead = f"According to {agency_phrase(v.agency)}, {in_period(v.period)}, "
    if not order_certain(countries):
        return (
            f"{lead}Kazakh citizens seeking permanent residence went to "
            f"{country_phrase(first.country_name)}, "
            f"with {count} individuals relocating{change}"
            + (f", and to {join_words(items)}" if items else "")
            + f"; {ORDER_NOT_CERTAIN}."
        )
    text = (
        f"{lead}{country_phrase(first.country_name)} was the primary destination for Kazakh citizens seeking "
        f"permanent residence, with {count} individuals relocating{change}."
    )
    if items:
        text += (
            f" The second most popular destination was {items[0]}"
            + (f", followed by {join_words(items[1:])}" if items[1:] else "")
            + "."
        )
    return text


def emigration_change(ctx, f: Fact, long: bool = False) -> str:
    """A destination's change as the report writes it: ', marking a decrease of 1.6 times compared to 2022'
    (long), or ' (-9.7%)'."""
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
            return (
                f", marking {kind} of {ctx.w.change_abs(c)} per cent compared to "
                f"{period_phrase(c.base_period)}"
            )
        return f", marking {kind}{ctx.w.cite_change(c)} compared to {period_phrase(c.base_period)}"
    return f" ({ctx.w.change_signed(c)})"
