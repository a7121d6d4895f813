"""In-process materialisation of both published quarters into a temporary DuckDB warehouse."""

from __future__ import annotations

import shutil

import dagster as dg
import duckdb
import pytest

from mtm_pipeline.definitions import defs
from mtm_pipeline.resources import WarehouseResource
from mtm_pipeline_tests.conftest import CORRECTIONS, RAW
from mtm_pipeline_tests.helpers import materialize_quarters

QUARTERS = ["2024-Q1", "2024-Q2"]


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    """Both quarters materialised once for this module's read-only assertions."""
    root = tmp_path_factory.mktemp("pipeline") / "data"
    shutil.copytree(RAW, root / "raw")
    shutil.copytree(CORRECTIONS, root / "corrections")
    warehouse = WarehouseResource(path=str(root / "warehouse" / "mtm.duckdb"))
    with pytest.MonkeyPatch.context() as patch, dg.instance_for_test() as instance:
        patch.setenv("MTM_DATA_DIR", str(root))
        patch.delenv("MTM_ALERT_WEBHOOK_URL", raising=False)
        patch.delenv("MTM_SMTP_HOST", raising=False)
        yield warehouse, materialize_quarters(warehouse, QUARTERS, instance), root


def _value(con, sql: str, params: list) -> float:
    row = con.execute(sql, params).fetchone()
    assert row is not None, (sql, params)
    return row[0]


def test_both_quarters_materialise(loaded):
    _, results, _ = loaded
    for quarter, result in results.items():
        assert result.success, quarter


def test_warehouse_holds_the_published_figures(loaded):
    warehouse, _, _ = loaded
    total = (
        "SELECT value FROM published.observations WHERE stage = 'delivered' AND delivery_quarter = ? "
        "AND measure = ? AND period = ? AND direction IS NOT DISTINCT FROM ? AND country IS NULL "
        "AND country_group IS NULL AND purpose IS NULL AND category IS NULL AND sector IS NULL "
        "AND value IS NOT NULL"
    )
    with duckdb.connect(warehouse.path, read_only=True) as con:
        # Q1 report, section 2: arrivals and departures, and the quarters they are compared with
        assert _value(con, total, ["2024-Q1", "border_crossings", "2024-Q1", "in"]) == 2975788
        assert _value(con, total, ["2024-Q1", "border_crossings", "2023-Q4", "in"]) == 3405102
        assert _value(con, total, ["2024-Q1", "border_crossings", "2024-Q1", "out"]) == 2872109
        # Q2 summary
        assert _value(con, total, ["2024-Q2", "border_crossings", "2024-Q2", "in"]) == 4001714
        assert _value(con, total, ["2024-Q2", "border_crossings", "2024-Q2", "out"]) == 3832829
        # sections 3-5
        assert _value(con, total, ["2024-Q1", "trp_holders", "2024-Q1", None]) == 104821
        assert _value(con, total, ["2024-Q1", "prp_issued", "2024-Q1", None]) == 7964
        assert _value(con, total, ["2024-Q1", "foreign_workers", "2024-Q1", None]) == 12882
        assert _value(con, total, ["2024-Q2", "foreign_workers", "2024-07-01", None]) == 14049
        # section 7: money keeps its published precision ("883,5 million", "1,08 billion")
        money = con.execute(
            "SELECT period, value, value_precision FROM published.observations WHERE stage = 'delivered' "
            "AND measure = 'personal_remittances' AND direction = 'out' AND country IS NULL "
            "AND country_group IS NULL AND period IN ('2022', '2023') AND value IS NOT NULL ORDER BY period"
        ).fetchall()
        assert [(p, float(v), float(prec)) for p, v, prec in money] == [
            ("2022", 1_080_000_000.0, 10_000_000.0),
            ("2023", 883_500_000.0, 100_000.0),
        ]


def test_countries_are_conformed_with_dated_cis_membership(loaded):
    warehouse, _, _ = loaded
    with duckdb.connect(warehouse.path, read_only=True) as con:
        groups = dict(
            con.execute(
                "SELECT country_iso3, bool_and(cis_member) FROM published.observations "
                "WHERE stage = 'delivered' AND country_iso3 IN ('RUS', 'UZB', 'GEO', 'UKR', 'TUR') GROUP BY 1"
            ).fetchall()
        )
        unmapped = con.execute(
            "SELECT count(*) FROM published.observations WHERE country IS NOT NULL AND country_iso3 IS NULL"
        ).fetchone()[0]
    assert groups == {"RUS": True, "UZB": True, "GEO": False, "UKR": False, "TUR": False}
    assert unmapped == 0


def test_every_row_carries_its_lineage(loaded):
    warehouse, _, _ = loaded
    from mtm_pipeline.sources.reader import file_sha256

    with duckdb.connect(warehouse.path, read_only=True) as con:
        lineage = con.execute(
            "SELECT DISTINCT file_name, file_sha256 FROM published.observations WHERE stage = 'delivered'"
        ).fetchall()
        missing_rows = con.execute(
            "SELECT count(*) FROM published.observations WHERE row_number IS NULL OR row_number < 2"
        ).fetchone()[0]
    assert len(lineage) == 10 and missing_rows == 0
    for file_name, sha in lineage:
        assert file_sha256(loaded[2] / file_name) == sha


def test_rematerialising_a_quarter_is_idempotent(data_dir, tmp_path):
    warehouse = WarehouseResource(path=str(tmp_path / "mtm.duckdb"))
    snapshot = "SELECT * EXCLUDE (loaded_at) FROM published.observations ORDER BY ALL"
    with dg.instance_for_test() as instance:
        materialize_quarters(warehouse, ["2024-Q1"], instance)
        with duckdb.connect(warehouse.path, read_only=True) as con:
            first = con.execute(snapshot).fetchall()
        materialize_quarters(warehouse, ["2024-Q1"], instance)
    with duckdb.connect(warehouse.path, read_only=True) as con:
        assert con.execute(snapshot).fetchall() == first


def test_a_bad_extract_leaves_the_published_quarter_unchanged(data_dir, tmp_path):
    warehouse = WarehouseResource(path=str(tmp_path / "mtm.duckdb"))
    snapshot = "SELECT * FROM published.observations ORDER BY ALL"
    with dg.instance_for_test() as instance:
        materialize_quarters(warehouse, ["2024-Q1"], instance)
        with duckdb.connect(warehouse.path, read_only=True) as con:
            before = con.execute(snapshot).fetchall()
        path = data_dir / "raw" / "2024-Q1" / "emigration.csv"
        path.write_text(path.read_text(encoding="utf-8").replace("Germany", "Atlantis"), encoding="utf-8")
        result = materialize_quarters(warehouse, ["2024-Q1"], instance)["2024-Q1"]
        assert not result.success
        failure = next(e for e in result.all_events if e.is_step_failure)
        message = failure.step_failure_data.error.message
    assert "Atlantis" in message and "emigration.csv" in message and "column 'country'" in message
    with duckdb.connect(warehouse.path, read_only=True) as con:
        assert con.execute(snapshot).fetchall() == before


def test_definitions_load_and_name_every_asset():
    keys = {k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys()}
    assert {
        "border_crossings_extract",
        "residence_permits_extract",
        "labour_migration_extract",
        "emigration_extract",
        "remittances_extract",
        "delivered_observations",
        "corrected_observations",
        "country_reference",
    } <= keys
    for assets_def in defs.assets:
        for key in assets_def.keys:
            assert assets_def.descriptions_by_key.get(key), key
            assert assets_def.group_names_by_key.get(key), key


def test_suggested_corrections_in_the_checks_and_the_warehouse(loaded):
    warehouse, results, _ = loaded
    failed = {
        e.check_name: e
        for e in results["2024-Q1"].get_asset_check_evaluations()
        if not e.passed and e.asset_key == dg.AssetKey("delivered_observations")
    }
    shown = failed["stated_change_matches"].metadata["suggested_corrections"].value
    assert "Suggested correction D4 (best): rem_out_2023_geo change -7.6 -> 7.6 (sign)" in shown
    assert "No edit explains it" in shown  # the -51.8 per cent
    with duckdb.connect(warehouse.path, read_only=True) as con:
        best = con.execute(
            "SELECT stage, list(DISTINCT suggestion_id ORDER BY suggestion_id) "
            "FROM quality.suggested_corrections WHERE quarter = '2024-Q1' AND rank = 1 GROUP BY stage"
        ).fetchall()
        unexplained = con.execute(
            "SELECT stage, count(*) FROM quality.unexplained_findings WHERE quarter = '2024-Q1' "
            "GROUP BY stage ORDER BY stage"
        ).fetchall()
    assert best == [("delivered", ["D1", "D2", "D3", "D4"])]  # the corrected stage has none
    assert unexplained == [("corrected", 6), ("delivered", 6)]
