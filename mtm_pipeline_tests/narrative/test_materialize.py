"""In-process: a quarter with the analyst's text gives a report with the text in place in every edition and
one narrative finding for its one wrong number; a change of the text is picked up on re-materialising."""

from __future__ import annotations

import shutil

import dagster as dg
import duckdb
import pytest

from mtm_pipeline.resources import WarehouseResource
from mtm_pipeline_tests.conftest import CORRECTIONS, RAW
from mtm_pipeline_tests.helpers import materialize_quarters
from mtm_pipeline_tests.narrative.pdf_text import pdf_text

QUARTER = "2024-Q1"
DEVELOPMENTS = """\
The Decree of the Government No. 123 dated 12 February 2024 amended the *Rules of entry*. From
25 February 2024 the limit of 90 calendar days in each period of 180 days does not apply to:

- holders of a residence permit;
- crew members of aircraft.

## Operation Migrant

Since 11 March 2024, 3,093 violations were revealed
([Ministry of Internal Affairs, 2024](https://www.gov.kz/memleket/entities/qriim)).
In the first quarter of 2024 the National Border Service counted 2,975,788 migrant arrivals,
{{border_crossings 2024-Q1 direction=out}} departures followed. <script>alert("x")</script>
"""
PRP_NOTE = """\
The analyst adds: 7,946 permanent residence permits were issued in the first quarter of 2024.
"""


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("narrative") / "data"
    shutil.copytree(RAW / QUARTER, root / "raw" / QUARTER)
    shutil.copytree(CORRECTIONS, root / "corrections")
    folder = root / "narrative" / QUARTER
    folder.mkdir(parents=True)
    (folder / "developments.md").write_text(DEVELOPMENTS, encoding="utf-8")
    (folder / "prp.md").write_text(PRP_NOTE, encoding="utf-8")
    warehouse = WarehouseResource(path=str(root / "warehouse" / "mtm.duckdb"))
    with pytest.MonkeyPatch.context() as patch, dg.instance_for_test() as instance:
        patch.setenv("MTM_DATA_DIR", str(root))
        patch.delenv("MTM_ALERT_WEBHOOK_URL", raising=False)
        patch.delenv("MTM_SMTP_HOST", raising=False)
        result = materialize_quarters(warehouse, [QUARTER], instance)[QUARTER]
        yield root, warehouse, result, instance, patch


def _narrative_findings(warehouse) -> list[tuple]:
    with duckdb.connect(warehouse.path, read_only=True) as con:
        return con.execute(
            "SELECT subject, expected, observed, message FROM quality.check_results "
            "WHERE quarter = ? AND stage = 'narrative' AND NOT passed ORDER BY subject",
            [QUARTER],
        ).fetchall()


def test_one_finding_names_the_wrong_number(built):
    _, warehouse, result, _, _ = built
    assert result.success
    findings = _narrative_findings(warehouse)
    assert len(findings) == 1, findings
    subject, expected, observed, message = findings[0]
    assert subject == "narrative/2024-Q1/prp.md:1: 7,946"
    assert observed == "7,946"
    assert "7,964" in expected and "prp_issued 2024-Q1" in expected
    assert "7,946 permanent residence permits were issued" in message
    evaluations = [
        e for e in result.get_asset_check_evaluations() if e.check_name == "narrative_numbers_match"
    ]
    assert [e.passed for e in evaluations] == [False]


def test_the_texts_are_in_place_in_every_edition(built):
    root, _, _, _, _ = built
    out = root / "reports" / QUARTER
    markdown = (out / "report.md").read_text(encoding="utf-8")
    html = (out / "report.html").read_text(encoding="utf-8")
    key, developments, flows = (
        markdown.index("## II. Key Findings"),
        markdown.index("## 1. Developments in Migration Policy"),
        markdown.index("## 2. Migration Inflow and Outflow"),
    )
    assert key < developments < flows
    assert "amended the *Rules of entry*" in markdown
    assert "- holders of a residence permit;" in markdown
    assert "### Operation Migrant" in markdown
    assert "[Ministry of Internal Affairs, 2024](https://www.gov.kz/memleket/entities/qriim)" in markdown
    assert "2,872,109 departures followed" in markdown  # the reference filled in from the warehouse
    prp_note = markdown.index("7,946 permanent residence permits")
    assert markdown.index("## 4. Permanent Residence Permits") < prp_note < markdown.index("## 5.")
    assert "<em>Rules of entry</em>" in html
    assert '<a href="https://www.gov.kz/memleket/entities/qriim" rel="noopener">' in html
    assert "<script>" not in html and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert "<li>holders of a residence permit;</li>" in html
    pdf = " ".join(pdf_text(out / "report.pdf").split())
    assert "1. Developments in Migration Policy" in pdf
    assert "Operation Migrant" in pdf and "holders of a residence permit;" in pdf
    assert "(https://www.gov.kz/memleket/entities/qriim)" in pdf
    assert "7,946 permanent residence permits" in pdf


def test_the_finding_is_in_annex_a(built):
    root, _, _, _, _ = built
    markdown = (root / "reports" / QUARTER / "report.md").read_text(encoding="utf-8")
    annex = markdown[markdown.index("## Annex A") :]
    assert "narrative\\_numbers\\_match" in annex and "narrative/2024-Q1/prp.md:1: 7,946" in annex


def test_a_changed_text_is_picked_up_and_an_unknown_reference_names_file_and_line(built):
    root, warehouse, _, instance, _ = built
    from mtm_pipeline.definitions import quarterly_report

    (root / "narrative" / QUARTER / "prp.md").write_text(
        "In the first quarter of 2024, 7,964 permanent residence permits were issued.\n"
        "Also {{prp_issued 2031-Q9}}.\n",
        encoding="utf-8",
    )
    run = dg.materialize(
        [quarterly_report],
        partition_key=QUARTER,
        instance=instance,
        resources={"warehouse": warehouse},
        raise_on_error=False,
    )
    assert not run.success
    failure = next(e for e in run.all_events if e.is_step_failure)
    assert "narrative/2024-Q1/prp.md:2" in failure.step_failure_data.error.message
    (root / "narrative" / QUARTER / "prp.md").write_text(
        "In the first quarter of 2024, 7,964 permanent residence permits were issued.\n", encoding="utf-8"
    )
    run = dg.materialize(
        [quarterly_report], partition_key=QUARTER, instance=instance, resources={"warehouse": warehouse}
    )
    assert run.success
    assert _narrative_findings(warehouse) == []
    markdown = (root / "reports" / QUARTER / "report.md").read_text(encoding="utf-8")
    assert "7,964 permanent residence permits were issued" in markdown


PUBLISHED_2_1 = """\
The National Border Service of Kazakhstan reported a total of 2,975,788 migrant arrivals in the first quarter
of 2024, which is 12.6 per cent less than in the last quarter of 2023 (3,405,102 migrants) and 10% more
compared to the same period in 2023 (2.7 million). Of the total number of those who entered the country,
41,986 migrants indicated the goal of the visit the labour purposes. More than half (58.2%) of total arrivals
accounted for Commonwealth of Independent States (CIS) member states - 64 per cent from the Russian
Federation, 27.4 per cent from Uzbekistan, 2.3 per cent from Belarus, 2 per cent from Tajikistan. Other
41.8 per cent of arrivals accounted for non-CIS countries of origin: 28.5 per cent from China, 8.9 per cent
from Türkiye, 7.7 per cent from India, 7 per cent from the United States of America (USA), 4.8 per cent each
from United Kingdom and Ukraine.
"""


def test_the_published_section_2_1_checks_clean_against_the_quarters_warehouse(built):
    """The published report's own paragraph (Section 2.1 of January-March 2024), as an analyst would paste
    it: every one of its numbers is a figure of the warehouse; one typed wrong is found."""
    from mtm_pipeline.checks.narrative import check_narrative
    from mtm_pipeline.narrative_text import NarrativeFile, parse_markdown

    _, warehouse, _, _, _ = built
    with duckdb.connect(warehouse.path, read_only=True) as con:
        figures = con.execute("SELECT * FROM published.figures WHERE delivery_quarter <= ?", [QUARTER]).df()

    def check(text: str) -> list:
        files = {"flows": NarrativeFile("flows", "flows.md", parse_markdown(text, "flows.md"))}
        return check_narrative(files, figures, QUARTER).findings

    findings = check(PUBLISHED_2_1)
    assert len(findings) == 17 and all(f.passed for f in findings), [
        f.message for f in findings if not f.passed
    ]
    wrong = [f for f in check(PUBLISHED_2_1.replace("27.4 per cent", "24.7 per cent")) if not f.passed]
    assert [f.observed for f in wrong] == ["24.7 per cent"]


PUBLISHED_4 = """\
In the first quarter of 2024, 7,964 migrants received permanent residence permits.\u00b9\u2076 The majority of
them were nationals of CIS countries (5,745 migrants): 45.2 per cent (2,602 migrants) from Uzbekistan,
39.6 per cent (2,476 migrants) from the Russian Federation, 6.3 per cent (358 migrants) from Kyrgyzstan,
5.3 per cent (308 migrants) from Tajikistan, 2.3 per cent (135 migrants) from Azerbaijan, 0.7 per cent
(40 migrants) Belarus, 0.5 per cent (26 migrants) from Armenia.\u00b9\u2077

Almost 3.8 thousands (3,799) of permits holders permanent residence permit holders were accounted for
non-CIS countries: 33.4 per cent (739 migrants) from China, 26.5 per cent (587 migrants) from Mongolia,
6.7 per cent (148 migrants) from the T\u00fcrkiye, 5 per cent (112 migrants) from Georgia.
"""


def test_the_published_section_4_flags_the_two_figures_its_authors_mistyped(built):
    """Section 4 of the published January-March 2024 report as an analyst would paste it: the check finds
    the two numbers data/corrections/2024-Q1.csv corrects (2,476 Russian Federation permits; 'almost 3.8
    thousands (3,799)' non-CIS permits), and nothing else."""
    from mtm_pipeline.checks.narrative import check_narrative
    from mtm_pipeline.narrative_text import NarrativeFile, parse_markdown

    _, warehouse, _, _, _ = built
    with duckdb.connect(warehouse.path, read_only=True) as con:
        figures = con.execute("SELECT * FROM published.figures WHERE delivery_quarter <= ?", [QUARTER]).df()
    files = {"prp": NarrativeFile("prp", "prp.md", parse_markdown(PUBLISHED_4, "prp.md"))}
    findings = check_narrative(files, figures, QUARTER).findings
    assert len(findings) == 26
    failed = [(f.subject, f.expected) for f in findings if not f.passed]
    assert [subject for subject, _ in failed] == [
        "prp.md:3: 2,476",
        "prp.md:7: Almost 3.8 thousands",
        "prp.md:7: 3,799",
    ]
    assert "prp_issued 2024-Q1 (country=Russian Federation, country_group=CIS) value = 2,276" in failed[0][1]
    assert "prp_issued 2024-Q1 (country_group=non-CIS) value = 2,219" in failed[2][1]
