"""7. Personal Remittances: outflows and inflows, by country group and country (Tables 2 and 3)."""

from __future__ import annotations

from collections import Counter

from mtm_pipeline.report import charts, tables
from mtm_pipeline.report.facts import ANY, SET, Fact
from mtm_pipeline.report.figures_data import MeasureView, order_facts
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
    words,
)
from mtm_pipeline.report.sections.context import REMITTANCES


def remittances(ctx) -> None:
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
    wd = words(REMITTANCES, v.direction)
    h = v.headline
    sentences = []
    if h is not None and h.value is not None:
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
        sentences.append(text + ".")
        missing = []
        for cmp in v.comparisons:
            if cmp.base is not None and cmp.kind == "previous":
                base_groups = [
                    g
                    for g in ctx.store.query(
                        REMITTANCES, cmp.base_period, direction=v.direction, country_group=SET
                    )
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
                sentences.append(
                    f"{capitalise(in_period(cmp.base_period))}, the volume of {wd['noun']} amounted to "
                    f"{ctx.w.money(cmp.base)}{extra}."
                )
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
                sentences.append(
                    f"The {word} {in_period(v.period)} compared to {period_phrase(cmp.base_period)} "
                    f"was {size}" + (f" ({'; '.join(inside)})" if inside else "") + "."
                )
            elif direction is not None:
                mark = ctx.w.cite_change(direction)
                sentences.append(
                    f"The volume {'increased' if direction.sign > 0 else 'decreased'}{mark} compared to "
                    f"{period_phrase(cmp.base_period)} (direction stated; no figure published)."
                )
            elif cmp.base is None and cmp.kind in ("previous", "year_ago"):
                missing.append(cmp.base_period)
        sentences.append(missing_comparisons_sentence(missing))
    ctx.para(*sentences)
    countries = [f for facts in v.countries.values() for f in facts if f.value is not None]
    if countries:
        bases = Counter(
            c.base_period for f in countries for c in f.changes if c.unit == "percent" and not c.computed
        )
        prev = next((c.base_period for c in v.comparisons if c.kind == "previous"), None)
        base_period = bases.most_common(1)[0][0] if bases else prev
        base = (
            [
                f
                for f in ctx.store.query(
                    REMITTANCES, base_period, direction=v.direction, country_iso3=SET, country_group=ANY
                )
                if f.value is not None
            ]
            if base_period
            else []
        )
        ctx.used.extend(base)
        ctx.table(
            lambda n: tables.remittance_table(
                n, "from" if v.direction == "out" else "to", countries, base, v.period, base_period
            )
        )
        ctx.para(variance_sentence(ctx, countries, base_period))
        for sentence in change_note_sentences(ctx.w, v):
            ctx.para(sentence)
        ctx.used.extend(v.change_notes)
        direction = "from" if v.direction == "out" else "to"
        ctx.figure(
            f"Remittances transferred {direction} Kazakhstan in {period_caption(v.period)} (USD million)",
            charts.value_chart(countries, "million USD", scale=1e6),
            countries,
        )
        if base:
            ctx.figure(
                f"Remittances transferred {direction} Kazakhstan in {period_caption(base_period)} (USD million)",
                charts.value_chart(list(order_facts(base)), "million USD", scale=1e6),
                base,
            )
    else:
        for sentence in change_note_sentences(ctx.w, v):
            ctx.para(sentence)
        ctx.used.extend(v.change_notes)
    ctx.note(missing_sentence(v))


def variance_sentence(ctx, countries: list[Fact], base_period: str | None) -> str | None:
    if not base_period:
        return None
    stated = [(f, f.change(base_period, "percent")) for f in countries]
    stated = [(f, c) for f, c in stated if c is not None]
    ups = sorted([x for x in stated if x[1].value > 0], key=lambda x: (-x[1].value, x[0].country_name))[:2]
    downs = sorted([x for x in stated if x[1].value < 0], key=lambda x: (x[1].value, x[0].country_name))[:2]
    parts = []
    if ups:
        parts.append(
            "the largest increases were for "
            + join_words([f"{country_phrase(f.country_name)} ({ctx.w.change_signed(c)})" for f, c in ups])
        )
    if downs:
        parts.append(
            "the largest declines were for "
            + join_words([f"{country_phrase(f.country_name)} ({ctx.w.change_signed(c)})" for f, c in downs])
        )
    if not parts:
        return None
    return f"Compared to {period_phrase(base_period)}, " + "; ".join(parts) + "."
