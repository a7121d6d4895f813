"""The derived_figures asset on counts-only quarters written by the generator into a temporary MTM_DATA_DIR:
materialised in-process as one range run, called with build_asset_context, replaced atomically per quarter."""

from __future__ import annotations

import dagster as dg
import duckdb
import pandas as pd
import pytest

from mtm_pipeline.assets.derived import derived_figures
from mtm_pipeline.definitions import defs, quarter_assets
from mtm_pipeline.derive import derive_quarter
from mtm_pipeline.partitions import QUARTERS_NAME
from mtm_pipeline.resources import WarehouseResource
from mtm_pipeline.synthetic import generate
from mtm_pipeline.warehouse import connect
from mtm_pipeline.warehouse.derived import publish_derived, read_derived
from mtm_pipeline.warehouse.quarters import read_all_corrected

QUARTERS = ["2023-Q4", "2024-Q1"]


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    """Two counts-only quarters loaded as one single-run backfill (everything up to the derived stage)."""
    root = tmp_path_factory.mktemp("derived") / "data"
    generate(root, QUARTERS[0], QUARTERS[-1], 5, counts_only_extracts=True)
    warehouse = WarehouseResource(path=str(root / "warehouse" / "mtm.duckdb"))
    assets = [a for a in quarter_assets if a.key != dg.AssetKey("quarterly_report")]
    with pytest.MonkeyPatch.context() as patch, dg.instance_for_test() as instance:
        patch.setenv("MTM_DATA_DIR", str(root))
        patch.delenv("MTM_ALERT_WEBHOOK_URL", raising=False)
        patch.delenv("MTM_SMTP_HOST", raising=False)
        instance.add_dynamic_partitions(QUARTERS_NAME, QUARTERS)
        result = dg.materialize(
            assets,
            instance=instance,
            resources={"warehouse": warehouse},
            raise_on_error=False,
            tags={
                "dagster/asset_partition_range_start": QUARTERS[0],
                "dagster/asset_partition_range_end": QUARTERS[-1],
            },
        )
        yield warehouse, result


def test_range_run_publishes_what_the_pure_functions_derive(loaded):
    warehouse, result = loaded
    assert result.success
    materialised = {
        e.partition
        for e in result.get_asset_materialization_events()
        if e.asset_key == dg.AssetKey("derived_figures")
    }
    assert materialised == set(QUARTERS)
    with duckdb.connect(warehouse.path, read_only=True) as con:
        corrected = read_all_corrected(con)
        stored = read_derived(con)
    first = derive_quarter(corrected[corrected["delivery_quarter"] == QUARTERS[0]], corrected)
    second = derive_quarter(corrected[corrected["delivery_quarter"] == QUARTERS[1]], corrected, first)
    expected = pd.concat([first, second], ignore_index=True)
    columns = ["delivery_quarter", "obs_id", "derivation", "qualifier", "input_obs_ids"]
    key = ["delivery_quarter", "obs_id"]
    assert (
        stored[columns]
        .sort_values(key)
        .reset_index(drop=True)
        .equals(expected[columns].sort_values(key).reset_index(drop=True))
    )
    # the second quarter compared its CIS arrivals with the first quarter's derived CIS arrivals
    assert "drv_change_drv_cis_arr_2024q1_total_vs_2023q4" in set(stored["obs_id"])


def test_view_tells_published_from_computed(loaded):
    warehouse, _ = loaded
    with duckdb.connect(warehouse.path, read_only=True) as con:
        counts = dict(con.execute("SELECT computed, count(*) FROM published.figures GROUP BY ALL").fetchall())
        published = con.execute(
            "SELECT count(*) FROM published.observations WHERE stage = 'corrected'"
        ).fetchone()
        derived = con.execute("SELECT count(*) FROM published.derived_figures").fetchone()
    assert counts == {False: published[0], True: derived[0]}


def test_rerun_with_build_asset_context_replaces_the_quarter(loaded):
    warehouse, _ = loaded
    quarter = QUARTERS[-1]
    with duckdb.connect(warehouse.path, read_only=True) as con:
        before = read_derived(con, quarter)
        other_before = read_derived(con, QUARTERS[0])
    events = list(derived_figures(context=dg.build_asset_context(partition_key=quarter), warehouse=warehouse))
    metadata = events[-1].metadata
    with duckdb.connect(warehouse.path, read_only=True) as con:
        after = read_derived(con, quarter)
        other_after = read_derived(con, QUARTERS[0])
    assert metadata["dagster/row_count"] == len(after) == len(before)
    assert sum(metadata["rows_by_derivation"].values()) == len(after)
    assert after["obs_id"].is_unique and sorted(after["obs_id"]) == sorted(before["obs_id"])
    assert after["loaded_at"].min() > before["loaded_at"].max()
    pd.testing.assert_frame_equal(other_before, other_after)


def test_a_failed_write_leaves_the_quarter_as_it_was(loaded):
    warehouse, _ = loaded
    quarter = QUARTERS[-1]
    with duckdb.connect(warehouse.path, read_only=True) as con:
        before = read_derived(con, quarter)
    broken = pd.concat([before, before.head(1)], ignore_index=True)  # a repeated obs_id breaks the key
    with connect(warehouse.file) as con, pytest.raises(duckdb.Error):
        publish_derived(con, quarter, broken)
    with duckdb.connect(warehouse.path, read_only=True) as con:
        pd.testing.assert_frame_equal(read_derived(con, quarter), before)


def test_a_quarter_without_corrected_stage_fails_naming_it(loaded):
    warehouse, _ = loaded
    with pytest.raises(dg.Failure, match="2019-Q1 has no corrected stage"):
        list(derived_figures(context=dg.build_asset_context(partition_key="2019-Q1"), warehouse=warehouse))


def test_asset_is_in_the_quarter_job_before_the_report():
    graph = defs.resolve_asset_graph()
    assert dg.AssetKey("derived_figures") in graph.get(dg.AssetKey("quarterly_report")).parent_keys
    job = defs.resolve_job_def("quarter_job")
    assert "derived_figures" in {node.name for node in job.graph.node_defs}


def test_every_stored_figure_lies_in_its_stored_interval(loaded):
    warehouse, _ = loaded
    with duckdb.connect(warehouse.path, read_only=True) as con:
        outside = con.execute(
            "SELECT count(*) FROM published.derived_figures WHERE "
            "(value IS NOT NULL AND NOT value BETWEEN value_low AND value_high) OR "
            "(share IS NOT NULL AND NOT share BETWEEN share_low AND share_high) OR "
            "(change IS NOT NULL AND NOT change BETWEEN change_low AND change_high)"
        ).fetchone()[0]
        stored = con.execute(
            "SELECT count(*) FROM published.derived_figures WHERE share IS NOT NULL"
        ).fetchone()[0]
    assert stored > 0 and outside == 0
