"""Document -> one self-contained HTML file: inline CSS, figures as base64 PNG, no external references."""

from __future__ import annotations

import base64
import html
from collections.abc import Mapping

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

CSS = """
body { font-family: "DejaVu Sans", "Segoe UI", Arial, sans-serif; color: #1a1a1a; max-width: 62rem;
       margin: 2rem auto; padding: 0 1.5rem; line-height: 1.5; font-size: 15px; }
h1 { color: #0033A0; font-size: 1.9rem; border-bottom: 4px solid #0033A0; padding-bottom: .4rem; }
h2 { color: #0033A0; font-size: 1.35rem; margin-top: 2.2rem; border-bottom: 1px solid #c9d3ea; }
h3 { color: #0033A0; font-size: 1.1rem; margin-top: 1.6rem; }
p.subtitle { color: #555; margin-top: -.6rem; }
p.note { font-size: .9rem; color: #555; font-style: italic; }
p.missing { color: #6b4e00; background: #fff7e0; border-left: 4px solid #f2a900; padding: .4rem .7rem; }
ol.key li { margin-bottom: .5rem; }
table { border-collapse: collapse; margin: .6rem 0 .3rem; font-size: .9rem; }
caption { caption-side: top; text-align: left; font-weight: bold; color: #0033A0; padding-bottom: .3rem; }
th { background: #0033A0; color: #fff; padding: .35rem .6rem; text-align: left; vertical-align: bottom; }
td { border-bottom: 1px solid #d8deea; padding: .3rem .6rem; vertical-align: top; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tr:nth-child(even) td { background: #f4f6fb; }
figure { margin: 1.2rem 0; }
figure img { max-width: min(100%, 760px); height: auto; border: 1px solid #e3e7f1; }
figcaption { font-weight: bold; color: #0033A0; margin-bottom: .3rem; }
.source, .tnote { font-size: .85rem; color: #555; font-style: italic; margin: .1rem 0; }
sup a { text-decoration: none; color: #0033A0; }
section.notes { font-size: .85rem; color: #333; border-top: 1px solid #c9d3ea; margin-top: 2rem; }
hr.page { border: none; border-top: 1px dashed #c9d3ea; margin: 2rem 0; }
"""


_TAGS = {"em": "<em>", "/em": "</em>", "strong": "<strong>", "/strong": "</strong>", "/link": "</a>"}


def inline(text: str) -> str:
    """Text with its marks as HTML: footnote references, emphasis and links (addresses escaped)."""
    out = []
    for kind, value in split_marks(text):
        if kind == "fn":
            out.append(f'<sup><a href="#fn-{value}" id="ref-{value}">{value}</a></sup>')
        elif kind == "link":
            out.append(f'<a href="{html.escape(value, quote=True)}" rel="noopener">')
        elif kind in _TAGS:
            out.append(_TAGS[kind])
        else:
            out.append(html.escape(value))
    return "".join(out)


def table_html(table: Table) -> str:
    rows = []
    head = "".join(
        f'<th class="num">{html.escape(c)}</th>'
        if i in table.numeric_columns
        else f"<th>{html.escape(c)}</th>"
        for i, c in enumerate(table.columns)
    )
    for row in table.rows:
        cells = "".join(
            f'<td class="num">{html.escape(c.text)}</td>'
            if i in table.numeric_columns
            else f"<td>{html.escape(c.text)}</td>"
            for i, c in enumerate(row)
        )
        rows.append(f"<tr>{cells}</tr>")
    caption = f"<caption>{html.escape(table.title)}</caption>"
    parts = [f"<table>{caption}<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"]
    parts += [f'<p class="tnote">{html.escape(n)}</p>' for n in table.notes]
    if table.source:
        parts.append(f'<p class="source">{html.escape(table.source)}</p>')
    return "\n".join(parts)


def render_html(doc: Document, pngs: Mapping[str, bytes]) -> str:
    """The report as one HTML page; `pngs` holds each figure's PNG by file name."""
    body = []
    first_paragraph = True
    for block in doc.blocks:
        if isinstance(block, Heading):
            body.append(f"<h{block.level}>{html.escape(block.text)}</h{block.level}>")
        elif isinstance(block, Paragraph):
            cls = "subtitle" if first_paragraph and block.role == "boilerplate" else block.role
            first_paragraph = False
            body.append(f'<p class="{cls}">{inline(block.text)}</p>')
        elif isinstance(block, Bullets):
            tag = "ol" if block.numbered else "ul"
            items = "".join(f"<li>{inline(i)}</li>" for i in block.items)
            body.append(f'<{tag} class="{block.role}">{items}</{tag}>')
        elif isinstance(block, TableBlock):
            body.append(table_html(block.table))
        elif isinstance(block, FigureBlock):
            fig = block.figure
            data = base64.b64encode(pngs[fig.filename]).decode("ascii")
            notes = "".join(f'<p class="tnote">{html.escape(n)}</p>' for n in fig.notes)
            body.append(
                f"<figure><figcaption>{html.escape(fig.caption)}</figcaption>"
                f'<img alt="{html.escape(fig.caption)}" src="data:image/png;base64,{data}">'
                f'{notes}<p class="source">{html.escape(fig.source)}</p></figure>'
            )
        elif isinstance(block, PageBreak):
            body.append('<hr class="page">')
    if doc.footnotes.texts:
        notes = "".join(
            f'<li id="fn-{i}">{html.escape(t)} <a href="#ref-{i}">\u21a9</a></li>'
            for i, t in enumerate(doc.footnotes.texts, start=1)
        )
        body.append(f'<section class="notes"><h2>Notes</h2><ol>{notes}</ol></section>')
    period = doc.subtitle.split(" \u00b7 ")[0]
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(doc.title)} \u2014 {html.escape(period)}</title>\n"
        f"<style>{CSS}</style>\n</head>\n<body>\n" + "\n".join(body) + "\n</body>\n</html>\n"
    )
