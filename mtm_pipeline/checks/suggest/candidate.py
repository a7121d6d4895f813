"""A candidate edit: the figures it changes, what kind of transcription error it undoes, and in words why."""

from __future__ import annotations

from dataclasses import dataclass

from mtm_pipeline.checks.suggest.figures import FieldEdit

# Kinds of edit, most plausible first (the third key of the ranking). A slip that keeps the digits (order,
# decimal point, scale word) comes before one that changes, adds or removes a digit. A reviewer reads these
# names.
KINDS: dict[str, str] = {
    "sign": "a lost or extra sign",
    "typing_transposed": "two adjacent digits transposed",
    "typing_decimal": "a decimal point misplaced",
    "typing_scale": "a scale word misplaced",
    "typing_digit": "one digit wrong",
    "typing_dropped": "a digit dropped",
    "typing_doubled": "a digit doubled",
    "swap": "two figures swapped",
    "share_base": "a share computed on another base",
    "pinned_value": "the one value the other figures pin down",
}
PLAUSIBILITY = {kind: order for order, kind in enumerate(KINDS)}


@dataclass(frozen=True)
class Candidate:
    kind: str  # a key of KINDS
    edits: tuple[FieldEdit, ...]
    detail: str  # what the edit undoes, e.g. "2476 -> 2276: one digit wrong (4 for 2)"

    def signature(self) -> frozenset:
        return frozenset(edit.signature() for edit in self.edits)
