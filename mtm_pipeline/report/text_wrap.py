"""Line breaking for the PDF: greedy, at spaces, in time linear in the text's length.

fpdf2's multi_cell re-measures the whole line for every character it adds, so a report of long paragraphs and
table cells spent most of its PDF time there; here each word is measured once.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import NamedTuple

WORD = re.compile(r"( *)([^ ]+)")  # a word and the spaces before it


class Line(NamedTuple):
    text: str
    width: float
    ends_paragraph: bool  # the last line of a paragraph is not justified


def wrap(text: str, max_width: float, width_of: Callable[[str], float]) -> list[Line]:
    """`text` in lines no wider than `max_width`: broken at spaces (the spaces at a break are dropped), a word
    wider than a line split between characters, a newline always a break."""
    lines: list[Line] = []
    for paragraph in text.split("\n"):
        line, line_width = "", 0.0
        for gap, word in WORD.findall(paragraph):
            gap_width = width_of(gap) if gap else 0.0
            word_width = width_of(word)
            if line and line_width + gap_width + word_width > max_width:
                lines.append(Line(line, line_width, False))
                line, line_width, gap, gap_width = "", 0.0, "", 0.0
            if not line and word_width > max_width:
                *full, (word, word_width) = split_word(word, max_width, width_of)
                lines.extend(Line(piece, piece_width, False) for piece, piece_width in full)
            line, line_width = line + gap + word, line_width + gap_width + word_width
        lines.append(Line(line, line_width, True))
    return lines


def split_word(word: str, max_width: float, width_of: Callable[[str], float]) -> list[tuple[str, float]]:
    """A word too wide for a line as pieces that fit (at least one character each), with their widths."""
    pieces: list[tuple[str, float]] = []
    piece, piece_width = "", 0.0
    for char in word:
        char_width = width_of(char)
        if piece and piece_width + char_width > max_width:
            pieces.append((piece, piece_width))
            piece, piece_width = "", 0.0
        piece, piece_width = piece + char, piece_width + char_width
    pieces.append((piece, piece_width))
    return pieces
