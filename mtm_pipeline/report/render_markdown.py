"""Document -> Markdown (GitHub-flavoured: pipe tables, [^n] footnotes). Deterministic: same document,
same bytes."""

from __future__ import annotations

import re

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

_SPECIAL = re.compile(r"([\\`*_\[\]<>|#])")


_MARKS = {"em": "*", "/em": "*", "strong": "**", "/strong": "**", "link": "["}


def escape(text: str) -> str:
    """Escape Markdown syntax characters, then write the marks: [^n], *em*, **strong**, [text](address)."""
    parts, address = [], ""
    for kind, value in split_marks(text):
        if kind == "fn":
            parts.append(f"[^{value}]")
        elif kind == "/link":
            parts.append(f"]({address})")
        elif kind in _MARKS:
            address = value if kind == "link" else address
            parts.append(_MARKS[kind])
        else:
            parts.append(_SPECIAL.sub(r"\\\1", value))
    return "".join(parts)


def table_markdown(table: Table) -> list[str]:
    lines = [f"**{escape(table.title)}**", ""]
    header = "| " + " | ".join(escape(c) for c in table.columns) + " |"
    align = (
        "|"
        + "|".join("---:" if i in table.numeric_columns else "---" for i in range(len(table.columns)))
        + "|"
    )
    lines += [header, align]
    for row in table.rows:
        lines.append("| " + " | ".join(escape(c.text).replace("\n", " ") for c in row) + " |")
    if not table.rows:
        lines.append("| " + " | ".join("" for _ in table.columns) + " |")
    for note in table.notes:
        lines += ["", f"*{escape(note)}*"]
    if table.source:
        lines += ["", f"*{escape(table.source)}*"]
    return lines


def render_markdown(doc: Document, figure_prefix: str = "figures/") -> str:
    lines: list[str] = []
    for block in doc.blocks:
        if isinstance(block, Heading):
            lines += ["#" * block.level + " " + escape(block.text), ""]
        elif isinstance(block, Paragraph):
            text = escape(block.text)
            lines += [f"*{text}*" if block.role in ("missing", "note") else text, ""]
        elif isinstance(block, Bullets):
            for i, item in enumerate(block.items, start=1):
                lines.append(f"{i}. {escape(item)}" if block.numbered else f"- {escape(item)}")
            lines.append("")
        elif isinstance(block, TableBlock):
            lines += [*table_markdown(block.table), ""]
        elif isinstance(block, FigureBlock):
            fig = block.figure
            lines += [
                f"**{escape(fig.caption)}**",
                "",
                f"![{escape(fig.caption)}]({figure_prefix}{fig.filename})",
                "",
            ]
            for note in fig.notes:
                lines += [f"*{escape(note)}*", ""]
            lines += [f"*{escape(fig.source)}*", ""]
        elif isinstance(block, PageBreak):
            lines += ["---", ""]
    if doc.footnotes.texts:
        lines += ["## Notes", ""]
        for i, text in enumerate(doc.footnotes.texts, start=1):
            lines.append(f"[^{i}]: {escape(text)}")
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"
