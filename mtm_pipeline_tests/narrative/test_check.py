"""Pure: the analyst's Markdown read into blocks, and its numbers checked against a quarter's figures."""

from __future__ import annotations

import pandas as pd
import pytest

from mtm_pipeline.checks.narrative import RULE, check_narrative
from mtm_pipeline.narrative_text import NarrativeError, NarrativeFile, parse_markdown, read_narrative

QUARTER = "2024-Q1"


def _row(obs_id, measure, period, *, direction=None, country=None, unit="persons", dq=QUARTER, **facets):
    row = {
        "delivery_quarter": dq,
        "obs_id": obs_id,
        "measure": measure,
        "period": period,
        "direction": direction,
        "country": country,
        "country_group": None,
        "purpose": None,
        "category": None,
        "sector": None,
        "education": None,
        "age_group": None,
        "unit": unit,
        "value": None,
        "value_precision": None,
        "share": None,
        "share_precision": None,
        "change": None,
        "change_precision": None,
        "change_unit": None,
    }
    row.update(facets)
    return row


FIGURES = pd.DataFrame(
    [
        _row(
            "arr",
            "border_crossings",
            "2024-Q1",
            direction="in",
            unit="crossings",
            value=2975788.0,
            value_precision=1.0,
            change=-12.6,
            change_precision=0.1,
            change_unit="percent",
            change_base_period="2023-Q4",
        ),
        _row(
            "arr_yoy",
            "border_crossings",
            "2024-Q1",
            direction="in",
            unit="crossings",
            change=10.0,
            change_precision=1.0,
            change_unit="percent",
            change_base_period="2023-Q1",
        ),
        _row(
            "arr_q4",
            "border_crossings",
            "2023-Q4",
            direction="in",
            unit="crossings",
            value=3405102.0,
            value_precision=1.0,
        ),
        _row(
            "dep",
            "border_crossings",
            "2024-Q1",
            direction="out",
            unit="crossings",
            value=2872109.0,
            value_precision=1.0,
        ),
        _row("prp", "prp_issued", "2024-Q1", value=7964.0, value_precision=1.0),
        _row(
            "prp_uzb",
            "prp_issued",
            "2024-Q1",
            country="Uzbekistan",
            value=2602.0,
            value_precision=1.0,
            share=45.2,
            share_precision=0.1,
        ),
        _row(
            "rem",
            "personal_remittances",
            "2023",
            direction="out",
            unit="USD",
            value=883.5e6,
            value_precision=1e5,
        ),
    ]
)


def _file(text: str, name: str = "developments") -> dict[str, NarrativeFile]:
    where = f"narrative/{QUARTER}/{name}.md"
    return {name: NarrativeFile(name, where, parse_markdown(text, where))}


def _failed(text: str) -> list:
    return [f for f in check_narrative(_file(text), FIGURES, QUARTER).findings if not f.passed]


def test_right_numbers_pass_within_their_precision():
    text = (
        "In the first quarter of 2024, 2,975,788 migrants arrived, 12.6 per cent fewer than in the last "
        "quarter of 2023 (3.4 million arrivals). Of the 7,964 permanent residence permits, 45% went to "
        "citizens of\n"
        "Uzbekistan. In 2023 remittances from Kazakhstan were USD 883.5 million."
    )
    findings = check_narrative(_file(text), FIGURES, QUARTER).findings
    assert [f.observed for f in findings] == [
        "2,975,788",
        "12.6 per cent",
        "3.4 million",
        "7,964",
        "45%",
        "USD 883.5 million",
    ]
    assert all(f.passed and f.rule == RULE for f in findings)
    assert findings[-1].subject == f"narrative/{QUARTER}/developments.md:2: USD 883.5 million"


def test_a_wrong_number_is_a_finding_with_sentence_expected_and_found():
    (finding,) = _failed("Some text.\n\nIn the first quarter of 2024, 2,957,788 migrants arrived.")
    assert finding.subject == f"narrative/{QUARTER}/developments.md:3: 2,957,788"
    assert finding.observed == "2,957,788" and finding.severity == "WARN"
    assert finding.expected == "border_crossings 2024-Q1 value = 2,975,788"
    assert "In the first quarter of 2024, 2,957,788 migrants arrived." in finding.message


def test_the_measure_named_decides_what_a_number_is_compared_with():
    # 2,872,109 is a figure of the quarter, but of departures, not arrivals
    (finding,) = _failed("In the first quarter of 2024, 2,872,109 migrants arrived.")
    assert "border_crossings 2024-Q1 value = 2,975,788" in finding.expected
    assert _failed("In the first quarter of 2024, 2,872,109 migrants departed.") == []


def test_a_change_is_found_by_its_comparison_period_and_a_figure_keeps_each_of_its_changes():
    text = "Arrivals fell by 12.6 per cent compared with the last quarter of 2023 and rose 10% over 2023-Q1."
    assert _failed(text) == []
    (finding,) = _failed("Arrivals fell by 12.9 per cent compared with the last quarter of 2023.")
    assert finding.observed == "12.9 per cent" and "change = -12.6" in finding.expected


def test_the_period_named_decides_too_and_a_period_without_figures_matches_nothing():
    (finding,) = _failed("In the last quarter of 2023, 2,975,788 migrants arrived.")
    assert finding.expected == "border_crossings 2023-Q4 value = 3,405,102"
    (finding,) = _failed("In 2021, 7,964 permanent residence permits were issued.")
    assert "matches no count figure of prp_issued for 2021" in finding.message


def test_the_country_or_group_of_the_numbers_clause_narrows_its_figures():
    rows = [
        _row(
            "kgz",
            "prp_issued",
            "2024-Q1",
            country="Kyrgyzstan",
            value=358.0,
            value_precision=1.0,
            share=6.3,
            share_precision=0.1,
            country_iso3="KGZ",
        ),
        _row("cis", "prp_issued", "2024-Q1", country_group="CIS", value=5745.0, value_precision=1.0),
    ]
    frame = pd.DataFrame([*FIGURES.to_dict("records"), *rows])
    intro = "In the first quarter of 2024, permanent residence permits went"

    def failed(text: str) -> list[str]:
        return [f.observed for f in check_narrative(_file(text), frame, QUARTER).findings if not f.passed]

    assert failed(f"{intro}: 45.2 per cent (2,602 migrants) to Uzbekistan, 6.3 per cent (358) to KGZ.") == []
    assert failed(f"{intro}: 6.3 per cent (358 migrants) to Uzbekistan, 45.2 per cent to Kyrgyzstan.") == [
        "6.3 per cent",
        "358",
        "45.2 per cent",
    ]
    assert failed(f"{intro} to CIS countries (5,745), 358 are from one country.") == []
    assert failed(f"{intro} to CIS countries (2,602).") == ["2,602"]


def test_a_sentence_naming_nothing_takes_measure_and_period_from_the_one_before():
    assert (
        _failed("In the first quarter of 2024, 7,964 permanent residence permits. Of these, 2,602 went east.")
        == []
    )
    (finding,) = _failed(
        "In the first quarter of 2024, 7,964 permanent residence permits. Of these, 2,620 went east."
    )
    assert finding.observed == "2,620" and "prp_issued" in finding.expected


def test_a_cited_number_naming_no_measure_is_not_checked_an_uncited_one_is():
    cited = "Since 11 March 2024, 3,093 violations were revealed ([Ministry, 2024](https://example.org/a))."
    assert _failed(cited) == []
    (finding,) = _failed("Since 11 March 2024, 3,093 violations were revealed.")
    assert finding.observed == "3,093"
    # the link cites its own sentence, not the next one
    (finding,) = _failed(cited + " Then 207 decisions were taken.")
    assert finding.observed == "207"


def test_a_stock_on_a_date_counts_for_its_quarter_and_an_impossible_date_matches_nothing():
    stock = _row("fw", "foreign_workers", "2024-02-01", value=12882.0, value_precision=1.0)
    frame = pd.DataFrame([*FIGURES.to_dict("records"), stock])
    text = (
        "In the first quarter of 2024, 12,882 foreign workers held permits. On 31 June 2024, 12,882 workers."
    )
    (finding,) = [f for f in check_narrative(_file(text), frame, QUARTER).findings if not f.passed]
    assert "On 31 June 2024" in finding.message and "for 2024-06-31" in finding.message


def test_not_figures_are_never_findings():
    assert check_narrative(_file("## 2.2 Migration Outflow\n\n### 4. Notes"), FIGURES, QUARTER).findings == []
    text = "Decree No. 123 of 1 March 2024 allows 90 days in 180 calendar days from 2024; see Section 4."
    assert check_narrative(_file(text), FIGURES, QUARTER).findings == []


def test_references_are_resolved_and_never_checked():
    text = (
        "Arrivals: {{border_crossings 2024-Q1 direction=in}}; "
        "Uzbekistan {{prp_issued 2024-Q1 country=Uzbekistan share}}."
    )
    result = check_narrative(_file(text), FIGURES, QUARTER)
    assert result.findings == []
    assert result.references["border_crossings 2024-Q1 direction=in"].value == 2975788
    assert result.references["prp_issued 2024-Q1 country=Uzbekistan share"].value == 45.2


@pytest.mark.parametrize(
    ("reference", "says"),
    [
        ("{{prp_issed 2024-Q1}}", "unknown measure 'prp_issed'"),
        ("{{prp_issued 2024-Q3}}", "no value of prp_issued for 2024-Q3"),
        (
            "{{border_crossings 2024-Q1}}",
            "no value of border_crossings for 2024-Q1 with exactly these dimensions",
        ),
        ("{{prp_issued}}", "needs a measure and a period"),
        ("{{prp_issued 2024-Q1 colour=red}}", "'colour=red' is neither a facet"),
    ],
)
def test_an_unknown_reference_is_an_error_naming_file_and_line(reference, says):
    with pytest.raises(NarrativeError, match="narrative/2024-Q1/prp.md:2: ") as error:
        check_narrative(_file(f"A first line.\nThen {reference}.", "prp"), FIGURES, QUARTER)
    assert says in str(error.value)


def test_markdown_subset_blocks_lines_and_inline_marks():
    blocks = parse_markdown(
        "# Title\n\nA *b* **c** _d_ [e](https://x.org) \\*f\\*\ncontinued <b>raw</b>\n\n"
        "- one\n  more\n- two\n1. first\n",
        "f.md",
    )
    assert [(b.kind, [i.line for i in b.items]) for b in blocks] == [
        ("heading", [1]),
        ("paragraph", [3]),
        ("bullets", [6, 8]),
        ("numbered", [9]),
    ]
    spans = blocks[1].items[0].spans
    assert [(s.kind, s.text) for s in spans if s.kind != "text"] == [
        ("em", "b"),
        ("strong", "c"),
        ("em", "d"),
        ("link", "e"),
    ]
    assert blocks[1].items[0].plain == "A b c d e *f*\ncontinued <b>raw</b>"
    assert blocks[2].items[0].plain == "one\nmore"


@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:text/html,x", "ftp://x.org", "/relative"])
def test_links_other_than_http_https_mailto_are_refused_naming_the_line(url):
    with pytest.raises(NarrativeError, match=r"f.md:2: link target"):
        parse_markdown(f"ok\n[click]({url})", "f.md")


def test_read_narrative_reads_the_quarters_markdown_files(tmp_path):
    assert read_narrative(tmp_path / "absent", "narrative/2024-Q1") == {}
    (tmp_path / "developments.md").write_text("Text.\n", encoding="utf-8")
    (tmp_path / "README.md").write_text("about the folder\n", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("not Markdown\n", encoding="utf-8")
    files = read_narrative(tmp_path, "narrative/2024-Q1")
    assert (
        list(files) == ["developments"] and files["developments"].where == "narrative/2024-Q1/developments.md"
    )
    (tmp_path / "flows.md").write_bytes(b"\xff\xfe bad")
    with pytest.raises(NarrativeError, match="narrative/2024-Q1/flows.md: not UTF-8"):
        read_narrative(tmp_path, "narrative/2024-Q1")
