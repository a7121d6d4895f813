"""One bad quarter never takes the others down.

A fresh data directory holds 2024-Q1, 2024-Q2 and a 2024-Q3 (a copy of 2024-Q1) whose residence permits
file has one bad cell (`9000x`). Through `make run`'s command line and through a Dagster CLI backfill,
the good quarters are staged, published at both stages, checked and reported in the same run; the bad one
is refused on its own (ERROR check, alert, run failed naming it, Dagster shows it failed). A rebuild never
leaves the live warehouse with fewer published quarters, and the sensor's run of a broken new quarter
leaves the published ones as they were.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from mtm_pipeline_tests.conftest import CORRECTIONS, RAW, REPO
from mtm_pipeline_tests.robustness.helpers import checksums

GOOD = ("2024-Q1", "2024-Q2")
BAD = "2024-Q3"
BIN = Path(sys.executable).parent
LOAD_TIMES = ("loaded_at", "evaluated_at", "received_at")
QUARTER_ASSETS = (
    "border_crossings_extract,residence_permits_extract,labour_migration_extract,emigration_extract,"
    "remittances_extract,border_crossing_records,delivered_observations,corrected_observations,quarterly_report"
)


def break_a_cell(quarter_dir: Path, file: str = "residence_permits.csv", text: str = "9000x") -> str:
    """Replace the first filled `value` cell of the file with `text`; returns the row's obs_id."""
    path = quarter_dir / file
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    row = next(r for r in rows if r["value"])
    row["value"] = text
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return row["obs_id"]


def data_with_broken_q3(root: Path, *, broken: bool = True) -> Path:
    data = root / "data"
    shutil.copytree(RAW, data / "raw")
    shutil.copytree(CORRECTIONS, data / "corrections")
    shutil.copytree(RAW / "2024-Q1", data / "raw" / BAD)
    if broken:
        break_a_cell(data / "raw" / BAD)
    home = data / "dagster_home"
    home.mkdir()
    shutil.copyfile(REPO / "dagster.yaml", home / "dagster.yaml")
    return data


def environment(data: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MTM_", "DAGSTER_"))}
    env.update(
        MTM_DATA_DIR=str(data),
        DAGSTER_HOME=str(data / "dagster_home"),
        GX_ANALYTICS_ENABLED="false",
        DAGSTER_DISABLE_TELEMETRY="1",
    )
    return env


def run(cmd: list[str], data: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        cmd, cwd=REPO, env=environment(data), capture_output=True, text=True, timeout=600, check=False
    )


def published_stages(warehouse: Path) -> dict[str, set[str]]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute("SELECT DISTINCT delivery_quarter, stage FROM published.observations").fetchall()
    stages: dict[str, set[str]] = {}
    for quarter, stage in rows:
        stages.setdefault(quarter, set()).add(stage)
    return stages


def alerts(data: Path) -> list[dict]:
    path = data / "alerts" / "alerts.jsonl"
    return (
        [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []
    )


def partition_statuses(data: Path, asset: str) -> tuple[set[str], set[str]]:
    """(materialised, failed) partitions of an asset as the Dagster UI shows them (failed wins)."""
    from dagster._core.definitions.partitions.context import partition_loading_context
    from dagster._core.storage.partition_status_cache import get_and_update_asset_status_cache_value

    from mtm_pipeline.partitions import quarter_partitions

    instance = dg.DagsterInstance.from_config(str(data / "dagster_home"))
    with partition_loading_context(dynamic_partitions_store=instance):
        value = get_and_update_asset_status_cache_value(instance, dg.AssetKey(asset), quarter_partitions)
        materialised = set(
            value.deserialize_materialized_partition_subsets(quarter_partitions).get_partition_keys()
        )
        failed = set(value.deserialize_failed_partition_subsets(quarter_partitions).get_partition_keys())
    return materialised - failed, failed


def assert_good_quarters_published_and_bad_refused(data: Path) -> None:
    stages = published_stages(data / "warehouse" / "mtm.duckdb")
    assert stages == {quarter: {"delivered", "corrected"} for quarter in GOOD}
    for quarter in GOOD:
        assert (data / "reports" / quarter / "report.pdf").is_file(), quarter
    assert not (data / "reports" / BAD).exists()
    with duckdb.connect(str(data / "warehouse" / "mtm.duckdb"), read_only=True) as con:
        refused = con.execute(
            "SELECT source, rule, severity, message FROM quality.check_results "
            "WHERE quarter = ? AND NOT passed",
            [BAD],
        ).fetchall()
    assert [(s, r, sev) for s, r, sev, _ in refused] == [("residence_permits", "extract_contract", "ERROR")]
    assert "row 2, column 'value'" in refused[0][3] and "'9000x'" in refused[0][3]
    bad_alerts = [a for a in alerts(data) if a["quarter"] == BAD]
    assert [(a["rule"], a["severity"], a["source"]) for a in bad_alerts] == [
        ("extract_contract", "ERROR", "residence_permits")
    ]
    # The Dagster UI: the good quarters materialised, the bad one failed, for the refused extract and
    # for every asset downstream of it; an extract of the bad quarter that was fine is materialised.
    for asset in (
        "residence_permits_extract",
        "delivered_observations",
        "corrected_observations",
        "quarterly_report",
    ):
        assert partition_statuses(data, asset) == (set(GOOD), {BAD}), asset
    assert partition_statuses(data, "emigration_extract") == ({*GOOD, BAD}, set())
    instance = dg.DagsterInstance.from_config(str(data / "dagster_home"))
    range_runs = [r for r in instance.get_runs() if "dagster/asset_partition_range_start" in r.tags]
    assert [r.status for r in range_runs] == [dg.DagsterRunStatus.FAILURE]


def test_make_run_publishes_the_good_quarters_and_refuses_the_bad_one(tmp_path):
    data = data_with_broken_q3(tmp_path)
    result = run([sys.executable, "-m", "mtm_pipeline.cli", "run"], data)
    assert result.returncode == 1, result.stdout + result.stderr
    out = result.stdout
    for quarter in GOOD:
        assert f"Quarter {quarter}: published" in out
    assert f"Quarter {BAD}: NOT published" in out
    assert "residence_permits_extract failed: raw/2024-Q3/residence_permits.csv" in out
    assert "row 2, column 'value': expected empty or a number (an accepted notation) (found '9000x')" in out
    assert f"FAILED: 1 of 3 quarter(s) not published: {BAD}" in out
    assert_good_quarters_published_and_bad_refused(data)

    # Fixed and run again: the quarter goes through.
    shutil.copyfile(RAW / "2024-Q1" / "residence_permits.csv", data / "raw" / BAD / "residence_permits.csv")
    again = run([sys.executable, "-m", "mtm_pipeline.cli", "run"], data)
    assert again.returncode == 0, again.stdout + again.stderr
    assert published_stages(data / "warehouse" / "mtm.duckdb") == {
        q: {"delivered", "corrected"} for q in (*GOOD, BAD)
    }
    assert partition_statuses(data, "quarterly_report") == ({*GOOD, BAD}, set())


def test_dagster_cli_backfill_publishes_the_good_quarters_and_refuses_the_bad_one(tmp_path):
    data = data_with_broken_q3(tmp_path)
    add = (
        "import dagster as dg; from mtm_pipeline.partitions import QUARTERS_NAME; "
        f"dg.DagsterInstance.get().add_dynamic_partitions(QUARTERS_NAME, {[*GOOD, BAD]!r})"
    )
    assert run([sys.executable, "-c", add], data).returncode == 0
    result = run(
        [
            str(BIN / "dagster"),
            "asset",
            "materialize",
            "-m",
            "mtm_pipeline.definitions",
            "--select",
            QUARTER_ASSETS,
            "--partition-range",
            f"{GOOD[0]}...{BAD}",
        ],
        data,
    )
    assert result.returncode != 0
    log = result.stdout + result.stderr
    assert "1 of 3 quarter(s) failed (published: 2024-Q1, 2024-Q2)" in log
    assert "2024-Q3: residence_permits_extract: raw/2024-Q3/residence_permits.csv" in log
    assert_good_quarters_published_and_bad_refused(data)


def test_rebuild_with_a_new_broken_quarter_swaps_in_the_good_ones(tmp_path):
    """The live warehouse holds 2024-Q1 and 2024-Q2; raw/ also has a broken 2024-Q3 that was never
    published: the rebuilt warehouse (2024-Q1, 2024-Q2) is swapped in."""
    data = data_with_broken_q3(tmp_path)
    assert run([sys.executable, "-m", "mtm_pipeline.cli", "run", *GOOD], data).returncode == 0
    live = data / "warehouse" / "mtm.duckdb"
    before = checksums(live, exclude=LOAD_TIMES)
    result = run([sys.executable, "-m", "mtm_pipeline.maintenance", "rebuild"], data)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "rebuilt warehouse swapped in" in result.stdout
    assert published_stages(live) == {quarter: {"delivered", "corrected"} for quarter in GOOD}
    after = checksums(live, exclude=LOAD_TIMES)
    for table in ("published.observations", "published.deliveries", "quality.corrections_applied"):
        assert after[table] == before[table], table
    assert not list(live.parent.glob(".rebuild-*")) and not list(live.parent.glob(".mtm.duckdb.restore-*"))
    assert [a["rule"] for a in alerts(data) if a["quarter"] == BAD] == ["extract_contract"]


def test_rebuild_that_would_lose_a_published_quarter_keeps_the_live_warehouse(tmp_path):
    """The live warehouse holds all three quarters; then 2024-Q3's residence permits file breaks in raw/:
    the rebuild cannot reproduce 2024-Q3, so the live warehouse stays exactly as it was."""
    data = data_with_broken_q3(tmp_path, broken=False)
    assert run([sys.executable, "-m", "mtm_pipeline.cli", "run"], data).returncode == 0
    live = data / "warehouse" / "mtm.duckdb"
    before = live.read_bytes()
    break_a_cell(data / "raw" / BAD)
    result = run([sys.executable, "-m", "mtm_pipeline.maintenance", "rebuild"], data)
    assert result.returncode == 1, result.stdout + result.stderr
    assert (
        f"rebuild NOT swapped in: {BAD} published in the warehouse but failed in the rebuild" in result.stdout
    )
    assert live.read_bytes() == before
    assert published_stages(live) == {q: {"delivered", "corrected"} for q in (*GOOD, BAD)}
    kept = list((data / "backups").glob("*-rebuild-incomplete.duckdb"))
    assert len(kept) == 1 and published_stages(kept[0]) == {q: {"delivered", "corrected"} for q in GOOD}
    assert not list(live.parent.glob(".rebuild-*"))


def test_sensor_run_of_a_broken_new_quarter_leaves_the_published_ones(tmp_path, monkeypatch):
    from mtm_pipeline import cli
    from mtm_pipeline.definitions import defs
    from mtm_pipeline.partitions import QUARTERS_NAME
    from mtm_pipeline.sensors import raw_extracts_sensor

    data = data_with_broken_q3(tmp_path)
    bad_folder = data / "raw" / BAD
    parked = tmp_path / "parked-q3"
    shutil.move(bad_folder, parked)
    monkeypatch.setenv("MTM_DATA_DIR", str(data))
    monkeypatch.setenv("DAGSTER_HOME", str(data / "dagster_home"))
    for name in ("MTM_ALERT_WEBHOOK_URL", "MTM_SMTP_HOST"):
        monkeypatch.delenv(name, raising=False)
    assert cli.run(None) == 0
    instance = dg.DagsterInstance.get()
    first = raw_extracts_sensor(dg.build_sensor_context(instance=instance))
    live = data / "warehouse" / "mtm.duckdb"
    before = checksums(live)
    reports_before = {p: p.read_bytes() for p in (data / "reports").rglob("report.md")}

    shutil.move(parked, bad_folder)  # the broken quarter is delivered
    result = raw_extracts_sensor(dg.build_sensor_context(instance=instance, cursor=first.cursor))
    assert [r.partition_key for r in result.run_requests] == [BAD]
    instance.add_dynamic_partitions(QUARTERS_NAME, result.dynamic_partitions_requests[0].partition_keys)
    request = result.run_requests[0]
    outcome = defs.resolve_job_def("quarter_job").execute_in_process(
        instance=instance,
        partition_key=request.partition_key,
        tags=request.tags,
        raise_on_error=False,
        run_config=cli.QUIET,
    )
    assert not outcome.success
    failure = next(e for e in outcome.all_events if e.is_step_failure)
    assert failure.step_key == "residence_permits_extract"
    assert "row 2, column 'value'" in failure.step_failure_data.user_failure_data.description

    after = checksums(live)
    assert after["published.observations"] == before["published.observations"]
    assert after["published.deliveries"] == before["published.deliveries"]
    assert published_stages(live) == {quarter: {"delivered", "corrected"} for quarter in GOOD}
    assert {p: p.read_bytes() for p in (data / "reports").rglob("report.md")} == reports_before
    assert not (data / "reports" / BAD).exists()
    assert [(a["rule"], a["severity"]) for a in alerts(data) if a["quarter"] == BAD] == [
        ("extract_contract", "ERROR")
    ]
    materialised, failed = partition_statuses(data, "residence_permits_extract")
    assert set(GOOD) <= materialised and failed == {BAD}


@pytest.mark.parametrize("text", ["2024-13", "2024-04-31", "2023-02-29", "2024-00"])
def test_an_impossible_publication_date_is_refused_naming_row_and_column(text, tmp_path):
    from mtm_pipeline.sources.schema import is_publication_date

    assert not is_publication_date(text)
    assert all(is_publication_date(ok) for ok in ("2024", "2024-12", "2024-02-29", "2024-04-30"))


def test_a_broken_middle_quarter_is_history_to_nobody_in_one_run_as_in_separate_runs(
    tmp_path, monkeypatch, capsys
):
    """2024-Q2 broken between two good quarters: in one run over the three, 2024-Q3 compares itself with
    the published quarters only (2024-Q2 contributes nothing), exactly as in one run per quarter."""
    from mtm_pipeline import cli

    warehouses = {}
    for mode in ("single", "separate"):
        data = data_with_broken_q3(tmp_path / mode, broken=False)
        shutil.rmtree(data / "raw" / BAD)
        shutil.copytree(RAW / "2024-Q2", data / "raw" / BAD)
        break_a_cell(data / "raw" / "2024-Q2", file="border_crossings.csv")
        monkeypatch.setenv("MTM_DATA_DIR", str(data))
        monkeypatch.delenv("DAGSTER_HOME", raising=False)
        for name in ("MTM_ALERT_WEBHOOK_URL", "MTM_SMTP_HOST"):
            monkeypatch.delenv(name, raising=False)
        assert cli.run(None, separate=mode == "separate") == 1
        out = capsys.readouterr().out
        assert "FAILED: 1 of 3 quarter(s) not published: 2024-Q2" in out
        # the reason as the step gave it, also when the quarter ran on its own
        assert "  border_crossings_extract failed: raw/2024-Q2/border_crossings.csv" in out, mode
        assert "dagster._core" not in out.split("Quarter 2024-Q2: NOT published")[1], mode
        warehouses[mode] = data / "warehouse" / "mtm.duckdb"
    for mode, warehouse in warehouses.items():
        assert published_stages(warehouse) == {q: {"delivered", "corrected"} for q in ("2024-Q1", BAD)}, mode
    single, separate = (checksums(warehouses[m], exclude=LOAD_TIMES) for m in ("single", "separate"))
    for table in ("published.observations", "quality.check_results", "quality.corrections_applied"):
        assert single[table] == separate[table], table
