"""Rules on one figure against the total it belongs to: a stated share agrees with the ratio of the
values (share_matches_ratio), a part or purpose subset never exceeds its total (subset_within_total), and
the four quarters add up to the year (quarters_agree_with_year)."""

from __future__ import annotations

import math

from mtm_pipeline.checks import findings as fmt
from mtm_pipeline.checks.rules.context import Context
from mtm_pipeline.checks.rules.observations import Obs
from mtm_pipeline.checks.rules.wording import (
    Emit,
    amount,
    finest,
    pct,
    rows_with,
    share_text,
    tolerance_amount,
)
from mtm_pipeline.intervals import Interval, at_most, interval_sum, ratio_percent


def share_matches_ratio(ctx: Context, emit: Emit) -> None:
    """A stated share agrees with the row's value over its total's value."""
    for o in ctx.obs:
        if o.share is None or o.part_of is None or (o.source, o.part_of) not in ctx.by_id:
            continue
        total = ctx.by_id[(o.source, o.part_of)]
        part_value, total_value = ctx.value_of(o), ctx.value_of(total)
        if part_value is None or total_value is None or total_value[0].low <= 0:
            continue
        pv, tv = part_value[0], total_value[0]
        ratio = ratio_percent(pv, tv)
        passed = o.share.intersects(ratio)
        implied = o.share * tv / 100.0
        unit = o.unit or total.unit
        pv_txt, tv_txt = (
            amount(pv, unit, part_value[1].value_precision),
            amount(tv, unit, total.value_precision),
        )
        share_txt = share_text(o)
        rows = rows_with([o, total], [part_value[1], total_value[1]])
        tol = f"share {fmt.plus_minus(o.share.half_width)}; ratio {fmt.plus_minus(ratio.half_width, 2)}"
        is_count = not part_value[1].value_precision and unit not in ("USD", "percent")
        if is_count:  # whole numbers only
            low, high = math.ceil(implied.low - 1e-9), math.floor(implied.high + 1e-9)
            implied_txt = (
                amount(Interval(low, high), unit, 0)
                if low <= high
                else f"no whole number in {amount(implied, unit, 0.01)}"
            )
        else:
            implied_txt = amount(implied, unit, part_value[1].value_precision)
        message = (
            f"{o.obs_id} is {share_txt} per cent of {o.part_of} and "
            f"{pv_txt} / {tv_txt} = {pct(ratio)} per cent: "
            "they agree within rounding."
            if passed
            else f"{o.obs_id} is published as {share_txt} per cent of {o.part_of} = {tv_txt}, but its value "
            f"{pv_txt} is {pct(ratio)} per cent of it; "
            f"at {share_txt} per cent the value would be {implied_txt}."
        )
        emit(
            rows,
            passed,
            f"{o.obs_id}: {share_txt}% of {o.part_of} vs {pv_txt} / {tv_txt}",
            f"{pct(ratio)} per cent ({pv_txt} / {tv_txt})",
            f"{share_txt} per cent (implies a value of {implied_txt})",
            tol,
            message,
        )


def subset_within_total(ctx: Context, emit: Emit) -> None:
    """A part, or a purpose subset, never exceeds its total."""

    def check(part: Obs, total: Obs, how: str) -> None:
        pv, tv = ctx.value_of(part), ctx.value_of(total)
        if pv is None or tv is None:
            return
        unit = part.unit or total.unit
        p_txt, t_txt = (
            amount(pv[0], unit, pv[1].value_precision),
            amount(tv[0], unit, tv[1].value_precision),
        )
        passed = at_most(pv[0], tv[0])
        message = f"{part.obs_id} = {p_txt} is {how} {total.obs_id} = {t_txt} and " + (
            "does not exceed it." if passed else "exceeds it even at the extremes of rounding."
        )
        emit(
            rows_with([part, total], [pv[1], tv[1]]),
            passed,
            f"{part.obs_id} = {p_txt} <= {total.obs_id} = {t_txt}",
            f"<= {t_txt}",
            p_txt,
            tolerance_amount(pv[0].half_width + tv[0].half_width, unit),
            message,
        )

    linked: set[tuple[str, str]] = set()
    for o in ctx.obs:
        if o.part_of is not None and (o.source, o.part_of) in ctx.by_id:
            total = ctx.by_id[(o.source, o.part_of)]
            linked.add((o.obs_id, total.obs_id))
            check(o, total, "a part of")
    # purpose subsets not linked by part_of: same source, measure, period and other dimensions
    by_key: dict[tuple, list[Obs]] = {}
    for o in ctx.obs:
        if o.value is not None:
            by_key.setdefault((o.source, o.period, *o.key[:4], *o.key[5:]), []).append(o)
    for rows in by_key.values():
        alls = [r for r in rows if r.purpose is None]
        for subset in (r for r in rows if r.purpose is not None):
            for total in alls:
                if (subset.obs_id, total.obs_id) not in linked:
                    check(subset, total, f"the {subset.purpose}-purpose subset of")


def quarters_agree_with_year(ctx: Context, emit: Emit) -> None:
    """The four quarters of a measure add up to its year."""
    years = {
        (o.key, o.period) for o in [*ctx.obs, *ctx.hist] if o.value is not None and o.period_kind == "year"
    }
    for key, year in sorted(years, key=str):
        year_row = ctx.value_row(key, year)
        quarters = [ctx.value_row(key, f"{year}-Q{q}") for q in range(1, 5)]
        if year_row is None or any(q is None for q in quarters):
            continue
        rows = [*quarters, year_row]
        if all(r.from_history for r in rows):
            continue  # nothing of this delivery involved
        s = interval_sum(q.value for q in quarters)
        y = year_row.value
        unit = year_row.unit
        prec = finest([r.value_precision for r in rows])
        s_txt, y_txt = amount(s, unit, prec), amount(y, unit, year_row.value_precision)
        passed = s.intersects(y)
        tol = tolerance_amount(s.half_width + y.half_width, unit)
        message = f"The four quarters of {year_row.obs_id} sum to {s_txt}, " + (
            f"which agrees with the year {y_txt} within rounding."
            if passed
            else f"but the year is {y_txt}: no values within the published precisions reconcile them."
        )
        emit(
            rows,
            passed,
            f"{year_row.obs_id} = {y_txt} vs sum of quarters {', '.join(q.obs_id for q in quarters)}",
            y_txt,
            f"{s_txt} (sum of 4 quarters)",
            tol,
            message,
        )
