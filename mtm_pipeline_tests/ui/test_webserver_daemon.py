"""The pipeline as an operator runs it: `dagster-webserver` + `dagster-daemon` as real processes.

One webserver and one daemon serve the three tests of this module, in order:

1. a 2024-Q1 run launched through the webserver's GraphQL API, the way the UI's launchpad does;
2. the raw/ sensor, with nothing launched by hand: a 2024-Q2 folder appears, the daemon adds the
   partition and runs the quarter;
3. the UI itself in headless Chromium: asset graph, partitions and checks pages (screenshots in
   a temporary folder; MTM_UPDATE_SCREENSHOTS=1 refreshes docs/ui-screenshots/).

The data directory starts with raw/2024-Q1 only; the instance is a temporary DAGSTER_HOME holding
a copy of the project's dagster.yaml (SQLite storage, queued runs, the duckdb_writer pool).
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from mtm_pipeline_tests.ui.browser import (
    SKIP_REASON,
    chromium_page,
    chromium_path,
    chromium_version,
    save_screenshot,
)
from mtm_pipeline_tests.ui.stack import (
    ADD_DYNAMIC_PARTITION_MUTATION,
    LAUNCH_RUN_MUTATION,
    LOCATION,
    PARTITION_KEYS_QUERY,
    REPO,
    REPOSITORIES_QUERY,
    REPOSITORY,
    DagsterStack,
    prepare_dagster_home,
    repository_selector,
    wait_for,
)
from mtm_pipeline_tests.ui.summary import note

pytestmark = pytest.mark.ui

# Screenshots go to a temporary folder; MTM_UPDATE_SCREENSHOTS=1 writes the committed copies instead.
COMMITTED_SCREENSHOTS = REPO / "docs" / "ui-screenshots"
RUN_TIMEOUT = 180
SENSOR_TIMEOUT = 150  # minimum_interval_seconds=30 between ticks, then the run itself


@pytest.fixture(scope="module")
def stack_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Like the `data_dir` fixture (a temporary MTM_DATA_DIR with raw/ and corrections/), for the
    whole module, and with only 2024-Q1 delivered so far: 2024-Q2 arrives during the sensor test."""
    root = tmp_path_factory.mktemp("stack") / "data"
    shutil.copytree(REPO / "data" / "raw" / "2024-Q1", root / "raw" / "2024-Q1")
    shutil.copy(REPO / "data" / "raw" / "README.md", root / "raw" / "README.md")
    if (REPO / "data" / "corrections").exists():
        shutil.copytree(REPO / "data" / "corrections", root / "corrections")
    return root


@pytest.fixture(scope="module")
def stack(stack_data_dir: Path):
    """The webserver, started and loaded; the daemon is started by the tests (`stack.start_daemon()`)."""
    home = prepare_dagster_home(stack_data_dir.parent / "dagster_home")
    dagster = DagsterStack(home, stack_data_dir, stack_data_dir.parent / "logs")
    try:
        dagster.start_webserver()
        yield dagster
    finally:
        dagster.stop()


def partition_keys(stack: DagsterStack, asset: str = "delivered_observations") -> list[str]:
    node = stack.graphql(PARTITION_KEYS_QUERY, {"assetKey": {"path": [asset]}})["assetNodeOrError"]
    assert node["__typename"] == "AssetNode", node
    return node["partitionKeys"]


def add_quarter(stack: DagsterStack, quarter: str) -> dict:
    variables = {
        "repositorySelector": repository_selector(),
        "partitionsDefName": "quarter",
        "partitionKey": quarter,
    }
    return stack.graphql(ADD_DYNAMIC_PARTITION_MUTATION, variables)["addDynamicPartition"]


def published_rows(data_dir: Path, quarter: str) -> dict[str, int]:
    """Rows of published.observations for one delivery quarter, by stage (read-only connection)."""
    from mtm_pipeline.warehouse import connect

    # the project's connect(): waits while a run of the daemon holds the write lock, always closes
    with connect(data_dir / "warehouse" / "mtm.duckdb", read_only=True, wait_seconds=120) as con:
        rows = con.execute(
            "SELECT stage, count(*) FROM published.observations WHERE delivery_quarter = ? GROUP BY stage",
            [quarter],
        ).fetchall()
    return {stage: count for stage, count in rows}


def test_partition_run_launched_through_graphql(stack: DagsterStack):
    started = time.monotonic()
    # the names the launch needs, as the webserver reports them
    repositories = stack.graphql(REPOSITORIES_QUERY)["repositoriesOrError"]
    assert repositories["__typename"] == "RepositoryConnection", repositories
    [repository] = [n for n in repositories["nodes"] if n["location"]["name"] == LOCATION]
    assert repository["name"] == REPOSITORY
    assert "quarter_job" in {job["name"] for job in repository["jobs"]}
    assert {"raw_extracts_sensor"} <= {s["name"] for s in repository["sensors"]}
    assert {"quarterly_schedule"} <= {s["name"] for s in repository["schedules"]}

    # the launchpad's "Add partition" button; no daemon yet, so no sensor can have added it first
    daemon_was_running = "daemon" in stack.processes
    added = add_quarter(stack, "2024-Q1")
    expected = {"AddDynamicPartitionSuccess"} | (
        {"DuplicateDynamicPartitionError"} if daemon_was_running else set()
    )
    assert added["__typename"] in expected, added
    assert "2024-Q1" in partition_keys(stack)

    # the launchpad's "Launch run" for job quarter_job, partition 2024-Q1
    launched = stack.graphql(
        LAUNCH_RUN_MUTATION,
        {
            "executionParams": {
                "selector": {**repository_selector(), "jobName": "quarter_job"},
                "mode": "default",
                "executionMetadata": {"tags": [{"key": "dagster/partition", "value": "2024-Q1"}]},
            }
        },
    )["launchRun"]
    assert launched["__typename"] == "LaunchRunSuccess", launched
    run_id = launched["run"]["runId"]
    if not daemon_was_running:
        # the instance queues runs (QueuedRunCoordinator): nothing starts without the daemon
        assert launched["run"]["status"] == "QUEUED", launched

    stack.start_daemon()
    run = stack.wait_for_run(run_id, timeout=RUN_TIMEOUT)
    assert run["status"] == "SUCCESS", stack.run_failure_detail(run_id)
    assert {"key": "dagster/partition", "value": "2024-Q1"} in run["tags"]

    rows = published_rows(stack.data_dir, "2024-Q1")
    assert rows.get("delivered", 0) > 0 and rows.get("corrected", 0) > 0, rows
    assert (stack.data_dir / "reports" / "2024-Q1").is_dir()
    note(
        f"webserver+daemon: 2024-Q1 run {run_id[:8]} launched via GraphQL launchRun: {run['status']} "
        f"in {time.monotonic() - started:.0f} s; published rows {rows}"
    )


def test_sensor_adds_a_new_quarter_and_runs_it(stack: DagsterStack):
    """Nothing is launched by hand: the folder appears, the daemon's sensor does the rest."""
    started = time.monotonic()
    stack.start_daemon()
    assert "2024-Q2" not in partition_keys(stack)

    # deliver 2024-Q2 the way a transfer should: complete folder next to raw/, then one rename
    incoming = stack.data_dir / "incoming" / "2024-Q2"
    shutil.copytree(REPO / "data" / "raw" / "2024-Q2", incoming)
    os.rename(incoming, stack.data_dir / "raw" / "2024-Q2")

    def detail() -> str:
        return stack.sensor_detail("raw_extracts_sensor")

    wait_for(
        "the sensor to add partition 2024-Q2",
        lambda: "2024-Q2" in partition_keys(stack),
        SENSOR_TIMEOUT,
        2.0,
        detail,
    )
    sensor_runs = wait_for(
        "a run of 2024-Q2 requested by the sensor",
        lambda: stack.runs({"dagster/partition": "2024-Q2", "dagster/sensor_name": "raw_extracts_sensor"}),
        SENSOR_TIMEOUT,
        2.0,
        detail,
    )
    assert len(sensor_runs) == 1, sensor_runs
    run_id = sensor_runs[0]["runId"]
    remaining = max(30.0, SENSOR_TIMEOUT - (time.monotonic() - started))
    run = stack.wait_for_run(run_id, timeout=remaining)
    assert run["status"] == "SUCCESS", stack.run_failure_detail(run_id)
    assert {"key": "mtm/trigger", "value": "sensor"} in run["tags"]

    rows = published_rows(stack.data_dir, "2024-Q2")
    assert rows.get("delivered", 0) > 0 and rows.get("corrected", 0) > 0, rows
    note(
        f"sensor: raw/2024-Q2 appeared -> partition added and run {run_id[:8]} {run['status']} "
        f"in {time.monotonic() - started:.0f} s, no launch call; published rows {rows}"
    )


def shown_in_graph(name: str, labels: list[str]) -> bool:
    """The graph truncates long names in the middle ("deli…_observations"): match either form."""
    for label in labels:
        if label == name:
            return True
        head, ellipsis, rest = label.partition("…")
        if ellipsis and head and name.startswith(head) and name.endswith(rest) and len(label) < len(name):
            return True
    return False


ASSETS_ON_GRAPH = (
    "border_crossings_extract",
    "residence_permits_extract",
    "labour_migration_extract",
    "emigration_extract",
    "remittances_extract",
    "delivered_observations",
    "corrected_observations",
    "quarterly_report",
    "country_reference",
    "trend_report",
)


def asset_graph_labels(page, url: str, screenshot: Path) -> list[str]:
    """The global asset graph ("Lineage") with every group expanded: its text lines; saves `screenshot`."""
    # groups start collapsed; ⌥E expands them all
    page.goto(f"{url}/asset-groups", wait_until="domcontentloaded")
    page.get_by_text("warehouse", exact=True).first.wait_for(state="visible")
    page.wait_for_load_state("networkidle")
    page.keyboard.press("Alt+KeyE")
    page.get_by_text("trend_report", exact=True).first.wait_for(state="visible")
    # cosmetic, for the screenshot: narrow main navigation, zoom out one step so the whole graph shows
    for icon in ("panel_show_right", "zoom_out"):
        button = page.locator(f'button:has([aria-label="{icon}"])')
        if button.count():
            button.first.click()
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(1500)  # zoom animation, materialization badges
    labels = [line.strip() for line in page.locator("body").inner_text().splitlines() if line.strip()]
    save_screenshot(page, screenshot)
    return labels


def partitions_page_text(page, url: str, screenshot: Path) -> str:
    """The partitions tab of delivered_observations, 2024-Q1 selected: its text; saves `screenshot`."""
    page.goto(
        f"{url}/assets/delivered_observations?view=partitions&partition=2024-Q1",
        wait_until="domcontentloaded",
    )
    page.get_by_text("Latest materialization").first.wait_for(state="visible")
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(500)
    text = page.locator("body").inner_text()
    save_screenshot(page, screenshot)
    return text


def checks_page_text(page, url: str, screenshot: Path) -> str:
    """The checks tab of delivered_observations: its text; saves `screenshot`."""
    page.goto(f"{url}/assets/delivered_observations?view=checks", wait_until="domcontentloaded")
    page.get_by_text("conformance", exact=True).first.wait_for(state="visible")
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(500)
    text = page.locator("body").inner_text()
    save_screenshot(page, screenshot)
    return text


def test_ui_pages_in_headless_chromium(stack: DagsterStack, tmp_path_factory):
    executable = chromium_path()
    if executable is None:
        note(f"SKIPPED UI screenshots: {SKIP_REASON}")
        pytest.skip(SKIP_REASON)
    pytest.importorskip("playwright.sync_api", reason="playwright not installed: pip install -e '.[dev]'")
    from mtm_pipeline.checks.rules import RULES

    quarters = partition_keys(stack)
    if "2024-Q1" not in quarters:  # this test run on its own
        add_quarter(stack, "2024-Q1")
        quarters = partition_keys(stack)
    stack.graphql("mutation { setNuxSeen }")  # no "Join the Dagster community" dialog over the pages
    update = os.environ.get("MTM_UPDATE_SCREENSHOTS") == "1"
    screenshots = COMMITTED_SCREENSHOTS if update else tmp_path_factory.mktemp("ui-screenshots")
    screenshots.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with chromium_page(executable) as page:
        labels = asset_graph_labels(page, stack.url, screenshots / "asset-graph.png")
        for name in ASSETS_ON_GRAPH:
            assert shown_in_graph(name, labels), f"{name} not on the asset graph: {labels}"

        partitions_text = partitions_page_text(page, stack.url, screenshots / "partitions.png")
        assert "delivered_observations" in partitions_text
        for quarter in quarters:
            assert quarter in partitions_text, f"partition {quarter} not listed: {partitions_text}"

        # one check per consistency rule, plus conformance
        checks_text = checks_page_text(page, stack.url, screenshots / "checks.png")
        assert f"Checks ({len(RULES) + 1})" in checks_text, checks_text
        for rule in ("parts_sum_to_total", "shares_sum_to_100", "plausible_change"):
            assert rule in checks_text
    note(
        f"Chromium ({chromium_version(executable)}): asset graph, partitions {', '.join(quarters)} and "
        f"checks pages in {time.monotonic() - started:.0f} s; screenshots in {screenshots}"
    )
