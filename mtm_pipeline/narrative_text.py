"""The analyst's own text of a quarter: Markdown files in <MTM_DATA_DIR>/narrative/<quarter>/, read into
blocks (pure, no report or warehouse code).

The Markdown is a small subset (docs/analyst-narrative.md): headings (`#` ...), paragraphs, bullet lists
(`-`, `*`, `+`), numbered lists (`1.` or `1)`), emphasis (`*x*`, `_x_`), strong emphasis (`**x**`) and links
(`[text](https://...)`, `http`, `https` and `mailto` only); a backslash escapes a mark. Everything else,
raw HTML included, is text: the report escapes it. Each block keeps the line it starts on, so a check or an
error can name file and line. References `{{measure period ...}}` stay in the text; checks/narrative resolves
them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

REFERENCE = re.compile(r"\{\{([^{}\n]*)\}\}")
LINK_SCHEMES = ("http://", "https://", "mailto:")
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_BULLET = re.compile(r"^[-*+]\s+(.*)$")
_NUMBERED = re.compile(r"^\d{1,3}[.)]\s+(.*)$")
_INLINE = re.compile(
    r"\\(?P<escaped>[\\`*_{}\[\]()#+\-.!])"
    r"|\[(?P<link_text>[^\]\n]+)\]\((?P<url>[^)\s]*)\)"
    r"|\*\*(?P<strong>[^*]+?)\*\*"
    r"|\*(?P<em>[^*\s][^*]*?)\*"
    r"|(?<![\w])_(?P<em_u>[^_\s][^_]*?)_(?![\w])"
)


class NarrativeError(ValueError):
    """A narrative file the report cannot use, with file and line."""


@dataclass(frozen=True)
class Span:
    kind: str  # "text" | "em" | "strong" | "link"
    text: str
    url: str | None = None


@dataclass(frozen=True)
class Item:
    """The text of a heading, a paragraph or a list item, from its first line (newlines kept)."""

    line: int
    source: str  # the Markdown as written (references included)
    spans: tuple[Span, ...]

    @property
    def plain(self) -> str:
        """The text without marks: what a reader sees (link texts, not their targets)."""
        return "".join(span.text for span in self.spans)


@dataclass(frozen=True)
class Block:
    kind: str  # "heading" | "paragraph" | "bullets" | "numbered"
    items: tuple[Item, ...]  # one for a heading or a paragraph


@dataclass(frozen=True)
class NarrativeFile:
    name: str  # the file's stem: 'developments' or a section id
    where: str  # 'narrative/2024-Q1/developments.md', for messages
    blocks: tuple[Block, ...]


def parse_inline(text: str, where: str, line: int = 1) -> tuple[Span, ...]:
    """Inline Markdown -> spans (`text` starts on `line` of the file `where`). A link to anything but http(s)
    or mailto is refused (NarrativeError naming file and line)."""
    spans: list[Span] = []
    pos = 0
    for m in _INLINE.finditer(text):
        if m.start() > pos:
            spans.append(Span("text", text[pos : m.start()]))
        if m.group("escaped"):
            spans.append(Span("text", m.group("escaped")))
        elif m.group("link_text"):
            url = m.group("url")
            if not url.lower().startswith(LINK_SCHEMES) or any(c in url for c in "<>\"'`\\"):
                raise NarrativeError(
                    f"{where}:{line + text[: m.start()].count(chr(10))}: link target {url!r} is not allowed: "
                    "write an http://, https:// or mailto: "
                    "address without quotes or angle brackets"
                )
            spans.append(Span("link", m.group("link_text"), url))
        elif m.group("strong"):
            spans.append(Span("strong", m.group("strong")))
        else:
            spans.append(Span("em", m.group("em") or m.group("em_u")))
        pos = m.end()
    if pos < len(text):
        spans.append(Span("text", text[pos:]))
    return tuple(spans)


def _item(line: int, source: str, where: str) -> Item:
    return Item(line, source, parse_inline(source, where, line))


def parse_markdown(text: str, where: str) -> tuple[Block, ...]:
    """The blocks of a Markdown text (where: the file, for messages)."""
    blocks: list[Block] = []
    kind, lines = None, []  # the open block: its kind and [(line number, text)] per item

    def close() -> None:
        nonlocal kind, lines
        if kind:
            items = tuple(_item(n, "\n".join(t), where) for n, t in lines)
            blocks.append(Block(kind, items))
        kind, lines = None, []

    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        indented = raw[:1] in (" ", "\t")
        list_item = _BULLET.match(stripped) or _NUMBERED.match(stripped)
        if not stripped:
            close()
        elif (heading := _HEADING.match(stripped)) and not indented:
            close()
            blocks.append(Block("heading", (_item(number, heading.group(2), where),)))
        elif list_item and not (kind == "paragraph" and indented):
            item_kind = "bullets" if _BULLET.match(stripped) else "numbered"
            if kind != item_kind:
                close()
                kind = item_kind
            lines.append((number, [list_item.group(1)]))
        elif kind in ("bullets", "numbered") and indented:
            lines[-1][1].append(stripped)
        else:
            if kind != "paragraph":
                close()
                kind = "paragraph"
                lines.append((number, []))
            lines[-1][1].append(stripped)
    close()
    return tuple(blocks)


def narrative_files(folder: Path, label: str) -> list[Path]:
    """The analyst's Markdown files of a quarter's folder (a README.md documents the folder and is no text of
    the report); [] when the folder does not exist. A link leading out of the folder is refused."""
    if not folder.is_dir():
        return []
    inside = folder.resolve()
    files = []
    for path in sorted(folder.glob("*.md")):
        if path.name.lower() == "readme.md" or not path.is_file():
            continue
        if path.resolve().parent != inside:
            raise NarrativeError(
                f"{label}/{path.name}: a link to a file outside the folder; put the text itself in the folder"
            )
        files.append(path)
    return files


def read_narrative(folder: Path, label: str) -> dict[str, NarrativeFile]:
    """Every Markdown file of `folder` (narrative_files) by name (stem). `label` is how messages name the
    folder ('narrative/2024-Q1')."""
    files = {}
    for path in narrative_files(folder, label):
        where = f"{label}/{path.name}"
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as error:
            raise NarrativeError(f"{where}: not UTF-8 text ({error}); save it as UTF-8") from error
        files[path.stem] = NarrativeFile(path.stem, where, parse_markdown(text, where))
    return files


def items_of(file: NarrativeFile) -> list[Item]:
    """Every item of a file in order (headings, paragraphs, list items)."""
    return [item for block in file.blocks for item in block.items]
