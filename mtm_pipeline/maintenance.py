"""Warehouse maintenance from the command line (every path derives from MTM_DATA_DIR):

    python -m mtm_pipeline.maintenance backup [--keep N]   snapshot the warehouse into backups/
    python -m mtm_pipeline.maintenance list-backups        the backups, newest first, with row counts
    python -m mtm_pipeline.maintenance restore <file>      put a backup back (a file name in backups/ or a path)
    python -m mtm_pipeline.maintenance rebuild             move the warehouse aside (kept as a backup) and
                                                           load every quarter in raw/ into a fresh file
    python -m mtm_pipeline.maintenance release-stale-runs  mark runs whose process died (kill -9, power
                                                           loss) as failed and free their pool slots

A run killed while it held the "duckdb_writer" pool slot keeps that slot claimed in the Dagster
instance (DAGSTER_HOME), and every later run then waits for it forever; `rebuild` releases such runs
first, and `release-stale-runs` does it on its own.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import duckdb

from mtm_pipeline.processes import process_alive
from mtm_pipeline.settings import data_paths
from mtm_pipeline.warehouse.backup import (
    BackupError,
    WarehouseBusy,
    backup_warehouse,
    list_backups,
    move_aside,
    restore_backup,
    validate_warehouse_file,
)

_RUNNING = ("STARTING", "STARTED", "CANCELING")


def _run_pid(instance, run_id: str) -> int | None:
    from dagster._core.events import DagsterEventType

    records = instance.get_records_for_run(run_id, of_type=DagsterEventType.RUN_START).records
    for record in records:
        event = record.event_log_entry.dagster_event
        if event is not None and event.pid:
            return int(event.pid)
    return None


def release_stale_runs(instance) -> list[str]:
    """Runs of this machine's instance whose process is gone: mark them failed, free their pool slots.

    A run counts as stale when it is not finished but the process that started it no longer exists,
    or when it is finished but still holds (or waits for) a concurrency slot. Returns their run ids.
    """
    released = []
    storage = instance.event_log_storage
    candidates = {run.run_id: run for run in instance.get_runs() if run.status.value in _RUNNING}
    for run_id in storage.get_concurrency_run_ids():
        run = instance.get_run_by_id(run_id)
        if run is not None:
            candidates.setdefault(run_id, run)
    for run_id, run in candidates.items():
        if run.status.value in _RUNNING:
            pid = _run_pid(instance, run_id)
            if pid is None or pid == os.getpid() or process_alive(pid):
                continue
            instance.report_run_failed(
                run, f"the process of this run (pid {pid}) no longer exists: it was killed or crashed"
            )
        storage.free_concurrency_slots_for_run(run_id)
        released.append(run_id)
    return released


def _instance():
    import dagster as dg

    return dg.DagsterInstance.get() if os.environ.get("DAGSTER_HOME") else None


def _resolve_backup(name: str) -> Path:
    candidate = Path(name)
    if not candidate.exists() and candidate.parent == Path("."):
        candidate = data_paths().backups / name
    return candidate


def _describe(path: Path) -> str:
    try:
        counts = validate_warehouse_file(path)
    except BackupError as error:
        return f"{path.name}  UNREADABLE: {error}"
    rows = counts.get("published.observations", 0)
    return f"{path.name}  {path.stat().st_size:>12,} bytes  published.observations: {rows} rows"


def cmd_backup(keep: int) -> int:
    paths = data_paths()
    made = backup_warehouse(paths.warehouse, paths.backups, keep=keep)
    if made is None:
        print(f"no warehouse at {paths.warehouse}; nothing to back up")
        return 0
    print(f"backup written: {made}")
    return 0


def cmd_list() -> int:
    backups = list_backups(data_paths().backups)
    if not backups:
        print(f"no backups in {data_paths().backups}")
    for path in backups:
        print(_describe(path))
    return 0


def cmd_restore(name: str) -> int:
    paths = data_paths()
    backup = _resolve_backup(name)
    try:
        validate_warehouse_file(backup)
    except BackupError as error:
        print(f"refused: {error}", file=sys.stderr)
        return 2
    try:
        if paths.warehouse.exists():
            try:  # keep what is replaced; no pruning, so the backup being restored stays
                safety = backup_warehouse(
                    paths.warehouse, paths.backups, keep=len(list_backups(paths.backups)) + 1,
                    label="before-restore", wait_seconds=0,
                )  # fmt: skip
            except duckdb.Error as error:
                if "lock" in str(error).lower():
                    raise WarehouseBusy(
                        f"the warehouse {paths.warehouse} is open in another process"
                    ) from error
                # DuckDB cannot read it any more: keep the file itself
                safety = move_aside(paths.warehouse, paths.backups, "unreadable")
            if safety:
                print(f"current warehouse kept as {safety}")
        restore_backup(backup, paths.warehouse)
    except WarehouseBusy as error:
        print(f"refused: {error}", file=sys.stderr)
        return 2
    print(f"restored {backup} -> {paths.warehouse}")
    return 0


def cmd_rebuild() -> int:
    from mtm_pipeline import cli

    paths = data_paths()
    try:
        aside = move_aside(paths.warehouse, paths.backups, "before-rebuild")
    except WarehouseBusy as error:
        print(f"refused: {error}", file=sys.stderr)
        return 2
    print(f"previous warehouse kept as {aside}" if aside else "no previous warehouse")
    instance = _instance()
    if instance is not None:
        for run_id in release_stale_runs(instance):
            print(f"released stale run {run_id}")
    code = cli.run()
    if code != 0 and aside is not None:
        print(
            f"\nthe rebuild did not load every quarter; the previous warehouse is kept as {aside}.\n"
            f"To put it back: python -m mtm_pipeline.maintenance restore {aside.name}"
        )
    return code


def cmd_release_stale_runs() -> int:
    instance = _instance()
    if instance is None:
        print("DAGSTER_HOME is not set: runs are not recorded, nothing to release")
        return 0
    released = release_stale_runs(instance)
    print("\n".join(f"released stale run {r}" for r in released) or "no stale runs")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mtm_pipeline.maintenance", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    sub = parser.add_subparsers(dest="command", required=True)
    backup = sub.add_parser("backup", help="snapshot the warehouse into backups/")
    backup.add_argument("--keep", type=int, default=5, help="backups to keep (default 5)")
    sub.add_parser("list-backups", help="the backups, newest first")
    restore = sub.add_parser("restore", help="put a backup back")
    restore.add_argument("file", help="a backup file name in backups/, or a path")
    sub.add_parser("rebuild", help="move the warehouse aside and load every quarter in raw/ again")
    sub.add_parser("release-stale-runs", help="fail runs whose process died and free their pool slots")
    args = parser.parse_args(argv)
    if args.command == "backup":
        return cmd_backup(args.keep)
    if args.command == "list-backups":
        return cmd_list()
    if args.command == "restore":
        return cmd_restore(args.file)
    if args.command == "rebuild":
        return cmd_rebuild()
    return cmd_release_stale_runs()


if __name__ == "__main__":
    sys.exit(main())
