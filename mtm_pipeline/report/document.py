"""The report as a list of blocks, rendered alike to Markdown, HTML and PDF (and its tables to XLSX).

Inline text is plain text with marks that each renderer translates, each written MARK_OPEN + name +
MARK_CLOSE:
- a footnote reference, 'fn:' + its number (see Footnotes.ref);
- emphasis and links, used only by the analyst's text (report/analyst.py): 'em' ... '/em', 'strong' ...
  '/strong', 'link:' + address ... '/link' (an http, https or mailto address, checked by narrative_text).
Everything else is text, escaped by each renderer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

MARK_OPEN, MARK_CLOSE = "\u27e6", "\u27e7"
FN_OPEN, FN_CLOSE = MARK_OPEN + "fn:", MARK_CLOSE
FN_PATTERN = re.compile(re.escape(FN_OPEN) + r"(\d+)" + re.escape(FN_CLOSE))
MARK_PATTERN = re.compile(
    MARK_OPEN + r"(fn:\d+|/?em|/?strong|link:[^" + MARK_CLOSE + r"]*|/link)" + MARK_CLOSE
)


@dataclass(frozen=True)
class Cell:
    """A table cell: the text shown and the value written to XLSX (a number where there is one).

    comment: what the marks of the figure mean (corrected, flagged), written to XLSX as a cell comment.
    flag: the failed checks of a flagged figure (the table's notes name them).
    """

    text: str
    value: float | str | None = None
    comment: str | None = None
    flag: str | None = None

    @property
    def xlsx(self) -> float | str | None:
        return self.value if self.value is not None else (self.text or None)


@dataclass(frozen=True)
class Table:
    key: str  # XLSX sheet name, unique in a report
    title: str  # "Table 1: ..." (numbered) or a plain title for annex tables
    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    source: str | None = None
    notes: tuple[str, ...] = ()
    numeric_columns: tuple[int, ...] = ()  # right-aligned
    title_columns: tuple[
        int, ...
    ] = ()  # set: the PDF shows one record per row (title line + labelled fields)


@dataclass(frozen=True)
class Chart:
    """What a figure shows (pure data); charts.render_png draws it."""

    kind: str  # "hbar" | "bar" | "grouped_bar" | "line"
    categories: tuple[str, ...]
    series: tuple[tuple[str, tuple[float | None, ...]], ...]  # (name, values per category)
    unit_label: str  # axis label, e.g. "% of CIS arrivals"
    value_format: str = "{:,.0f}"
    highlight_last: bool = False  # draw the last category in grey (a computed remainder)
    labels: tuple[tuple[str, ...], ...] = ()  # per series, the label of each value as the text writes it


@dataclass(frozen=True)
class Figure:
    number: int
    title: str  # without "Figure N: "
    chart: Chart
    source: str  # "Source: National Border Service of Kazakhstan, 2024"
    filename: str  # figures/<filename>
    notes: tuple[str, ...] = ()

    @property
    def caption(self) -> str:
        return f"Figure {self.number}: {self.title}"


@dataclass(frozen=True)
class Heading:
    level: int  # 1 = title, 2 = section, 3 = subsection
    text: str


@dataclass(frozen=True)
class Paragraph:
    text: str
    role: str = "narrative"  # narrative | key | note | missing | boilerplate


@dataclass(frozen=True)
class Bullets:
    items: tuple[str, ...]
    numbered: bool = False
    role: str = "narrative"


@dataclass(frozen=True)
class TableBlock:
    table: Table


@dataclass(frozen=True)
class FigureBlock:
    figure: Figure


@dataclass(frozen=True)
class PageBreak:
    pass


Block = Heading | Paragraph | Bullets | TableBlock | FigureBlock | PageBreak


@dataclass
class Footnotes:
    """Numbered footnotes in order of first reference; identical texts share one number."""

    texts: list[str] = field(default_factory=list)

    def ref(self, text: str) -> str:
        if text not in self.texts:
            self.texts.append(text)
        return f"{FN_OPEN}{self.texts.index(text) + 1}{FN_CLOSE}"


@dataclass
class Document:
    title: str
    subtitle: str
    blocks: list = field(default_factory=list)
    footnotes: Footnotes = field(default_factory=Footnotes)
    figure_dir: Path | None = None

    def add(self, *blocks) -> None:
        self.blocks.extend(b for b in blocks if b is not None)

    @property
    def tables(self) -> list[Table]:
        return [b.table for b in self.blocks if isinstance(b, TableBlock)]

    @property
    def figures(self) -> list[Figure]:
        return [b.figure for b in self.blocks if isinstance(b, FigureBlock)]


def marked(text: str, mark: str, address: str | None = None) -> str:
    """`text` between the opening and closing marks of 'em', 'strong' or 'link' (with its address)."""
    opening = f"link:{address}" if mark == "link" else mark
    return f"{MARK_OPEN}{opening}{MARK_CLOSE}{text}{MARK_OPEN}/{mark}{MARK_CLOSE}"


def strip_marks(text: str) -> str:
    return MARK_PATTERN.sub("", text)


def split_marks(text: str) -> list[tuple[str, str]]:
    """[('text', 'abc'), ('fn', '3'), ('em', ''), ('text', 'x'), ('/em', ''), ('link', address), ...]."""
    out, pos = [], 0
    for m in MARK_PATTERN.finditer(text):
        if m.start() > pos:
            out.append(("text", text[pos : m.start()]))
        kind, _, value = m.group(1).partition(":")
        out.append((kind, value))
        pos = m.end()
    if pos < len(text):
        out.append(("text", text[pos:]))
    return out
