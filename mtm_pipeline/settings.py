"""Every location the pipeline reads or writes, derived from one root: MTM_DATA_DIR (default ./data)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class DataPaths:
    root: Path

    @property
    def raw(self) -> Path:
        return self.root / "raw"

    @property
    def warehouse_dir(self) -> Path:
        return self.root / "warehouse"

    @property
    def warehouse(self) -> Path:
        return self.warehouse_dir / "mtm.duckdb"

    @property
    def reports(self) -> Path:
        return self.root / "reports"

    @property
    def alerts(self) -> Path:
        return self.root / "alerts"

    @property
    def corrections(self) -> Path:
        return self.root / "corrections"

    @property
    def narrative(self) -> Path:
        """The analyst's text, one folder per quarter (docs/analyst-narrative.md)."""
        return self.root / "narrative"

    @property
    def backups(self) -> Path:
        return self.root / "backups"

    def quarter_dir(self, quarter: str) -> Path:
        return self.confine(self.raw / quarter)

    def confine(self, path: Path) -> Path:
        """Resolve `path` and refuse it if it leaves the data directory (e.g. '../' or a symlink out)."""
        resolved = path.resolve()
        root = self.root.resolve()
        if resolved != root and root not in resolved.parents:
            raise ValueError(f"{path} resolves outside the data directory {root}; refusing to use it")
        return resolved


def data_paths() -> DataPaths:
    """Paths for the current MTM_DATA_DIR; read on every call so tests can point it elsewhere."""
    return DataPaths(Path(os.environ.get("MTM_DATA_DIR", "data")).absolute())
