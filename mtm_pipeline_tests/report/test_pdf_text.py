"""The PDF's own line breaking (text_wrap) and that every text of the document reaches the PDF."""

from __future__ import annotations

import shutil
import subprocess
from collections import Counter

import pytest

from mtm_pipeline.report.document import (
    Bullets,
    Cell,
    Document,
    Heading,
    Paragraph,
    Table,
    TableBlock,
    strip_marks,
)
from mtm_pipeline.report.text_wrap import Line, wrap

requires_pdftotext = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="pdftotext not installed: apt-get install poppler-utils"
)


def test_wrap_breaks_at_spaces_and_drops_the_spaces_at_a_break():
    assert wrap("aaa bb cc dddd", 6, len) == [
        Line("aaa bb", 6, False),
        Line("cc", 2, False),
        Line("dddd", 4, True),
    ]


def test_wrap_keeps_inner_runs_of_spaces_and_newlines():
    assert wrap("a  ·  b\nc", 20, len) == [Line("a  ·  b", 7, True), Line("c", 1, True)]
    assert wrap("", 5, len) == [Line("", 0, True)]


def test_wrap_splits_a_word_wider_than_a_line_between_characters():
    assert wrap("ab abcdefgh ij", 4, len) == [
        Line("ab", 2, False),
        Line("abcd", 4, False),
        Line("efgh", 4, False),
        Line("ij", 2, True),
    ]


def test_wrap_measures_each_word_once_not_each_prefix():
    measured: list[str] = []

    def width_of(text: str) -> float:
        measured.append(text)
        return float(len(text))

    text = " ".join(["word"] * 200)
    lines = wrap(text, 50, width_of)
    assert sum(len(m) for m in measured) == len(text)  # linear: every character measured once
    assert all(line.width <= 50 for line in lines) and " ".join(line.text for line in lines) == text


def _pdf_words(path) -> Counter:
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return Counter(text.split())


def _missing(expected: list[str], path) -> Counter:
    return Counter(w for text in expected for w in strip_marks(text).split()) - _pdf_words(path)


@requires_pdftotext
def test_every_text_of_a_long_table_and_its_records_is_in_the_pdf(tmp_path):
    from mtm_pipeline.report.render_pdf import plain, render_pdf

    rows = tuple(
        (
            Cell(f"Row{i} country with a long name that wraps"),
            Cell(f"{i * 1234:,}", i * 1234),
            Cell(f"{i}.5%\u2020"),
        )
        for i in range(120)
    )
    table = Table(
        "t",
        "Table 9: A table longer than a page",
        ("Country", "Number of people", "Share"),
        rows,
        source="Source: test",
        notes=("\u2020 a mark",),
        numeric_columns=(1, 2),
    )
    records = Table(
        "r",
        "Findings",
        ("Stage", "Rule", "Message"),
        tuple(
            (Cell(f"stage{i}"), Cell(f"rule{i}"), Cell(f"message {i} " + "long text " * 30))
            for i in range(30)
        ),
        title_columns=(0, 1),
    )
    doc = Document("Title", "January-March 2024 \u00b7 test")
    doc.add(
        Heading(1, "Title"),
        Paragraph("A paragraph " * 80 + doc.footnotes.ref("A note.")),
        Bullets(("First item " * 20, "Second item")),
        TableBlock(table),
        TableBlock(records),
    )
    path = render_pdf(doc, {}, tmp_path / "report.pdf")
    texts = [c.text for t in (table, records) for row in t.rows for c in row]
    texts += [*table.columns, table.title, records.title, *table.notes, table.source, *doc.footnotes.texts]
    texts += [plain(b.text) for b in doc.blocks if isinstance(b, Paragraph)]
    assert _missing(texts, path) == Counter()
    assert _pdf_words(path)["Country"] >= 2  # the heading row is repeated on every page of the table


@requires_pdftotext
def test_every_table_cell_of_the_quarterly_report_is_in_the_pdf(tmp_path):
    from mtm_pipeline.report.build import build_quarterly_report, compose_quarterly_report
    from mtm_pipeline_tests.report.test_build import q1_inputs

    doc, _, _ = compose_quarterly_report(q1_inputs())
    art = build_quarterly_report(q1_inputs(), tmp_path / "2024-Q1")
    assert any(t.title_columns for t in doc.tables) and any(not t.title_columns for t in doc.tables)
    assert _missing([text for t in doc.tables for text in _shown(t)], art.pdf) == Counter()


def _shown(table: Table) -> list[str]:
    """The texts of a table as the PDF shows them: a grid, or records whose fields read 'Column: text'."""
    if not table.title_columns:
        return [table.title, *table.columns, *(c.text for row in table.rows for c in row)]
    return [
        table.title,
        *(
            c.text if i in table.title_columns else f"{table.columns[i]}: {c.text}"
            for row in table.rows
            for i, c in enumerate(row)
            if c.text
        ),
    ]
