"""Consistency rules over the long-format observations of one delivery quarter (pure functions, no Dagster).

Every rule is written once over the frame (the columns of published.observations) and applied wherever
its pattern occurs; no rule names a country, a figure, an observation or a quarter.

Precision: a published figure stands for an interval (value +/- precision/2, see checks/intervals.py).
A rule fails only when no values inside the intervals of all the figures involved satisfy it, so figures
that agree within rounding ("34%" for 4,326 of 12,882) always pass.

Where a figure is looked up (a total, a comparison base, the value behind a change-only or rank-only
row), rows are matched on the natural key: measure, period, direction, country (as ISO3, so spellings
such as 'Türkiye' and 'Republic of Türkiye' match), the country group when no country is given,
purpose, category, sector, education and age group. The delivery's own rows come first; then `history`
(rows of other delivery quarters), the newest delivery quarter winning.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from mtm_pipeline.checks import findings as fmt
from mtm_pipeline.checks.findings import SEVERITIES, Finding
from mtm_pipeline.checks.intervals import Interval, at_most, interval_sum, percent_change, ratio_percent
from mtm_pipeline.periods import PeriodError, parse_period, previous_quarter, same_quarter_last_year

# Default threshold of plausible_change: a quarterly total moving by more than this (per cent) is flagged.
PLAUSIBLE_CHANGE_THRESHOLD_PERCENT = 50.0


@dataclass(frozen=True)
class RuleSpec:
    name: str
    description: str
    default_severity: str  # 'WARN' for inconsistencies between published figures


RULES: dict[str, RuleSpec] = {
    spec.name: spec
    for spec in (
        RuleSpec(
            "parts_sum_to_total",
            "Rows with the same part_of that differ from it in the same dimension (a breakdown) add up to "
            "the total: for a complete breakdown (parts_complete=yes) the sum of the parts' value intervals "
            "meets the total's interval; for an incomplete one the sum's lower bound does not exceed the "
            "total's upper bound. Needs a value on the total and on every part (breakdowns with a share-only "
            "part are skipped). CIS + non-CIS breakdowns are checked by group_totals_add_up, and a single "
            "listed part of an incomplete breakdown by subset_within_total.",
            "WARN",
        ),
        RuleSpec(
            "shares_sum_to_100",
            "The shares of a breakdown add up to 100 per cent: the sum of the share intervals contains 100 "
            "when the breakdown is complete and every part has a share; otherwise its lower bound is at most "
            "100. CIS + non-CIS shares are checked by group_totals_add_up.",
            "WARN",
        ),
        RuleSpec(
            "share_matches_ratio",
            "A stated share agrees with the row's value divided by the value of its part_of total: the share "
            "interval meets [part low / total high, part high / total low] x 100.",
            "WARN",
        ),
        RuleSpec(
            "stated_change_matches",
            "A stated change agrees with the values it compares: percent (value / base - 1) x 100; times "
            "-N means base / value = N and +N means value / base = N; absolute value - base; direction the "
            "sign of value - base. The base is the row with the same natural key at change_base_period (this "
            "delivery first, then history); the value of a change-only row is taken from the row of the same "
            "natural key that has one. Evaluated only when both values exist.",
            "WARN",
        ),
        RuleSpec(
            "group_totals_add_up",
            "Where CIS and non-CIS rows (country group set, no country) are parts of the same total, CIS + "
            "non-CIS equals the total (values, interval-aware) and their shares add up to 100. This is the "
            "country-group case of parts_sum_to_total and shares_sum_to_100, reported here once with the "
            "figure each group would need.",
            "WARN",
        ),
        RuleSpec(
            "subset_within_total",
            "A part never exceeds the total it is part of (lower bound of the part <= upper bound of the "
            "total), in every breakdown; likewise a purpose subset (e.g. labour) never exceeds the all-purpose "
            "figure of the same source, measure, period and dimensions.",
            "WARN",
        ),
        RuleSpec(
            "quarters_agree_with_year",
            "Where the four quarters and the year of the same measure and dimensions are published (this "
            "delivery and history), the quarters' intervals add up to the year's interval.",
            "WARN",
        ),
        RuleSpec(
            "country_group_matches_reference",
            "A delivered country group (CIS / non-CIS) agrees with the dated CIS membership of the reference "
            "data at the end of the row's period (associates count as non-CIS).",
            "WARN",
        ),
        RuleSpec(
            "rank_matches_values",
            "Stated ranks within a group (same measure, period and dimensions, ranked over one dimension) "
            "agree with the values of the ranked rows, where every ranked row has a value for that period "
            "(this delivery or history): a better rank never has a value certainly below a worse one's.",
            "WARN",
        ),
        RuleSpec(
            "plausible_change",
            "Quarter-on-quarter and year-on-year change of a quarterly total (no country) against the "
            f"comparison quarters in this delivery or history stays within +/- "
            f"{PLAUSIBLE_CHANGE_THRESHOLD_PERCENT:g} per cent (every value in the intervals beyond it: flagged). "
            "Always WARN: a large change can be real.",
            "WARN",
        ),
    )
}

_WARN_ONLY = frozenset({"plausible_change"})


# --- normalised observations -----------------------------------------------------------------------------

_TEXT_DIMS = ("direction", "country_group", "purpose", "category", "sector", "education", "age_group")


def _clean(x: Any) -> Any:
    if x is None or x is pd.NA or x is pd.NaT:
        return None
    if isinstance(x, float) and math.isnan(x):
        return None
    if isinstance(x, str) and not x.strip():
        return None
    return x


def _text(x: Any) -> str | None:
    x = _clean(x)
    return None if x is None else str(x)


def _float(x: Any) -> float | None:
    x = _clean(x)
    return None if x is None else float(x)


def _bool(x: Any) -> bool | None:
    x = _clean(x)
    if x is None:
        return None
    if isinstance(x, str):
        return {"yes": True, "true": True, "no": False, "false": False}.get(x.strip().lower())
    return bool(x)


@dataclass(frozen=True)
class Obs:
    """One observation row, normalised: empty cells are None, numbers are intervals."""

    source: str
    obs_id: str
    delivery_quarter: str | None
    measure: str
    period: str
    period_kind: str | None
    period_end: Any
    country: str | None
    country_key: str | None  # ISO3 where conformed, else the delivered name
    country_name: str | None
    cis_member: bool | None
    direction: str | None
    country_group: str | None
    purpose: str | None
    category: str | None
    sector: str | None
    education: str | None
    age_group: str | None
    unit: str | None
    value: Interval | None
    value_precision: float | None
    share: Interval | None
    share_precision: float | None
    change: float | None
    change_precision: float | None
    change_unit: str | None
    change_base_period: str | None
    part_of: str | None
    parts_complete: bool | None
    rank: int | None
    from_history: bool

    @property
    def key(self) -> tuple:
        """Natural key without the period."""
        group = self.country_group if self.country_key is None else None
        return (
            self.measure, self.direction, self.country_key, group, self.purpose, self.category,
            self.sector, self.education, self.age_group,
        )  # fmt: skip

    @property
    def label(self) -> str:
        for item in (self.country_name or self.country, self.sector, self.category, self.education):
            if item:
                return str(item)
        return self.country_group or self.purpose or self.obs_id

    def dim(self, name: str) -> Any:
        return self.country_key if name == "country" else getattr(self, name)


def _obs_from_record(r: Mapping[str, Any], from_history: bool) -> Obs:
    period = str(r["period"])
    kind = _text(r.get("period_kind"))
    end = _clean(r.get("period_end"))
    if kind is None or end is None:
        try:
            parsed = parse_period(period)
            kind, end = kind or parsed.kind, end if end is not None else parsed.end
        except PeriodError:
            pass
    country = _text(r.get("country"))
    iso3 = _text(r.get("country_iso3"))
    value, vprec = _float(r.get("value")), _float(r.get("value_precision"))
    unit = _text(r.get("unit"))
    if vprec is not None and vprec <= 1 and unit != "percent":
        vprec = 0.0  # written in full units: a count such as 2,975,788 is exact
    share, sprec = _float(r.get("share")), _float(r.get("share_precision"))
    rank = _clean(r.get("rank"))
    return Obs(
        source=str(r.get("source") or ""),
        obs_id=str(r["obs_id"]),
        delivery_quarter=_text(r.get("delivery_quarter")),
        measure=str(r["measure"]),
        period=period,
        period_kind=kind,
        period_end=end,
        country=country,
        country_key=iso3 or country,
        country_name=_text(r.get("country_name")) or country,
        cis_member=_bool(r.get("cis_member")),
        **{d: _text(r.get(d)) for d in _TEXT_DIMS},
        unit=unit,
        value=None if value is None else Interval.around(value, vprec),
        value_precision=vprec,
        share=None if share is None else Interval.around(share, sprec),
        share_precision=sprec,
        change=_float(r.get("change")),
        change_precision=_change_precision(
            _float(r.get("change_precision")), _text(r.get("change_unit")), unit
        ),
        change_unit=_text(r.get("change_unit")),
        change_base_period=_text(r.get("change_base_period")),
        part_of=_text(r.get("part_of")),
        parts_complete=_bool(r.get("parts_complete")),
        rank=None if rank is None else int(rank),
        from_history=from_history,
    )


def _change_precision(precision: float | None, change_unit: str | None, unit: str | None) -> float | None:
    """An absolute change written in full units of a count is exact, like the count."""
    if change_unit == "absolute" and precision is not None and precision <= 1 and unit != "percent":
        return 0.0
    return precision


def _records(frame: pd.DataFrame | Sequence[Mapping[str, Any]] | None) -> list[dict]:
    if frame is None:
        return []
    if not isinstance(frame, pd.DataFrame):
        return list(frame)  # already records (e.g. a stage's rows with a suggested edit applied)
    return [] if frame.empty else frame.reset_index(drop=True).astype(object).to_dict("records")


def prepare_rows(rows: pd.DataFrame | Sequence[Mapping[str, Any]]) -> list[Obs]:
    """A stage's rows normalised once; `evaluate_rules` takes them mixed with records (e.g. edited copies)."""
    return [_obs_from_record(r, False) for r in _records(rows)]


def prepare_history(history: pd.DataFrame | None) -> list[Obs]:
    """History rows normalised once, for a caller that checks many quarters against the same history.
    Where the frame holds both stages of a quarter, the corrected one is used."""
    records = _records(history)
    corrected = {_text(r.get("delivery_quarter")) for r in records if _text(r.get("stage")) == "corrected"}
    return [
        _obs_from_record(r, True)
        for r in records
        if _text(r.get("stage")) in (None, "corrected") or _text(r.get("delivery_quarter")) not in corrected
    ]


class _Context:
    """The delivery's rows and the history, with the look-ups the rules share."""

    def __init__(self, observations: pd.DataFrame, history: pd.DataFrame | Sequence[Obs] | None) -> None:
        self.obs = [r if isinstance(r, Obs) else _obs_from_record(r, False) for r in _records(observations)]
        own_quarters = {o.delivery_quarter for o in self.obs}
        prepared = history if isinstance(history, Sequence) else prepare_history(history)
        self.hist = sorted(
            (o for o in prepared if o.delivery_quarter not in own_quarters),
            key=lambda o: o.delivery_quarter or "",
            reverse=True,
        )
        self.by_id: dict[tuple[str, str], Obs] = {(o.source, o.obs_id): o for o in self.obs}
        self._values: dict[tuple, Obs] = {}
        for o in [*self.obs, *self.hist]:  # the delivery first, then history newest first
            if o.value is not None:
                self._values.setdefault((o.key, o.period), o)
        self.breakdowns = self._breakdowns()

    def value_row(self, key: tuple, period: str, *, history: bool = True) -> Obs | None:
        row = self._values.get((key, period))
        if row is not None and row.from_history and not history:
            return None
        return row

    def value_of(self, o: Obs, *, history: bool = False) -> tuple[Interval, Obs] | None:
        """The row's value, else the value of a row with the same natural key and period."""
        if o.value is not None:
            return o.value, o
        row = self.value_row(o.key, o.period, history=history)
        return None if row is None else (row.value, row)

    def _breakdowns(self) -> dict[tuple, list[Obs]]:
        groups: dict[tuple, list[Obs]] = {}
        for o in self.obs:
            if o.part_of is None:
                continue
            total = self.by_id.get((o.source, o.part_of))
            if total is None:
                continue
            groups.setdefault((o.source, o.part_of, _breakdown_dims(o, total)), []).append(o)
        return groups


def _breakdown_dims(part: Obs, total: Obs) -> tuple[str, ...]:
    """The dimension(s) in which a part differs from its total (a country implies its group)."""
    if part.country_key != total.country_key:
        return ("country",)
    dims = tuple(d for d in _TEXT_DIMS if getattr(part, d) != getattr(total, d))
    return dims or ("none",)


def _is_group_breakdown(dims: tuple[str, ...], parts: list[Obs]) -> bool:
    return dims == ("country_group",) and {"CIS", "non-CIS"} <= {p.country_group for p in parts}


# --- writing figures -------------------------------------------------------------------------------------


def _amount(iv: Interval, unit: str | None, precision: float | None, *, signed: bool = False) -> str:
    """A published figure as written ('883.5 million': its interval is implied by the digits), or a
    computed interval one decimal finer than the finest figure it comes from."""
    magnitude = max(abs(iv.low), abs(iv.high))
    divisor, suffix = fmt.scale_for(unit, magnitude, precision)
    decimals = fmt.decimals_for(precision, divisor)
    half = 0.0 if not precision else precision / 2
    if iv.is_point or abs(iv.half_width - half) <= 1e-9 * max(1.0, magnitude):
        return fmt.number(iv.mid, decimals, divisor=divisor, suffix=suffix, signed=signed)
    return fmt.interval(iv, decimals + (1 if precision else 0), divisor=divisor, suffix=suffix, signed=signed)


def _finest(precisions: list[float | None]) -> float | None:
    steps = [p for p in precisions if p is not None and not math.isnan(p) and p > 0]
    return min(steps) if steps else None


def _tolerance_amount(half_width: float, unit: str | None) -> str:
    divisor, suffix = fmt.scale_for(unit, half_width)
    return fmt.plus_minus(half_width, divisor=divisor, suffix=suffix)


def _share(o: Obs) -> str:
    return fmt.number(o.share.mid, fmt.decimals_for(o.share_precision))


def _pct(iv: Interval, *, signed: bool = False) -> str:
    return fmt.interval(iv, 2, signed=signed)


def _dims_label(dims: tuple[str, ...]) -> str:
    return "+".join(d.replace("_", " ") for d in dims)


class _Emit:
    """Builds the findings of one rule with its severity."""

    def __init__(self, rule: str, severity: str) -> None:
        self.rule, self.severity, self.findings = rule, severity, []

    def __call__(
        self,
        rows: list[Obs],
        passed: bool,
        subject: str,
        expected: str | None,
        observed: str | None,
        tolerance: str | None,
        message: str,
    ) -> None:
        sources = {r.source for r in rows}
        self.findings.append(
            Finding(
                rule=self.rule,
                source=sources.pop() if len(sources) == 1 else "cross_source",
                subject=subject,
                obs_ids=tuple(dict.fromkeys(r.obs_id for r in rows)),
                passed=bool(passed),
                severity=self.severity,
                expected=expected,
                observed=observed,
                tolerance=tolerance,
                message=message,
            )
        )


def _rows_with(primary: list[Obs], provided: list[Obs]) -> list[Obs]:
    """The rows a finding concerns: the primary rows, then rows that only provided a value."""
    return [*primary, *[p for p in provided if p not in primary]]


# --- rules -----------------------------------------------------------------------------------------------


def _parts_sum_to_total(ctx: _Context, emit: _Emit) -> None:
    for (source, part_of, dims), parts in ctx.breakdowns.items():
        if _is_group_breakdown(dims, parts):
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
        precision = _finest([total.value_precision, *[p.value_precision for p in parts]])
        rows = _rows_with([total, *parts], [total_value[1], *[v[1] for v in part_values]])
        t_txt, s_txt = _amount(t, unit, total.value_precision), _amount(s, unit, precision)
        tol = _tolerance_amount(t.half_width + s.half_width, unit)
        what = f"{len(parts)} parts by {_dims_label(dims)}"
        subject = f"{part_of} = {t_txt} vs sum of {what}"
        if complete:
            passed = s.intersects(t)
            gap = _amount(Interval.point(s.distance(t)), unit, precision)
            message = (
                f"The {what} of {part_of} sum to {s_txt}, which agrees with the total {t_txt} within rounding."
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


def _shares_sum_to_100(ctx: _Context, emit: _Emit) -> None:
    for (_source, part_of, dims), parts in ctx.breakdowns.items():
        if _is_group_breakdown(dims, parts):
            continue
        shared = [p for p in parts if p.share is not None]
        if not shared:
            continue
        complete = all(p.parts_complete is True for p in parts) and len(shared) == len(parts)
        s = interval_sum(p.share for p in shared)
        decimals = max(fmt.decimals_for(p.share_precision) for p in shared)
        s_txt = f"{fmt.number(s.mid, decimals)} ({fmt.plus_minus(s.half_width)})"
        tol = fmt.plus_minus(s.half_width)
        what = f"{len(shared)} shares by {_dims_label(dims)} of {part_of}"
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


def _share_matches_ratio(ctx: _Context, emit: _Emit) -> None:
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
            _amount(pv, unit, part_value[1].value_precision),
            _amount(tv, unit, total.value_precision),
        )
        share_txt = _share(o)
        rows = _rows_with([o, total], [part_value[1], total_value[1]])
        tol = f"share {fmt.plus_minus(o.share.half_width)}; ratio {fmt.plus_minus(ratio.half_width, 2)}"
        is_count = not part_value[1].value_precision and unit not in ("USD", "percent")
        if is_count:  # whole numbers only
            low, high = math.ceil(implied.low - 1e-9), math.floor(implied.high + 1e-9)
            implied_txt = (
                _amount(Interval(low, high), unit, 0)
                if low <= high
                else f"no whole number in {_amount(implied, unit, 0.01)}"
            )
        else:
            implied_txt = _amount(implied, unit, part_value[1].value_precision)
        message = (
            f"{o.obs_id} is {share_txt} per cent of {o.part_of} and {pv_txt} / {tv_txt} = {_pct(ratio)} per cent: "
            "they agree within rounding."
            if passed
            else f"{o.obs_id} is published as {share_txt} per cent of {o.part_of} = {tv_txt}, but its value "
            f"{pv_txt} is {_pct(ratio)} per cent of it; at {share_txt} per cent the value would be {implied_txt}."
        )
        emit(
            rows,
            passed,
            f"{o.obs_id}: {share_txt}% of {o.part_of} vs {pv_txt} / {tv_txt}",
            f"{_pct(ratio)} per cent ({pv_txt} / {tv_txt})",
            f"{share_txt} per cent (implies a value of {implied_txt})",
            tol,
            message,
        )


def _describe_change(o: Obs) -> str:
    decimals = fmt.decimals_for(o.change_precision)
    if o.change_unit == "percent":
        return f"{fmt.number(o.change, decimals, signed=True)} per cent"
    if o.change_unit == "times":
        return f"{fmt.number(o.change, decimals, signed=True)} times"
    if o.change_unit == "absolute":
        return _amount(Interval.point(o.change), o.unit, o.change_precision, signed=True)
    return "up (+1)" if o.change > 0 else "down (-1)" if o.change < 0 else "unchanged (0)"


def _stated_change_matches(ctx: _Context, emit: _Emit) -> None:
    for o in ctx.obs:
        if o.change is None or o.change_unit is None or o.change_base_period is None:
            continue
        current = ctx.value_of(o, history=True)
        base = ctx.value_row(o.key, o.change_base_period)
        if current is None or base is None:
            continue
        v, b = current[0], base.value
        stated = Interval.around(o.change, o.change_precision)
        v_txt = _amount(v, o.unit or current[1].unit, current[1].value_precision)
        b_txt = _amount(b, base.unit, base.value_precision)
        stated_txt = _describe_change(o)
        if o.change_unit == "percent":
            if b.low <= 0:
                continue
            computed = percent_change(v, b)
            passed = stated.intersects(computed)
            expected = f"{_pct(computed, signed=True)} per cent"
        elif o.change_unit == "times":
            if o.change == 0 or v.low <= 0 or b.low <= 0:
                continue
            computed = b / v if o.change < 0 else v / b
            passed = Interval.around(abs(o.change), o.change_precision).intersects(computed)
            ratio = "base / value" if o.change < 0 else "value / base"
            expected = f"{ratio} = {fmt.interval(computed, 2)} times"
        elif o.change_unit == "absolute":
            computed = v - b
            passed = stated.intersects(computed)
            expected = _amount(
                computed, o.unit, _finest([current[1].value_precision, base.value_precision]), signed=True
            )
        elif o.change_unit == "direction":
            computed = v - b
            passed = (
                computed.high > 0
                if o.change > 0
                else computed.low < 0
                if o.change < 0
                else computed.contains(0)
            )
            expected = "up (+1)" if computed.low > 0 else "down (-1)" if computed.high < 0 else "either way"
        else:
            continue
        if o.change_unit in ("absolute", "direction"):
            tol = f"computed {_tolerance_amount(computed.half_width, o.unit or base.unit)}"
        else:
            tol = f"computed {fmt.plus_minus(computed.half_width, 2)}"
        if o.change_unit != "direction":
            half = stated.half_width
            tol = f"stated {_tolerance_amount(half, o.unit) if o.change_unit == 'absolute' else fmt.plus_minus(half)}; {tol}"
        rows = _rows_with([o, base], [current[1]])
        subject = f"{o.obs_id}: {o.period} vs {o.change_base_period} stated {stated_txt}"
        basis = f"{v_txt} ({o.period}) against {b_txt} ({o.change_base_period})"
        message = (
            f"{o.obs_id} states {stated_txt}; {basis} gives {expected}, which agrees within rounding."
            if passed
            else f"{o.obs_id} states {stated_txt}, but {basis} gives {expected}: no values within the "
            "published precisions reconcile them."
        )
        emit(rows, passed, subject, expected, stated_txt, tol, message)


def _group_totals_add_up(ctx: _Context, emit: _Emit) -> None:
    for (source, part_of, dims), parts in ctx.breakdowns.items():
        if not _is_group_breakdown(dims, parts):
            continue
        total = ctx.by_id[(source, part_of)]
        cis = [p for p in parts if p.country_group == "CIS"]
        non = [p for p in parts if p.country_group == "non-CIS"]
        complete = all(p.parts_complete is True for p in parts)
        groups = f"CIS {', '.join(p.obs_id for p in cis)} + non-CIS {', '.join(p.obs_id for p in non)}"
        total_value = ctx.value_of(total)
        values = [ctx.value_of(p) for p in parts]
        if total_value is not None and all(v is not None for v in values):
            t = total_value[0]
            c = interval_sum(v[0] for p, v in zip(parts, values, strict=True) if p.country_group == "CIS")
            n = interval_sum(v[0] for p, v in zip(parts, values, strict=True) if p.country_group == "non-CIS")
            s = c + n
            unit = total.unit or parts[0].unit
            prec = _finest([total.value_precision, *[p.value_precision for p in parts]])
            t_txt, c_txt, n_txt, s_txt = (_amount(x, unit, prec) for x in (t, c, n, s))
            tol = _tolerance_amount(t.half_width + s.half_width, unit)
            passed = s.intersects(t) if complete else at_most(s, t)
            if passed:
                message = (
                    f"CIS {c_txt} + non-CIS {n_txt} = {s_txt} agrees with the total {t_txt} within rounding."
                )
            else:
                message = (
                    f"CIS {c_txt} + non-CIS {n_txt} = {s_txt}, not the total {t_txt}: with the total and CIS as "
                    f"published non-CIS would be {_amount(t - c, unit, prec)}, with the total and non-CIS as "
                    f"published CIS would be {_amount(t - n, unit, prec)}."
                )
            rows = _rows_with([total, *parts], [total_value[1], *[v[1] for v in values]])
            emit(
                rows,
                passed,
                f"{part_of} = {t_txt} vs {groups} = {c_txt} + {n_txt}",
                t_txt if complete else f"<= {t_txt}",
                f"{s_txt} (CIS {c_txt} + non-CIS {n_txt})",
                tol,
                message,
            )
        if all(p.share is not None for p in parts):
            s = interval_sum(p.share for p in parts)
            decimals = max(fmt.decimals_for(p.share_precision) for p in parts)
            c_txt = " + ".join(_share(p) for p in cis)
            n_txt = " + ".join(_share(p) for p in non)
            s_txt = f"{fmt.number(s.mid, decimals)} ({fmt.plus_minus(s.half_width)})"
            passed = s.contains(100.0) if complete else s.low <= 100.0 + 1e-9
            message = f"CIS {c_txt} + non-CIS {n_txt} per cent of {part_of} = {s_txt} per cent, " + (
                "which is 100 within rounding." if passed else "which cannot be 100 within rounding."
            )
            emit(
                [total, *parts],
                passed,
                f"shares of {groups} in {part_of} = {c_txt} + {n_txt} per cent",
                "100" if complete else "<= 100",
                s_txt,
                fmt.plus_minus(s.half_width),
                message,
            )


def _subset_within_total(ctx: _Context, emit: _Emit) -> None:
    def check(part: Obs, total: Obs, how: str) -> None:
        pv, tv = ctx.value_of(part), ctx.value_of(total)
        if pv is None or tv is None:
            return
        unit = part.unit or total.unit
        p_txt, t_txt = (
            _amount(pv[0], unit, pv[1].value_precision),
            _amount(tv[0], unit, tv[1].value_precision),
        )
        passed = at_most(pv[0], tv[0])
        message = f"{part.obs_id} = {p_txt} is {how} {total.obs_id} = {t_txt} and " + (
            "does not exceed it." if passed else "exceeds it even at the extremes of rounding."
        )
        emit(
            _rows_with([part, total], [pv[1], tv[1]]),
            passed,
            f"{part.obs_id} = {p_txt} <= {total.obs_id} = {t_txt}",
            f"<= {t_txt}",
            p_txt,
            _tolerance_amount(pv[0].half_width + tv[0].half_width, unit),
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


def _quarters_agree_with_year(ctx: _Context, emit: _Emit) -> None:
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
        prec = _finest([r.value_precision for r in rows])
        s_txt, y_txt = _amount(s, unit, prec), _amount(y, unit, year_row.value_precision)
        passed = s.intersects(y)
        tol = _tolerance_amount(s.half_width + y.half_width, unit)
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


def _country_group_matches_reference(ctx: _Context, emit: _Emit) -> None:
    for o in ctx.obs:
        if o.country_group not in ("CIS", "non-CIS") or o.country_key is None or o.cis_member is None:
            continue
        expected = "CIS" if o.cis_member else "non-CIS"
        passed = o.country_group == expected
        when = o.period_end.date() if hasattr(o.period_end, "date") else o.period_end
        message = (
            f"{o.obs_id} ({o.label}) is delivered as {o.country_group}"
            + (", as the reference CIS membership says" if passed else f", but the reference says {expected}")
            + f" for the end of {o.period}."
        )
        emit(
            [o],
            passed,
            f"{o.obs_id}: {o.label} delivered as {o.country_group}",
            f"{expected} (as of {when})",
            o.country_group,
            None,
            message,
        )


_RANKED_DIMS = ("country", "sector", "category", "education", "age_group")


def _rank_matches_values(ctx: _Context, emit: _Emit) -> None:
    groups: dict[tuple, list[Obs]] = {}
    for o in ctx.obs:
        if o.rank is None:
            continue
        dim = next((d for d in _RANKED_DIMS if o.dim(d) is not None), None)
        if dim is None:
            continue
        others = tuple((d, getattr(o, d)) for d in _TEXT_DIMS if d != dim)
        groups.setdefault((o.source, o.measure, o.period, dim, others), []).append(o)
    for (_source, measure, period, dim, _others), ranked in groups.items():
        if len(ranked) < 2:
            continue
        values = [ctx.value_of(o, history=True) for o in ranked]
        if any(v is None for v in values):
            continue
        items = sorted(zip(ranked, values, strict=True), key=lambda item: item[0].rank)
        violations = [
            (a, b)
            for i, a in enumerate(items)
            for b in items[i + 1 :]
            if a[0].rank < b[0].rank and a[1][0].high < b[1][0].low
        ]
        unit = ranked[0].unit or values[0][1].unit
        stated = ", ".join(
            f"{o.rank} {o.label} ({_amount(v[0], unit, v[1].value_precision)})" for o, v in items
        )
        by_value = sorted(items, key=lambda item: -item[1][0].mid)
        expected = " >= ".join(
            f"{o.label} ({_amount(v[0], unit, v[1].value_precision)})" for o, v in by_value
        )
        passed = not violations
        group = next((o.country_group for o in ranked if o.country_group), None)
        what = f"{measure} {period}" + (f" {group}" if group else "") + f" by {dim.replace('_', ' ')}"
        message = (
            f"The {len(ranked)} stated ranks of {what} follow the values."
            if passed
            else f"The stated ranks of {what} contradict the values: "
            + "; ".join(
                f"{a[0].label} is ranked {a[0].rank} with {_amount(a[1][0], unit, a[1][1].value_precision)} but "
                f"{b[0].label} is ranked {b[0].rank} with {_amount(b[1][0], unit, b[1][1].value_precision)}"
                for a, b in violations
            )
            + "."
        )
        rows = _rows_with([o for o, _ in items], [v[1] for _, v in items])
        emit(
            rows,
            passed,
            f"ranks of {what} ({len(ranked)} rows)",
            f"by value: {expected}",
            f"stated: {stated}",
            "value intervals as published",
            message,
        )


def _plausible_change(
    ctx: _Context, emit: _Emit, threshold: float = PLAUSIBLE_CHANGE_THRESHOLD_PERCENT
) -> None:
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
                _amount(o.value, o.unit, o.value_precision),
                _amount(base.value, base.unit, base.value_precision),
            )
            message = (
                f"{o.obs_id} = {v_txt} against {b_txt} in {base_period} is a {how} change of {_pct(change, signed=True)} "
                + (
                    f"per cent, within +/- {threshold:g} per cent."
                    if passed
                    else f"per cent, beyond +/- {threshold:g} per cent: confirm it with the agency before publishing."
                )
            )
            emit(
                [o, base],
                passed,
                f"{o.obs_id}: {how} change {o.period} vs {base_period}",
                f"within +/- {threshold:g} per cent",
                f"{_pct(change, signed=True)} per cent ({v_txt} vs {b_txt})",
                f"computed {fmt.plus_minus(change.half_width, 2)}",
                message,
            )


_RULE_FUNCTIONS: dict[str, Callable[[_Context, _Emit], None]] = {
    "parts_sum_to_total": _parts_sum_to_total,
    "shares_sum_to_100": _shares_sum_to_100,
    "share_matches_ratio": _share_matches_ratio,
    "stated_change_matches": _stated_change_matches,
    "group_totals_add_up": _group_totals_add_up,
    "subset_within_total": _subset_within_total,
    "quarters_agree_with_year": _quarters_agree_with_year,
    "country_group_matches_reference": _country_group_matches_reference,
    "rank_matches_values": _rank_matches_values,
    "plausible_change": _plausible_change,
}
assert list(_RULE_FUNCTIONS) == list(RULES)


def resolve_severities(severities: Mapping[str, str] | None) -> dict[str, str]:
    """Severity per rule: the default, or the override (plausible_change is always WARN)."""
    overrides = dict(severities or {})
    unknown = sorted(set(overrides) - set(RULES))
    if unknown:
        raise ValueError(f"severity override for unknown rule(s) {unknown}; rules are {list(RULES)}")
    resolved = {}
    for name, spec in RULES.items():
        severity = str(overrides.get(name, spec.default_severity)).upper()
        if severity not in SEVERITIES:
            raise ValueError(f"severity {overrides[name]!r} for rule {name} is not one of {SEVERITIES}")
        resolved[name] = "WARN" if name in _WARN_ONLY else severity
    return resolved


def evaluate_rules(
    observations: pd.DataFrame | Sequence[Mapping[str, Any]],
    history: pd.DataFrame | Sequence[Obs] | None = None,
    severities: Mapping[str, str] | None = None,
    only: frozenset[str] | None = None,
) -> list[Finding]:
    """observations: one delivery quarter, one stage (a frame, or its rows as records or `prepare_rows`).
    history: published rows of OTHER delivery quarters (same columns; may be None or empty), or those rows
    already normalised by `prepare_history`. severities: per-rule overrides of default_severity. only: these
    rules alone.
    Returns one Finding per rule evaluation (passed ones too). A rule with nothing to evaluate returns nothing."""
    resolved = resolve_severities(severities)
    ctx = _Context(observations, history)
    findings: list[Finding] = []
    for name, rule in _RULE_FUNCTIONS.items():
        if only is not None and name not in only:
            continue
        emit = _Emit(name, resolved[name])
        rule(ctx, emit)
        findings.extend(emit.findings)
    return findings


def check_plausible_change(
    observations: pd.DataFrame,
    history: pd.DataFrame | None = None,
    *,
    threshold: float = PLAUSIBLE_CHANGE_THRESHOLD_PERCENT,
) -> list[Finding]:
    """plausible_change alone with another threshold (per cent); always WARN."""
    emit = _Emit("plausible_change", "WARN")
    _plausible_change(_Context(observations, history), emit, threshold)
    return emit.findings
