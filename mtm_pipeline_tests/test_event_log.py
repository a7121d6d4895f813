"""The event log storage dagster.yaml selects: Dagster's SQLite files, written with connections kept open.
Built on Dagster internals: a failure names the installed and the tested Dagster version.

Each test uses a real instance in a temporary DAGSTER_HOME holding the project's dagster.yaml, and reads
what it wrote back through Dagster's own default SQLite storage (a dagster.yaml without the
`event_log_storage` section) over the same files.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest
import yaml
from dagster._core.instance.ref import InstanceRef
from dagster._core.storage.event_log import SqliteEventLogStorage

from mtm_pipeline.event_log import PooledSqliteEventLogStorage
from mtm_pipeline_tests.conftest import REPO
from mtm_pipeline_tests.dagster_internals import relies_on_dagster_internals

EVENT_LOG = "the event log storage, mtm_pipeline/event_log.py"

QUARTERS = ["2024-Q1", "2024-Q2", "2024-Q3"]
quarters = dg.StaticPartitionsDefinition(QUARTERS)


@dg.asset(partitions_def=quarters, check_specs=[dg.AssetCheckSpec("positive", asset="counts")])
def counts(context):
    value = QUARTERS.index(context.partition_key) - 1  # 2024-Q1 fails its check
    yield dg.Output(value, metadata={"value": value})
    yield dg.AssetCheckResult(check_name="positive", passed=value >= 0)


def _home(path: Path, *, project_storage: bool) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    config = yaml.safe_load((REPO / "dagster.yaml").read_text())
    if not project_storage:
        config.pop("event_log_storage")
    (path / "dagster.yaml").write_text(yaml.safe_dump(config))
    return path


def _instance(home: Path) -> dg.DagsterInstance:
    return dg.DagsterInstance.from_ref(InstanceRef.from_dir(str(home)))


def _stored(instance: dg.DagsterInstance) -> dict:
    key = dg.AssetKey("counts")
    check = dg.AssetCheckKey(key, "positive")
    records = instance.fetch_materializations(key, limit=100).records
    executions = instance.event_log_storage.get_asset_check_execution_history(check, limit=100)
    return {
        "materialized": sorted(instance.get_materialized_partitions(key)),
        "values": sorted((r.partition_key, r.asset_materialization.metadata["value"].value) for r in records),
        "checks": sorted(
            (instance.get_run_by_id(e.run_id).tags["dagster/partition"], e.status.value) for e in executions
        ),
        "events": sorted(
            (r.event_log_entry.dagster_event_type.value, r.partition_key or "")
            for r in instance.get_records_for_run(instance.get_runs()[0].run_id, limit=10_000).records
            if r.event_log_entry.is_dagster_event
        ),
    }


def _materialize_each_quarter(instance: dg.DagsterInstance) -> None:
    for quarter in QUARTERS:
        result = dg.materialize([counts], partition_key=quarter, instance=instance, raise_on_error=False)
        assert result.success


@relies_on_dagster_internals(EVENT_LOG)
def test_the_project_instance_uses_it_and_stores_what_dagsters_storage_stores(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    project_home = _home(tmp_path / "project", project_storage=True)
    default_home = _home(tmp_path / "default", project_storage=False)
    monkeypatch.setenv("DAGSTER_HOME", str(project_home))
    with _instance(project_home) as project, _instance(default_home) as default:
        assert type(project.event_log_storage) is PooledSqliteEventLogStorage
        assert type(default.event_log_storage) is SqliteEventLogStorage
        _materialize_each_quarter(project)
        _materialize_each_quarter(default)
        written = _stored(project)
        assert written["materialized"] == QUARTERS
        assert ("2024-Q1", "FAILED") in written["checks"] and ("2024-Q3", "SUCCEEDED") in written["checks"]
        # the same run of the same asset stores the same events either way, apart from run ids and times
        expected = _stored(default)
        assert written["values"] == expected["values"] and written["checks"] == expected["checks"]
        assert len(written["events"]) == len(expected["events"]) > 0

    # the files it wrote are Dagster's own: the default storage reads them back unchanged
    shutil.copyfile(default_home / "dagster.yaml", project_home / "dagster.yaml")
    with _instance(project_home) as reread:
        assert type(reread.event_log_storage) is SqliteEventLogStorage
        assert _stored(reread) == written


WRITER = """
import sys
import dagster as dg
from dagster._core.instance.ref import InstanceRef

with dg.DagsterInstance.from_ref(InstanceRef.from_dir(sys.argv[1])) as instance:
    for i in range(int(sys.argv[3])):
        instance.report_runless_asset_event(dg.AssetMaterialization(sys.argv[2], partition=str(i)))
"""


@relies_on_dagster_internals(EVENT_LOG)
def test_processes_writing_at_once_lose_no_event(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    home = _home(tmp_path / "home", project_storage=True)
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    with _instance(home) as instance:  # created first: Dagster's own set-up of new files is not concurrent
        instance.get_runs()
    events = 150
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(home), name, str(events)], cwd=REPO)
        for name in ("writer_a", "writer_b", "writer_c")
    ]
    assert [w.wait(timeout=300) for w in writers] == [0, 0, 0]
    with _instance(home) as instance:
        for name in ("writer_a", "writer_b", "writer_c"):
            stored = instance.fetch_materializations(dg.AssetKey(name), limit=1_000).records
            assert sorted(int(r.partition_key) for r in stored) == list(range(events))


@relies_on_dagster_internals(EVENT_LOG)
def test_an_instance_loaded_from_its_folder_keeps_its_events_there(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    elsewhere = _home(tmp_path / "elsewhere", project_storage=True)
    monkeypatch.setenv("DAGSTER_HOME", str(elsewhere))  # another instance: not where this one's events go
    home = _home(tmp_path / "home", project_storage=True)
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert type(instance.event_log_storage) is PooledSqliteEventLogStorage
        _materialize_each_quarter(instance)
    assert (home / "history" / "runs" / "index.db").exists()
    assert not (elsewhere / "history").exists()
    monkeypatch.delenv("DAGSTER_HOME")
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert _stored(instance)["materialized"] == QUARTERS
