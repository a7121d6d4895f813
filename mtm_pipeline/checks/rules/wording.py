"""How a finding is written: published figures as written, computed intervals one decimal finer, the
tolerance, shares and changes in per cent, the dimensions of a breakdown; and `Emit`, which turns a rule's
verdict into a `Finding` with the rule's severity."""

from __future__ import annotations

import math

from mtm_pipeline.checks import findings as fmt
from mtm_pipeline.checks.findings import Finding
from mtm_pipeline.checks.rules.observations import Obs
from mtm_pipeline.intervals import Interval


def amount(iv: Interval, unit: str | None, precision: float | None, *, signed: bool = False) -> str:
    """A published figure as written ('883.5 million': its interval is implied by the digits), or a
    computed interval one decimal finer than the finest figure it comes from."""
    magnitude = max(abs(iv.low), abs(iv.high))
    divisor, suffix = fmt.scale_for(unit, magnitude, precision)
    decimals = fmt.decimals_for(precision, divisor)
    half = 0.0 if not precision else precision / 2
    if iv.is_point or abs(iv.half_width - half) <= 1e-9 * max(1.0, magnitude):
        return fmt.number(iv.mid, decimals, divisor=divisor, suffix=suffix, signed=signed)
    return fmt.interval(iv, decimals + (1 if precision else 0), divisor=divisor, suffix=suffix, signed=signed)


def finest(precisions: list[float | None]) -> float | None:
    """The finest (smallest positive) of the precisions, or None."""
    steps = [p for p in precisions if p is not None and not math.isnan(p) and p > 0]
    return min(steps) if steps else None


def tolerance_amount(half_width: float, unit: str | None) -> str:
    """A half-width written as a tolerance in the unit's scale."""
    divisor, suffix = fmt.scale_for(unit, half_width)
    return fmt.plus_minus(half_width, divisor=divisor, suffix=suffix)


def share_text(o: Obs) -> str:
    """A row's share as published."""
    return fmt.number(o.share.mid, fmt.decimals_for(o.share_precision))


def pct(iv: Interval, *, signed: bool = False) -> str:
    """A computed percentage interval, to two decimals."""
    return fmt.interval(iv, 2, signed=signed)


def dims_label(dims: tuple[str, ...]) -> str:
    """The dimensions of a breakdown as words ('country group')."""
    return "+".join(d.replace("_", " ") for d in dims)


class Emit:
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


def rows_with(primary: list[Obs], provided: list[Obs]) -> list[Obs]:
    """The rows a finding concerns: the primary rows, then rows that only provided a value."""
    return [*primary, *[p for p in provided if p not in primary]]
