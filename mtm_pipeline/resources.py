"""Dagster resources: the DuckDB warehouse, opened only when an asset asks for it."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg

from mtm_pipeline.settings import data_paths


class WarehouseResource(dg.ConfigurableResource):
    """The DuckDB warehouse file; defaults to $MTM_DATA_DIR/warehouse/mtm.duckdb."""

    path: str | None = None
    lock_wait_seconds: float = 300.0

    @property
    def file(self) -> Path:
        return Path(self.path) if self.path else data_paths().warehouse

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator:
        from mtm_pipeline.warehouse import connect

        with connect(self.file, read_only=read_only, wait_seconds=self.lock_wait_seconds) as con:
            yield con
