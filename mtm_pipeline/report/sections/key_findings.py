"""II. Key Findings: one numbered finding per topic, built from the same figures as the sections.

Every "most", "top three" and "highest" reads the ranks published or derived in the warehouse
(figures_data.leaders): where they are rank_uncertain, the finding says the order is not certain within the
published precision.
"""

from __future__ import annotations

from mtm_pipeline.report.document import Bullets
from mtm_pipeline.report.facts import ANY, SET
from mtm_pipeline.report.figures_data import Leaders, is_remainder, leaders, order_certain, within_quarter
from mtm_pipeline.report.format import capitalise, country_phrase, in_period, join_words, period_phrase
from mtm_pipeline.report.narrative import ORDER_NOT_CERTAIN, group_short, more_fewer, order_caveat, words
from mtm_pipeline.report.sections.context import EMIGRANTS, FLOW, PRP, REMITTANCES, TRP_HOLDERS, WORKERS

COUNT_WORDS = {1: "top country", 2: "top two countries", 3: "top three countries"}


def key_findings(ctx) -> None:
    """Section II: the numbered key findings, one per topic that has figures."""
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
    """Arrivals and departures against the previous period, and where most arrivals came from."""
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
    return text + _most_arrivals(vin)


def _most_arrivals(vin) -> str:
    """' Most incoming migrants come from ...': a published ranking, else the two first ranked countries of
    the first group."""
    ranked = [r for r in vin.rankings if r.group is None and r.dimension == "country_iso3"]
    if ranked:
        names = [country_phrase(f.country_name) for f in ranked[0].facts]
        return f" Most incoming migrants come from {join_words(names)}."
    first = next(iter(vin.countries.items()), None)
    if not first:
        return ""
    group, facts = first
    top = leaders(facts, 2)
    if not top.facts:
        return ""
    names = [country_phrase(f.country_name) for f in top.facts]
    among = f"Among {group_short(group)}, most" if group else "Most"
    return f" {among} arrivals came from {join_words(names)}{order_caveat(top.certain_order)}."


def kf_non_cis(ctx) -> str | None:
    """The top three non-CIS countries of origin of arrivals, as ranked (published or derived)."""
    vin = ctx.views[(FLOW, "in")]
    ranked = [r for r in vin.rankings if r.group == "non-CIS" and r.dimension == "country_iso3"]
    if ranked:
        facts = [f for f in ranked[0].facts if not is_remainder(f)][:3]
        top = Leaders(tuple(facts), True, True)  # a published ranking: its order is the source's
    else:
        top = leaders(vin.countries.get("non-CIS", ()), 3)
    if not top.facts:
        return None
    names = capitalise(join_words([country_phrase(f.country_name) for f in top.facts]))
    when = in_period(vin.period)
    if not top.certain_set:
        return (
            f"{names} are the countries of origin with the most arrivals among non-CIS countries {when}; "
            "which "
            f"of them are the top three, and their order, is not certain within the published precision."
        )
    count = COUNT_WORDS[len(top.facts)]
    caveat = "" if top.certain_order else f"; {ORDER_NOT_CERTAIN}"
    return f"{names} are the {count} of origin among non-CIS countries {when}{caveat}."


def kf_trp(ctx) -> str | None:
    """Holders of temporary residence permits, by purpose, against the previous period."""
    v = ctx.views[(TRP_HOLDERS, None)]
    if v.headline is None or v.headline.value is None:
        return None
    prev = next((c for c in v.comparisons if c.kind == "previous" and c.direction), None)
    text = (
        f"{capitalise(in_period(v.period))}, {ctx.w.value(v.headline)} migrants held temporary "
        "residence permits"
    )
    labour = v.subsets.get("purpose", ())
    if labour:
        text += (
            " (" + join_words([f"{ctx.w.value(f)} of them for {f.purpose} purposes" for f in labour]) + ")"
        )
    if prev:
        text += f", {more_fewer(prev.direction)} than {in_period(prev.base_period)}"
    return text + "."


def kf_prp(ctx) -> str | None:
    """Permanent residence permits against earlier periods, and the nationals who obtained the most."""
    v = ctx.views[(PRP, None)]
    if not v.period:
        return None
    ups = [c for c in v.comparisons if c.direction]
    if v.headline is not None and v.headline.value is not None:
        text = (
            f"{capitalise(in_period(v.period))}, {ctx.w.value(v.headline)} migrants obtained permanent "
            "residence permits"
        )
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
    return text + _most_permits(ctx, v)


def _most_permits(ctx, v) -> str:
    """' Nationals of A, B and C obtained the most permits.': the three first countries of all groups, by
    all_countries_rank where the countries were delivered within their groups, else by their rank in the
    breakdown of the total by country."""
    ranking = "all_countries_rank"
    found = ctx.store.query(PRP, v.period, country_iso3=SET, country_group=ANY)
    across = [f for f in found if ranking in f.ranks]
    if across:
        top = leaders(across, 3, ranking)
    else:
        top = leaders([f for f in found if f.country_group is None], 3)
    if not top.facts:
        return ""
    ctx.used.extend(top.facts)
    names = join_words([country_phrase(f.country_name) for f in top.facts])
    if not top.certain_set:
        return (
            f" Nationals of {names} obtained the most permits; which three obtained the most, and their "
            "order, is not certain within the published precision."
        )
    return f" Nationals of {names} obtained the most permits{order_caveat(top.certain_order)}."


def kf_labour(ctx) -> str | None:
    """Foreign workers with permits, and the sectors where most of them work, in rank order."""
    v = ctx.views[(WORKERS, None)]
    sectors = list(v.breakdowns.get("sector", ()))
    if not sectors:
        ranked = [r for r in v.rankings if r.dimension == "sector"]
        sectors = list(ranked[0].facts) if ranked else []
    if not sectors and v.headline is None:
        return None
    text = ""
    if v.headline is not None and v.headline.value is not None:
        text = (
            f"{capitalise(in_period(v.period))}, {ctx.w.value(v.headline)} foreign workers held work "
            "permits in Kazakhstan. "
        )
    sectors = [f for f in sectors if not is_remainder(f)]
    if sectors:
        names = [f.sector.lower() for f in sectors]
        caveat = order_caveat(order_certain(sectors))
        text += f"The highest concentration of migrant workers can be found in {join_words(names)}{caveat}."
    return text.strip()


def kf_emigration(ctx) -> str | None:
    """Where most emigrating Kazakh citizens went, in rank order."""
    v = ctx.views[(EMIGRANTS, None)]
    facts = list(v.countries.get(None, ()))
    when = in_period(v.period) if v.period else ""
    if not facts:
        ranked = [r for r in v.rankings if r.dimension == "country_iso3"]
        facts = list(ranked[0].facts) if ranked else []
    if not facts:
        return None
    names = [country_phrase(f.country_name) for f in facts]
    caveat = order_caveat(order_certain(facts))
    return (
        f"Most Kazakh citizens emigrating for permanent residence {when} went to {join_words(names)}{caveat}."
    )


def kf_remittances(ctx) -> str | None:
    """Remittance outflows and inflows against the previous period."""
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
                f"{flow} {verb} by {ctx.w.change_abs(prev.computed)} per cent (computed) to "
                f"{ctx.w.money(v.headline)}"
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
