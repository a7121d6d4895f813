"""Shared by the robustness tests: warehouse checksums, the warehouse assets, subprocess environments."""

from __future__ import annotations

import os
import shutil
import sys
from collections import Counter
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from mtm_pipeline import sample_workbooks
from mtm_pipeline.assets.reference import country_reference
from mtm_pipeline.definitions import quarter_assets
from mtm_pipeline.partitions import QUARTERS_NAME
from mtm_pipeline.resources import WarehouseResource
from mtm_pipeline_tests.conftest import CORRECTIONS, RAW, REPO

# Columns that only record when a row was written; "excluding load timestamps" drops exactly these.
TIMESTAMPS = ("loaded_at", "evaluated_at", "received_at", "created_at")
# The quarter's assets that write the warehouse (the report assets only read it and are slow to build).
WAREHOUSE_ASSETS = [a for a in quarter_assets if not {"report"} & set(a.group_names_by_key.values())]


def quote(name: str) -> str:
    return ".".join('"' + part.replace('"', '""') + '"' for part in name.split("."))


def tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    rows = con.execute(
        "SELECT schema_name || '.' || table_name FROM duckdb_tables() WHERE NOT internal ORDER BY 1"
    ).fetchall()
    return [r[0] for r in rows]


def _select(table: str, exclude: tuple[str, ...], where: str) -> str:
    """Every column of the table but the excluded ones (DuckDB's COLUMNS(lambda)), as one JSON text per
    row."""
    names = "[" + ", ".join("'" + c.replace("'", "''") + "'" for c in exclude) + "]::VARCHAR[]"
    return (
        f"SELECT to_json(t)::VARCHAR AS j FROM (SELECT COLUMNS(lambda c: NOT list_contains({names}, c)) "
        f"FROM {quote(table)} WHERE {where}) AS t"
    )


def table_checksum(
    con: duckdb.DuckDBPyConnection,
    table: str,
    *,
    exclude: tuple[str, ...] = (),
    where: str = "TRUE",
    params: list | None = None,
) -> tuple[int, str]:
    """(row count, md5 of every row as JSON, sorted) for the table, computed by DuckDB."""
    sql = (
        "SELECT count(*), md5(coalesce(string_agg(j, chr(10) ORDER BY j), '')) "
        f"FROM ({_select(table, exclude, where)})"
    )
    count, digest = con.execute(sql, params or []).fetchone()
    return int(count), digest


def checksums(path: Path | str, *, exclude: tuple[str, ...] = ()) -> dict[str, tuple[int, str]]:
    """Checksum of every table of the warehouse file (excluding the named columns wherever they occur)."""
    with duckdb.connect(str(path), read_only=True) as con:
        return {t: table_checksum(con, t, exclude=exclude) for t in tables(con)}


def rows_of(
    path: Path | str,
    table: str,
    *,
    exclude: tuple[str, ...] = (),
    where: str = "TRUE",
    params: list | None = None,
) -> Counter:
    """The rows of a table as a multiset of JSON texts (for set differences in assertions)."""
    with duckdb.connect(str(path), read_only=True) as con:
        rows = con.execute(_select(table, exclude, where), params or []).fetchall()
    return Counter(r[0] for r in rows)


# The extracts and the delivered stage: enough to see how a file is read and published ('corrected' is
# a deterministic function of 'delivered' and data/corrections/, and its checks take most of the time;
# the derived stage is computed from 'corrected').
DELIVERED_ASSETS = [
    a
    for a in WAREHOUSE_ASSETS
    if not {"corrected_observations", "derived_figures"} & {k.to_user_string() for k in a.keys}
]


def materialise(
    warehouse: WarehouseResource,
    quarter: str,
    instance: dg.DagsterInstance | None = None,
    *,
    reference: bool = False,
    assets=None,
):
    """Materialise the quarter's warehouse assets in-process (what `mtm run <quarter>` writes)."""
    if instance is None:
        # Entered, so that Dagster's current definitions-state storage is this instance's and not one left
        # behind by an instance of an earlier test.
        with dg.DagsterInstance.ephemeral() as ephemeral:
            return materialise(warehouse, quarter, ephemeral, reference=reference, assets=assets)
    if not instance.has_dynamic_partition(QUARTERS_NAME, quarter):
        instance.add_dynamic_partitions(QUARTERS_NAME, [quarter])
    if reference:
        dg.materialize([country_reference], instance=instance, resources={"warehouse": warehouse})
    return dg.materialize(
        assets or WAREHOUSE_ASSETS,
        partition_key=quarter,
        instance=instance,
        resources={"warehouse": warehouse},
        raise_on_error=False,
    )


def step_failures(result) -> str:
    return "\n".join(e.step_failure_data.error.message for e in result.all_events if e.is_step_failure)


def new_data_dir(root: Path, *, with_dagster_home: bool = False) -> Path:
    """A fresh MTM_DATA_DIR under root: raw/ and corrections/ copied from the repository."""
    data = root / "data"
    shutil.copytree(RAW, data / "raw")
    if CORRECTIONS.exists():
        shutil.copytree(CORRECTIONS, data / "corrections")
    if with_dagster_home:
        (data / "dagster_home").mkdir(parents=True)
        shutil.copy(REPO / "dagster.yaml", data / "dagster_home" / "dagster.yaml")
    return data


def subprocess_env(data: Path, **extra: str) -> dict[str, str]:
    """Environment of a `python -m mtm_pipeline.cli` child, as `make run` sets it up for data/."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MTM_", "DAGSTER_"))}
    env.update(
        MTM_DATA_DIR=str(data),
        DAGSTER_HOME=str(data / "dagster_home"),
        GX_ANALYTICS_ENABLED="false",
        DAGSTER_DISABLE_TELEMETRY="1",
        PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""),
    )
    env.update(extra)
    return env


PYTHON = sys.executable


def sample_quarter_loaded(root: Path, quarter: str) -> tuple[Path, Path]:
    """A data folder under root with the quarter's sample workbooks, and a warehouse with its delivered stage
    loaded: (data folder, warehouse file)."""
    data = new_data_dir(root)
    sample_workbooks.write_samples(data / "raw", quarter)
    path = root / "mtm.duckdb"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MTM_DATA_DIR", str(data))
        patch.delenv("MTM_ALERT_WEBHOOK_URL", raising=False)
        patch.delenv("MTM_SMTP_HOST", raising=False)
        result = materialise(
            WarehouseResource(path=str(path)), quarter, reference=True, assets=DELIVERED_ASSETS
        )
    assert result.success, step_failures(result)
    return data, path
