"""A real Dagster deployment for tests: `dagster-webserver` and `dagster-daemon` as subprocesses.

    stack = DagsterStack(dagster_home, data_dir, logs_dir)
    stack.start_webserver()            # waits for /server_info
    stack.graphql(QUERY, {...})        # POST /graphql, raises on GraphQL errors
    stack.start_daemon()
    stack.stop()                       # SIGTERM, then SIGKILL, to each process group

Each process runs in its own session (process group), so `stop()` also ends the gRPC code servers
and the run workers they started. Output goes to log files whose tails appear in failure messages.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
LOOPBACK = "127.0.0.1"
LOCATION = "mtm_pipeline"  # workspace.yaml location_name
REPOSITORY = "__repository__"  # the name Dagster gives the repository of a bare `Definitions`

T = TypeVar("T")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


def executable(name: str) -> str:
    """A console script of this virtualenv (dagster-webserver, dagster-daemon, ...)."""
    candidate = BIN / name
    if candidate.exists():
        return str(candidate)
    found = shutil.which(name)
    if not found:
        raise FileNotFoundError(f"{name} is not installed in {BIN} or on PATH")
    return found


def prepare_dagster_home(path: Path, config: Path = REPO / "dagster.yaml") -> Path:
    """A DAGSTER_HOME holding a copy of the given instance config (the project's by default)."""
    path.mkdir(parents=True, exist_ok=True)
    shutil.copy(config, path / "dagster.yaml")
    return path


def pipeline_env(dagster_home: Path, data_dir: Path) -> dict[str, str]:
    """The environment of every Dagster process: this test's instance and data, nothing sent out."""
    env = dict(os.environ)
    for name in ("MTM_ALERT_WEBHOOK_URL", "MTM_SMTP_HOST"):
        env.pop(name, None)
    env.update(
        DAGSTER_HOME=str(dagster_home),
        MTM_DATA_DIR=str(data_dir),
        DAGSTER_DISABLE_TELEMETRY="1",
        GX_ANALYTICS_ENABLED="false",
        PYTHONUNBUFFERED="1",
    )
    return env


def wait_for(
    what: str,
    probe: Callable[[], T | None],
    timeout: float,
    interval: float = 1.0,
    on_timeout: Callable[[], str] | None = None,
) -> T:
    """Call `probe` until it returns something other than None/False; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() >= deadline:
            detail = on_timeout() if on_timeout else ""
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}\n{detail}")
        time.sleep(interval)


def tail(path: Path, lines: int = 40) -> str:
    if not path.exists():
        return f"({path.name}: no output)"
    text = path.read_text(encoding="utf-8", errors="replace").splitlines()
    return f"--- last {min(lines, len(text))} lines of {path} ---\n" + "\n".join(text[-lines:])


class GraphQLError(AssertionError):
    pass


class DagsterStack:
    def __init__(self, dagster_home: Path, data_dir: Path, logs_dir: Path):
        self.dagster_home = dagster_home
        self.data_dir = data_dir
        self.logs_dir = logs_dir
        self.logs_dir.mkdir(parents=True, exist_ok=True)
        self.env = pipeline_env(dagster_home, data_dir)
        self.port = free_port()
        self.url = f"http://{LOOPBACK}:{self.port}"
        self.processes: dict[str, subprocess.Popen] = {}
        self._log_files: list = []

    # --- processes -------------------------------------------------------------------------------

    def _spawn(self, name: str, argv: list[str]) -> subprocess.Popen:
        log = open(self.logs_dir / f"{name}.log", "wb")  # noqa: SIM115 - closed in stop()
        self._log_files.append(log)
        process = subprocess.Popen(
            argv,
            cwd=REPO,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stop() reaches code servers and run workers
        )
        self.processes[name] = process
        return process

    def start_webserver(self, timeout: float = 90) -> None:
        argv = [executable("dagster-webserver"), "-w", "workspace.yaml", "-h", LOOPBACK, "-p", str(self.port)]
        process = self._spawn("webserver", argv)

        def ready():
            if process.poll() is not None:
                raise AssertionError(f"dagster-webserver exited with {process.returncode}\n{self.logs()}")
            try:
                with urllib.request.urlopen(f"{self.url}/server_info", timeout=2) as response:
                    return json.loads(response.read())
            except (urllib.error.URLError, ConnectionError, TimeoutError, json.JSONDecodeError):
                return None

        self.server_info = wait_for("dagster-webserver /server_info", ready, timeout, 0.5, self.logs)
        # the page is served before the code location has loaded: wait until the job is there
        wait_for("code location mtm_pipeline to load", self._location_loaded, timeout, 0.5, self.logs)

    def start_daemon(self) -> None:
        if "daemon" not in self.processes:
            self._spawn("daemon", [executable("dagster-daemon"), "run", "-w", "workspace.yaml"])

    def stop(self) -> None:
        for name, process in reversed(list(self.processes.items())):
            _terminate_group(process)
        self.processes.clear()
        for log in self._log_files:
            log.close()
        self._log_files.clear()

    def logs(self) -> str:
        return "\n".join(tail(self.logs_dir / f"{name}.log") for name in ("webserver", "daemon"))

    # --- GraphQL ---------------------------------------------------------------------------------

    def graphql(self, query: str, variables: dict[str, Any] | None = None, timeout: float = 60) -> dict:
        body = json.dumps({"query": query, "variables": variables or {}}).encode("utf-8")
        request = urllib.request.Request(
            f"{self.url}/graphql", data=body, method="POST", headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=timeout) as response:
            payload = json.loads(response.read())
        if payload.get("errors"):
            raise GraphQLError(f"GraphQL errors: {json.dumps(payload['errors'], indent=1)[:3000]}")
        return payload["data"]

    def _location_loaded(self) -> bool:
        data = self.graphql(REPOSITORIES_QUERY)
        repositories = data["repositoriesOrError"]
        return repositories.get("__typename") == "RepositoryConnection" and any(
            n["location"]["name"] == LOCATION for n in repositories["nodes"]
        )

    def run(self, run_id: str) -> dict:
        result = self.graphql(RUN_QUERY, {"runId": run_id})["runOrError"]
        assert result["__typename"] == "Run", result
        return result

    def wait_for_run(self, run_id: str, timeout: float = 180) -> dict:
        def finished():
            run = self.run(run_id)
            return run if run["status"] in {"SUCCESS", "FAILURE", "CANCELED"} else None

        return wait_for(
            f"run {run_id} to finish", finished, timeout, 1.0, lambda: self.run_failure_detail(run_id)
        )

    def runs(self, tags: dict[str, str] | None = None) -> list[dict]:
        run_filter = {"tags": [{"key": k, "value": v} for k, v in (tags or {}).items()]}
        result = self.graphql(RUNS_QUERY, {"filter": run_filter})["runsOrError"]
        assert result["__typename"] == "Runs", result
        return result["results"]

    def run_failure_detail(self, run_id: str) -> str:
        """Step failures and errors of a run, and the process logs: what a failing assertion shows."""
        data = self.graphql(RUN_EVENTS_QUERY, {"runId": run_id})["logsForRun"]
        lines = []
        for event in data.get("events", []):
            error = event.get("error")
            if error or event["__typename"] in {
                "ExecutionStepFailureEvent",
                "RunFailureEvent",
                "EngineEvent",
            }:
                lines.append(f"{event['__typename']} {event.get('stepKey') or ''}: {event.get('message')}")
                if error:
                    lines.append(error["message"] + "".join(error.get("stack") or [])[-3000:])
        return "\n".join(lines[-30:]) + "\n" + self.logs()

    def sensor_detail(self, sensor_name: str) -> str:
        data = self.graphql(SENSOR_QUERY, {"selector": {**repository_selector(), "sensorName": sensor_name}})
        return json.dumps(data["sensorOrError"], indent=1)[:4000] + "\n" + self.logs()


def _terminate_group(process: subprocess.Popen, grace: float = 20) -> None:
    try:
        pgid = os.getpgid(process.pid)
    except ProcessLookupError:
        pgid = None
    if pgid is not None:
        try:
            os.killpg(pgid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        pass
    if pgid is not None:
        # the leader may be gone while its code server or a run worker lingers: finish the group
        try:
            os.killpg(pgid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass


def repository_selector() -> dict[str, str]:
    return {"repositoryLocationName": LOCATION, "repositoryName": REPOSITORY}


# --- GraphQL documents (the operations the UI sends, trimmed to the fields the tests read) ---------

REPOSITORIES_QUERY = """
query Repositories {
  repositoriesOrError {
    __typename
    ... on RepositoryConnection {
      nodes { name location { name } jobs { name isAssetJob } sensors { name } schedules { name } }
    }
    ... on PythonError { message }
  }
}
"""

ADD_DYNAMIC_PARTITION_MUTATION = """
mutation AddDynamicPartition($repositorySelector: RepositorySelector!, $partitionsDefName: String!,
                             $partitionKey: String!) {
  addDynamicPartition(repositorySelector: $repositorySelector, partitionsDefName: $partitionsDefName,
                      partitionKey: $partitionKey) {
    __typename
    ... on AddDynamicPartitionSuccess { partitionsDefName partitionKey }
    ... on DuplicateDynamicPartitionError { partitionsDefName partitionName }
    ... on UnauthorizedError { message }
    ... on PythonError { message stack }
  }
}
"""

LAUNCH_RUN_MUTATION = """
mutation LaunchRun($executionParams: ExecutionParams!) {
  launchRun(executionParams: $executionParams) {
    __typename
    ... on LaunchRunSuccess { run { runId status tags { key value } } }
    ... on RunConfigValidationInvalid { errors { message } }
    ... on PipelineNotFoundError { message }
    ... on InvalidSubsetError { message }
    ... on RunConflict { message }
    ... on UnauthorizedError { message }
    ... on PythonError { message stack }
  }
}
"""

RUN_QUERY = """
query Run($runId: ID!) {
  runOrError(runId: $runId) {
    __typename
    ... on Run { runId status jobName tags { key value } }
    ... on RunNotFoundError { message }
    ... on PythonError { message }
  }
}
"""

RUNS_QUERY = """
query Runs($filter: RunsFilter) {
  runsOrError(filter: $filter) {
    __typename
    ... on Runs { results { runId status jobName tags { key value } } }
    ... on PythonError { message }
  }
}
"""

RUN_EVENTS_QUERY = """
query RunEvents($runId: ID!) {
  logsForRun(runId: $runId) {
    __typename
    ... on EventConnection {
      events {
        __typename
        ... on MessageEvent { message stepKey }
        ... on ErrorEvent { error { message stack } }
      }
    }
  }
}
"""

PARTITION_KEYS_QUERY = """
query PartitionKeys($assetKey: AssetKeyInput!) {
  assetNodeOrError(assetKey: $assetKey) {
    __typename
    ... on AssetNode { partitionKeys }
  }
}
"""

SENSOR_QUERY = """
query Sensor($selector: SensorSelector!) {
  sensorOrError(sensorSelector: $selector) {
    __typename
    ... on Sensor {
      name
      sensorState {
        status
        ticks(limit: 5) { status timestamp runIds skipReason error { message } }
      }
    }
  }
}
"""
