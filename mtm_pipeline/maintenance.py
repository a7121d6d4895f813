"""Warehouse maintenance from the command line (every path derives from MTM_DATA_DIR):

    python -m mtm_pipeline.maintenance backup [--keep N]   snapshot the warehouse into backups/
    python -m mtm_pipeline.maintenance list-backups        the backups, newest first, with row counts
    python -m mtm_pipeline.maintenance restore <file>      put a backup back (a file name in backups/ or
                                                           a path)
    python -m mtm_pipeline.maintenance rebuild             load every quarter in raw/ into a new file and
                                                           swap it in when it lost no published quarter
                                                           (the old warehouse is kept as a backup)
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

from mtm_pipeline.settings import data_paths
from mtm_pipeline.stale_runs import release_stale_runs
from mtm_pipeline.warehouse.backup import (
    BackupError,
    WarehouseBusy,
    backup_warehouse,
    list_backups,
    move_aside,
    restore_backup,
    validate_warehouse_file,
)


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
    """`backup`: snapshot the warehouse into backups/, keeping the newest `keep`."""
    paths = data_paths()
    made = backup_warehouse(paths.warehouse, paths.backups, keep=keep)
    if made is None:
        print(f"no warehouse at {paths.warehouse}; nothing to back up")
        return 0
    print(f"backup written: {made}")
    return 0


def cmd_list() -> int:
    """`list-backups`: the backups, newest first, with their published rows."""
    backups = list_backups(data_paths().backups)
    if not backups:
        print(f"no backups in {data_paths().backups}")
    for path in backups:
        print(_describe(path))
    return 0


def cmd_restore(name: str) -> int:
    """`restore <file>`: put a backup back, keeping the current warehouse as a backup first."""
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
                    paths.warehouse,
                    paths.backups,
                    keep=len(list_backups(paths.backups)) + 1,
                    label="before-restore",
                    wait_seconds=0,
                )
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


def published_quarters(path: Path) -> set[str]:
    """The quarters a warehouse file has published at both stages (none when there is no file)."""
    if not path.exists():
        return set()
    from mtm_pipeline.warehouse import connect

    with connect(path, read_only=True) as con:
        rows = con.execute(
            "SELECT delivery_quarter FROM published.observations "
            "GROUP BY ALL HAVING count(DISTINCT stage) = 2"
        ).fetchall()
    return {quarter for (quarter,) in rows}


def cmd_rebuild() -> int:
    """Load every quarter in raw/ into a new file next to the warehouse, then swap it in atomically, but
    only when it holds every quarter the live warehouse had published: a quarter that fails in the rebuild
    and was published before keeps the live warehouse exactly as it was (the new file is kept in backups/
    for inspection); a failing quarter that was never published does not stop the swap."""
    from mtm_pipeline import cli

    paths = data_paths()
    instance = _instance()
    if instance is not None:
        for run_id in release_stale_runs(instance):
            print(f"released stale run {run_id}")
    try:
        before = backup_warehouse(
            paths.warehouse,
            paths.backups,
            keep=max(5, len(list_backups(paths.backups)) + 1),
            label="before-rebuild",
            wait_seconds=0,
        )
    except duckdb.Error as error:
        print(f"refused: the warehouse {paths.warehouse} cannot be copied ({error})", file=sys.stderr)
        return 2
    print(f"previous warehouse kept as {before}" if before else "no previous warehouse")
    had = published_quarters(paths.warehouse)
    paths.warehouse_dir.mkdir(parents=True, exist_ok=True)
    new_file = paths.warehouse_dir / f".rebuild-{os.getpid()}.duckdb"
    for stale in (new_file, new_file.with_name(new_file.name + ".wal")):
        stale.unlink(missing_ok=True)
    try:
        code = cli.run(warehouse=new_file)
        if not new_file.exists():
            print(f"\nnothing was rebuilt; the live warehouse {paths.warehouse} is unchanged")
            return code or 1
        has = published_quarters(new_file)
        lost = sorted(had - has)
        if lost:
            kept = move_aside(new_file, paths.backups, "rebuild-incomplete")
            print(
                f"\nrebuild NOT swapped in: {', '.join(lost)} published in the warehouse but failed in the "
                f"rebuild (see above).\nThe live warehouse {paths.warehouse} is unchanged; the rebuilt file "
                f"is kept as {kept}. Fix the quarter's files in raw/ and rebuild again."
            )
            return code or 1
        try:
            restore_backup(new_file, paths.warehouse)
        except WarehouseBusy as error:
            kept = move_aside(new_file, paths.backups, "rebuild-not-swapped")
            print(f"refused to swap the rebuilt warehouse in: {error}; it is kept as {kept}", file=sys.stderr)
            return 2
        print(f"\nrebuilt warehouse swapped in: {paths.warehouse} ({len(has)} quarter(s) published)")
        return code
    finally:
        for leftover in (new_file, new_file.with_name(new_file.name + ".wal")):
            leftover.unlink(missing_ok=True)


def cmd_release_stale_runs() -> int:
    """`release-stale-runs`: fail the runs whose process died and free their pool slots."""
    instance = _instance()
    if instance is None:
        print("DAGSTER_HOME is not set: runs are not recorded, nothing to release")
        return 0
    released = release_stale_runs(instance)
    print("\n".join(f"released stale run {r}" for r in released) or "no stale runs")
    return 0


def main(argv: list[str] | None = None) -> int:
    """The maintenance command line (see the module docstring); its exit code."""
    parser = argparse.ArgumentParser(
        prog="python -m mtm_pipeline.maintenance",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True)
    backup = sub.add_parser("backup", help="snapshot the warehouse into backups/")
    backup.add_argument("--keep", type=int, default=5, help="backups to keep (default 5)")
    sub.add_parser("list-backups", help="the backups, newest first")
    restore = sub.add_parser("restore", help="put a backup back")
    restore.add_argument("file", help="a backup file name in backups/, or a path")
    sub.add_parser("rebuild", help="load every quarter in raw/ into a new warehouse and swap it in")
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
