"""Backups of the warehouse: consistent snapshots through DuckDB, atomic restore, the maintenance commands."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import duckdb
import pytest

from mtm_pipeline import maintenance
from mtm_pipeline.resources import WarehouseResource
from mtm_pipeline.warehouse.backup import (
    PARTIAL_SUFFIX,
    BackupError,
    WarehouseBusy,
    backup_warehouse,
    list_backups,
    move_aside,
    restore_backup,
)
from mtm_pipeline_tests.robustness.helpers import (
    PYTHON,
    TIMESTAMPS,
    checksums,
    materialise,
    new_data_dir,
    step_failures,
)


def catalog(path: Path) -> dict:
    """Tables, views and constraints of a DuckDB file (what a backup must carry besides the rows)."""
    with duckdb.connect(str(path), read_only=True) as con:
        return {
            "tables": con.execute(
                "SELECT schema_name, table_name FROM duckdb_tables() ORDER BY ALL"
            ).fetchall(),
            "views": con.execute(
                "SELECT schema_name, view_name FROM duckdb_views() WHERE NOT internal ORDER BY ALL"
            ).fetchall(),
            "constraints": con.execute(
                "SELECT schema_name, table_name, constraint_type, constraint_text FROM duckdb_constraints() "
                "ORDER BY ALL"
            ).fetchall(),
        }


@pytest.fixture(scope="module")
def loaded(tmp_path_factory) -> Path:
    """A warehouse with both quarters loaded (read only here: tests copy it)."""
    root = tmp_path_factory.mktemp("backup")
    data = new_data_dir(root)
    path = data / "warehouse" / "mtm.duckdb"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MTM_DATA_DIR", str(data))
        patch.delenv("MTM_ALERT_WEBHOOK_URL", raising=False)
        for quarter in ("2024-Q1", "2024-Q2"):
            result = materialise(WarehouseResource(path=str(path)), quarter, reference=quarter == "2024-Q1")
            assert result.success, step_failures(result)
    return path


@pytest.fixture
def warehouse(loaded, tmp_path) -> Path:
    path = tmp_path / "warehouse" / "mtm.duckdb"
    path.parent.mkdir()
    shutil.copyfile(loaded, path)
    return path


def _hold(path: Path, *, read_only: bool, seconds: float) -> subprocess.Popen:
    """Another process with the warehouse open; returns once the connection is open."""
    code = (
        "import duckdb, sys, time\n"
        f"con = duckdb.connect({str(path)!r}, read_only={read_only})\n"
        "print('open', flush=True)\n"
        f"time.sleep({seconds})\n"
        "con.close()\n"
    )
    child = subprocess.Popen([PYTHON, "-c", code], stdout=subprocess.PIPE, text=True)
    assert child.stdout.readline().strip() == "open"
    return child


def test_backup_then_change_then_restore_gives_the_backup_back(warehouse, tmp_path):
    backups = tmp_path / "backups"
    original = checksums(warehouse)
    backup = backup_warehouse(warehouse, backups)
    assert backup is not None and backup.parent == backups
    assert checksums(backup) == original  # every row of every table, nothing excluded
    assert catalog(backup) == catalog(warehouse)  # primary keys, checks, views
    with duckdb.connect(str(warehouse)) as con:  # change it: rows deleted, altered, a table dropped
        con.execute("DELETE FROM published.observations WHERE stage = 'corrected'")
        con.execute("UPDATE published.deliveries SET row_count = row_count + 1")
        con.execute("DROP TABLE quality.corrections_applied")
    assert checksums(warehouse) != original
    restore_backup(backup, warehouse)
    assert checksums(warehouse) == original
    assert catalog(warehouse) == catalog(backup)
    assert not list(warehouse.parent.glob(".mtm.duckdb.restore-*")), "no temporary file left behind"


def test_no_backup_without_a_warehouse(tmp_path):
    assert backup_warehouse(tmp_path / "none.duckdb", tmp_path / "backups") is None
    assert list_backups(tmp_path / "backups") == []


def test_only_the_newest_backups_are_kept(warehouse, tmp_path):
    backups = tmp_path / "backups"
    made = [backup_warehouse(warehouse, backups, keep=3) for _ in range(5)]
    (backups / ("mtm-20990101T000000000000Z.duckdb" + PARTIAL_SUFFIX)).write_bytes(b"killed half-way")
    kept = list_backups(backups)
    assert kept == list(reversed(made[-3:]))  # newest first
    assert all(not p.exists() for p in made[:2])
    with pytest.raises(ValueError):
        backup_warehouse(warehouse, backups, keep=0)


def test_backup_includes_commits_still_in_the_write_ahead_log(tmp_path):
    path = tmp_path / "w.duckdb"
    code = (
        "import duckdb, os, signal\n"
        f"con = duckdb.connect({str(path)!r})\n"
        "con.execute('CREATE SCHEMA published; CREATE TABLE published.observations (x INT)'); "
        "con.execute('CHECKPOINT')\n"
        "con.execute('INSERT INTO published.observations VALUES (1), (2)')\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    assert subprocess.run([PYTHON, "-c", code], check=False).returncode == -signal.SIGKILL
    assert Path(str(path) + ".wal").exists()
    backup = backup_warehouse(path, tmp_path / "backups")
    with duckdb.connect(str(backup), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM published.observations").fetchone()[0] == 2


def test_restore_removes_a_stale_write_ahead_log(warehouse, tmp_path):
    backup = backup_warehouse(warehouse, tmp_path / "backups")
    expected = checksums(backup)
    code = (
        "import duckdb, os, signal\n"
        f"con = duckdb.connect({str(warehouse)!r})\n"
        "con.execute(\"DELETE FROM published.observations WHERE delivery_quarter = '2024-Q2'\")\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    subprocess.run([PYTHON, "-c", code], check=False)
    assert Path(str(warehouse) + ".wal").exists()  # the crashed writer's log: replayed onto the old file only
    restore_backup(backup, warehouse)
    assert not Path(str(warehouse) + ".wal").exists()
    assert checksums(warehouse) == expected


def test_restore_and_move_aside_are_refused_while_the_warehouse_is_open(warehouse, tmp_path):
    backup = backup_warehouse(warehouse, tmp_path / "backups")
    before = warehouse.read_bytes()
    for read_only in (True, False):
        holder = _hold(warehouse, read_only=read_only, seconds=30)
        try:
            with pytest.raises(WarehouseBusy, match="open in another process"):
                restore_backup(backup, warehouse)
            with pytest.raises(WarehouseBusy):
                move_aside(warehouse, tmp_path / "backups", "before-rebuild")
        finally:
            holder.kill()
            holder.wait()
        assert warehouse.read_bytes() == before
    assert not list(warehouse.parent.glob(".mtm.duckdb.restore-*"))


def test_backup_waits_for_a_writer_and_copies_a_committed_state(warehouse, tmp_path):
    holder = _hold(warehouse, read_only=False, seconds=1.5)
    started = time.monotonic()
    backup = backup_warehouse(warehouse, tmp_path / "backups", wait_seconds=60)
    assert time.monotonic() - started >= 1.0  # it waited for the lock instead of failing
    holder.wait()
    assert checksums(backup) == checksums(warehouse)


def test_a_backup_that_is_not_a_warehouse_is_refused(warehouse, tmp_path):
    before = checksums(warehouse)
    junk = tmp_path / "junk.duckdb"
    junk.write_bytes(b"not a database")
    with pytest.raises(BackupError, match="not a readable DuckDB database"):
        restore_backup(junk, warehouse)
    other = tmp_path / "other.duckdb"
    duckdb.connect(str(other)).close()
    with pytest.raises(BackupError, match="not an MTM warehouse"):
        restore_backup(other, warehouse)
    assert checksums(warehouse) == before


def test_maintenance_commands(warehouse, tmp_path, monkeypatch, capsys):
    data = new_data_dir(tmp_path / "m")
    (data / "warehouse").mkdir()
    shutil.copyfile(warehouse, data / "warehouse" / "mtm.duckdb")
    monkeypatch.setenv("MTM_DATA_DIR", str(data))
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    monkeypatch.delenv("MTM_ALERT_WEBHOOK_URL", raising=False)
    original = checksums(data / "warehouse" / "mtm.duckdb")

    assert maintenance.main(["backup", "--keep", "5"]) == 0
    first = list_backups(data / "backups")[0]
    assert maintenance.main(["list-backups"]) == 0
    assert first.name in capsys.readouterr().out

    with duckdb.connect(str(data / "warehouse" / "mtm.duckdb")) as con:
        con.execute("DELETE FROM published.observations")
    assert maintenance.main(["restore", first.name]) == 0
    assert checksums(data / "warehouse" / "mtm.duckdb") == original
    kept = [p for p in list_backups(data / "backups") if p.name.endswith("-before-restore.duckdb")]
    assert len(kept) == 1 and checksums(kept[0])["published.observations"][0] == 0  # what was replaced

    assert maintenance.main(["restore", str(tmp_path / "missing.duckdb")]) == 2


def test_rebuild_moves_the_warehouse_aside_and_loads_every_quarter_again(warehouse, tmp_path, monkeypatch):
    data = new_data_dir(tmp_path / "r")
    (data / "warehouse").mkdir()
    shutil.copyfile(warehouse, data / "warehouse" / "mtm.duckdb")
    monkeypatch.setenv("MTM_DATA_DIR", str(data))
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    monkeypatch.delenv("MTM_ALERT_WEBHOOK_URL", raising=False)
    original = checksums(warehouse)
    assert maintenance.main(["rebuild"]) == 0
    aside = [p for p in list_backups(data / "backups") if p.name.endswith("-before-rebuild.duckdb")]
    assert len(aside) == 1
    assert checksums(aside[0]) == original  # kept exactly as it was
    rebuilt = checksums(data / "warehouse" / "mtm.duckdb", exclude=TIMESTAMPS)
    assert rebuilt == checksums(warehouse, exclude=TIMESTAMPS)  # the same content, loaded from raw/


def test_release_stale_runs_frees_the_pool_slot_of_a_killed_run(tmp_path):
    """`mtm run` killed in a pool step leaves the slot claimed; the next run would wait forever."""
    import dagster as dg

    data = new_data_dir(tmp_path, with_dagster_home=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MTM_", "DAGSTER_"))}
    env.update(
        MTM_DATA_DIR=str(data),
        DAGSTER_HOME=str(data / "dagster_home"),
        GX_ANALYTICS_ENABLED="false",
        DAGSTER_DISABLE_TELEMETRY="1",
        MTM_KILL_BEFORE_WRITE="12",
    )
    child = subprocess.run(
        [PYTHON, "-m", "mtm_pipeline_tests.robustness.killpoint", "run", "2024-Q1"],
        env=env,
        capture_output=True,
        check=False,
        timeout=300,
    )
    assert child.returncode == -signal.SIGKILL
    instance = dg.DagsterInstance.from_config(str(data / "dagster_home"))
    try:
        held = instance.event_log_storage.get_concurrency_run_ids()
        assert len(held) == 1  # the dead run still holds "duckdb_writer"
        released = maintenance.release_stale_runs(instance)
        assert set(released) == held
        assert instance.event_log_storage.get_concurrency_run_ids() == set()
        assert instance.get_run_by_id(released[0]).status == dg.DagsterRunStatus.FAILURE
        assert maintenance.release_stale_runs(instance) == []  # idempotent
    finally:
        instance.dispose()
