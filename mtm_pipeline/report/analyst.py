"""The analyst's text in its place (data/narrative/<quarter>/, read by mtm_pipeline.narrative_text and checked
by checks/narrative): `developments.md` as Section 1 after the key findings, `<section id>.md` at the end of
that section. References are filled in at the figure's own precision, a computed figure marked as such."""

from __future__ import annotations

from dataclasses import dataclass, field

from mtm_pipeline.narrative_text import REFERENCE, Item, NarrativeError, NarrativeFile
from mtm_pipeline.report.document import (
    MARK_CLOSE,
    MARK_OPEN,
    Bullets,
    Heading,
    Paragraph,
    marked,
    strip_marks,
)
from mtm_pipeline.report.format import COMPUTED_MARK, fmt_percent, fmt_signed, fmt_value

DEVELOPMENTS = "developments"
DEVELOPMENTS_AFTER = "key_findings"
DEVELOPMENTS_HEADING = "1. Developments in Migration Policy"


@dataclass(frozen=True)
class AnalystText:
    files: dict = field(default_factory=dict)  # name -> NarrativeFile
    references: dict = field(default_factory=dict)  # reference text -> checks.narrative FigureFacet


def check_file_names(files: dict[str, NarrativeFile], section_ids: tuple[str, ...]) -> None:
    """Refuse a file that names no place in the report (NarrativeError naming it and the names allowed)."""
    for name, file in files.items():
        if name != DEVELOPMENTS and name not in section_ids:
            allowed = ", ".join(f"{n}.md" for n in (DEVELOPMENTS, *section_ids))
            raise NarrativeError(f"{file.where}: not a place in the report; name the file one of {allowed}")


def figure_text(figure) -> str:
    """A referenced figure as the report writes it: '2,975,788', '76.1 million', '45.2', '-12.6'."""
    if figure.facet == "share":
        text = fmt_percent(figure.value, figure.precision)
    elif figure.facet == "change" and figure.kind in ("percent", "times"):
        text = fmt_signed(figure.value, figure.precision)
    else:
        text = fmt_value(figure.value, figure.precision, figure.unit)
    return text + (COMPUTED_MARK if figure.computed else "")


def _text(item: Item, references: dict) -> str:
    parts = []
    for span in item.spans:
        text = span.text.replace(MARK_OPEN, "[").replace(MARK_CLOSE, "]").replace("\n", " ")
        text = REFERENCE.sub(lambda m: figure_text(references[m.group(1)]), text)
        parts.append(text if span.kind == "text" else marked(text, span.kind, span.url))
    return "".join(parts)


def blocks(file: NarrativeFile, references: dict) -> list:
    """The file as report blocks: headings as subsection headings, paragraphs, bullet and numbered lists."""
    out = []
    for block in file.blocks:
        texts = [_text(item, references) for item in block.items]
        if block.kind == "heading":
            out.append(Heading(3, strip_marks(texts[0])))
        elif block.kind == "paragraph":
            out.append(Paragraph(texts[0]))
        else:
            out.append(Bullets(tuple(texts), numbered=block.kind == "numbered"))
    return out


def place(ctx, section_id: str, text: AnalystText | None) -> None:
    """After section `section_id`: its note, and after the key findings Section 1 (nothing when absent)."""
    if text is None:
        return
    if section_id in text.files:
        ctx.add(*blocks(text.files[section_id], text.references))
    if section_id == DEVELOPMENTS_AFTER and DEVELOPMENTS in text.files:
        ctx.h(2, DEVELOPMENTS_HEADING)
        ctx.add(*blocks(text.files[DEVELOPMENTS], text.references))
