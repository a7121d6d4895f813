"""Rules on what a row is labelled with rather than its figure: the country group it is delivered under
agrees with the reference CIS membership (country_group_matches_reference), and stated ranks follow the
values (rank_matches_values)."""

from __future__ import annotations

from mtm_pipeline.checks.rules.context import Context
from mtm_pipeline.checks.rules.observations import TEXT_DIMS, Obs
from mtm_pipeline.checks.rules.wording import Emit, amount, rows_with


def country_group_matches_reference(ctx: Context, emit: Emit) -> None:
    """A delivered CIS / non-CIS group agrees with the reference membership."""
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


RANKED_DIMS = ("country", "sector", "category", "education", "age_group")


def rank_matches_values(ctx: Context, emit: Emit) -> None:
    """Stated ranks within a group follow the values of the ranked rows."""
    groups: dict[tuple, list[Obs]] = {}
    for o in ctx.obs:
        if o.rank is None:
            continue
        dim = next((d for d in RANKED_DIMS if o.dim(d) is not None), None)
        if dim is None:
            continue
        others = tuple((d, getattr(o, d)) for d in TEXT_DIMS if d != dim)
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
            f"{o.rank} {o.label} ({amount(v[0], unit, v[1].value_precision)})" for o, v in items
        )
        by_value = sorted(items, key=lambda item: -item[1][0].mid)
        expected = " >= ".join(f"{o.label} ({amount(v[0], unit, v[1].value_precision)})" for o, v in by_value)
        passed = not violations
        group = next((o.country_group for o in ranked if o.country_group), None)
        what = f"{measure} {period}" + (f" {group}" if group else "") + f" by {dim.replace('_', ' ')}"
        message = (
            f"The {len(ranked)} stated ranks of {what} follow the values."
            if passed
            else f"The stated ranks of {what} contradict the values: "
            + "; ".join(
                f"{a[0].label} is ranked {a[0].rank} with "
                f"{amount(a[1][0], unit, a[1][1].value_precision)} but "
                f"{b[0].label} is ranked {b[0].rank} with {amount(b[1][0], unit, b[1][1].value_precision)}"
                for a, b in violations
            )
            + "."
        )
        rows = rows_with([o for o, _ in items], [v[1] for _, v in items])
        emit(
            rows,
            passed,
            f"ranks of {what} ({len(ranked)} rows)",
            f"by value: {expected}",
            f"stated: {stated}",
            "value intervals as published",
            message,
        )
