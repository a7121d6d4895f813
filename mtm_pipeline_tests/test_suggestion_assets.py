"""The delivered stage asset, called with build_asset_context on a real DuckDB file: its checks carry the
suggested corrections, and a failure of the suggestion search never stops the checks or the publication."""

from __future__ import annotations

import dagster as dg
import duckdb

from mtm_pipeline.assets.extracts import extract_assets
from mtm_pipeline.assets.observations import delivered_observations
from mtm_pipeline.assets.quality import ChecksConfig
from mtm_pipeline.resources import WarehouseResource

Q = "2024-Q1"


def _delivered(warehouse: WarehouseResource) -> list:
    for asset in extract_assets:
        list(asset(context=dg.build_asset_context(partition_key=Q), warehouse=warehouse))
    context = dg.build_asset_context(partition_key=Q)
    return list(delivered_observations(context=context, config=ChecksConfig(), warehouse=warehouse))


def _count(warehouse: WarehouseResource, sql: str) -> int:
    with duckdb.connect(warehouse.path, read_only=True) as con:
        return con.execute(sql, [Q]).fetchone()[0]


def test_checks_carry_the_suggestions(data_dir, tmp_path):
    warehouse = WarehouseResource(path=str(tmp_path / "wh.duckdb"))
    events = _delivered(warehouse)
    group = next(
        e for e in events if isinstance(e, dg.AssetCheckResult) and e.check_name == "group_totals_add_up"
    )
    assert (
        "Suggested correction D1 (best of 2): prp_2024q1_noncis value 3799 -> 2219"
        in group.metadata["suggested_corrections"].value
    )
    assert (
        _count(
            warehouse,
            "SELECT count(DISTINCT suggestion_id) FROM quality.suggested_corrections WHERE quarter = ?",
        )
        == 18
    )


def test_a_failed_search_never_stops_publication(data_dir, tmp_path, monkeypatch):
    from mtm_pipeline.checks import suggest

    def broken(*args, **kwargs):
        raise RuntimeError("search broke")

    warehouse = WarehouseResource(path=str(tmp_path / "wh.duckdb"))
    _delivered(warehouse)
    query = "SELECT count(*) FROM quality.suggested_corrections WHERE quarter = ?"
    assert _count(warehouse, query) > 0  # suggestions of a working search, which the broken one must replace
    monkeypatch.setattr(suggest, "suggest_corrections", broken)
    events = _delivered(warehouse)
    group = next(
        e for e in events if isinstance(e, dg.AssetCheckResult) and e.check_name == "group_totals_add_up"
    )
    assert (
        not group.passed
        and "failed (RuntimeError('search broke'))" in group.metadata["suggestions_search"].value
    )
    assert _count(warehouse, "SELECT count(*) FROM published.observations WHERE delivery_quarter = ?") == 132
    assert _count(warehouse, query) == 0
