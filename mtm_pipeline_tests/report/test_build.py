"""The report files: built from the delivered extracts (with a correction and findings), twice, and
compared."""

from __future__ import annotations

import re
import subprocess

import duckdb
import pandas as pd
import pytest

from mtm_pipeline.report.build import build_quarterly_report, build_trend_report
from mtm_pipeline.report.inputs import ReportInputs, load_report_inputs
from mtm_pipeline_tests.report import derived_for, observations_for, q1_corrected_findings
from mtm_pipeline_tests.report.test_report_numbers import check_narrative, markdown_for

CORRECTION = {
    "quarter": "2024-Q1",
    "source": "residence_permits",
    "obs_id": "prp_2024q1_cis_rus",
    "field": "value",
    "published_value": "2476",
    "corrected_value": "2276",
    "justification": "CIS countries sum to 5,945 against a CIS total of 5,745; 2,276 matches the 39.6% share",
    "author": "data team",
    "decided_on": pd.Timestamp("2024-05-02"),
}
FINDINGS = [
    {
        "quarter": "2024-Q1",
        "stage": "delivered",
        "source": "residence_permits",
        "rule": "parts_sum_to_total",
        "severity": "ERROR",
        "passed": False,
        "subject": "prp_2024q1_cis",
        "expected": "5745",
        "observed": "5945",
        "tolerance": "0",
        "message": "CIS countries sum to 5,945, the CIS total is 5,745",
        "evaluated_at": pd.Timestamp("2024-05-01 10:00"),
        "obs_ids": "prp_2024q1_cis,prp_2024q1_cis_uzb,prp_2024q1_cis_rus,prp_2024q1_cis_kgz",
    },
    {
        "quarter": "2024-Q1",
        "stage": "corrected",
        "source": "border_crossings",
        "rule": "shares_sum_to_100",
        "severity": "WARN",
        "passed": True,
        "subject": "arr_2024q1_total",
        "expected": "100",
        "observed": "100",
        "tolerance": "0.1",
        "message": "ok",
        "evaluated_at": pd.Timestamp("2024-05-01 10:00"),
        "obs_ids": "arr_2024q1_cis_rus,arr_2024q1_cis_uzb",
    },
    *q1_corrected_findings().to_dict("records"),  # failed in the corrected stage: flagged figures
]


def q1_inputs() -> ReportInputs:
    obs = observations_for("2024-Q1").copy()
    fix = obs.obs_id == CORRECTION["obs_id"]
    obs.loc[fix, "value"] = 2276.0
    obs.loc[fix, "corrected_fields"] = "value"
    return ReportInputs(
        "2024-Q1", obs, pd.DataFrame(FINDINGS), pd.DataFrame([CORRECTION]), derived=derived_for(obs)
    )


@pytest.fixture(scope="module")
def q1_builds(tmp_path_factory):
    inputs = q1_inputs()
    first = build_quarterly_report(inputs, tmp_path_factory.mktemp("first") / "reports" / "2024-Q1")
    second = build_quarterly_report(inputs, tmp_path_factory.mktemp("second") / "reports" / "2024-Q1")
    return inputs, first, second


@pytest.fixture(scope="module")
def q2_build(tmp_path_factory):
    obs = observations_for("2024-Q1", "2024-Q2")
    inputs = ReportInputs("2024-Q2", obs, pd.DataFrame(), pd.DataFrame(), derived=derived_for(obs))
    return inputs, build_quarterly_report(inputs, tmp_path_factory.mktemp("q2"))


def test_all_outputs_are_written(q1_builds):
    _, art, _ = q1_builds
    for path in (art.markdown, art.html, art.pdf, art.xlsx):
        assert path.exists() and path.stat().st_size > 1000
    assert art.pdf.read_bytes().startswith(b"%PDF")
    assert len(art.figures) == 13 and all(
        p.exists() and p.read_bytes()[:4] == b"\x89PNG" for p in art.figures
    )
    assert art.key_findings_markdown.startswith("1. In the first quarter of 2024")


def test_markdown_is_byte_identical_and_xlsx_cells_equal_across_builds(q1_builds):
    from openpyxl import load_workbook

    _, first, second = q1_builds
    assert first.markdown.read_bytes() == second.markdown.read_bytes()
    a, b = load_workbook(first.xlsx), load_workbook(second.xlsx)
    assert a.sheetnames == b.sheetnames
    assert {"Table 1", "Table 2", "Table 3", "Findings", "Corrections", "Revisions", "Figure data"} <= set(
        a.sheetnames
    )
    for name in a.sheetnames:
        assert [[c.value for c in row] for row in a[name].iter_rows()] == [
            [c.value for c in row] for row in b[name].iter_rows()
        ]


def test_html_is_self_contained(q1_builds):
    _, art, _ = q1_builds
    html = art.html.read_text(encoding="utf-8")
    assert not re.search(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:|//|file:)""", html, re.IGNORECASE)
    assert "<link" not in html and "<script" not in html and "@import" not in html and "url(" not in html
    sources = re.findall(r'src="([^"]*)"', html)
    assert len(sources) == 13 and all(s.startswith("data:image/png;base64,") for s in sources)


def test_the_corrected_figure_is_marked_and_the_annex_lists_finding_and_correction(q1_builds):
    inputs, art, _ = q1_builds
    md = art.markdown.read_text(encoding="utf-8")
    assert "39.6 per cent (2,276\\*[^" in md
    assert "Corrected from the published 2,476 (prp\\_2024q1\\_cis\\_rus, value); see Annex B." in md
    annex = md[md.index("## Annex A") :]
    assert "parts\\_sum\\_to\\_total" in annex and "shares\\_sum\\_to\\_100" not in annex  # failed rows only
    assert "prp\\_2024q1\\_cis\\_rus" in annex and "2476" in annex and "2276" in annex
    checked, problems = check_narrative(md, inputs.observations, derived=inputs.derived)
    assert problems == [] and checked >= 120


def test_xlsx_tables_hold_the_figures_of_the_text(q1_builds):
    from openpyxl import load_workbook

    _, art, _ = q1_builds
    wb = load_workbook(art.xlsx)
    rows = [[c.value for c in row] for row in wb["Table 1"].iter_rows(min_row=3)]
    assert rows[0][:3] == ["Construction", 4326, 34]
    table2 = {r[0]: r for r in ([c.value for c in row] for row in wb["Table 2"].iter_rows(min_row=3)) if r[0]}
    assert table2["Russian Federation"][1:] == [312.8, 29, 261.1, 30, -16.5]


def test_the_q2_report_renders_what_there_is_and_names_what_is_missing(q2_build):
    _, art = q2_build
    md = art.markdown.read_text(encoding="utf-8")
    expected = [
        (
            "reported a total of 4,001,714 migrant arrivals in the second quarter of 2024, more than in the "
            "first quarter of 2024 (2,975,788 migrants; 34.5\u2020 per cent more, computed from the two "
            "figures)"
        ),
        (
            "China, Türkiye and India were the top three non-CIS countries of origin in the second quarter "
            "of 2024"
        ),
        (
            "Not available for the second quarter of 2024: the number of arrivals with labour as the stated "
            "purpose, the CIS and non-CIS figures of arrivals and the breakdown of arrivals by CIS and by "
            "non-CIS country (latest for each: the first quarter of 2024)."
        ),
        (
            "has not yet published data for the second quarter of 2024; this section uses data for the first "
            "quarter of 2024, the latest available"
        ),
        (
            "More permanent residence permits were issued in the second quarter of 2024 than in the first "
            "quarter of 2024 and the second quarter of 2023 (the direction was stated; no figure was "
            "published)"
        ),
        (
            "Not available for the second quarter of 2024: the total number of permanent residence permits, "
            "the CIS and non-CIS figures of permits and the breakdown of permits by CIS and by non-CIS "
            "country (latest for each: the first quarter of 2024)."
        ),
        "14,049 migrant workers were working in Kazakhstan as of 1 July 2024",
        "The number of employers recruiting migrant workers is not available for the second quarter of 2024",
        (
            "Not available for the second quarter of 2024: the breakdown of emigrants by country and the "
            "breakdown of emigrants by education level (latest for each: 2023)."
        ),
        (
            "Not available for the second quarter of 2024: the CIS and non-CIS figures of remittances sent "
            "from Kazakhstan and the breakdown of remittances sent from Kazakhstan by country (latest for "
            "each: 2023)."
        ),
        (
            "The increase in the second quarter of 2024 compared to the first quarter of 2024 was 9.2 per "
            "cent (no figure for the first quarter of 2024 is available)"
        ),
    ]
    for text in expected:
        assert text in md, text
    assert "13.5%\u2020" in md  # sector shares as of 1 July 2024 are not published: derived and marked


def test_the_annex_workbook_lists_each_derived_figure_with_its_inputs(q2_build):
    from openpyxl import load_workbook

    _, art = q2_build
    sheet = load_workbook(art.xlsx)["Derived"]
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=3) if row[0].value and row[1].value]
    change = next(r for r in rows if r[1] == "border_crossings 2024-Q2 (in)" and r[2].startswith("change"))
    assert change[3] == 34.5 and change[7] == "change"
    assert change[8] == "arr_2024q2_total, 2024-Q1/arr_2024q1_total"
    sector = next(
        r for r in rows if r[1].startswith("foreign_workers 2024-07-01 (Agriculture") and r[2] == "share"
    )
    assert sector[3] == 13.5 and "fw_20240701_total" in sector[8]


def test_the_annex_workbook_lists_each_published_figure_with_where_it_was_published(q2_build):
    from openpyxl import load_workbook

    _, art = q2_build
    sheet = load_workbook(art.xlsx)["Lineage"]
    rows = {row[0].value: [c.value for c in row] for row in sheet.iter_rows(min_row=3) if row[0].value}
    arrivals = rows["arr_2024q2_total"]
    assert arrivals[2:4] == ["border_crossings", "2024-Q2"]
    assert arrivals[5] == "Key findings, paragraph 1"  # the transcription's place in the publication
    assert not any(obs_id.startswith("drv_") for obs_id in rows)  # computed figures are in sheet Derived


def test_trend_report(tmp_path):
    art = build_trend_report(observations_for("2024-Q1", "2024-Q2"), tmp_path / "trend")
    md = art.markdown.read_text(encoding="utf-8")
    assert "| Q2 2024 | 4,001,714 | 3,832,829 |" in md
    assert "| Q2 2023 | – | – |" in md  # a quarter not delivered is a gap, not skipped
    assert "| 1 Jul 2024 | 14,049 |" in md
    assert len(art.figures) == 5 and art.pdf.exists() and art.xlsx.exists()


def test_load_report_inputs_reads_the_corrected_stage_up_to_the_quarter():
    from mtm_pipeline.warehouse.connection import ensure_schema

    con = duckdb.connect(":memory:")
    ensure_schema(con)
    delivered = observations_for("2024-Q1", "2024-Q2").assign(stage="delivered")
    corrected = observations_for("2024-Q1", "2024-Q2")
    for frame in (delivered, corrected):
        con.register("incoming", frame)
        con.execute("INSERT INTO published.observations BY NAME SELECT * FROM incoming")
        con.unregister("incoming")
    con.register("incoming", pd.DataFrame(FINDINGS))
    con.execute("INSERT INTO quality.check_results BY NAME SELECT * FROM incoming")
    con.unregister("incoming")
    con.register("incoming", pd.DataFrame([CORRECTION]))
    con.execute("INSERT INTO quality.corrections_applied BY NAME SELECT * FROM incoming")
    inputs = load_report_inputs(con, "2024-Q1")
    assert set(inputs.observations.stage) == {"corrected"}
    assert set(inputs.observations.delivery_quarter) == {"2024-Q1"}
    assert len(inputs.observations) == len(observations_for("2024-Q1"))
    assert len(inputs.check_results) == len(FINDINGS) and len(inputs.corrections) == 1
    assert inputs.check_results.obs_ids.str.split(",").str[0].tolist().count("rem_in_2023_total") == 1
    assert len(load_report_inputs(con, "2024-Q2").observations) == len(corrected)
    assert inputs.derived.empty  # no derived stage yet: the report states the published figures only
    derived = derived_for(corrected)
    con.register("incoming", derived)
    con.execute("INSERT INTO published.derived_figures BY NAME SELECT * FROM incoming")
    con.unregister("incoming")
    inputs = load_report_inputs(con, "2024-Q1")
    assert set(inputs.derived.delivery_quarter) == {"2024-Q1"} and set(inputs.derived.stage) == {"derived"}
    assert len(load_report_inputs(con, "2024-Q2").derived) == len(derived)
    # the warehouse route (DECIMAL, INTEGER and BOOLEAN columns read back) writes the same report
    frames = observations_for("2024-Q1")
    assert markdown_for("2024-Q1", inputs.observations, inputs.derived) == markdown_for(
        "2024-Q1", frames, derived_for(frames)
    )
    with pytest.raises(ValueError):
        load_report_inputs(con, "2024-Q1'; DROP TABLE x; --")


def test_flagged_figures_are_marked_in_every_output(q1_builds):
    from openpyxl import load_workbook

    _, art, _ = q1_builds
    md = art.markdown.read_text(encoding="utf-8")
    assert "transfers to Kazakhstan declined by 51.8\u2021[^" in md
    assert "observed -51.8 per cent; see Annex A." in md
    html = art.html.read_text(encoding="utf-8")
    assert re.search(r'51\.8\u2021<sup><a href="#fn-\d+"', html)
    assert '<td class="num">4%\u2021</td>' in html
    wb = load_workbook(art.xlsx)
    sheet = wb["Table 3"]
    cell = next(row[2] for row in sheet.iter_rows(min_row=3) if row[0].value == "Türkiye")
    assert (
        cell.value == 4
        and "share_matches_ratio" in cell.comment.text
        and cell.comment.text.startswith("\u2021")
    )
    notes = [row[0].value for row in sheet.iter_rows() if isinstance(row[0].value, str)]
    assert any(n.startswith("\u2021 Türkiye, Share of total 2022 %") for n in notes)
    try:
        text = subprocess.run(
            ["pdftotext", str(art.pdf), "-"], capture_output=True, text=True, check=False
        ).stdout
    except FileNotFoundError:
        text = ""
    if text:  # poppler installed: the PDF carries the mark (DejaVu has the glyph)
        assert "51.8\u2021" in text and "4%\u2021" in text


def test_a_report_reads_its_own_delivery_and_the_eight_before_it():
    from mtm_pipeline.warehouse.connection import ensure_schema

    con = duckdb.connect(":memory:")
    ensure_schema(con)
    q1 = observations_for("2024-Q1")
    for delivery in ("2021-Q4", "2022-Q1", "2024-Q1"):
        con.register("incoming", q1.assign(delivery_quarter=delivery))
        con.execute("INSERT INTO published.observations BY NAME SELECT * FROM incoming")
        con.unregister("incoming")
    inputs = load_report_inputs(con, "2024-Q1")
    assert set(inputs.observations.delivery_quarter) == {"2022-Q1", "2024-Q1"}  # 2021-Q4 is nine back
