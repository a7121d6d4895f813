"""Document -> PDF with fpdf2 (pure Python) and the DejaVu Sans fonts that matplotlib ships
(Unicode: Türkiye).

Text is broken into lines by text_wrap and each line placed with FPDF.text: fpdf2's own line breaking
(multi_cell, table) took seconds per report.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import cache
from io import BytesIO
from pathlib import Path

from mtm_pipeline.report.document import (
    Bullets,
    Document,
    FigureBlock,
    Heading,
    PageBreak,
    Paragraph,
    Table,
    TableBlock,
    split_marks,
)
from mtm_pipeline.report.text_wrap import WORD, Line, wrap

BLUE = (0, 51, 160)
GREY = (90, 90, 90)
SUPERSCRIPT = str.maketrans("0123456789", "\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079")
FONT = "DejaVu"
CHART_MM_PER_INCH = 150.0 / 7.0  # a chart 7 in wide is shown 150 mm wide


def _font_dir() -> Path:
    import matplotlib

    return Path(matplotlib.get_data_path()) / "fonts" / "ttf"


def plain(text: str) -> str:
    """Footnote marks as superscript digits (the fonts have them); a link as its text and '(address)';
    emphasis as plain text (a paragraph is drawn in one font)."""
    out, address = [], ""
    for kind, value in split_marks(text):
        if kind == "fn":
            out.append(value.translate(SUPERSCRIPT))
        elif kind == "link":
            address = value
        elif kind == "/link":
            out.append(f" ({address.removeprefix('mailto:')})")
        elif kind == "text":
            out.append(value)
    return "".join(out)


@cache
def _report_pdf_class():
    from fpdf import FPDF

    class ReportPDF(FPDF):
        """A4 pages with a footer line, and string widths fast enough to break every line of the report."""

        def __init__(self, title: str) -> None:
            super().__init__(format="A4", unit="mm")
            self.footer_text = title
            self._widths_per_pt: dict[str, dict[str, float]] = {}  # font style -> character -> width at 1 pt

        def footer(self) -> None:
            self.set_y(-12)
            self.set_font(FONT, "", 7.5)
            self.set_text_color(*GREY)
            self.cell(0, 5, f"{self.footer_text}  \u00b7  page {self.page_no()}", align="C")
            self.set_text_color(0, 0, 0)

        def text_width(self, text: str) -> float:
            """get_string_width from cached per-character advances (fpdf2 sums the same advances: it does
            not kern without text shaping)."""
            widths = self._widths_per_pt.setdefault(self.font_style, {})
            try:
                per_pt = sum(map(widths.__getitem__, text))
            except KeyError:
                for char in set(text) - widths.keys():
                    widths[char] = self.get_string_width(char) / self.font_size_pt
                per_pt = sum(map(widths.__getitem__, text))
            return per_pt * self.font_size_pt

    return ReportPDF


def _make_pdf(title: str, created: datetime):
    pdf = _report_pdf_class()(title)
    fonts = _font_dir()
    pdf.add_font(FONT, "", str(fonts / "DejaVuSans.ttf"))
    pdf.add_font(FONT, "B", str(fonts / "DejaVuSans-Bold.ttf"))
    pdf.add_font(FONT, "I", str(fonts / "DejaVuSans-Oblique.ttf"))
    pdf.set_margins(18, 16, 18)
    pdf.set_auto_page_break(True, margin=18)
    pdf.set_creation_date(created)
    pdf.set_title(title)
    pdf.set_author("IOM Mobility Tracking Matrix (generated)")
    return pdf


def _draw_line(pdf, line: Line, x: float, top: float, width: float, line_height: float, align: str) -> None:
    """One line of text where fpdf2's cell would put it (same baseline); justified by spacing its words."""
    if not line.text:
        return
    baseline = top + 0.5 * line_height + 0.3 * pdf.font_size
    spaces = line.text.count(" ")
    if align == "J" and spaces and not line.ends_paragraph:
        space = pdf.text_width(" ") + (width - line.width) / spaces
        for gap, word in WORD.findall(line.text):
            x += len(gap) * space
            pdf.text(x, baseline, word)
            x += pdf.text_width(word)
        return
    offset = {"R": width - line.width, "C": (width - line.width) / 2}.get(align, 0.0)
    pdf.text(x + offset, baseline, line.text)


def _write(
    pdf,
    text: str,
    line_height: float,
    *,
    align: str = "J",
    x: float | None = None,
    width: float | None = None,
    fill: bool = False,
    pad_x: float | None = None,
    pad_y: float = 0.0,
) -> None:
    """What multi_cell(width, line_height, text, new_x="LMARGIN", new_y="NEXT", padding=...) draws, with the
    lines broken by text_wrap.wrap: a new page where the next line does not fit, a filled block drawn per
    page."""
    x = pdf.l_margin if x is None else x
    width = pdf.epw if width is None else width
    inset = pdf.c_margin if pad_x is None else pad_x
    lines = wrap(text, width - 2 * inset, pdf.text_width)
    y, start = pdf.get_y(), 0
    while start < len(lines):
        room = math.floor((pdf.page_break_trigger - y - 2 * pad_y) / line_height + 1e-6)
        if room < 1 and y > pdf.t_margin:
            pdf.add_page()
            y = pdf.get_y()
            continue
        chunk = lines[start : start + max(room, 1)]
        height = len(chunk) * line_height + 2 * pad_y
        if fill:
            pdf.rect(x, y, width, height, style="F")
        for i, line in enumerate(chunk):
            _draw_line(
                pdf, line, x + inset, y + pad_y + i * line_height, width - 2 * inset, line_height, align
            )
        y += height
        start += len(chunk)
    pdf.set_xy(pdf.l_margin, y)


def _line_count(pdf, text: str, width: float) -> int:
    return len(wrap(text, width, pdf.text_width))


def _heading(pdf, block: Heading) -> None:
    sizes = {1: 20, 2: 13.5, 3: 11}
    size = sizes.get(block.level, 10)
    room = 65 if block.level == 2 else 55  # keep a heading with what follows it
    if pdf.get_y() > pdf.h - room:
        pdf.add_page()
    pdf.ln(4 if block.level > 1 else 0)
    pdf.set_font(FONT, "B", size)
    pdf.set_text_color(*BLUE)
    _write(pdf, block.text, size * 0.5)
    if block.level <= 2:
        y = pdf.get_y() + 0.8
        pdf.set_draw_color(*BLUE)
        pdf.set_line_width(0.8 if block.level == 1 else 0.3)
        pdf.line(pdf.l_margin, y, pdf.w - pdf.r_margin, y)
        pdf.ln(2.5)
    else:
        pdf.ln(1)
    pdf.set_text_color(0, 0, 0)


def _paragraph(pdf, block: Paragraph, first: bool) -> None:
    if first and block.role == "boilerplate":
        pdf.set_font(FONT, "", 10)
        pdf.set_text_color(*GREY)
        _write(pdf, plain(block.text), 5)
        pdf.set_text_color(0, 0, 0)
        pdf.ln(3)
        return
    if block.role in ("note", "missing"):
        pdf.set_font(FONT, "I", 8.5)
        _keep_together(pdf, plain(block.text), 4.4)
    if block.role == "note":
        pdf.set_text_color(*GREY)
        _write(pdf, plain(block.text), 4.4)
        pdf.set_text_color(0, 0, 0)
        pdf.ln(2)
        return
    if block.role == "missing":
        pdf.set_font(FONT, "I", 8.5)
        pdf.set_fill_color(255, 247, 224)
        pdf.set_text_color(107, 78, 0)
        _write(pdf, plain(block.text), 4.4, fill=True, pad_x=1.5, pad_y=1.5)
        pdf.set_text_color(0, 0, 0)
        pdf.ln(2)
        return
    pdf.set_font(FONT, "", 9.5)
    _keep_together(pdf, plain(block.text), 4.9, limit=30)
    _write(pdf, plain(block.text), 4.9)
    pdf.ln(2)


def _keep_together(pdf, text: str, line_height: float, limit: float = 60) -> None:
    """Start a new page if a short block (a note, a short paragraph) would be split across pages."""
    height = _line_count(pdf, text, pdf.epw - 3.0) * line_height + 5
    if pdf.get_y() + height > pdf.h - pdf.b_margin and height < limit:
        pdf.add_page()


def _bullets(pdf, block: Bullets) -> None:
    pdf.set_font(FONT, "", 9.5)
    indent = 7
    for i, item in enumerate(block.items, start=1):
        marker = f"{i}." if block.numbered else "\u2022"
        y = pdf.get_y()
        if y > pdf.h - 25:
            pdf.add_page()
            y = pdf.get_y()
        pdf.set_x(pdf.l_margin)
        pdf.set_font(FONT, "B" if block.numbered else "", 9.5)
        pdf.set_text_color(*BLUE)
        pdf.cell(indent, 4.9, marker)
        pdf.set_text_color(0, 0, 0)
        pdf.set_font(FONT, "", 9.5)
        pdf.set_xy(pdf.l_margin + indent, y)
        _write(pdf, plain(item), 4.9, x=pdf.l_margin + indent, width=pdf.epw - indent)
        pdf.ln(1)
    pdf.ln(1.5)


def _col_widths(table: Table, total: float, pdf, size: float) -> tuple[float, ...]:
    """Each column at least as wide as its longest word (no word is broken), the rest of the page shared in
    proportion to how much longer each column's texts are."""
    pad = 3.0
    minimum, desired = [], []
    for i, name in enumerate(table.columns):
        cells = [row[i].text for row in table.rows]
        pdf.set_font(FONT, "B", size)
        head_word = max((pdf.text_width(w) for w in name.split()), default=0)
        head_full = pdf.text_width(name)
        pdf.set_font(FONT, "", size)
        cell_word = max((pdf.text_width(w) for t in cells for w in t.split()), default=0)
        cell_full = max((pdf.text_width(t) for t in cells), default=0)
        minimum.append(max(head_word, cell_word) + pad)
        desired.append(min(max(head_full / 2, head_word, cell_full) + pad, 95.0))  # headings may wrap
    if sum(minimum) >= total:
        return tuple(w * total / sum(minimum) for w in minimum)
    extra = [max(d - m, 0.0) for d, m in zip(desired, minimum, strict=True)]
    spare = total - sum(minimum)
    if sum(extra) <= spare:  # everything fits on one line: share what is left evenly by desired width
        return tuple(d + (spare - sum(extra)) * d / sum(desired) for d in desired)
    return tuple(m + spare * e / sum(extra) for m, e in zip(minimum, extra, strict=True))


def _records(pdf, table: Table) -> None:
    """A table of long texts as one record per row: a bold title line, then 'Column: text' lines."""
    if pdf.get_y() > pdf.h - pdf.b_margin - 45:
        pdf.add_page()  # the title with at least one record
    pdf.set_font(FONT, "B", 9)
    pdf.set_text_color(*BLUE)
    _write(pdf, table.title, 4.6)
    pdf.set_text_color(0, 0, 0)
    pdf.ln(1)
    inner = pdf.epw - 1.6
    for row in table.rows:
        title = "  \u00b7  ".join(row[i].text for i in table.title_columns if row[i].text)
        body = [
            f"{table.columns[i]}: {row[i].text}"
            for i in range(len(row))
            if i not in table.title_columns and row[i].text
        ]
        pdf.set_font(FONT, "B", 8)
        height = 4.2 * _line_count(pdf, title, inner) + 4
        pdf.set_font(FONT, "", 7.8)
        height += sum(3.9 * _line_count(pdf, text, inner) for text in body)
        if pdf.get_y() + height > pdf.h - pdf.b_margin and height < 80:
            pdf.add_page()  # keep a record on one page
        pdf.set_font(FONT, "B", 8)
        pdf.set_fill_color(*BLUE)
        pdf.set_text_color(255, 255, 255)
        _write(pdf, title, 4.2, fill=True, pad_x=0.8, pad_y=0.8)
        pdf.set_text_color(0, 0, 0)
        pdf.set_font(FONT, "", 7.8)
        for text in body:
            _write(pdf, text, 3.9, pad_x=0.8, pad_y=0.4)
        pdf.ln(1.8)
    pdf.ln(2)


def _table_row(
    pdf, texts, widths, aligns, *, line_height: float, padding: float, fill: bool, rule: bool
) -> None:
    """One table row on the current page, every cell's lines centred vertically; `rule`: a line above it."""
    cells = [
        wrap(text, width - 2 * padding, pdf.text_width) for text, width in zip(texts, widths, strict=True)
    ]
    height = max(len(lines) for lines in cells) * line_height + 2 * padding
    x, y = pdf.l_margin, pdf.get_y()
    if fill:
        pdf.rect(x, y, sum(widths), height, style="F")
    for lines, width, align in zip(cells, widths, aligns, strict=True):
        top = y + (height - len(lines) * line_height) / 2
        for i, line in enumerate(lines):
            _draw_line(pdf, line, x + padding, top + i * line_height, width - 2 * padding, line_height, align)
        x += width
    if rule:
        pdf.line(pdf.l_margin, y, pdf.l_margin + sum(widths), y)
    pdf.set_xy(pdf.l_margin, y + height)


def _row_height(pdf, texts, widths, *, line_height: float, padding: float) -> float:
    lines = max(
        _line_count(pdf, text, width - 2 * padding) for text, width in zip(texts, widths, strict=True)
    )
    return lines * line_height + 2 * padding


def _table(pdf, table: Table) -> None:
    if table.title_columns:
        _records(pdf, table)
        return

    wide = len(table.columns) > 6
    size = 7 if wide else 8.5
    line = size * 0.5 + 2.4
    estimate = 12 + line * (len(table.rows) + 2) + 4 * (len(table.notes) + 1)
    body = pdf.h - pdf.t_margin - pdf.b_margin
    if pdf.get_y() + estimate > pdf.h - pdf.b_margin and estimate < body:
        pdf.add_page()  # keep a table that fits on one page together
    pdf.set_font(FONT, "B", 9)
    pdf.set_text_color(*BLUE)
    _write(pdf, table.title, 4.6)
    pdf.set_text_color(0, 0, 0)
    pdf.ln(1)
    widths = _col_widths(table, pdf.epw, pdf, size)
    aligns = tuple("R" if i in table.numeric_columns else "L" for i in range(len(table.columns)))
    cell = {"line_height": size * 0.5, "padding": 1.2}
    pdf.set_draw_color(*BLUE)
    pdf.set_line_width(0.3)

    def heading() -> None:
        pdf.set_font(FONT, "B", size)
        pdf.set_fill_color(*BLUE)
        pdf.set_text_color(255, 255, 255)
        _table_row(pdf, table.columns, widths, aligns, fill=True, rule=False, **cell)
        pdf.set_text_color(0, 0, 0)
        pdf.set_font(FONT, "", size)
        pdf.set_fill_color(244, 246, 251)

    heading()
    for i, row in enumerate(table.rows):
        texts = [c.text for c in row]
        if pdf.get_y() + _row_height(pdf, texts, widths, **cell) > pdf.page_break_trigger:
            pdf.add_page()  # a row is never split; the heading is repeated on the new page
            heading()
        _table_row(pdf, texts, widths, aligns, fill=i % 2 == 0, rule=True, **cell)
    pdf.set_font(FONT, "I", 7.5)
    pdf.set_text_color(*GREY)
    for note in (*table.notes, *([table.source] if table.source else [])):
        _write(pdf, note, 3.8)
    pdf.set_text_color(0, 0, 0)
    pdf.ln(3)


def _png_size(png: bytes) -> tuple[int, int]:
    """Width and height in pixels, from the PNG header (IHDR)."""
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


def _figure(pdf, block: FigureBlock, png: bytes) -> None:
    from mtm_pipeline.report.charts import DPI

    fig = block.figure
    w_px, h_px = _png_size(png)
    width = min(CHART_MM_PER_INCH * w_px / DPI, pdf.epw)
    height = width * h_px / w_px
    if pdf.get_y() + height + 16 > pdf.h - pdf.b_margin:
        pdf.add_page()
    pdf.set_font(FONT, "B", 9)
    pdf.set_text_color(*BLUE)
    _write(pdf, fig.caption, 4.6)
    pdf.set_text_color(0, 0, 0)
    x = pdf.l_margin + (pdf.epw - width) / 2
    pdf.image(BytesIO(png), x=x, w=width, h=height)
    pdf.set_y(pdf.get_y() + 1)
    pdf.set_font(FONT, "I", 7.5)
    pdf.set_text_color(*GREY)
    for note in (*fig.notes, fig.source):
        _write(pdf, note, 3.8)
    pdf.set_text_color(0, 0, 0)
    pdf.ln(3)


def _footnotes(pdf, texts: list[str]) -> None:
    _heading(pdf, Heading(2, "Notes"))
    pdf.set_font(FONT, "", 7.5)
    for i, text in enumerate(texts, start=1):
        if pdf.get_y() + 3.8 > pdf.page_break_trigger:
            pdf.add_page()
        y = pdf.get_y()
        pdf.set_x(pdf.l_margin)
        pdf.cell(7, 3.8, f"{i}.")
        pdf.set_xy(pdf.l_margin + 7, y)
        _write(pdf, text, 3.8, x=pdf.l_margin + 7, width=pdf.epw - 7)
        pdf.ln(0.6)


def render_pdf(doc: Document, pngs: Mapping[str, bytes], path: Path, created: datetime | None = None) -> Path:
    """The report as PDF; `pngs` holds each figure's PNG by file name."""
    created = created or datetime(2000, 1, 1, tzinfo=UTC)
    pdf = _make_pdf(f"{doc.title} \u2014 {doc.subtitle.split(' · ')[0]}", created)
    pdf.add_page()
    first = True
    for block in doc.blocks:
        if isinstance(block, Heading):
            _heading(pdf, block)
        elif isinstance(block, Paragraph):
            _paragraph(pdf, block, first)
            first = False
        elif isinstance(block, Bullets):
            _bullets(pdf, block)
        elif isinstance(block, TableBlock):
            _table(pdf, block.table)
        elif isinstance(block, FigureBlock):
            _figure(pdf, block, pngs[block.figure.filename])
        elif isinstance(block, PageBreak):
            pdf.add_page()
    if doc.footnotes.texts:
        _footnotes(pdf, doc.footnotes.texts)
    path.parent.mkdir(parents=True, exist_ok=True)
    pdf.output(str(path))
    return path
