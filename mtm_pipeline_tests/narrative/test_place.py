"""Pure: the analyst's text placed in the report document and written safely by each renderer."""

from __future__ import annotations

import pandas as pd
import pytest

from mtm_pipeline.checks.narrative import check_narrative
from mtm_pipeline.narrative_text import NarrativeError, NarrativeFile, parse_markdown
from mtm_pipeline.report.analyst import DEVELOPMENTS_HEADING, blocks, check_file_names
from mtm_pipeline.report.build import compose_quarterly_report
from mtm_pipeline.report.compose import SECTION_IDS
from mtm_pipeline.report.document import Document, Heading, Paragraph
from mtm_pipeline.report.inputs import ReportInputs
from mtm_pipeline.report.render_html import render_html
from mtm_pipeline.report.render_markdown import render_markdown
from mtm_pipeline.report.render_pdf import plain

TEXT = (
    "## Decree\n\nThe *new* **rules** [apply](https://gov.kz/a?b=1&c=2) to <i>all</i> \u27e6em\u27e7 \\[x]."
    "\n\n1. one\n2. two\n"
)


def _file(text: str = TEXT, name: str = "developments") -> NarrativeFile:
    return NarrativeFile(name, f"narrative/2024-Q1/{name}.md", parse_markdown(text, name))


def _document(name: str = "developments") -> Document:
    doc = Document("T", "S")
    doc.add(*blocks(_file(name=name), {}))
    return doc


def test_markdown_keeps_emphasis_links_and_lists_and_escapes_the_rest():
    markdown = render_markdown(_document())
    assert "### Decree" in markdown
    assert (
        "The *new* **rules** [apply](https://gov.kz/a?b=1&c=2) to \\<i\\>all\\</i\\> \\[em\\] \\[x\\]."
        in markdown
    )
    assert "1. one\n2. two" in markdown


def test_html_escapes_text_and_addresses_and_lets_no_raw_html_through():
    html = render_html(_document(), {})
    assert (
        '<p class="narrative">The <em>new</em> <strong>rules</strong> '
        '<a href="https://gov.kz/a?b=1&amp;c=2" rel="noopener">apply</a> '
        "to &lt;i&gt;all&lt;/i&gt; [em] [x].</p>"
    ) in html
    assert '<ol class="narrative"><li>one</li><li>two</li></ol>' in html


def test_the_pdf_writes_a_link_as_its_text_and_address():
    paragraph = next(b for b in _document().blocks if isinstance(b, Paragraph))
    assert (
        plain(paragraph.text)
        == "The new rules apply (https://gov.kz/a?b=1&c=2) to <i>all</i> [em] [x]."  # a mark typed is text
    )


def test_a_file_that_names_no_place_is_refused_with_the_names_allowed():
    check_file_names({"developments": _file(), "prp": _file(name="prp")}, SECTION_IDS)
    with pytest.raises(NarrativeError, match=r"narrative/2024-Q1/flow.md: not a place .* flows.md"):
        check_file_names({"flow": _file(name="flow")}, SECTION_IDS)


def _inputs(**narrative) -> ReportInputs:
    empty = pd.DataFrame()
    return ReportInputs("2024-Q1", empty, empty, empty, **narrative)


def test_section_1_and_notes_in_place_and_nothing_when_there_is_none():
    doc, _, _ = compose_quarterly_report(_inputs())
    headings = [b.text for b in doc.blocks if isinstance(b, Heading)]
    assert DEVELOPMENTS_HEADING not in headings
    files = {"developments": _file(), "labour": _file("A note on *workers*.\n", "labour")}
    doc, _, _ = compose_quarterly_report(
        _inputs(narrative=files, references=check_narrative(files, pd.DataFrame(), "2024-Q1").references)
    )
    texts = [b.text for b in doc.blocks if isinstance(b, Heading | Paragraph)]
    assert texts.index("II. Key Findings") < texts.index(DEVELOPMENTS_HEADING) < texts.index("Decree")
    assert texts.index("Decree") < texts.index("2. Migration Inflow and Outflow")
    note = next(t for t in texts if "A note on" in t)
    assert texts.index("5. Labour Migration") < texts.index(note) < texts.index("6. Emigration")
