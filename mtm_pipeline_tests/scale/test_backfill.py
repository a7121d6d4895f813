"""A single-run backfill (one run over a range of quarters) publishes what one run per quarter publishes."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from mtm_pipeline import cli
from mtm_pipeline_tests.conftest import CORRECTIONS, RAW

# Columns written at load time, which differ between any two loads.
LOAD_TIME_COLUMNS = {"loaded_at", "evaluated_at", "received_at"}


def _data_copy(root: Path) -> Path:
    shutil.copytree(RAW, root / "raw")
    shutil.copytree(CORRECTIONS, root / "corrections")
    return root


def _table(warehouse: Path, table: str, order: str) -> pd.DataFrame:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        frame = con.execute(f"SELECT * FROM {table} ORDER BY {order}").df()
    return frame.drop(columns=[c for c in frame.columns if c in LOAD_TIME_COLUMNS])


def _load(root: Path, monkeypatch: pytest.MonkeyPatch, *, separate: bool) -> int:
    monkeypatch.setenv("MTM_DATA_DIR", str(root))
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    for name in ("MTM_ALERT_WEBHOOK_URL", "MTM_SMTP_HOST"):
        monkeypatch.delenv(name, raising=False)
    return cli.run(None, separate=separate)


def test_consecutive_ranges_follow_the_instance_order():
    ordered = ["2024-Q1", "2024-Q2", "2023-Q4", "2024-Q3", "2024-Q4"]
    assert cli.consecutive_ranges(ordered, ["2024-Q1", "2024-Q2", "2024-Q4"]) == [
        ("2024-Q1", "2024-Q2"),
        ("2024-Q4", "2024-Q4"),
    ]
    assert cli.consecutive_ranges(ordered, ordered) == [("2024-Q1", "2024-Q4")]
    assert cli.consecutive_ranges(ordered, []) == []


def test_one_run_over_the_quarters_publishes_what_separate_runs_publish(tmp_path, monkeypatch, capsys):
    single, separate = _data_copy(tmp_path / "single"), _data_copy(tmp_path / "separate")
    assert _load(single, monkeypatch, separate=False) == 0
    single_output = capsys.readouterr().out
    assert _load(separate, monkeypatch, separate=True) == 0
    separate_output = capsys.readouterr().out
    tables = {
        "published.observations": "delivery_quarter, stage, source, row_number",
        "quality.check_results": "quarter, stage, source, rule, subject, message",
        "quality.corrections_applied": "quarter, source, obs_id, field",
        "published.derived_figures": "delivery_quarter, obs_id",
    }
    for table, order in tables.items():
        expected = _table(separate / "warehouse" / "mtm.duckdb", table, order)
        assert not expected.empty, table
        pd.testing.assert_frame_equal(_table(single / "warehouse" / "mtm.duckdb", table, order), expected)
    # 2024-Q2's delivered stage was checked against 2024-Q1 with its corrections, as in separate runs.
    assert "Asset checks failed: 6" in single_output and "Asset checks failed: 6" in separate_output
    for quarter in ("2024-Q1", "2024-Q2"):
        assert (single / "reports" / quarter / "report.pdf").is_file()


def test_a_bad_extract_fails_its_quarter_and_not_the_others(tmp_path, monkeypatch, capsys):
    root = _data_copy(tmp_path / "data")
    bad = root / "raw" / "2024-Q2" / "remittances.csv"
    bad.write_text(bad.read_text(encoding="utf-8").replace(",USD,", ",EUR,", 1), encoding="utf-8")
    assert _load(root, monkeypatch, separate=False) == 1
    output = capsys.readouterr().out
    assert "remittances_extract failed: raw/2024-Q2/remittances.csv" in output
    assert "FAILED: 1 of 2 quarter(s) not published: 2024-Q2" in output
    assert "Quarter 2024-Q1: published" in output and "Quarter 2024-Q2: NOT published" in output
    staged = _table(root / "warehouse" / "mtm.duckdb", "staging.extract_rows", "delivery_quarter, source")
    assert set(staged[staged["source"] == "remittances"]["delivery_quarter"]) == {"2024-Q1"}
    # The good quarter went all the way in the same run: both stages published, its report built.
    stages = _table(root / "warehouse" / "mtm.duckdb", "published.observations", "delivery_quarter, stage")
    assert set(map(tuple, stages[["delivery_quarter", "stage"]].drop_duplicates().values)) == {
        ("2024-Q1", "delivered"),
        ("2024-Q1", "corrected"),
    }
    assert (root / "reports" / "2024-Q1" / "report.pdf").is_file()
    assert not (root / "reports" / "2024-Q2").exists()
