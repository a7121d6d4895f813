"""Shared fixtures: a private copy of the data directory per test, pointed to by MTM_DATA_DIR."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
RAW = REPO / "data" / "raw"
CORRECTIONS = REPO / "data" / "corrections"

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "1")


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of data/raw (and data/corrections) under a temporary MTM_DATA_DIR."""
    root = tmp_path / "data"
    shutil.copytree(RAW, root / "raw")
    if CORRECTIONS.exists():
        shutil.copytree(CORRECTIONS, root / "corrections")
    monkeypatch.setenv("MTM_DATA_DIR", str(root))
    for name in ("MTM_ALERT_WEBHOOK_URL", "MTM_SMTP_HOST"):
        monkeypatch.delenv(name, raising=False)
    return root
