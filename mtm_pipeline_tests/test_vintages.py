"""Re-delivered figures: every vintage kept, revisions listed, figures queryable 'as of' a delivery."""

from __future__ import annotations

import dagster as dg
import duckdb

from mtm_pipeline.resources import WarehouseResource
from mtm_pipeline.warehouse.vintages import figures_as_of, revisions
from mtm_pipeline_tests.helpers import materialize_quarters

RUSSIA_2023 = "measure = 'emigrants' AND period = '2023' AND country_iso3 = 'RUS' AND education IS NULL"


def test_redelivered_quarter_keeps_both_vintages_and_lists_the_revision(data_dir, tmp_path):
    warehouse = WarehouseResource(path=str(tmp_path / "mtm.duckdb"))
    extract = data_dir / "raw" / "2024-Q1" / "emigration.csv"
    with dg.instance_for_test() as instance:
        materialize_quarters(warehouse, ["2024-Q1", "2024-Q2"], instance)
        extract.write_text(
            extract.read_text(encoding="utf-8").replace(",11720,", ",11800,"), encoding="utf-8"
        )
        assert materialize_quarters(warehouse, ["2024-Q1"], instance)["2024-Q1"].success

    with duckdb.connect(warehouse.path, read_only=True) as con:
        deliveries = con.execute(
            "SELECT delivery_id FROM history.deliveries "
            "WHERE source = 'emigration' AND delivery_quarter = '2024-Q1' ORDER BY sequence"
        ).fetchall()
        assert len(deliveries) == 2
        first, second = deliveries[0][0], deliveries[1][0]
        changed = revisions(con, "2024-Q1")
        assert len(changed) == 1
        row = changed.iloc[0]
        assert (row.country_iso3, float(row.old_value), float(row.new_value)) == ("RUS", 11720, 11800)
        assert (row.old_delivery_id, row.new_delivery_id) == (first, second)

        def russia(frame):
            return float(
                frame.query(
                    "measure == 'emigrants' and period == '2023' and country_iso3 == 'RUS' "
                    "and education.isnull()",
                    engine="python",
                )["value"].iloc[0]
            )

        assert russia(figures_as_of(con, first)) == 11720
        assert russia(figures_as_of(con, second)) == 11800
        published = con.execute(
            f"SELECT value FROM published.observations WHERE stage = 'corrected' AND {RUSSIA_2023}"
        ).fetchall()
        assert [float(v) for (v,) in published] == [11800]

    # the quarter's report (built in the same run) notes the revision of a figure already published
    report = (data_dir / "reports" / "2024-Q1" / "report.md").read_text(encoding="utf-8")
    revised = report[report.index("Revised figures") :]
    assert "emigrants 2023" in revised and "RUS" in revised
    assert "11,720" in revised and "11,800" in revised


def test_unchanged_redelivery_and_restated_figures_are_not_revisions(data_dir, tmp_path):
    warehouse = WarehouseResource(path=str(tmp_path / "mtm.duckdb"))
    with dg.instance_for_test() as instance:
        materialize_quarters(warehouse, ["2024-Q1", "2024-Q2", "2024-Q1"], instance)
    with duckdb.connect(warehouse.path, read_only=True) as con:
        assert con.execute("SELECT count(*) FROM history.deliveries").fetchone()[0] == 10
        # the Q2 delivery restates the 2024 quota (22,000) unchanged: no revision
        assert revisions(con).empty
