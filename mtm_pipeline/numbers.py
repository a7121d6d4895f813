"""Parse figures as agencies write them, keeping the precision they were published at."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

_SCALE_WORDS = {
    "thousand": Decimal(1_000),
    "thousands": Decimal(1_000),
    "тыс": Decimal(1_000),
    "тыс.": Decimal(1_000),
    "million": Decimal(1_000_000),
    "mln": Decimal(1_000_000),
    "млн": Decimal(1_000_000),
    "млн.": Decimal(1_000_000),
    "billion": Decimal(1_000_000_000),
    "bn": Decimal(1_000_000_000),
    "млрд": Decimal(1_000_000_000),
    "млрд.": Decimal(1_000_000_000),
}
# space, no-break space, narrow no-break space, thin space
_GROUP_SPACES = "\u0020\u00a0\u202f\u2009"
_THOUSANDS_COMMAS = re.compile(r"^\d{1,3}(,\d{3})+(\.\d+)?$")
_PLAIN = re.compile(r"^\d+(\.\d+)?$")


class NumberFormatError(ValueError):
    """A cell that is not a number in any accepted notation."""


@dataclass(frozen=True)
class PublishedNumber:
    """A published figure: its value in base units and the rounding step it was published at.

    "1.08 billion" -> value 1_080_000_000, precision 10_000_000: the true figure lies in
    [value - precision/2, value + precision/2).
    """

    value: Decimal
    precision: Decimal

    @property
    def low(self) -> Decimal:
        return self.value - self.precision / 2

    @property
    def high(self) -> Decimal:
        return self.value + self.precision / 2


def parse_published_number(text: str, *, allow_percent_sign: bool = False) -> PublishedNumber:
    """Read one published figure: '2,975,788', '883,5', '1 234', '1,08 млрд', '2.7 million', '-12.6%'.

    Raises NumberFormatError with the reason when the text is not a number.
    """
    original = text
    s = text.strip()
    if not s:
        raise NumberFormatError("empty")
    if s.endswith("%"):
        if not allow_percent_sign:
            raise NumberFormatError(f"{original!r} has a per cent sign where a count or amount is expected")
        s = s[:-1].strip()
    sign = Decimal(1)
    if s[:1] in "+-\u2212":
        sign = Decimal(-1) if s[0] != "+" else Decimal(1)
        s = s[1:].strip()
    scale = Decimal(1)
    parts = s.rsplit(None, 1) if any(ch in s for ch in " \u00a0\u202f\u2009") else [s]
    if len(parts) == 2 and parts[1].lower() in _SCALE_WORDS:
        s, scale = parts[0], _SCALE_WORDS[parts[1].lower()]
    for space in _GROUP_SPACES:
        s = s.replace(space, "")
    if "," in s and "." in s:
        if s.rfind(",") > s.rfind("."):  # 1.234,5: dot groups thousands, comma is decimal
            s = s.replace(".", "").replace(",", ".")
        elif not _THOUSANDS_COMMAS.match(s):
            raise NumberFormatError(f"{original!r} mixes commas and dots in no accepted notation")
        else:
            s = s.replace(",", "")
    elif "," in s:
        if _THOUSANDS_COMMAS.match(s):
            s = s.replace(",", "")
        elif s.count(",") == 1:
            s = s.replace(",", ".")
        else:
            raise NumberFormatError(
                f"{original!r} has commas that are neither thousands groups nor a decimal comma"
            )
    if not _PLAIN.match(s):
        raise NumberFormatError(f"{original!r} is not a number")
    try:
        magnitude = Decimal(s)
    except InvalidOperation as exc:  # pragma: no cover - the regex above already guards this
        raise NumberFormatError(f"{original!r} is not a number") from exc
    decimals = len(s.split(".")[1]) if "." in s else 0
    precision = Decimal(1).scaleb(-decimals) * scale
    return PublishedNumber(value=sign * magnitude * scale, precision=precision)
