"""deploy/dagster-postgres.yaml against a real PostgreSQL server: the instance storage of a deployment.

A local server from the OS packages is started on a free port; `python -m mtm_pipeline.cli run
2024-Q1` runs with DAGSTER_HOME holding deploy/dagster-postgres.yaml and the MTM_PG_* variables; the
run is then read back through DagsterInstance.get() and straight from the database.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mtm_pipeline_tests.ui.postgres import local_postgres, postgres_bin, unavailable_reason
from mtm_pipeline_tests.ui.stack import REPO, pipeline_env
from mtm_pipeline_tests.ui.summary import note

pytestmark = pytest.mark.ui

CONFIG = REPO / "deploy" / "dagster-postgres.yaml"
DB = "mtm_dagster"


def _pg_settings(pg) -> dict[str, str]:
    """The MTM_PG_* variables deploy/dagster-postgres.yaml reads, for the local server's database."""
    return {
        "MTM_PG_HOST": pg.host,
        "MTM_PG_PORT": str(pg.port),
        "MTM_PG_USER": pg.user,
        "MTM_PG_PASSWORD": pg.password,
        "MTM_PG_DB": DB,
    }


def _cli_run(home: Path, data_dir: Path, settings: dict[str, str]) -> subprocess.CompletedProcess:
    """`python -m mtm_pipeline.cli run 2024-Q1` with DAGSTER_HOME `home` and the PostgreSQL settings."""
    env = {**pipeline_env(home, data_dir), **settings}
    return subprocess.run(
        [sys.executable, "-m", "mtm_pipeline.cli", "run", "2024-Q1"],
        check=False,
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )


def _assert_the_instance_holds_the_run(
    home: Path, settings: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> set[str]:
    """Read through Dagster, as the webserver or daemon of a deployment would: PostgreSQL storages, a
    successful run of 2024-Q1, its partition and materialization; returns the run ids."""
    import dagster as dg
    from dagster_postgres import PostgresEventLogStorage, PostgresRunStorage, PostgresScheduleStorage

    monkeypatch.setenv("DAGSTER_HOME", str(home))
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    with dg.DagsterInstance.get() as instance:
        assert isinstance(instance.run_storage, PostgresRunStorage)
        assert isinstance(instance.event_log_storage, PostgresEventLogStorage)
        assert isinstance(instance.schedule_storage, PostgresScheduleStorage)
        runs = instance.get_runs(filters=dg.RunsFilter(tags={"dagster/partition": "2024-Q1"}))
        assert runs, "no run of partition 2024-Q1 in the PostgreSQL instance"
        assert all(run.status == dg.DagsterRunStatus.SUCCESS for run in runs), [r.status for r in runs]
        assert instance.get_dynamic_partitions("quarter") == ["2024-Q1"]
        materialized = instance.get_materialized_partitions(dg.AssetKey("corrected_observations"))
        assert materialized == {"2024-Q1"}
        return {run.run_id for run in runs}


def _runs_in_the_tables(pg, run_ids: set[str]) -> tuple[dict[str, str], int, int]:
    """Straight from the tables: (run id -> status of the 2024-Q1 runs, all runs, events of `run_ids`)."""
    con = pg.connect(DB)
    try:
        with con.cursor() as cur:
            cur.execute(
                "SELECT r.run_id, r.status FROM runs r JOIN run_tags t ON t.run_id = r.run_id "
                "WHERE t.key = 'dagster/partition' AND t.value = '2024-Q1'"
            )
            rows = dict(cur.fetchall())
            cur.execute("SELECT count(*) FROM runs")
            total_runs = cur.fetchone()[0]
            cur.execute("SELECT count(*) FROM event_logs WHERE run_id = ANY(%s)", (list(run_ids),))
            events = cur.fetchone()[0]
    finally:
        con.close()
    return rows, total_runs, events


def test_cli_run_stores_its_run_in_postgresql(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    reason = unavailable_reason()
    if reason:
        note(f"SKIPPED PostgreSQL instance test: {reason}")
        pytest.skip(reason)
    bin_dir = postgres_bin()
    assert bin_dir is not None

    started = time.monotonic()
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(CONFIG, home / "dagster.yaml")
    with local_postgres(bin_dir) as pg:
        pg.create_database(DB)
        settings = _pg_settings(pg)
        result = _cli_run(home, data_dir, settings)
        output = f"{result.stdout}\n{result.stderr[-4000:]}\n--- server log ---\n{pg.server_log()}"
        assert result.returncode == 0, output
        assert "Quarters loaded: 2024-Q1" in result.stdout, output

        run_ids = _assert_the_instance_holds_the_run(home, settings, monkeypatch)
        rows, total_runs, events = _runs_in_the_tables(pg, run_ids)
        assert rows == {run_id: "SUCCESS" for run_id in run_ids}, rows
        assert events > 0
    note(
        f"PostgreSQL ({bin_dir.parent.name}): cli run 2024-Q1 with deploy/dagster-postgres.yaml stored "
        f"{total_runs} runs, {events} events of the quarter's run in {time.monotonic() - started:.0f} s"
    )
