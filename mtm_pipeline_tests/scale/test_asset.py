"""The border_crossing_records asset, materialised in process with the border_crossings extract."""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from mtm_pipeline.assets.extracts import extract_assets
from mtm_pipeline.assets.record_level import RECONCILE_CHECK, border_crossing_records
from mtm_pipeline.partitions import QUARTERS_NAME
from mtm_pipeline.resources import WarehouseResource
from mtm_pipeline_tests.scale.conftest import RECORD_ROWS, RECORDS_QUARTER

BORDER_EXTRACT = next(a for a in extract_assets if a.key.to_user_string() == "border_crossings_extract")


@pytest.fixture
def data_root(history_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Two quarters of the synthetic history (one with records) in a private MTM_DATA_DIR."""
    root = tmp_path / "data"
    for quarter in ("2018-Q1", RECORDS_QUARTER):
        shutil.copytree(history_dir / "raw" / quarter, root / "raw" / quarter)
    monkeypatch.setenv("MTM_DATA_DIR", str(root))
    for name in ("MTM_ALERT_WEBHOOK_URL", "MTM_SMTP_HOST"):
        monkeypatch.delenv(name, raising=False)
    return root


def _materialize(root: Path, quarter: str):
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions(QUARTERS_NAME, [quarter])
    warehouse = WarehouseResource(path=str(root / "warehouse" / "mtm.duckdb"))
    return dg.materialize(
        [BORDER_EXTRACT, border_crossing_records],
        partition_key=quarter,
        instance=instance,
        resources={"warehouse": warehouse},
        raise_on_error=False,
    )


def _metadata(result) -> dict:
    (materialization,) = result.asset_materializations_for_node("border_crossing_records")
    return {k: v.value for k, v in materialization.metadata.items()}


def test_records_are_validated_aggregated_reconciled_and_staged(data_root):
    result = _materialize(data_root, RECORDS_QUARTER)
    assert result.success
    meta = _metadata(result)
    assert meta["delivered"] is True and meta["records"] == RECORD_ROWS
    (check,) = [e for e in result.get_asset_check_evaluations() if e.check_name == RECONCILE_CHECK]
    assert check.passed and check.metadata["differences"].value == 0
    with duckdb.connect(str(data_root / "warehouse" / "mtm.duckdb"), read_only=True) as con:
        rows = con.execute(
            "SELECT direction, sum(value) FROM staging.record_aggregates WHERE delivery_quarter = ? "
            "AND country IS NULL AND country_group IS NULL AND purpose IS NULL GROUP BY ALL",
            [RECORDS_QUARTER],
        ).fetchall()
    assert sum(float(v) for _, v in rows) == RECORD_ROWS
    assert meta["dagster/row_count"] > 4


def test_a_quarter_without_records_materialises_as_not_delivered(data_root):
    result = _materialize(data_root, "2018-Q1")
    assert result.success
    assert _metadata(result)["delivered"] is False


def test_bad_records_fail_the_step_naming_file_rule_count_and_rows(data_root):
    folder = data_root / "raw" / RECORDS_QUARTER
    path = folder / "border_crossing_records.parquet"
    bad = folder / "bad.parquet"
    with duckdb.connect() as con:
        con.execute(
            f"COPY (SELECT * REPLACE (CASE WHEN n IN (3, 7) THEN 'sideways' ELSE direction END AS direction) "
            f"FROM (SELECT *, row_number() OVER () AS n FROM read_parquet('{path}')) ORDER BY n) "
            f"TO '{bad}' (FORMAT parquet)"
        )
        con.execute(f"COPY (SELECT * EXCLUDE (n) FROM read_parquet('{bad}')) TO '{path}' (FORMAT parquet)")
    bad.unlink()
    result = _materialize(data_root, RECORDS_QUARTER)
    assert not result.success
    (failure,) = [e for e in result.all_events if e.is_step_failure]
    message = failure.step_failure_data.user_failure_data.description
    assert f"raw/{RECORDS_QUARTER}/border_crossing_records.parquet" in message
    assert "'in' or 'out' - 2 record(s), e.g. record 3, 7" in message
