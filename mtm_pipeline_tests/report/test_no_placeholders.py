"""No placeholder ever reaches a report: 'None', 'nan', an empty group or country name, an empty list item.

Scans every generated report (the real 2024-Q1 and 2024-Q2, and a quarter delivered as counts only) in all
its text: the Markdown (paragraphs, tables, notes, footnotes), every cell of the annex workbook's tables,
and the titles, categories and labels of every chart.
"""

from __future__ import annotations

import re

import pandas as pd
import pytest

from mtm_pipeline.report.compose import QuarterlySource, compose_quarterly
from mtm_pipeline.report.document import Document, Table
from mtm_pipeline.report.facts import FactStore
from mtm_pipeline.report.render_markdown import render_markdown
from mtm_pipeline_tests.report import COUNTS_ONLY_QUARTER, counts_only_data_dir, derived_for, observations_for

PLACEHOLDERS = (
    (re.compile(r"\bNone\b"), "None"),
    (re.compile(r"\bnan\b", re.IGNORECASE), "nan"),
    (re.compile(r"<NA>|\bNaT\b|\bnull\b|\binf\b"), "a missing-value marker"),
    (re.compile(r"\b(?:[Aa]mong|[Oo]f|[Ff]rom|to|for|[Nn]ationals of) countries\b"), "an empty group name"),
    (re.compile(r"\S {2,}\S"), "two spaces where a word is missing"),
    (re.compile(r"\(\s*\)|\[\s*\]"), "empty brackets"),
    (re.compile(r"(?:,|\band|\bor|:)\s*(?:,|\.(?!\d)|;|\))"), "an empty list item"),
    (re.compile(r" [,.;:](?!\d)"), "a space before punctuation"),
)


def placeholder_problems(text: str, where: str) -> list[str]:
    out = []
    for line in text.splitlines():
        for pattern, what in PLACEHOLDERS:
            m = pattern.search(line)
            if m:
                out.append(
                    f"{where}: {what} at {m.group()!r} in: {line[max(0, m.start() - 80) : m.end() + 80]}"
                )
    return out


def _table_texts(table: Table) -> list[str]:
    texts = [table.title, *table.columns, *(table.notes or ()), table.source or ""]
    for row in table.rows:
        texts.extend(c.text for c in row)
        texts.extend(c.comment for c in row if c.comment)
        texts.extend(str(c.value) for c in row if isinstance(c.value, str))
    return texts


def report_problems(doc: Document, extra: list[Table]) -> list[str]:
    """Placeholders anywhere in a composed report: its Markdown, its annex tables and its charts."""
    markdown = render_markdown(doc)
    body = re.sub(r"^\|.*\|$", lambda m: re.sub(r" {2,}", " ", m.group()), markdown, flags=re.MULTILINE)
    problems = placeholder_problems(body, "report.md")
    for table in [*doc.tables, *[t for t in extra if t is not None]]:
        for text in _table_texts(table):
            problems += placeholder_problems(text, f"table {table.key!r}")
    for fig in doc.figures:
        chart = fig.chart
        texts = [
            fig.caption,
            fig.source,
            *fig.notes,
            chart.unit_label,
            *chart.categories,
            *(name for name, _ in chart.series),
            *(label for labels in chart.labels for label in labels),
        ]
        for text in texts:
            problems += placeholder_problems(text, f"figure {fig.number}")
    return problems


def compose(quarter: str, observations: pd.DataFrame) -> tuple[Document, list[Table]]:
    """The report as the pipeline builds it: the observations and the derived figures of their deliveries."""
    store = FactStore.from_observations(observations, derived=derived_for(observations))
    return compose_quarterly(QuarterlySource(quarter, store, pd.DataFrame(), pd.DataFrame()))


# ---------------------------------------------------------------- the scanner itself


@pytest.mark.parametrize(
    "text",
    [
        "Among None countries, most arrivals came from the Russian Federation and Uzbekistan.",
        "Among  countries, most arrivals came from China.",
        "The share was nan per cent.",
        "Country | NaN | 4%",
        "Arrivals came from Uzbekistan, , and China.",
        "Most went to the Russian Federation and .",
        "The highest concentration is in  sectors.",
        "Nationals of  received 12 permits ().",
    ],
)
def test_the_scanner_finds_a_placeholder(text):
    assert placeholder_problems(text, "text")


def test_the_scanner_passes_ordinary_report_text():
    text = (
        "Nationals of CIS countries received 5,873 permanent residence permits: 2,525 migrants from the "
        "Russian Federation and 317 migrants from other countries. Compared to 2022, the largest increases "
        "were for Uzbekistan (+32.5%); the largest declines were for Georgia (-7.6%). Permanent residence "
        "permits issued to nationals of non-CIS countries: 0.7 per cent (1 January 2024)."
    )
    assert placeholder_problems(text, "text") == []


# ---------------------------------------------------------------- every report


@pytest.mark.parametrize(
    ("quarter", "delivered"),
    [("2024-Q1", ("2024-Q1",)), ("2024-Q2", ("2024-Q1", "2024-Q2"))],
)
def test_no_placeholder_in_the_real_reports(quarter, delivered):
    doc, extra = compose(quarter, observations_for(*delivered))
    assert report_problems(doc, extra) == []


def test_no_placeholder_in_a_counts_only_quarter():
    data_dir = counts_only_data_dir()
    observations = observations_for("2024-Q1", "2024-Q2", COUNTS_ONLY_QUARTER, data_dir=data_dir)
    doc, extra = compose(COUNTS_ONLY_QUARTER, observations)
    md = render_markdown(doc)
    assert "accounted for Commonwealth of Independent States (CIS) member states: of these," in md
    assert report_problems(doc, extra) == []


def test_countries_delivered_without_their_group_name_no_empty_group():
    """Arrivals by country with no CIS / non-CIS stated (as an agency delivers counts by citizenship)."""
    from mtm_pipeline_tests.report import frame

    rows = [
        {
            "obs_id": "arr_total",
            "direction": "in",
            "value": 1000.0,
            "value_precision": 1.0,
            "unit": "crossings",
        },
        *[
            {
                "obs_id": f"arr_{iso.lower()}",
                "direction": "in",
                "country": name,
                "country_iso3": iso,
                "country_name": name,
                "value": value,
                "value_precision": 1.0,
                "unit": "crossings",
                "part_of": "arr_total",
                "parts_complete": True,
            }
            for iso, name, value in (
                ("UZB", "Uzbekistan", 600.0),
                ("RUS", "Russian Federation", 300.0),
                ("CHN", "China", 100.0),
            )
        ],
    ]
    doc, extra = compose("2024-Q1", frame(*rows))
    md = render_markdown(doc)
    assert "Uzbekistan" in md.split("## 2.")[0]  # the key finding names the top countries
    assert report_problems(doc, extra) == []
