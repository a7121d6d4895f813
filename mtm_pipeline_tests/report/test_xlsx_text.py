"""Published texts that begin like a spreadsheet formula are written to annex.xlsx as text, and to HTML
escaped: a sector, a location and a correction's justification beginning with "=", "+", "-" or "@"."""

from __future__ import annotations

import re
import zipfile

import pandas as pd
import pytest

from mtm_pipeline.report.build import build_quarterly_report
from mtm_pipeline.report.document import Cell, Table
from mtm_pipeline.report.inputs import ReportInputs
from mtm_pipeline.report.render_xlsx import render_xlsx
from mtm_pipeline_tests.report import derived_for, observations_for

SECTOR = '=HYPERLINK("http://example.org","<b>Construction</b>")'
LOCATION = "+cmd|' /C calc'!A0"
JUSTIFICATION = "@SUM(1+1) the CIS countries sum to 5,945"
PUBLISHED = "-2+3"


def _formula_cells(path) -> list[str]:
    """Cells openpyxl reads as formulas, and <f> elements in the sheets' XML."""
    from openpyxl import load_workbook

    found = []
    workbook = load_workbook(path)  # formulas kept as formulas (data_only=False)
    for ws in workbook.worksheets:
        for row in ws.iter_rows():
            found += [f"{ws.title}!{c.coordinate}" for c in row if c.data_type == "f"]
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                found += [f"{name}: <f>" for _ in re.finditer(rb"<f[ >/]", z.read(name))]
    return found


def _texts(path) -> set[str]:
    from openpyxl import load_workbook

    workbook = load_workbook(path)
    return {c.value for ws in workbook.worksheets for row in ws.iter_rows() for c in row if c.value}


def test_a_table_cell_beginning_like_a_formula_is_text(tmp_path):
    texts = ("=1+2", "+A1", "-A1", "@SUM(A1)", "=cmd|' /C calc'!A0")
    table = Table(
        key="T", title="=title", columns=("=a", "b"), rows=tuple((Cell(t), Cell("1", 1.0)) for t in texts)
    )
    path = render_xlsx([table], tmp_path / "annex.xlsx", pd.Timestamp("2024-03-31").to_pydatetime())
    assert _formula_cells(path) == []
    assert {*texts, "=title", "=a"} <= _texts(path)


def test_without_the_string_type_the_check_would_see_the_formula(tmp_path):
    """The check above can fail: openpyxl writes a text beginning with '=' as a formula unless told."""
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.active.append(["=1+2"])
    workbook.save(tmp_path / "plain.xlsx")
    assert _formula_cells(tmp_path / "plain.xlsx")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    obs = observations_for("2024-Q1").copy()
    sector = obs.obs_id == "fw_2024q1_sector_construction"
    assert sector.sum() == 1
    obs.loc[sector, "sector"] = SECTOR
    obs.loc[obs.measure == "foreign_workers", "location"] = LOCATION
    fix = obs.obs_id == "prp_2024q1_cis_rus"
    obs.loc[fix, "corrected_fields"] = "value"
    correction = {
        "quarter": "2024-Q1",
        "source": "residence_permits",
        "obs_id": "prp_2024q1_cis_rus",
        "field": "value",
        "published_value": PUBLISHED,
        "corrected_value": "2276",
        "justification": JUSTIFICATION,
        "author": "=author",
        "decided_on": pd.Timestamp("2024-05-02"),
    }
    inputs = ReportInputs(
        "2024-Q1", obs, pd.DataFrame(), pd.DataFrame([correction]), derived=derived_for(obs)
    )
    return build_quarterly_report(inputs, tmp_path_factory.mktemp("formulas") / "2024-Q1")


def test_the_annex_of_a_delivery_with_formula_like_texts_has_no_formula_cell(built):
    assert _formula_cells(built.xlsx) == []
    texts = _texts(built.xlsx)
    assert {SECTOR, LOCATION, JUSTIFICATION, PUBLISHED, "=author"} <= texts


def test_the_html_escapes_those_texts(built):
    html = built.html.read_text(encoding="utf-8")
    assert "<b>Construction</b>" not in html
    assert "&lt;b&gt;Construction&lt;/b&gt;" in html
