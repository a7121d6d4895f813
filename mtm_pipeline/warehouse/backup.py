"""Warehouse backups: consistent snapshots taken through DuckDB, restored by atomic file replacement.

- `backup_warehouse` copies the warehouse with DuckDB itself (`ATTACH ... (READ_ONLY)` +
  `COPY FROM DATABASE` into a new file): one read transaction, so the copy is a consistent state even
  while other processes read it, and it includes commits still in the write-ahead log. It waits
  while a writer holds the file, like every other connection, and keeps the newest `keep` backups.
- `restore_backup` rebuilds the backup into a temporary file next to the warehouse (validating that it
  opens), then swaps it in with `os.replace`, holding the same POSIX lock DuckDB uses, so it refuses
  to run while any process has the warehouse open and no process can open it half-way.
- `move_aside` renames the warehouse (with its write-ahead log) into the backups folder under that lock:
  for `maintenance rebuild`, and for a warehouse too damaged to be copied through DuckDB.

Backups are `mtm-<UTC timestamp>[-label].duckdb` in `DataPaths.backups` (default data/backups/); a
backup is an ordinary DuckDB file that can be queried read-only.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import random
import re
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import duckdb

PREFIX = "mtm-"
SUFFIX = ".duckdb"
PARTIAL_SUFFIX = ".partial"
_NAME = re.compile(r"^mtm-(\d{8}T\d{6}\d{6}Z)(?:-([a-z0-9-]+))?\.duckdb$")
_STALE_PARTIAL_SECONDS = 3600
REQUIRED_TABLE = "published.observations"


class WarehouseBusy(RuntimeError):
    """Another process has the warehouse open; a restore or move would pull the file from under it."""


class BackupError(RuntimeError):
    """A backup that cannot be used (missing, unreadable, or not an MTM warehouse)."""


def _literal(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _is_lock_conflict(error: Exception) -> bool:
    text = str(error).lower()
    return "lock" in text and ("conflicting" in text or "could not set" in text)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _wal(path: Path) -> Path:
    return path.with_name(path.name + ".wal")


def _new_name(backups_dir: Path, label: str) -> Path:
    if label and not re.fullmatch(r"[a-z0-9-]+", label):
        raise ValueError(f"backup label {label!r}: use lower-case letters, digits and '-'")
    while True:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        target = backups_dir / f"{PREFIX}{stamp}{'-' + label if label else ''}{SUFFIX}"
        if not target.exists() and not target.with_name(target.name + PARTIAL_SUFFIX).exists():
            return target
        time.sleep(0.001)


def _attach_source(con: duckdb.DuckDBPyConnection, path: Path, wait_seconds: float) -> None:
    """ATTACH the warehouse read-only as `src`, waiting (jittered back-off) while a writer holds it."""
    deadline = time.monotonic() + wait_seconds
    delay = 0.05
    while True:
        try:
            con.execute(f"ATTACH {_literal(path)} AS src (READ_ONLY)")
            return
        except (duckdb.IOException, duckdb.ConnectionException) as error:
            if not _is_lock_conflict(error) or time.monotonic() >= deadline:
                raise
            time.sleep(delay * (1 + random.random()))
            delay = min(delay * 2, 1.0)


def _copy_database(source: Path, target: Path, wait_seconds: float) -> None:
    """A consistent copy of `source` into the new file `target`, through DuckDB (schemas, tables with
    their constraints, views, data); the copy is checkpointed and fsynced."""
    con = duckdb.connect()
    try:
        _attach_source(con, source, wait_seconds)
        con.execute(f"ATTACH {_literal(target)} AS copy")
        con.execute("COPY FROM DATABASE src TO copy")
        con.execute("DETACH copy")
        con.execute("DETACH src")
    finally:
        con.close()
    _fsync(target)


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):  # not every filesystem lets a directory be fsynced
        _fsync(folder)


def list_backups(backups_dir: Path) -> list[Path]:
    """Complete backups in `backups_dir`, newest first (partial copies are never listed)."""
    if not backups_dir.is_dir():
        return []
    found = [p for p in backups_dir.iterdir() if _NAME.match(p.name) and p.is_file()]
    return sorted(found, key=lambda p: _NAME.match(p.name).group(1), reverse=True)


def _prune(backups_dir: Path, keep: int) -> list[Path]:
    removed = []
    for old in list_backups(backups_dir)[keep:]:
        old.unlink(missing_ok=True)
        _wal(old).unlink(missing_ok=True)
        removed.append(old)
    now = time.time()
    for partial in backups_dir.glob(f"{PREFIX}*{PARTIAL_SUFFIX}*"):
        with contextlib.suppress(OSError):
            if now - partial.stat().st_mtime > _STALE_PARTIAL_SECONDS:  # left by a killed backup
                partial.unlink()
    return removed


def backup_warehouse(
    path: Path, backups_dir: Path, keep: int = 5, *, label: str = "", wait_seconds: float = 300.0
) -> Path | None:
    """Snapshot the warehouse into `backups_dir`; None when there is no warehouse yet.

    The snapshot is written as `<name>.partial` and renamed when complete, so a killed backup never
    leaves a file that looks like a backup. Afterwards only the newest `keep` backups are kept.
    """
    if keep < 1:
        raise ValueError("keep must be at least 1")
    if not path.exists():
        return None
    backups_dir.mkdir(parents=True, exist_ok=True)
    target = _new_name(backups_dir, label)
    partial = target.with_name(target.name + PARTIAL_SUFFIX)
    try:
        _copy_database(path, partial, wait_seconds)
        os.replace(partial, target)
        _fsync_dir(backups_dir)
    finally:
        partial.unlink(missing_ok=True)
        _wal(partial).unlink(missing_ok=True)
    _prune(backups_dir, keep)
    return target


@contextlib.contextmanager
def exclusive_file_lock(path: Path) -> Iterator[bool]:
    """Hold the POSIX write lock DuckDB itself takes on `path` (yields False when there is no file).

    Raises WarehouseBusy at once when any process has the file open through DuckDB (read-only
    connections included). While held, DuckDB connections elsewhere fail with a lock conflict and
    `mtm_pipeline.warehouse.connect` keeps retrying. Do not hold a DuckDB connection to the same file
    in this process: POSIX locks are per process.
    """
    try:
        fd = os.open(path, os.O_RDWR)
    except FileNotFoundError:
        yield False
        return
    try:
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as error:
            if error.errno in (errno.EACCES, errno.EAGAIN):
                raise WarehouseBusy(
                    f"the warehouse {path} is open in another process (a load, the Dagster UI or a "
                    "query); stop it and retry"
                ) from error
            raise
        yield True
    finally:
        os.close(fd)  # releases the lock


def validate_warehouse_file(path: Path) -> dict[str, int]:
    """Open a DuckDB file read-only and count its tables' rows; BackupError if it is not a warehouse."""
    if not path.is_file():
        raise BackupError(f"{path} does not exist or is not a file")
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as error:
        raise BackupError(f"{path} is not a readable DuckDB database ({error})") from error
    try:
        tables = con.execute(
            "SELECT schema_name || '.' || table_name FROM duckdb_tables() ORDER BY 1"
        ).fetchall()
        counts = {
            name: con.execute(
                f'SELECT count(*) FROM "{name.split(".")[0]}"."{name.split(".")[1]}"'
            ).fetchone()[0]
            for (name,) in tables
        }
    except duckdb.Error as error:
        raise BackupError(f"{path} cannot be read ({error})") from error
    finally:
        con.close()
    if REQUIRED_TABLE not in counts:
        raise BackupError(f"{path} is a DuckDB file but not an MTM warehouse (no {REQUIRED_TABLE})")
    return counts


def restore_backup(backup: Path, path: Path) -> None:
    """Replace the warehouse at `path` with the content of `backup`, atomically.

    The backup is copied through DuckDB into a temporary file next to the warehouse (which also proves
    it opens); the swap is one `os.replace` made while holding the warehouse's lock, so it is refused
    (WarehouseBusy) while another process has the warehouse open. A write-ahead log left by a crashed
    process belongs to the replaced file and is removed with it.
    """
    validate_warehouse_file(backup)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.restore-{uuid.uuid4().hex}")
    try:
        _copy_database(backup, temporary, wait_seconds=0)
        validate_warehouse_file(temporary)
        with exclusive_file_lock(path):
            _wal(path).unlink(missing_ok=True)
            os.replace(temporary, path)
            _fsync_dir(path.parent)
    finally:
        temporary.unlink(missing_ok=True)
        _wal(temporary).unlink(missing_ok=True)


def move_aside(path: Path, backups_dir: Path, label: str) -> Path | None:
    """Rename the warehouse (and its write-ahead log, if a crash left one) into `backups_dir` as a backup.

    Works on a file DuckDB cannot open any more; refused (WarehouseBusy) while it is open elsewhere.
    None when there is no warehouse.
    """
    backups_dir.mkdir(parents=True, exist_ok=True)
    target = _new_name(backups_dir, label)
    with exclusive_file_lock(path) as exists:
        if not exists:
            return None
        if _wal(path).exists():
            os.replace(_wal(path), _wal(target))
        os.replace(path, target)
    _fsync_dir(backups_dir)
    _fsync_dir(path.parent)
    return target
