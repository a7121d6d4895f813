"""Concurrent use: two loads of different quarters at once and a reader querying in a loop.

Two processes run `python -m mtm_pipeline.cli run 2024-Q1` and `... run 2024-Q2` against the same
MTM_DATA_DIR and DAGSTER_HOME (with the project's dagster.yaml: one "duckdb_writer" slot), as two `make
run` would; a third process reads the warehouse in a loop through mtm_pipeline.warehouse.connect(read_only=
True). No lock failure may reach anyone, both runs succeed, and every read of a quarter's stage sees 0
rows or all of them.

The Dagster instance storage is created before the two runs start: on a brand-new DAGSTER_HOME two runs
started at the same moment race to create its SQLite tables and one fails (reported, not fixed here).
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import time
from pathlib import Path

import duckdb

from mtm_pipeline_tests.conftest import RAW
from mtm_pipeline_tests.robustness.helpers import PYTHON, new_data_dir, subprocess_env

INIT_INSTANCE = (
    "import dagster as dg; i = dg.DagsterInstance.get(); i.get_runs(limit=1); "
    "i.event_log_storage.get_concurrency_keys(); i.all_instigator_state()"
)
LOCK_WORDS = (
    "could not set lock",
    "conflicting lock",
    "warehouselocktimeout",
    "database is locked",
    "stayed locked",
)


def _rows(quarter: str) -> int:
    total = 0
    for path in (RAW / quarter).glob("*.csv"):
        with path.open(encoding="utf-8", newline="") as handle:
            total += sum(1 for _ in csv.DictReader(handle))
    return total


def _start_reader(warehouse: Path, stop: Path, result: Path, env: dict[str, str]) -> subprocess.Popen:
    """The reader loop in its own process: reads both quarters until `stop` exists, then writes `result`."""
    return subprocess.Popen(
        [
            PYTHON,
            "-m",
            "mtm_pipeline_tests.robustness.reader_loop",
            str(warehouse),
            str(stop),
            str(result),
            "2024-Q1,2024-Q2",
        ],
        env=env,
    )


def _start_runs(env: dict[str, str], quarters: tuple[str, ...]) -> dict[str, subprocess.Popen]:
    """One `python -m mtm_pipeline.cli run <quarter>` process per quarter, all started at once."""
    return {
        quarter: subprocess.Popen(
            [PYTHON, "-m", "mtm_pipeline.cli", "run", quarter],
            env=env,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for quarter in quarters
    }


def _published_counts(warehouse: Path) -> dict[tuple[str, str], int]:
    """(delivery quarter, stage) -> rows of published.observations."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return {
            (q, s): n
            for q, s, n in con.execute(
                "SELECT delivery_quarter, stage, count(*) FROM published.observations GROUP BY ALL"
            ).fetchall()
        }


def _log_measurements(seconds: float, reads: dict, runs: dict[str, subprocess.Popen]) -> None:
    """Append the run's timings and reads to the file named by MTM_ROBUSTNESS_LOG, if set."""
    log = os.environ.get("MTM_ROBUSTNESS_LOG")
    if log:
        with open(log, "a", encoding="utf-8") as handle:
            handle.write(
                json.dumps(
                    {
                        "concurrency": {
                            "seconds": round(seconds, 1),
                            "reads": reads["reads"],
                            "reader_errors": len(reads["errors"]),
                            "seen": reads["seen"],
                            "max_reader_wait_seconds": reads["max_wait_seconds"],
                            "runs": {q: p.returncode for q, p in runs.items()},
                        }
                    }
                )
                + "\n"
            )


def test_two_loads_and_a_reader_at_once(tmp_path: Path):
    data = new_data_dir(tmp_path, with_dagster_home=True)
    env = subprocess_env(data)
    # Create the instance's storage first: two processes creating the SQLite storage of a fresh DAGSTER_HOME
    # at the same moment can fail ("table alembic_version already exists"), before any warehouse access.
    subprocess.run([PYTHON, "-c", INIT_INSTANCE], env=env, check=True, timeout=120)
    warehouse = data / "warehouse" / "mtm.duckdb"
    stop, result = tmp_path / "stop", tmp_path / "reader.json"
    reader = _start_reader(warehouse, stop, result, env)
    started = time.monotonic()
    runs = _start_runs(env, ("2024-Q1", "2024-Q2"))
    outputs = {q: p.communicate(timeout=600) for q, p in runs.items()}
    seconds = time.monotonic() - started
    time.sleep(0.5)  # a few more reads after both loads
    stop.touch()
    reader.wait(timeout=180)
    reads = json.loads(result.read_text(encoding="utf-8"))

    for quarter, process in runs.items():
        out, err = outputs[quarter]
        assert process.returncode == 0, f"{quarter}:\n{out[-3000:]}\n{err[-3000:]}"
        assert f"Quarters loaded: {quarter}" in out
        for word in LOCK_WORDS:
            assert word not in (out + err).lower(), f"{quarter} reported a lock problem: {word}"
    assert reads["errors"] == [], reads["errors"][:3]
    assert reads["reads"] > 10
    full = {"2024-Q1": _rows("2024-Q1"), "2024-Q2": _rows("2024-Q2")}
    for key, counts in reads["seen"].items():
        quarter = key.split()[0]
        assert set(counts) <= {0, full[quarter]}, f"{key}: a reader saw {counts}, not 0 or {full[quarter]}"
    final = _published_counts(warehouse)
    assert final == {(q, s): full[q] for q in full for s in ("delivered", "corrected")}
    _log_measurements(seconds, reads, runs)
