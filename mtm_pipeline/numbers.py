"""Parse figures as agencies write them, keeping the precision they were published at, and write them
back in the extract contract's notation.

The accepted notations are documented in data/raw/README.md ("Accepted number notations"); anything
else is refused with the reason, never guessed.
"""

from __future__ import annotations

import math
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
_MINUS_SIGNS = "-\u2212"  # hyphen-minus, minus sign
# A scale word written straight after the digits ("1,08млрд", "2.7million").
_ATTACHED_SCALE = re.compile(
    r"^(?P<number>.*?\d)(?P<word>"
    + "|".join(sorted(map(re.escape, _SCALE_WORDS), key=len, reverse=True))
    + r")$",
    re.IGNORECASE,
)
# Thousands groups: the first group has 1-3 digits and does not start with 0 ("0,500" is a decimal comma).
_THOUSANDS_COMMAS = re.compile(r"^[1-9]\d{0,2}(,\d{3})+(\.\d+)?$", re.ASCII)
_THOUSANDS_DOTS_DECIMAL_COMMA = re.compile(r"^[1-9]\d{0,2}(\.\d{3})+,\d+$", re.ASCII)
_SPACE_GROUPS = re.compile(r"^[1-9]\d{0,2}( \d{3})+([.,]\d+)?$", re.ASCII)
_PLAIN = re.compile(r"^\d+(\.\d+)?$", re.ASCII)
# float64 (what the conformed frames carry) holds 15 significant decimal digits exactly.
MAX_SIGNIFICANT_DIGITS = 15


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
        """The lowest value the published figure can stand for."""
        return self.value - self.precision / 2

    @property
    def high(self) -> Decimal:
        """The bound above the values the published figure can stand for (excluded)."""
        return self.value + self.precision / 2

    @property
    def decimal_places(self) -> int:
        """Decimal places of the value in base units (0 for '1,08 billion', 1 for '58.2')."""
        return max(0, -self.precision.normalize().as_tuple().exponent)


def _split_scale(s: str) -> tuple[str, Decimal]:
    parts = s.rsplit(None, 1) if any(ch in s for ch in _GROUP_SPACES) else [s]
    if len(parts) == 2 and parts[1].lower() in _SCALE_WORDS:
        return parts[0].strip(), _SCALE_WORDS[parts[1].lower()]
    if match := _ATTACHED_SCALE.match(s):
        return match.group("number").strip(), _SCALE_WORDS[match.group("word").lower()]
    return s, Decimal(1)


def _plain_digits(s: str, original: str) -> str:
    """The number with thousands separators removed and a dot as the decimal mark."""
    if any(space in s for space in _GROUP_SPACES):
        spaced = s
        for space in _GROUP_SPACES:
            spaced = spaced.replace(space, " ")
        if not _SPACE_GROUPS.match(spaced):
            raise NumberFormatError(
                f"{original!r} has spaces that are not thousands separators (groups of three digits)"
            )
        s = spaced.replace(" ", "").replace(",", ".")
    if "," in s and "." in s:
        if s.rfind(",") > s.rfind("."):  # 1.234,5: dot groups thousands, comma is decimal
            if not _THOUSANDS_DOTS_DECIMAL_COMMA.match(s):
                raise NumberFormatError(f"{original!r} mixes commas and dots in no accepted notation")
            return s.replace(".", "").replace(",", ".")
        if not _THOUSANDS_COMMAS.match(s):
            raise NumberFormatError(f"{original!r} mixes commas and dots in no accepted notation")
        return s.replace(",", "")
    if "," in s:
        if _THOUSANDS_COMMAS.match(s):
            return s.replace(",", "")
        if s.count(",") == 1:
            return s.replace(",", ".")
        raise NumberFormatError(
            f"{original!r} has commas that are neither thousands groups nor a decimal comma"
        )
    return s


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
    if s[:1] in f"+{_MINUS_SIGNS}":
        sign = Decimal(-1) if s[0] != "+" else Decimal(1)
        s = s[1:].strip()
    s, scale = _split_scale(s)
    s = _plain_digits(s, original)
    if not _PLAIN.match(s):
        raise NumberFormatError(f"{original!r} is not a number")
    significant = s.replace(".", "").lstrip("0")
    if len(significant) > MAX_SIGNIFICANT_DIGITS:
        raise NumberFormatError(
            f"{original!r} has {len(significant)} significant digits; at most {MAX_SIGNIFICANT_DIGITS} "
            "are kept exactly (write a scale word, e.g. '1.08 billion')"
        )
    try:
        magnitude = Decimal(s)
    except InvalidOperation as exc:  # pragma: no cover - the regex above already guards this
        raise NumberFormatError(f"{original!r} is not a number") from exc
    decimals = len(s.split(".")[1]) if "." in s else 0
    precision = Decimal(1).scaleb(-decimals) * scale
    return PublishedNumber(value=sign * magnitude * scale, precision=precision)


def _bare_number(text: str) -> str:
    """The digits of a figure as written, without sign, per cent sign or scale word."""
    s = text.strip().rstrip("%").strip()
    if s[:1] in f"+{_MINUS_SIGNS}":
        s = s[1:].strip()
    return _split_scale(s)[0]


def comma_is_ambiguous(text: str) -> bool:
    """A figure whose one comma could be a thousands separator or a decimal comma: '2,700' reads 2700
    with thousands commas and 2.7 with a decimal comma ('1,234,567' and '2,70' are not ambiguous)."""
    s = _bare_number(text)
    return s.count(",") == 1 and "." not in s and bool(_THOUSANDS_COMMAS.match(s))


def writes_decimal_comma(text: str) -> bool:
    """A figure whose comma can only be a decimal comma ('1 234,5', '883,5', '1.234,5', '0,500')."""
    s = _bare_number(text)
    if "," not in s or _THOUSANDS_COMMAS.match(s):
        return False
    try:
        parse_published_number(text, allow_percent_sign=True)
    except NumberFormatError:
        return False
    return True


def published_notation(value: float, precision: float | None) -> str:
    """A figure written in the extract contract's notation at the precision it was published at, so that
    parse_published_number reads back the same value and precision: '2476', '-7.6', '2.7 thousand',
    '31.7 million', '-201.5 million', '1.08 billion'. A scale word is written only for a precision of 10
    or more (a figure written in full has a precision of at most 1); a figure that rounds to zero is
    written without a minus sign; no precision (or none above 0) reads as a whole number."""
    step = precision if precision and not math.isnan(precision) and precision > 0 else 1.0
    for divisor, word in ((1e9, " billion"), (1e6, " million"), (1e3, " thousand")):
        if abs(value) >= divisor and step >= max(10.0, divisor / 1000):
            decimals = max(0, math.ceil(-math.log10(step / divisor) - 1e-9))
            return f"{value / divisor:.{decimals}f}{word}"
    decimals = max(0, math.ceil(-math.log10(step) - 1e-9))
    written = f"{value:.{decimals}f}"
    return "0" + written[2:] if written.startswith("-0") and float(written) == 0 else written
