"""II. Key Findings: one numbered finding per topic, built from the same figures as the sections."""

from __future__ import annotations

from mtm_pipeline.report.document import Bullets
from mtm_pipeline.report.figures_data import is_remainder, order_facts, within_quarter
from mtm_pipeline.report.format import capitalise, country_phrase, in_period, join_words, period_phrase
from mtm_pipeline.report.narrative import group_short, more_fewer, words
from mtm_pipeline.report.sections.context import EMIGRANTS, FLOW, PRP, REMITTANCES, TRP_HOLDERS, WORKERS


def key_findings(ctx) -> None:
    ctx.h(2, "II. Key Findings")
    items = [
        x
        for x in (
            kf_flows(ctx),
            kf_non_cis(ctx),
            kf_trp(ctx),
            kf_prp(ctx),
            kf_labour(ctx),
            kf_emigration(ctx),
            kf_remittances(ctx),
        )
        if x
    ]
    ctx.w.discard()
    if items:
        ctx.add(Bullets(tuple(items), numbered=True, role="key"))
    else:
        ctx.note(f"No data were delivered for {period_phrase(ctx.q)}.")


def kf_flows(ctx) -> str | None:
    vin, vout = ctx.views[(FLOW, "in")], ctx.views[(FLOW, "out")]
    heads = [(v, v.headline) for v in (vin, vout) if v.headline is not None and v.headline.value is not None]
    if not heads:
        return None
    period = heads[0][0].period
    prev = {v.direction: next((c for c in v.comparisons if c.kind == "previous"), None) for v, _ in heads}
    dirs = {d: (c.direction if c else None) for d, c in prev.items()}
    counts = [f"{ctx.w.value(h)} {words(FLOW, v.direction)['noun']}" for v, h in heads]
    base = next((c.base_period for c in prev.values() if c and c.direction), None)
    if base and all(dirs.get(v.direction) for v, _ in heads) and len(set(dirs.values())) == 1:
        word = more_fewer(next(iter(dirs.values())))
        verbs = join_words(["arrived in" if v.direction == "in" else "departed from" for v, _ in heads])
        text = (
            f"{capitalise(in_period(period))}, {word} migrants {verbs} the country ({join_words(counts)}) "
            f"than {in_period(base)}."
        )
    elif base:
        parts = []
        for (v, _), count in zip(heads, counts, strict=True):
            d = dirs.get(v.direction)
            move = words(FLOW, v.direction)["move"]
            parts.append(f"{more_fewer(d)} migrants {move} ({count})" if d else f"{count} were recorded")
        text = f"{capitalise(in_period(period))}, {join_words(parts)} than {in_period(base)}."
    else:
        text = f"{capitalise(in_period(period))}, {join_words(counts)} were recorded."
    ranked = [r for r in vin.rankings if r.group is None and r.dimension == "country_iso3"]
    if ranked:
        names = [country_phrase(f.country_name) for f in ranked[0].facts]
        text += f" Most incoming migrants come from {join_words(names)}."
    else:
        first = next(iter(vin.countries.items()), None)
        if first:
            group, facts = first
            names = [country_phrase(f.country_name) for f in facts[:2]]
            among = f"Among {group_short(group)}, most" if group else "Most"
            text += f" {among} arrivals came from {join_words(names)}."
    return text


def kf_non_cis(ctx) -> str | None:
    vin = ctx.views[(FLOW, "in")]
    ranked = [r for r in vin.rankings if r.group == "non-CIS" and r.dimension == "country_iso3"]
    facts = list(ranked[0].facts) if ranked else list(vin.countries.get("non-CIS", ()))[:3]
    facts = [f for f in facts if f.country_iso3 != "ZZZ"][:3]
    if not facts:
        return None
    names = [country_phrase(f.country_name) for f in facts]
    count = {1: "top country", 2: "top two countries", 3: "top three countries"}[len(facts)]
    return f"{capitalise(join_words(names))} are the {count} of origin among non-CIS countries {in_period(vin.period)}."


def kf_trp(ctx) -> str | None:
    v = ctx.views[(TRP_HOLDERS, None)]
    if v.headline is None or v.headline.value is None:
        return None
    prev = next((c for c in v.comparisons if c.kind == "previous" and c.direction), None)
    text = f"{capitalise(in_period(v.period))}, {ctx.w.value(v.headline)} migrants held temporary residence permits"
    labour = v.subsets.get("purpose", ())
    if labour:
        text += (
            " (" + join_words([f"{ctx.w.value(f)} of them for {f.purpose} purposes" for f in labour]) + ")"
        )
    if prev:
        text += f", {more_fewer(prev.direction)} than {in_period(prev.base_period)}"
    return text + "."


def kf_prp(ctx) -> str | None:
    v = ctx.views[(PRP, None)]
    if not v.period:
        return None
    ups = [c for c in v.comparisons if c.direction]
    if v.headline is not None and v.headline.value is not None:
        text = f"{capitalise(in_period(v.period))}, {ctx.w.value(v.headline)} migrants obtained permanent residence permits"
        if ups:
            text += ", " + join_words(
                [f"{more_fewer(c.direction)} than {in_period(c.base_period)}" for c in ups]
            )
        text += "."
    elif ups:
        signs = {c.direction for c in ups}
        if len(signs) == 1:
            text = (
                f"{capitalise(more_fewer(ups[0].direction))} migrants obtained permanent residence permits "
                f"{in_period(v.period)} than in "
                f"{join_words([period_phrase(c.base_period) for c in ups])}."
            )
        else:
            text = (
                capitalise(
                    join_words(
                        [f"{more_fewer(c.direction)} permits than {in_period(c.base_period)}" for c in ups]
                    )
                )
                + "."
            )
    else:
        return None
    countries = order_facts([f for facts in v.countries.values() for f in facts if f.country_iso3 != "ZZZ"])
    by_value = sorted([f for f in countries if f.value is not None], key=lambda f: (-f.value, f.country_name))
    if by_value:
        text += (
            f" Nationals of {join_words([country_phrase(f.country_name) for f in by_value[:3]])} "
            "obtained the most permits."
        )
    return text


def kf_labour(ctx) -> str | None:
    v = ctx.views[(WORKERS, None)]
    sectors = list(v.breakdowns.get("sector", ()))
    if not sectors:
        ranked = [r for r in v.rankings if r.dimension == "sector"]
        sectors = list(ranked[0].facts) if ranked else []
    if not sectors and v.headline is None:
        return None
    text = ""
    if v.headline is not None and v.headline.value is not None:
        text = f"{capitalise(in_period(v.period))}, {ctx.w.value(v.headline)} foreign workers held work permits in Kazakhstan. "
    sectors = [f for f in sectors if not is_remainder(f)]
    if sectors:
        names = [f.sector.lower() for f in sectors]
        text += f"The highest concentration of migrant workers can be found in {join_words(names)}."
    return text.strip()


def kf_emigration(ctx) -> str | None:
    v = ctx.views[(EMIGRANTS, None)]
    facts = list(v.countries.get(None, ()))
    when = in_period(v.period) if v.period else ""
    if not facts:
        ranked = [r for r in v.rankings if r.dimension == "country_iso3"]
        facts = list(ranked[0].facts) if ranked else []
    if not facts:
        return None
    names = [country_phrase(f.country_name) for f in facts]
    return f"Most Kazakh citizens emigrating for permanent residence {when} went to {join_words(names)}."


def kf_remittances(ctx) -> str | None:
    parts, period, base, signs = [], None, None, set()
    for d in ("out", "in"):
        v = ctx.views[(REMITTANCES, d)]
        if v.headline is None or v.headline.value is None:
            continue
        prev = next((c for c in v.comparisons if c.kind == "previous" and c.direction), None)
        flow = words(REMITTANCES, d)["flow"]
        if prev is None:
            parts.append(f"{flow} amounted to {ctx.w.money(v.headline)}")
            continue
        period, base = v.period, prev.base_period
        signs.add(prev.direction)
        verb = "rose" if prev.direction > 0 else "declined"
        if prev.percent is not None:
            parts.append(
                f"{flow} {verb} by {ctx.w.change_abs(prev.percent)} per cent to {ctx.w.money(v.headline)}"
            )
        elif prev.computed is not None:
            parts.append(
                f"{flow} {verb} by {ctx.w.change_abs(prev.computed)} per cent (computed) to {ctx.w.money(v.headline)}"
            )
        else:
            parts.append(f"{flow} {verb} to {ctx.w.money(v.headline)}")
    if not parts:
        return None
    if period and base and len(signs) == 1:
        word = "increased" if signs == {1} else "decreased"
        latest = "" if within_quarter(period, ctx.q) else " (the latest data available)"
        return (
            f"Compared to {period_phrase(base)}, the volume of personal remittances {word} "
            f"{in_period(period)}{latest}: {join_words(parts)}."
        )
    return capitalise(join_words(parts)) + "."
