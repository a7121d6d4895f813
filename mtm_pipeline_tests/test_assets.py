"""Assets called directly with build_asset_context against a real temporary DuckDB file."""

from __future__ import annotations

import dagster as dg
import duckdb

from mtm_pipeline.assets.extracts import extract_assets
from mtm_pipeline.resources import WarehouseResource


def _asset(name: str) -> dg.AssetsDefinition:
    return next(a for a in extract_assets if a.key.to_user_string() == name)


def _run(asset: dg.AssetsDefinition, quarter: str, warehouse: WarehouseResource) -> list:
    context = dg.build_asset_context(partition_key=quarter)
    return list(asset(context=context, warehouse=warehouse))


def test_extract_asset_stages_the_delivered_rows(data_dir, tmp_path):
    warehouse = WarehouseResource(path=str(tmp_path / "wh.duckdb"))
    events = _run(_asset("labour_migration_extract"), "2024-Q1", warehouse)
    result = events[-1]
    assert result.metadata["delivered"] is True
    with duckdb.connect(warehouse.path, read_only=True) as con:
        staged = con.execute(
            "SELECT count(*), sum(value) FILTER (WHERE measure = 'foreign_workers' AND country IS NULL "
            "AND category IS NULL AND sector IS NULL) FROM staging.extract_rows "
            "WHERE source = 'labour_migration'"
        ).fetchone()
    assert staged[0] == result.metadata["dagster/row_count"]
    assert staged[1] == 12882  # "12,882 migrant workers are currently working in Kazakhstan"


def test_extract_asset_for_an_absent_source_stages_nothing(data_dir, tmp_path):
    (data_dir / "raw" / "2024-Q2" / "emigration.csv").unlink()
    warehouse = WarehouseResource(path=str(tmp_path / "wh.duckdb"))
    result = _run(_asset("emigration_extract"), "2024-Q2", warehouse)[-1]
    assert result.metadata["delivered"] is False
    with duckdb.connect(warehouse.path, read_only=True) as con:
        assert con.execute("SELECT count(*) FROM staging.extract_rows").fetchone()[0] == 0
