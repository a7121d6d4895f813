"""Rules on changes between periods: a stated change agrees with the values it compares
(stated_change_matches), and a quarterly total does not move implausibly far (plausible_change)."""

from __future__ import annotations

from mtm_pipeline.checks import findings as fmt
from mtm_pipeline.checks.rules.context import Context
from mtm_pipeline.checks.rules.observations import Obs
from mtm_pipeline.checks.rules.wording import Emit, amount, finest, pct, rows_with, tolerance_amount
from mtm_pipeline.intervals import Interval, percent_change
from mtm_pipeline.periods import previous_quarter, same_quarter_last_year

# Default threshold of plausible_change: a quarterly total moving by more than this (per cent) is flagged.
PLAUSIBLE_CHANGE_THRESHOLD_PERCENT = 50.0


def describe_change(o: Obs) -> str:
    """A stated change as written, in its unit."""
    decimals = fmt.decimals_for(o.change_precision)
    if o.change_unit == "percent":
        return f"{fmt.number(o.change, decimals, signed=True)} per cent"
    if o.change_unit == "times":
        return f"{fmt.number(o.change, decimals, signed=True)} times"
    if o.change_unit == "absolute":
        return amount(Interval.point(o.change), o.unit, o.change_precision, signed=True)
    return "up (+1)" if o.change > 0 else "down (-1)" if o.change < 0 else "unchanged (0)"


def _computed_change(o: Obs, v: Interval, b: Interval, precision: int | None) -> tuple | None:
    """(computed change, whether the stated one agrees, the expected text) for a stated change in its unit,
    from the value v and the base value b; None when it cannot be compared (a zero or negative base)."""
    stated = Interval.around(o.change, o.change_precision)
    if o.change_unit == "percent":
        if b.low <= 0:
            return None
        computed = percent_change(v, b)
        return computed, stated.intersects(computed), f"{pct(computed, signed=True)} per cent"
    if o.change_unit == "times":
        if o.change == 0 or v.low <= 0 or b.low <= 0:
            return None
        computed = b / v if o.change < 0 else v / b
        passed = Interval.around(abs(o.change), o.change_precision).intersects(computed)
        ratio = "base / value" if o.change < 0 else "value / base"
        return computed, passed, f"{ratio} = {fmt.interval(computed, 2)} times"
    if o.change_unit == "absolute":
        computed = v - b
        return computed, stated.intersects(computed), amount(computed, o.unit, precision, signed=True)
    if o.change_unit == "direction":
        computed = v - b
        passed = (
            computed.high > 0 if o.change > 0 else computed.low < 0 if o.change < 0 else computed.contains(0)
        )
        expected = "up (+1)" if computed.low > 0 else "down (-1)" if computed.high < 0 else "either way"
        return computed, passed, expected
    return None


def _change_tolerance(o: Obs, computed: Interval, base_unit: str | None) -> str:
    """The tolerance of the comparison: the stated change's rounding (not for a direction) and the
    computed change's."""
    if o.change_unit in ("absolute", "direction"):
        tol = f"computed {tolerance_amount(computed.half_width, o.unit or base_unit)}"
    else:
        tol = f"computed {fmt.plus_minus(computed.half_width, 2)}"
    if o.change_unit == "direction":
        return tol
    half = Interval.around(o.change, o.change_precision).half_width
    stated = tolerance_amount(half, o.unit) if o.change_unit == "absolute" else fmt.plus_minus(half)
    return f"stated {stated}; {tol}"


def stated_change_matches(ctx: Context, emit: Emit) -> None:
    """A stated change agrees with the values of its period and its base period."""
    for o in ctx.obs:
        if o.change is None or o.change_unit is None or o.change_base_period is None:
            continue
        current = ctx.value_of(o, history=True)
        base = ctx.value_row(o.key, o.change_base_period)
        if current is None or base is None:
            continue
        v, b = current[0], base.value
        precision = finest([current[1].value_precision, base.value_precision])
        outcome = _computed_change(o, v, b, precision)
        if outcome is None:
            continue
        computed, passed, expected = outcome
        stated_txt = describe_change(o)
        v_txt = amount(v, o.unit or current[1].unit, current[1].value_precision)
        b_txt = amount(b, base.unit, base.value_precision)
        subject = f"{o.obs_id}: {o.period} vs {o.change_base_period} stated {stated_txt}"
        basis = f"{v_txt} ({o.period}) against {b_txt} ({o.change_base_period})"
        message = (
            f"{o.obs_id} states {stated_txt}; {basis} gives {expected}, which agrees within rounding."
            if passed
            else f"{o.obs_id} states {stated_txt}, but {basis} gives {expected}: no values within the "
            "published precisions reconcile them."
        )
        tol = _change_tolerance(o, computed, base.unit)
        emit(rows_with([o, base], [current[1]]), passed, subject, expected, stated_txt, tol, message)


def plausible_change(ctx: Context, emit: Emit, threshold: float = PLAUSIBLE_CHANGE_THRESHOLD_PERCENT) -> None:
    """A quarterly total does not move by more than `threshold` per cent against its comparison quarters."""
    for o in ctx.obs:
        if o.period_kind != "quarter" or o.country_key is not None or o.value is None:
            continue
        for base_period, how in (
            (previous_quarter(o.period), "quarter-on-quarter"),
            (same_quarter_last_year(o.period), "year-on-year"),
        ):
            base = ctx.value_row(o.key, base_period)
            if base is None or base.value.low <= 0:
                continue
            change = percent_change(o.value, base.value)
            passed = not (change.low > threshold or change.high < -threshold)
            v_txt, b_txt = (
                amount(o.value, o.unit, o.value_precision),
                amount(base.value, base.unit, base.value_precision),
            )
            message = (
                f"{o.obs_id} = {v_txt} against {b_txt} in {base_period} is a {how} change of "
                f"{pct(change, signed=True)} "
                + (
                    f"per cent, within +/- {threshold:g} per cent."
                    if passed
                    else (
                        f"per cent, beyond +/- {threshold:g} per cent: confirm it with the agency before "
                        "publishing."
                    )
                )
            )
            emit(
                [o, base],
                passed,
                f"{o.obs_id}: {how} change {o.period} vs {base_period}",
                f"within +/- {threshold:g} per cent",
                f"{pct(change, signed=True)} per cent ({v_txt} vs {b_txt})",
                f"computed {fmt.plus_minus(change.half_width, 2)}",
                message,
            )
