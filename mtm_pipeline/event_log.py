"""Dagster's SQLite event log, with its database connections kept open between events.

Dagster's SQLite event log creates a new engine and connection for every write: storing one asset check
evaluation opens four (the run's database, the cross-run index, a table look-up, the check table), and a
range run over forty quarters stores about two thousand events. This storage keeps one engine per database
file (the index and the newest few run files) and remembers which tables exist, so an event costs its
inserts only. The files, their schema and what is stored in them are Dagster's own: an instance written by
either storage is read by the other.

`dagster.yaml` selects it (`event_log_storage`). Without a `base_dir` it uses the instance's own folder
(`<instance home>/history/runs`, where Dagster's default storage keeps the same files), taken from the
instance when the instance registers it. Built on Dagster's SqliteEventLogStorage (not public API, checked
with Dagster 1.13.27): dagster is pinned, and `mtm_pipeline_tests/test_event_log.py` checks the behaviour
relied on, naming the installed Dagster version when it changes. One of the two modules allowed to import
`dagster._` (docs/architecture.md).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg
from dagster._core.storage.event_log import SqliteEventLogStorage
from dagster._core.storage.sql import create_engine
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from dagster._core.storage.sqlite_storage import _event_logs_directory
from sqlalchemy.engine import Connection, Engine

OPEN_DATABASES = 8  # the index and the run files being written or read


class PooledSqliteEventLogStorage(SqliteEventLogStorage):
    """SqliteEventLogStorage that reuses one engine per database file and caches which tables exist."""

    def __init__(self, base_dir: str | None = None, inst_data=None):
        self._engines: OrderedDict[str, Engine] = OrderedDict()  # used and changed under Dagster's _db_lock
        self._tables_present: set[str] = set()
        self._pending_inst_data = inst_data
        if base_dir is not None:
            super().__init__(base_dir, inst_data)

    def register_instance(self, instance) -> None:
        if not hasattr(self, "_base_dir"):  # no base_dir configured: the instance's own event log folder
            super().__init__(_event_logs_directory(instance.root_directory), self._pending_inst_data)
        super().register_instance(instance)

    @classmethod
    def config_type(cls):
        return {"base_dir": dg.Field(dg.StringSource, is_required=False)}

    @classmethod
    def from_config_value(cls, inst_data, config_value) -> PooledSqliteEventLogStorage:
        return cls(inst_data=inst_data, **config_value)

    def _engine(self, shard: str) -> Engine:
        engine = self._engines.pop(shard, None)
        if engine is None:
            engine = create_engine(
                self.conn_string_for_shard(shard), connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS}
            )
        self._engines[shard] = engine  # most recently used last
        while len(self._engines) > OPEN_DATABASES:
            _, oldest = self._engines.popitem(last=False)
            oldest.dispose()
        return engine

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        with self._db_lock:
            engine = self._engine(shard)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as conn, conn.begin():
                yield conn

    def has_table(self, table_name: str) -> bool:
        # Dagster's migrations only ever add tables, so a table once seen stays.
        if table_name in self._tables_present:
            return True
        present = super().has_table(table_name)
        if present:
            self._tables_present.add(table_name)
        return present

    def _close_engines(self) -> None:
        with self._db_lock:
            for engine in self._engines.values():
                engine.dispose()
            self._engines.clear()

    def wipe(self) -> None:
        self._close_engines()  # before Dagster deletes the run files
        super().wipe()

    def dispose(self) -> None:
        if hasattr(self, "_base_dir"):  # never registered with an instance: nothing was opened
            self._close_engines()
            super().dispose()
