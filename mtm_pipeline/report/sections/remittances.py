"""7. Personal Remittances: outflows and inflows, by country group and country (Tables 2 and 3).

"The largest increases / declines" read the derived rankings of the countries' per cent changes
(increase_rank, decline_rank: derive/change_ranks.py); where those are rank_uncertain, the sentence says the
order is not certain within the published precision.
"""

from __future__ import annotations

from collections import Counter

from mtm_pipeline.report import charts, tables
from mtm_pipeline.report.facts import ANY, SET, Fact, rank_facet
from mtm_pipeline.report.figures_data import MeasureView, leaders, rank_order
from mtm_pipeline.report.format import (
    capitalise,
    country_phrase,
    in_period,
    join_words,
    period_caption,
    period_phrase,
)
from mtm_pipeline.report.narrative import (
    availability_sentence,
    change_note_sentences,
    group_phrase,
    group_short,
    missing_comparisons_sentence,
    missing_sentence,
    order_caveat,
    words,
)
from mtm_pipeline.report.sections.context import REMITTANCES


def remittances(ctx) -> None:
    """Section 7: outflows (7.1) and inflows (7.2), each in the newest period available."""
    ctx.h(2, "7. Personal Remittances")
    vout, vin = ctx.views[(REMITTANCES, "out")], ctx.views[(REMITTANCES, "in")]
    same = vout.period == vin.period
    if same:
        ctx.note(availability_sentence(vout, "personal remittances"))
    for i, (v, title) in enumerate(
        (
            (vout, "Personal Remittance Outflows from Kazakhstan"),
            (vin, "Personal Remittance Inflows to Kazakhstan"),
        ),
        start=1,
    ):
        ctx.h(3, f"7.{i} {title}")
        ctx.track(v)
        if not same or not v.period:
            ctx.note(availability_sentence(v, words(REMITTANCES, v.direction)["noun"]))
        if v.period:
            remittance_subsection(ctx, v)


def remittance_subsection(ctx, v: MeasureView) -> None:
    """One direction: the volume and its comparisons, then the table, sentences and figures by country."""
    ctx.para(*volume_sentences(ctx, v))
    countries = [f for facts in v.countries.values() for f in facts if f.value is not None]
    if countries:
        country_paragraphs(ctx, v, countries)
    else:
        for sentence in change_note_sentences(ctx.w, v):
            ctx.para(sentence)
        ctx.used.extend(v.change_notes)
    ctx.note(missing_sentence(v))


def volume_sentences(ctx, v: MeasureView) -> list[str | None]:
    """The volume of the period with its CIS / non-CIS split, the base periods' volumes and the changes."""
    wd, h = words(REMITTANCES, v.direction), v.headline
    if h is None or h.value is None:
        return []
    text = f"The volume of {wd['noun']} {in_period(v.period)} was {ctx.w.money(h)}"
    with_value = [g for g in v.groups if g.value is not None]
    if with_value:
        text += ", of which " + join_words(
            [
                f"{group_phrase(g, 'value', 'the ' + group_short(g.country_group))} accounted for "
                f"{ctx.w.money(g)}"
                for g in with_value
            ]
        )
    sentences: list[str | None] = [text + "."]
    missing = []
    for cmp in v.comparisons:
        if cmp.base is not None and cmp.kind == "previous":
            sentences.append(base_volume_sentence(ctx, v, cmp))
        sentence = change_sentence(ctx, v, cmp)
        if sentence:
            sentences.append(sentence)
        elif cmp.base is None and cmp.kind in ("previous", "year_ago"):
            missing.append(cmp.base_period)
    sentences.append(missing_comparisons_sentence(missing))
    return sentences


def base_volume_sentence(ctx, v: MeasureView, cmp) -> str:
    """'In 2022, the volume of ... amounted to 1,080 million USD (CIS countries: 616 million USD).'"""
    base_groups = [
        g
        for g in ctx.store.query(REMITTANCES, cmp.base_period, direction=v.direction, country_group=SET)
        if g.value is not None
    ]
    ctx.used.extend([cmp.base, *base_groups])
    extra = ""
    if base_groups:
        extra = (
            " ("
            + "; ".join(
                f"{group_phrase(g, 'value', group_short(g.country_group))}: {ctx.w.money(g)}"
                for g in base_groups
            )
            + ")"
        )
    noun = words(REMITTANCES, v.direction)["noun"]
    return (
        f"{capitalise(in_period(cmp.base_period))}, the volume of {noun} amounted to "
        f"{ctx.w.money(cmp.base)}{extra}."
    )


def change_sentence(ctx, v: MeasureView, cmp) -> str | None:
    """The change against one base period: a per cent change (stated or computed), else a stated direction."""
    pct = cmp.percent
    absolute = next((c for c in cmp.stated if c.unit == "absolute"), None)
    direction = next((c for c in cmp.stated if c.unit == "direction"), None)
    if pct is not None or cmp.computed is not None:
        sign = (pct if pct is not None else cmp.computed).sign
        size = (
            f"{ctx.w.change_abs(pct)} per cent"
            if pct is not None
            else f"{ctx.w.change_abs(cmp.computed)} per cent (computed from the two figures)"
        )
        inside = []
        if absolute is not None:
            inside.append(f"{ctx.w.change_abs(absolute, 'USD')} USD")
        if cmp.base is None:
            inside.append(f"no figure for {period_phrase(cmp.base_period)} is available")
        word = "increase" if sign > 0 else "decline"
        return (
            f"The {word} {in_period(v.period)} compared to {period_phrase(cmp.base_period)} "
            f"was {size}" + (f" ({'; '.join(inside)})" if inside else "") + "."
        )
    if direction is not None:
        mark = ctx.w.cite_change(direction)
        return (
            f"The volume {'increased' if direction.sign > 0 else 'decreased'}{mark} compared to "
            f"{period_phrase(cmp.base_period)} (direction stated; no figure published)."
        )
    return None


def country_paragraphs(ctx, v: MeasureView, countries: list[Fact]) -> None:
    """The table by country against a base period, the largest changes, change notes and the figures."""
    bases = Counter(
        c.base_period for f in countries for c in f.changes if c.unit == "percent" and not c.computed
    )
    prev = next((c.base_period for c in v.comparisons if c.kind == "previous"), None)
    base_period = bases.most_common(1)[0][0] if bases else prev
    base = []
    if base_period:
        found = ctx.store.query(
            REMITTANCES, base_period, direction=v.direction, country_iso3=SET, country_group=ANY
        )
        base = [f for f in found if f.value is not None]
    ctx.used.extend(base)
    direction = "from" if v.direction == "out" else "to"
    ctx.table(lambda n: tables.remittance_table(n, direction, countries, base, v.period, base_period))
    ctx.para(variance_sentence(ctx, countries, base_period))
    for sentence in change_note_sentences(ctx.w, v):
        ctx.para(sentence)
    ctx.used.extend(v.change_notes)
    ctx.figure(
        f"Remittances transferred {direction} Kazakhstan in {period_caption(v.period)} (USD million)",
        charts.value_chart(countries, "million USD", scale=1e6),
        countries,
    )
    if base:
        ctx.figure(
            f"Remittances transferred {direction} Kazakhstan in {period_caption(base_period)} (USD million)",
            charts.value_chart(list(rank_order(base)), "million USD", scale=1e6),
            base,
        )


def variance_sentence(ctx, countries: list[Fact], base_period: str | None) -> str | None:
    """'Compared to 2022, the largest increases were for ... (+60.9%) ...; the largest declines were for ...':
    the two first countries of the derived rankings of their per cent changes against the base period
    (increase_rank, decline_rank), among those that rose (fell)."""
    if not base_period:
        return None
    parts = []
    for kind, sign, what in (("increase_rank", 1, "increases"), ("decline_rank", -1, "declines")):
        moved = [
            f for f in countries if (c := f.change(base_period, "percent")) is not None and c.sign == sign
        ]
        top = leaders(moved, 2, rank_facet(kind, base_period))
        if not top.facts:
            continue
        named = [
            f"{country_phrase(f.country_name)} ({ctx.w.change_signed(f.change(base_period, 'percent'))})"
            for f in top.facts
        ]
        caveat = order_caveat(top.certain_order)
        if not top.certain_set:
            caveat = (
                " (which two changed most, and their order, is not certain within the published precision)"
            )
        parts.append(f"the largest {what} were for {join_words(named)}{caveat}")
    if not parts:
        return None
    return f"Compared to {period_phrase(base_period)}, " + "; ".join(parts) + "."
