"""Recognise a table's header in a sheet: which sheet column is which column of the layout's table.

A header may be written over several rows: one row per language, or group headers merged over their
sub-columns (`Въезд` over `всего | в т.ч. с целью трудовой деятельности`, a year over its quarter
columns `I кв. | II кв.`). A column's header is the texts of its header rows, top to bottom; it matches a
layout column when the texts read as one label ('въезд' + 'всего' = 'Въезд, всего'), when every text is
a language of the label, or when the bottom text is the label and the texts above name its group (the
part of one of its labels, or of the column it is `subset_of`, before the comma: `Въезд`). Units in a
header ('Въезд, всего, тыс. человек'), a units row and a column-numbering row (`А | Б | 1 | 2 | 3`) under
the header are no part of the labels. Numbering columns (`№`, `№ п/п`) are ignored (shared vocabulary).
Share and change columns (`Удельный вес, %`, `в % к соответствующему периоду прошлого года`) belong to the
figure column under the same group header, else to the figure column before them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from mtm_pipeline.numbers import NumberFormatError, parse_published_number
from mtm_pipeline.sources.labels import label_group, label_matches, label_parts
from mtm_pipeline.sources.layouts import Layout, TableSpec
from mtm_pipeline.sources.period_words import period_of_header
from mtm_pipeline.sources.sheets import Sheet

IGNORED = "\x00ignored"  # the match of a numbering column
_NUMBERING = re.compile(r"^(?:[a-zа-яәғқңөұүһі]|\d{1,3})\.?$")


@dataclass
class Header:
    """A header as matched: layout column key -> sheet column, the rest, and share / change columns."""

    columns: dict[str, int] = field(default_factory=dict)
    unmatched: list[int] = field(default_factory=list)
    extras: dict[int, tuple[str, str, tuple[str, ...]]] = field(default_factory=dict)  # kind, base, groups
    rows_used: set[int] = field(default_factory=set)  # header rows holding a matched text

    def matched(self, spec: TableSpec) -> int:
        """How many required columns of the table the header has."""
        return sum(1 for c in spec.required_columns if c.key in self.columns)


CellParts = dict[tuple[int, int], list[str]]  # (row, column) -> the cell's parts without units


def _cell_parts(layout: Layout, sheet: Sheet, row: int, column: int, cache: CellParts | None) -> list[str]:
    key = (row, column)
    if cache is not None and key in cache:
        return cache[key]
    parts = [
        text for text in (layout.unit_words.split(p)[0] for p in label_parts(sheet.text(row, column))) if text
    ]
    if cache is not None:
        cache[key] = parts
    return parts


def header_entries(
    layout: Layout, sheet: Sheet, row: int, rows: int, column: int, cache: CellParts | None = None
) -> list[tuple[int, str]]:
    """(row, normalised text) of one column's header, top to bottom: each language a part, repeated texts
    (a cell merged down) once, the unit a text states left out (a units-only text is dropped)."""
    entries: list[tuple[int, str]] = []
    seen: set[str] = set()
    for r in range(row, row + rows):
        for text in _cell_parts(layout, sheet, r, column, cache):
            if text not in seen:
                seen.add(text)
                entries.append((r, text))
    return entries


def header_parts(layout: Layout, sheet: Sheet, row: int, rows: int, column: int) -> list[str]:
    """The texts of one column's header (see header_entries)."""
    return [text for _, text in header_entries(layout, sheet, row, rows, column)]


def _groups(spec: TableSpec, key: str) -> set[str]:
    """The group words a column's header may stand under: its own labels' and its subset_of column's
    labels' text before the comma ('въезд' for 'Въезд, всего')."""
    keys = {key} | {f.subset_of for f in spec.figures if f.column == key and f.subset_of}
    labels = [label for c in spec.columns if c.key in keys for label in c.labels]
    return {g for g in map(label_group, labels) if g}


def _column_key(layout: Layout, spec: TableSpec, parts: list[str], taken: dict[str, int]) -> str | None:
    if label_matches(parts, layout.ignore_columns):
        return IGNORED
    free = [c for c in spec.columns if c.key not in taken]
    for column in free:
        if label_matches(parts, column.labels):
            return column.key
    if len(parts) > 1:
        for column in free:
            if label_matches(parts[-1:], column.labels) and set(parts[:-1]) <= _groups(spec, column.key):
                return column.key
    return None


def _extra(layout: Layout, leaf: str) -> tuple[str, str] | None:
    if leaf in layout.share_columns:
        return "share", ""
    return next((("change", base) for base, labels in layout.change_columns.items() if leaf in labels), None)


def match_header(
    layout: Layout, spec: TableSpec, sheet: Sheet, row: int, rows: int, cache: CellParts | None = None
) -> Header:
    """The header at `row` spanning `rows` rows, matched against the table's columns."""
    header = Header()
    for column in range(1, sheet.max_column + 1):
        entries = header_entries(layout, sheet, row, rows, column, cache)
        if not entries:
            continue
        parts = [text for _, text in entries]
        key = _column_key(layout, spec, parts, header.columns)
        extra = _extra(layout, parts[-1]) if key is None else None
        if key == IGNORED:
            continue
        if key is not None:
            header.columns[key] = column
        elif extra is not None:
            header.extras[column] = (*extra, tuple(parts[:-1]))
        elif spec.period_columns is not None and period_of_header(parts) is not None:
            header.unmatched.append(column)
        else:
            header.unmatched.append(column)
            continue
        header.rows_used.update(r for r, _ in entries)
    return header


def _holds_figures(layout: Layout, sheet: Sheet, row: int) -> bool:
    """A row with a number that is not a period nor a row number: a body row, not a header row."""
    for text in sheet.row_texts(row):
        if not text or period_of_header(text) is not None or label_matches(text, layout.ignore_columns):
            continue
        try:
            parse_published_number(text)
        except NumberFormatError:
            continue
        return True
    return False


def header_candidates(layout: Layout, spec: TableSpec, sheet: Sheet):
    """(row, header rows, rows under it to skip, header, matched count) of each row that looks like this
    table's header: at least half of the required columns (two at least), or all but one. A header spans
    several rows when every row of it holds a text of a matched column and none holds a figure."""
    required = spec.required_columns
    fewest_matched = max(2, min(len(required) - 1, (len(required) + 1) // 2)) if len(required) > 1 else 1
    cache: CellParts = {}
    words = _vocabulary(layout, spec)
    row = 1
    while row <= sheet.max_row:
        best = None  # (header rows, header, matched): the most columns, then the most rows
        if not _may_start(layout, spec, sheet, row, words, cache):
            row += 1
            continue
        for rows in range(1, layout.max_header_rows + 1):
            last = row + rows - 1
            if last > sheet.max_row or (rows > 1 and _holds_figures(layout, sheet, last)):
                break
            header = match_header(layout, spec, sheet, row, rows, cache)
            if rows > 1 and header.rows_used != set(range(row, last + 1)):
                continue
            matched = header.matched(spec)
            if matched >= fewest_matched and (best is None or matched >= best[2]):
                best = (rows, header, matched)
        if best is None:
            row += 1
            continue
        skipped = _rows_under_header(layout, sheet, row + best[0])
        yield (row, best[0], skipped, best[1], best[2])
        row += best[0] + skipped


def _vocabulary(layout: Layout, spec: TableSpec) -> frozenset[str]:
    """Every text a header row of the table may hold: its labels, their groups, ignored, share and change
    column labels (periods are tested on their own)."""
    labels = {label for column in spec.columns for label in column.labels}
    groups = {g for label in labels if (g := label_group(label))}
    changes = {label for labels in layout.change_columns.values() for label in labels}
    return frozenset(labels | groups | layout.ignore_columns | layout.share_columns | changes)


def _may_start(layout: Layout, spec: TableSpec, sheet: Sheet, row: int, words: frozenset[str], cache) -> bool:
    """A header's first row holds a text of the table's vocabulary (or a period): a quick test that keeps
    the long body of a table from being matched cell by cell as a header."""
    for column in range(1, sheet.max_column + 1):
        parts = _cell_parts(layout, sheet, row, column, cache)
        if not parts:
            continue
        if any(p in words for p in parts) or label_matches(parts, words):
            return True
        if spec.period_columns is not None and period_of_header(parts) is not None:
            return True
    return False


def _rows_under_header(layout: Layout, sheet: Sheet, row: int) -> int:
    """How many rows from `row` are a column-numbering row ('А | Б | 1 | 2 | 3') or a units row ('тыс.
    человек'): at most one of each."""
    skipped = 0
    while skipped < 2 and row + skipped <= sheet.max_row:
        texts = [t for t in sheet.row_texts(row + skipped) if t]
        if not texts:
            break
        numbering = all(_NUMBERING.match(" ".join(t.casefold().split())) for t in texts) and len(texts) > 1
        units = all(
            layout.unit_words.scale_of(t) is not None
            or t.strip() in ("%", "в %")
            or label_matches(t, layout.ignore_columns)
            for t in texts
        )
        if not (numbering or units):
            break
        skipped += 1
    return skipped
