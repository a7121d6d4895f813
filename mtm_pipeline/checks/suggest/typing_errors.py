"""Typing errors: the published figure differs from the true one by one slip of the keyboard.

One digit wrong, two adjacent digits transposed, a digit dropped or doubled, the decimal point or the
scale word (thousand, million, billion) in the wrong place. The candidates are the figures that slip
would have come from, written in the same notation.

A figure rounded at its precision (a share, a change, money in millions) that differs from the candidate by
at most one unit of its last digit (45.2 for 45.3 or for 45.29) is not a typing error: that is what
rounding on a slightly different base, or rounding twice, looks like, and the search does not offer it
(the finding is reported as not explained by an edit).
"""

from __future__ import annotations

from collections.abc import Iterator

from mtm_pipeline.checks.suggest.candidate import Candidate
from mtm_pipeline.checks.suggest.figures import Cell, FieldEdit, Stage, notation, parse

_SCALES = ("", " thousand", " million", " billion")


def _split(written: str) -> tuple[str, str, str]:
    """'-31.7 million' -> ('-', '31.7', ' million')."""
    sign = "-" if written.startswith("-") else ""
    number, _, word = written[len(sign) :].partition(" ")
    return sign, number, f" {word}" if word else ""


def _valid(number: str) -> bool:
    if not number or number.startswith(".") or number.endswith(".") or number.count(".") > 1:
        return False
    return not (len(number) > 1 and number[0] == "0" and number[1] != ".")


def _variants(number: str) -> Iterator[tuple[str, str, str]]:
    """(kind, the number before the slip, what slipped), for one written number."""
    digits = [i for i, ch in enumerate(number) if ch.isdigit()]
    for i in digits:
        for d in "0123456789":
            if d != number[i]:
                yield "typing_digit", number[:i] + d + number[i + 1 :], f"{d} written as {number[i]}"
    for i in range(len(number) - 1):
        a, b = number[i], number[i + 1]
        if a.isdigit() and b.isdigit() and a != b:
            yield "typing_transposed", number[:i] + b + a + number[i + 2 :], f"{b}{a} written as {a}{b}"
    for i in range(len(number) + 1):
        for d in "0123456789":
            yield "typing_dropped", number[:i] + d + number[i:], f"the {d} in position {i + 1} dropped"
    for i in range(len(number) - 1):
        if number[i].isdigit() and number[i] == number[i + 1]:
            yield "typing_doubled", number[:i] + number[i + 1 :], f"the {number[i]} doubled"
    plain = number.replace(".", "")
    for i in range(1, len(plain) + 1):
        moved = plain if i == len(plain) else plain[:i] + "." + plain[i:]
        if moved != number:
            yield "typing_decimal", moved, "the decimal point misplaced"


def _is_rounded(stage: Stage, cell: Cell, precision: float | None) -> bool:
    if cell.field in ("share", "change"):
        return True
    unit = stage.obs(cell).unit
    return unit == "USD" or (precision is not None and precision > 1)


def candidates(stage: Stage, cell: Cell) -> Iterator[Candidate]:
    if cell.field == "rank":
        return
    figure = stage.figure(cell)
    if figure is None:
        return
    published, precision = figure
    written = notation(cell.field, published, precision)
    sign, number, word = _split(written)
    rounded = _is_rounded(stage, cell, precision)
    count = cell.field == "value" and stage.obs(cell).unit not in ("USD", "percent")
    seen = {written}
    options = [(kind, sign + n + word, slip) for kind, n, slip in _variants(number) if _valid(n)]
    if cell.field == "value" and word:
        here = _SCALES.index(word) if word in _SCALES else None
        for other in _SCALES[1:]:
            if here is not None and other != word and abs(_SCALES.index(other) - here) == 1:
                options.append(
                    ("typing_scale", sign + number + other, f"'{word.strip()}' for '{other.strip()}'")
                )
    for kind, before, slip in options:
        if before in seen:
            continue
        seen.add(before)
        parsed = parse(cell.field, before)
        if parsed is None:
            continue
        value, step = parsed
        if rounded and abs(value - published) <= (precision or 0.0) * (1 + 1e-9):
            continue  # within one unit of the last digit: rounding, not a slip
        if count and abs(value - round(value)) > 1e-9:
            continue  # a count is a whole number
        if cell.field == "share" and value > 100:
            continue  # the contract refuses a share above 100
        edit = FieldEdit(cell, published, precision, value, step)
        yield Candidate(kind, (edit,), f"{cell} {written} -> {edit.suggested_text}: {slip}")
