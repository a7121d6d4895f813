"""Findings that are rounding, not transcription: a share rounded twice (3.48 -> 3.5 -> 4), or a share
that differs from its ratio by less than one unit of its last digit (computed on slightly different
figures). No edit is searched for them; they are reported with the reason."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from mtm_pipeline.checks.findings import Finding
from mtm_pipeline.checks.suggest.figures import Stage, value_of
from mtm_pipeline.intervals import Interval, ratio_percent


def _round_half_up(x: Decimal, decimals: int) -> Decimal:
    return x.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def _rounded_twice(ratio: Interval, share: Decimal, decimals: int) -> Decimal | None:
    """A value of the ratio that, rounded to one more decimal and then to the share's, gives the share."""
    step = Decimal(1).scaleb(-(decimals + 1))
    y = _round_half_up(Decimal(repr(ratio.low)), decimals + 1)
    high = _round_half_up(Decimal(repr(ratio.high)), decimals + 1)
    while y <= high:
        if _round_half_up(y, decimals) == share:
            return y
        y += step
    return None


def rounding_reason(finding: Finding, stage: Stage) -> str | None:
    """Why a failing share_matches_ratio finding is rounding; None when it is not (or another rule)."""
    if finding.rule != "share_matches_ratio":
        return None
    positions = stage.rows_of(finding.obs_ids[:1], finding.source)
    if not positions:
        return None
    obs = stage.normalised[positions[0]]
    total_key = (obs.source, obs.part_of)
    share = obs.share
    part = value_of(stage, positions[0])
    total = value_of(stage, stage.position[total_key]) if total_key in stage.position else None
    if share is None or part is None or total is None or total.low <= 0:
        return None
    ratio = ratio_percent(part, total)
    precision = 1.0 if obs.share_precision is None else obs.share_precision
    decimals = max(0, -Decimal(repr(precision)).normalize().as_tuple().exponent)
    published = _round_half_up(Decimal(repr(share.mid)), decimals)
    shown = f"{ratio.low:.{decimals + 2}f}" + (
        f" to {ratio.high:.{decimals + 2}f}" if not ratio.is_point else ""
    )
    twice = _rounded_twice(ratio, published, decimals)
    if twice is not None:
        return (
            f"a share rounded twice: the ratio is {shown} per cent, which rounds to {twice} and then to the "
            f"published {published}; no edit of a figure explains it"
        )
    if ratio.distance(share) < precision:
        return (
            f"the share differs from the ratio ({shown} per cent) by less than one unit of its last digit: "
            "rounding on slightly different figures, not a transcription error; "
            "no edit of a figure explains it"
        )
    return None
