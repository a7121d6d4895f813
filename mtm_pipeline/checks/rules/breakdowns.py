"""Rules on breakdowns: the parts of a total add up to it (parts_sum_to_total), their shares add up to 100
(shares_sum_to_100), and the CIS and non-CIS groups add up to their total (group_totals_add_up)."""

from __future__ import annotations

from mtm_pipeline.checks import findings as fmt
from mtm_pipeline.checks.rules.context import Context, is_group_breakdown
from mtm_pipeline.checks.rules.wording import (
    Emit,
    amount,
    dims_label,
    finest,
    rows_with,
    share_text,
    tolerance_amount,
)
from mtm_pipeline.intervals import Interval, at_most, interval_sum


def parts_sum_to_total(ctx: Context, emit: Emit) -> None:
    """The parts of each breakdown add up to their total (complete) or stay within it."""
    for (source, part_of, dims), parts in ctx.breakdowns.items():
        if is_group_breakdown(dims, parts):
            continue
        complete = all(p.parts_complete is True for p in parts)
        if not complete and len(parts) == 1:
            continue  # one listed part of an incomplete breakdown: subset_within_total
        total = ctx.by_id[(source, part_of)]
        total_value = ctx.value_of(total)
        part_values = [ctx.value_of(p) for p in parts]
        if total_value is None or any(v is None for v in part_values):
            continue
        t, s = total_value[0], interval_sum(v[0] for v in part_values)
        unit = total.unit or parts[0].unit
        precision = finest([total.value_precision, *[p.value_precision for p in parts]])
        rows = rows_with([total, *parts], [total_value[1], *[v[1] for v in part_values]])
        t_txt, s_txt = amount(t, unit, total.value_precision), amount(s, unit, precision)
        tol = tolerance_amount(t.half_width + s.half_width, unit)
        what = f"{len(parts)} parts by {dims_label(dims)}"
        subject = f"{part_of} = {t_txt} vs sum of {what}"
        if complete:
            passed = s.intersects(t)
            gap = amount(Interval.point(s.distance(t)), unit, precision)
            message = (
                (
                    f"The {what} of {part_of} sum to {s_txt}, which agrees with the total {t_txt} "
                    "within rounding."
                )
                if passed
                else f"The {what} of {part_of} (a complete breakdown) sum to {s_txt} but the total is "
                f"{t_txt}: a gap of {gap} that the published precisions ({tol}) cannot explain."
            )
            emit(rows, passed, subject, t_txt, f"{s_txt} (sum of {what})", tol, message)
        else:
            passed = at_most(s, t)
            message = (
                f"The {what} listed for {part_of} (not a complete breakdown) sum to {s_txt}, "
                + ("not more than the total " if passed else "more than the total ")
                + f"{t_txt}."
            )
            expected = f"<= {t_txt}"
            emit(rows, passed, subject, expected, f"{s_txt} (sum of {what})", tol, message)


def shares_sum_to_100(ctx: Context, emit: Emit) -> None:
    """The shares of each breakdown add up to 100 (complete) or at most 100."""
    for (_source, part_of, dims), parts in ctx.breakdowns.items():
        if is_group_breakdown(dims, parts):
            continue
        shared = [p for p in parts if p.share is not None]
        if not shared:
            continue
        complete = all(p.parts_complete is True for p in parts) and len(shared) == len(parts)
        s = interval_sum(p.share for p in shared)
        decimals = max(fmt.decimals_for(p.share_precision) for p in shared)
        s_txt = f"{fmt.number(s.mid, decimals)} ({fmt.plus_minus(s.half_width)})"
        tol = fmt.plus_minus(s.half_width)
        what = f"{len(shared)} shares by {dims_label(dims)} of {part_of}"
        subject = f"{what} sum to {fmt.number(s.mid, decimals)} per cent"
        if complete:
            passed = s.contains(100.0)
            message = f"The {what} (a complete breakdown) sum to {s_txt} per cent, " + (
                "which contains 100 within rounding." if passed else "which cannot be 100 within rounding."
            )
            emit(shared, passed, subject, "100", s_txt, tol, message)
        else:
            passed = s.low <= 100.0 + 1e-9
            message = f"The {what} (not a complete breakdown) sum to {s_txt} per cent, " + (
                "at most 100." if passed else "more than 100 even at the lowest values within rounding."
            )
            emit(shared, passed, subject, "<= 100", s_txt, tol, message)


def group_totals_add_up(ctx: Context, emit: Emit) -> None:
    """CIS + non-CIS equals their total, in values and in shares."""
    for (source, part_of, dims), parts in ctx.breakdowns.items():
        if not is_group_breakdown(dims, parts):
            continue
        total = ctx.by_id[(source, part_of)]
        cis = [p for p in parts if p.country_group == "CIS"]
        non = [p for p in parts if p.country_group == "non-CIS"]
        groups = f"CIS {', '.join(p.obs_id for p in cis)} + non-CIS {', '.join(p.obs_id for p in non)}"
        _group_values_add_up(ctx, emit, total, parts, groups)
        if all(p.share is not None for p in parts):
            _group_shares_add_up(emit, total, parts, groups)


def _group_values_add_up(ctx: Context, emit: Emit, total, parts: list, groups: str) -> None:
    """The CIS and non-CIS values against their total (at most the total when the parts are incomplete)."""
    total_value = ctx.value_of(total)
    values = [ctx.value_of(p) for p in parts]
    if total_value is None or any(v is None for v in values):
        return
    complete = all(p.parts_complete is True for p in parts)
    t = total_value[0]
    c = interval_sum(v[0] for p, v in zip(parts, values, strict=True) if p.country_group == "CIS")
    n = interval_sum(v[0] for p, v in zip(parts, values, strict=True) if p.country_group == "non-CIS")
    s = c + n
    unit = total.unit or parts[0].unit
    prec = finest([total.value_precision, *[p.value_precision for p in parts]])
    t_txt, c_txt, n_txt, s_txt = (amount(x, unit, prec) for x in (t, c, n, s))
    tol = tolerance_amount(t.half_width + s.half_width, unit)
    passed = s.intersects(t) if complete else at_most(s, t)
    if passed:
        message = f"CIS {c_txt} + non-CIS {n_txt} = {s_txt} agrees with the total {t_txt} within rounding."
    else:
        message = (
            f"CIS {c_txt} + non-CIS {n_txt} = {s_txt}, not the total {t_txt}: with the total and CIS as "
            f"published non-CIS would be {amount(t - c, unit, prec)}, with the total and non-CIS as "
            f"published CIS would be {amount(t - n, unit, prec)}."
        )
    rows = rows_with([total, *parts], [total_value[1], *[v[1] for v in values]])
    emit(
        rows,
        passed,
        f"{total.obs_id} = {t_txt} vs {groups} = {c_txt} + {n_txt}",
        t_txt if complete else f"<= {t_txt}",
        f"{s_txt} (CIS {c_txt} + non-CIS {n_txt})",
        tol,
        message,
    )


def _group_shares_add_up(emit: Emit, total, parts: list, groups: str) -> None:
    """The CIS and non-CIS shares of their total sum to 100 (at most 100 when the parts are incomplete)."""
    complete = all(p.parts_complete is True for p in parts)
    s = interval_sum(p.share for p in parts)
    decimals = max(fmt.decimals_for(p.share_precision) for p in parts)
    c_txt = " + ".join(share_text(p) for p in parts if p.country_group == "CIS")
    n_txt = " + ".join(share_text(p) for p in parts if p.country_group == "non-CIS")
    s_txt = f"{fmt.number(s.mid, decimals)} ({fmt.plus_minus(s.half_width)})"
    passed = s.contains(100.0) if complete else s.low <= 100.0 + 1e-9
    message = f"CIS {c_txt} + non-CIS {n_txt} per cent of {total.obs_id} = {s_txt} per cent, " + (
        "which is 100 within rounding." if passed else "which cannot be 100 within rounding."
    )
    emit(
        [total, *parts],
        passed,
        f"shares of {groups} in {total.obs_id} = {c_txt} + {n_txt} per cent",
        "100" if complete else "<= 100",
        s_txt,
        fmt.plus_minus(s.half_width),
        message,
    )
