"""The five agency table shapes through the whole pipeline: sample workbooks for 2024-Q3 and 2024-Q4 next to
the published 2024-Q1 and 2024-Q2 extracts, materialised in-process into a temporary warehouse, down to the
report. Every figure in the warehouse is checked against the workbook cell its lineage names."""

from __future__ import annotations

import re
import shutil

import dagster as dg
import duckdb
import openpyxl
import pytest

from mtm_pipeline import sample_workbooks
from mtm_pipeline.numbers import parse_published_number
from mtm_pipeline.resources import WarehouseResource
from mtm_pipeline_tests.conftest import CORRECTIONS, RAW
from mtm_pipeline_tests.helpers import materialize_quarters

QUARTERS = ["2024-Q3", "2024-Q4"]
SCALE = {"remittances": 1_000_000}


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    root = tmp_path_factory.mktemp("layouts") / "data"
    shutil.copytree(RAW, root / "raw")
    shutil.copytree(CORRECTIONS, root / "corrections")
    for quarter in QUARTERS:
        sample_workbooks.write_samples(root / "raw", quarter)
    warehouse = WarehouseResource(path=str(root / "warehouse" / "mtm.duckdb"))
    with pytest.MonkeyPatch.context() as patch, dg.instance_for_test() as instance:
        patch.setenv("MTM_DATA_DIR", str(root))
        patch.delenv("MTM_ALERT_WEBHOOK_URL", raising=False)
        patch.delenv("MTM_SMTP_HOST", raising=False)
        yield warehouse, materialize_quarters(warehouse, QUARTERS, instance), root


def test_both_quarters_of_workbooks_materialise(loaded):
    _, results, _ = loaded
    for quarter, result in results.items():
        failures = [e.step_failure_data.error.message for e in result.all_events if e.is_step_failure]
        assert result.success, (quarter, failures)


def test_every_figure_equals_the_workbook_cell_its_lineage_names(loaded):
    warehouse, _, root = loaded
    with duckdb.connect(warehouse.path, read_only=True) as con:
        rows = con.execute(
            "SELECT delivery_quarter, source, obs_id, value, file_name, location FROM published.observations "
            "WHERE stage = 'corrected' AND delivery_quarter IN ('2024-Q3', '2024-Q4')"
        ).fetchall()
        sources = {
            r[0]
            for r in con.execute(
                "SELECT DISTINCT source FROM published.observations WHERE delivery_quarter = '2024-Q3'"
            ).fetchall()
        }
    assert sources == set(sample_workbooks.WRITERS)
    assert len(rows) > 300
    books: dict[str, openpyxl.Workbook] = {}
    for quarter, source, obs_id, value, file_name, location in rows:
        assert file_name == f"raw/{quarter}/{source}.xlsx"
        sheet, cell = re.fullmatch(r"'?(.+?)'?!([A-Z]+\d+)", location).groups()
        if file_name not in books:
            books[file_name] = openpyxl.load_workbook(root / file_name, data_only=True)
        book = books[file_name]
        written = book[sheet][cell].value
        stated = parse_published_number(str(written)).value * SCALE.get(source, 1)
        assert float(value) == pytest.approx(float(stated)), (obs_id, location, written)


def test_shapes_give_the_contract_rows(loaded):
    warehouse, _, _ = loaded
    with duckdb.connect(warehouse.path, read_only=True) as con:

        def one(sql, params=()):
            return con.execute(sql, list(params)).fetchall()

        # (e) three tables, one total; categories complete; as-of date from the title
        assert one(
            "SELECT period, count(*) FROM published.observations WHERE stage = 'corrected' AND "
            "delivery_quarter = '2024-Q3' AND measure = 'foreign_workers' AND part_of IS NULL "
            "GROUP BY period"
        ) == [("2024-10-01", 1)]
        assert one(
            "SELECT count(*), bool_and(parts_complete) FROM published.observations WHERE stage = "
            "'corrected' AND delivery_quarter = '2024-Q3' AND category IS NOT NULL"
        ) == [(6, True)]
        # (d) the remainder row closes the breakdown, as 'Other countries'
        assert one(
            "SELECT country, country_iso3, parts_complete FROM published.observations WHERE stage = "
            "'corrected' AND delivery_quarter = '2024-Q3' AND obs_id = 'prp_2024q3_other'"
        ) == [("Other countries", "ZZZ", True)]
        # (c) education levels of emigrants aged 15+, periods from the trilingual column headers
        assert one(
            "SELECT DISTINCT period FROM published.observations WHERE stage = 'corrected' AND "
            "delivery_quarter = '2024-Q3' AND education IS NOT NULL AND age_group = '15+' ORDER BY 1"
        ) == [("2022",), ("2023",)]
        # (b) six quarters in each direction, million USD kept at the precision written
        assert one(
            "SELECT direction, count(DISTINCT period), min(value_precision) FROM published.observations "
            "WHERE stage = 'corrected' AND delivery_quarter = '2024-Q3' AND source = 'remittances' "
            "GROUP BY direction ORDER BY 1"
        ) == [("in", 6, 100000), ("out", 6, 100000)]
        # (a) labour-purpose entries are a subset of all entries
        assert one(
            "SELECT part_of, parts_complete FROM published.observations WHERE stage = 'corrected' AND "
            "obs_id = 'bc_2024q3_in_labour_total'"
        ) == [("bc_2024q3_in_total", False)]
        # no consistency check finds an error in the sample figures
        assert one(
            "SELECT count(*) FROM quality.check_results WHERE quarter IN ('2024-Q3', '2024-Q4') "
            "AND NOT passed AND severity = 'ERROR'"
        ) == [(0,)]


def test_repeated_quarters_become_vintages_and_revisions(loaded):
    """The 2024-Q4 remittances workbook restates 2024-Q3, whose figures were preliminary."""
    warehouse, _, _ = loaded
    with duckdb.connect(warehouse.path, read_only=True) as con:
        revised = con.execute(
            "SELECT DISTINCT period FROM history.revisions WHERE measure = 'personal_remittances'"
        ).fetchall()
    assert revised == [("2024-Q3",)]


def test_report_states_workbook_figures_with_their_cells(loaded):
    warehouse, _, root = loaded
    with duckdb.connect(warehouse.path, read_only=True) as con:
        total, location = con.execute(
            "SELECT value, location FROM published.observations WHERE stage = 'corrected' "
            "AND obs_id = 'bc_2024q3_in_total'"
        ).fetchone()
    report = (root / "reports" / "2024-Q3" / "report.md").read_text(encoding="utf-8")
    assert f"{int(total):,}" in report
    assert location in report  # the footnote names the workbook cell
    for name in ("report.html", "report.pdf", "annex.xlsx"):
        assert (root / "reports" / "2024-Q3" / name).stat().st_size > 0
