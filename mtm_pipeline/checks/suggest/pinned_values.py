"""A figure replaced by the one value the other figures pin down: a total as the sum of its parts, a
part as the total minus its other parts (complete breakdowns, values or shares). The least specific
explanation: offered only when no other kind of edit explains the same findings."""

from __future__ import annotations

from collections.abc import Iterator

from mtm_pipeline.checks.suggest.candidate import Candidate
from mtm_pipeline.checks.suggest.figures import Cell, FieldEdit, Stage, notation, parse
from mtm_pipeline.intervals import interval_sum

PINNING_RULES = ("parts_sum_to_total", "group_totals_add_up", "shares_sum_to_100")


def _breakdown(stage: Stage, positions: list[int]) -> tuple[int, list[int]] | None:
    best = None
    for total in positions:
        parts = [p for p in positions if stage.normalised[p].part_of == stage.normalised[total].obs_id]
        if parts and (best is None or len(parts) > len(best[1])):
            best = (total, parts)
    return best


def candidates(stage: Stage, rule: str, subject: str, positions: list[int]) -> Iterator[Candidate]:
    if rule not in PINNING_RULES:
        return
    found = _breakdown(stage, positions)
    if found is None:
        return
    total, parts = found
    if not all(stage.normalised[p].parts_complete for p in parts):
        return
    field = "share" if rule == "shares_sum_to_100" or subject.startswith("shares of") else "value"
    figures = {
        p: getattr(stage.normalised[p], field) for p in ([total, *parts] if field == "value" else parts)
    }
    if any(iv is None for iv in figures.values()):
        return
    for pos in figures:
        obs = stage.normalised[pos]
        others = interval_sum(iv for p, iv in figures.items() if p not in (pos, total))
        cell = Cell(obs.source, obs.obs_id, field)
        published, precision = stage.figure(cell)
        others_txt = notation(field, others.mid, precision)
        if field == "share":
            pinned, how = 100.0 - others, f"100 minus the other shares ({others_txt})"
        elif pos == total:
            pinned, how = others, f"the sum of its parts ({others_txt})"
        else:
            total_txt = notation(
                field, figures[total].mid, stage.figure(Cell(cell.source, obs.part_of, field))[1]
            )
            pinned, how = (
                figures[total] - others,
                f"{obs.part_of} {total_txt} minus its other parts {others_txt}",
            )
        parsed = parse(field, notation(field, pinned.mid, precision))
        if parsed is None or parsed[0] == published or parsed[0] < 0:
            continue
        edit = FieldEdit(cell, published, precision, *parsed)
        yield Candidate(
            "pinned_value", (edit,), f"{cell} {edit.published_text} -> {edit.suggested_text}: {how}"
        )
