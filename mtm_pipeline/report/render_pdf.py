"""Document -> PDF with fpdf2 (pure Python) and the DejaVu Sans fonts that matplotlib ships (Unicode: Türkiye)."""

from __future__ import annotations

from datetime import UTC, datetime
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

BLUE = (0, 51, 160)
GREY = (90, 90, 90)
SUPERSCRIPT = str.maketrans("0123456789", "\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079")
FONT = "DejaVu"


def _font_dir() -> Path:
    import matplotlib

    return Path(matplotlib.get_data_path()) / "fonts" / "ttf"


def plain(text: str) -> str:
    """Footnote marks as superscript digits (the fonts have them)."""
    return "".join(value.translate(SUPERSCRIPT) if kind == "fn" else value for kind, value in split_marks(text))


def _make_pdf(title: str, created: datetime):
    from fpdf import FPDF

    class ReportPDF(FPDF):
        def footer(self) -> None:
            self.set_y(-12)
            self.set_font(FONT, "", 7.5)
            self.set_text_color(*GREY)
            self.cell(0, 5, f"{title}  \u00b7  page {self.page_no()}", align="C")
            self.set_text_color(0, 0, 0)

    pdf = ReportPDF(format="A4", unit="mm")
    fonts = _font_dir()
    pdf.add_font(FONT, "", str(fonts / "DejaVuSans.ttf"))
    pdf.add_font(FONT, "B", str(fonts / "DejaVuSans-Bold.ttf"))
    pdf.add_font(FONT, "I", str(fonts / "DejaVuSans-Oblique.ttf"))
    pdf.add_font(FONT, "BI", str(fonts / "DejaVuSans-BoldOblique.ttf"))
    pdf.set_margins(18, 16, 18)
    pdf.set_auto_page_break(True, margin=18)
    pdf.set_creation_date(created)
    pdf.set_title(title)
    pdf.set_author("IOM Mobility Tracking Matrix (generated)")
    return pdf


def _heading(pdf, block: Heading) -> None:
    sizes = {1: 20, 2: 13.5, 3: 11}
    size = sizes.get(block.level, 10)
    room = 65 if block.level == 2 else 55  # keep a heading with what follows it
    if pdf.get_y() > pdf.h - room:
        pdf.add_page()
    pdf.ln(4 if block.level > 1 else 0)
    pdf.set_font(FONT, "B", size)
    pdf.set_text_color(*BLUE)
    pdf.multi_cell(0, size * 0.5, block.text, new_x="LMARGIN", new_y="NEXT")
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
        pdf.multi_cell(0, 5, plain(block.text), new_x="LMARGIN", new_y="NEXT")
        pdf.set_text_color(0, 0, 0)
        pdf.ln(3)
        return
    if block.role in ("note", "missing"):
        pdf.set_font(FONT, "I", 8.5)
        _keep_together(pdf, plain(block.text), 4.4)
    if block.role == "note":
        pdf.set_text_color(*GREY)
        pdf.multi_cell(0, 4.4, plain(block.text), new_x="LMARGIN", new_y="NEXT")
        pdf.set_text_color(0, 0, 0)
        pdf.ln(2)
        return
    if block.role == "missing":
        pdf.set_font(FONT, "I", 8.5)
        pdf.set_fill_color(255, 247, 224)
        pdf.set_text_color(107, 78, 0)
        pdf.multi_cell(0, 4.4, plain(block.text), fill=True, new_x="LMARGIN", new_y="NEXT", padding=1.5)
        pdf.set_text_color(0, 0, 0)
        pdf.ln(2)
        return
    pdf.set_font(FONT, "", 9.5)
    _keep_together(pdf, plain(block.text), 4.9, limit=30)
    pdf.multi_cell(0, 4.9, plain(block.text), new_x="LMARGIN", new_y="NEXT", align="J")
    pdf.ln(2)


def _keep_together(pdf, text: str, line_height: float, limit: float = 60) -> None:
    """Start a new page if a short block (a note, a short paragraph) would be split across pages."""
    lines = pdf.multi_cell(0, line_height, text, dry_run=True, output="LINES", padding=1.5)
    height = len(lines) * line_height + 5
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
        pdf.multi_cell(pdf.w - pdf.l_margin - pdf.r_margin - indent, 4.9, plain(item), new_x="LMARGIN",
                       new_y="NEXT", align="J")  # fmt: skip
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
        head_word = max((pdf.get_string_width(w) for w in name.split()), default=0)
        head_full = pdf.get_string_width(name)
        pdf.set_font(FONT, "", size)
        cell_word = max((pdf.get_string_width(w) for t in cells for w in t.split()), default=0)
        cell_full = max((pdf.get_string_width(t) for t in cells), default=0)
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
    pdf.multi_cell(0, 4.6, table.title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    pdf.ln(1)
    for row in table.rows:
        title = "  \u00b7  ".join(row[i].text for i in table.title_columns if row[i].text)
        body = [(table.columns[i], row[i].text) for i in range(len(row)) if i not in table.title_columns and row[i].text]
        pdf.set_font(FONT, "B", 8)
        height = 4.2 * len(pdf.multi_cell(0, 4.2, title, dry_run=True, output="LINES", padding=0.8)) + 4
        pdf.set_font(FONT, "", 7.8)
        for label, text in body:
            height += 3.9 * len(pdf.multi_cell(0, 3.9, f"{label}: {text}", dry_run=True, output="LINES",
                                               padding=(0.4, 0.8)))  # fmt: skip
        if pdf.get_y() + height > pdf.h - pdf.b_margin and height < 80:
            pdf.add_page()  # keep a record on one page
        pdf.set_font(FONT, "B", 8)
        pdf.set_fill_color(*BLUE)
        pdf.set_text_color(255, 255, 255)
        pdf.multi_cell(0, 4.2, title, fill=True, new_x="LMARGIN", new_y="NEXT", padding=0.8)
        pdf.set_text_color(0, 0, 0)
        pdf.set_font(FONT, "", 7.8)
        for label, text in body:
            pdf.multi_cell(0, 3.9, f"{label}: {text}", new_x="LMARGIN", new_y="NEXT", padding=(0.4, 0.8))
        pdf.ln(1.8)
    pdf.ln(2)


def _table(pdf, table: Table) -> None:
    from fpdf.fonts import FontFace

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
    pdf.multi_cell(0, 4.6, table.title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    pdf.ln(1)
    width = pdf.w - pdf.l_margin - pdf.r_margin
    pdf.set_font(FONT, "", size)
    pdf.set_fill_color(255, 255, 255)
    align = tuple("RIGHT" if i in table.numeric_columns else "LEFT" for i in range(len(table.columns)))
    rows = table.rows
    with pdf.table(
        width=width,
        col_widths=_col_widths(table, width, pdf, size),
        text_align=align,
        line_height=size * 0.5,
        headings_style=FontFace(emphasis="BOLD", color=(255, 255, 255), fill_color=BLUE),
        cell_fill_color=(244, 246, 251),
        cell_fill_mode="ROWS",
        borders_layout="HORIZONTAL_LINES",
        padding=1.2,
    ) as t:
        head = t.row()
        for c in table.columns:
            head.cell(c)
        for row in rows:
            r = t.row()
            for c in row:
                r.cell(c.text)
    pdf.set_font(FONT, "I", 7.5)
    pdf.set_text_color(*GREY)
    for note in (*table.notes, *([table.source] if table.source else [])):
        pdf.multi_cell(0, 3.8, note, new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    pdf.ln(3)


def _figure(pdf, block: FigureBlock, figure_dir: Path) -> None:
    from PIL import Image

    fig = block.figure
    path = figure_dir / fig.filename
    with Image.open(path) as im:
        w_px, h_px = im.size
    width = min(150.0 * w_px / 1050.0, pdf.w - pdf.l_margin - pdf.r_margin)  # 7 in at 150 dpi = 150 mm
    height = width * h_px / w_px
    if pdf.get_y() + height + 16 > pdf.h - pdf.b_margin:
        pdf.add_page()
    pdf.set_font(FONT, "B", 9)
    pdf.set_text_color(*BLUE)
    pdf.multi_cell(0, 4.6, fig.caption, new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    x = pdf.l_margin + (pdf.w - pdf.l_margin - pdf.r_margin - width) / 2
    pdf.image(str(path), x=x, w=width, h=height)
    pdf.set_y(pdf.get_y() + 1)
    pdf.set_font(FONT, "I", 7.5)
    pdf.set_text_color(*GREY)
    for note in (*fig.notes, fig.source):
        pdf.multi_cell(0, 3.8, note, new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    pdf.ln(3)


def render_pdf(doc: Document, figure_dir: Path, path: Path, created: datetime | None = None) -> Path:
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
            _figure(pdf, block, figure_dir)
        elif isinstance(block, PageBreak):
            pdf.add_page()
    if doc.footnotes.texts:
        _heading(pdf, Heading(2, "Notes"))
        pdf.set_font(FONT, "", 7.5)
        for i, text in enumerate(doc.footnotes.texts, start=1):
            pdf.set_x(pdf.l_margin)
            y = pdf.get_y()
            pdf.cell(7, 3.8, f"{i}.")
            pdf.set_xy(pdf.l_margin + 7, y)
            pdf.multi_cell(pdf.w - pdf.l_margin - pdf.r_margin - 7, 3.8, text, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(0.6)
    path.parent.mkdir(parents=True, exist_ok=True)
    pdf.output(str(path))
    return path
