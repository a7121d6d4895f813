"""Run `mtm_pipeline.cli` with a kill point, for the crash-safety trials.

    python -m mtm_pipeline_tests.robustness.killpoint run 2024-Q1

behaves exactly like `python -m mtm_pipeline.cli run 2024-Q1`, except that every write statement the
process sends to the warehouse (BEGIN, DELETE, INSERT, COMMIT, CREATE, ...) is counted and:

- MTM_KILL_BEFORE_WRITE=N   the process sends itself SIGKILL just before its Nth write statement
                            (so statements 1..N-1 ran, e.g. "after the COMMIT" when N-1 was one);
- MTM_KILL_DURING_WRITE=N   a timer thread sends SIGKILL MTM_KILL_DELAY_MS (default 1) milliseconds
                            after the Nth write statement started (DuckDB releases the GIL while it
                            executes, so the kill lands inside the statement, e.g. inside a COMMIT);
- MTM_WRITE_LOG=path        appends "<seconds since start>\\t<n>\\t<statement head>" per write statement.

Nothing in mtm_pipeline is changed: the hook wraps the `duckdb` module seen by
mtm_pipeline.warehouse.connection, so every write connection the pipeline opens is counted.

    python -m mtm_pipeline_tests.robustness.killpoint serve

is a fork server for the trials: it imports the pipeline once, then for each JSON request on stdin forks a
child that runs `mtm_pipeline.cli.main(argv)` (or the warehouse re-run, see `_rerun`) with the request's
environment, optionally sends it SIGKILL after `kill_after` seconds, and answers one JSON line with how
the child ended. Every trial is still a separate process killed with SIGKILL; only the 5 s of imports
are paid once.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time

import duckdb

_WRITES = (
    "BEGIN",
    "COMMIT",
    "ROLLBACK",
    "DELETE",
    "INSERT",
    "UPDATE",
    "CREATE",
    "DROP",
    "ALTER",
    "CHECKPOINT",
    "COPY",
    "ATTACH",
    "DETACH",
)
_START = time.monotonic()
_count = 0


def _kill() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def _head(sql: str) -> str:
    words = [w for w in sql.split() if not w.startswith("--")]
    return " ".join(words[:4]) if words else ""


class _CountingConnection:
    """A DuckDB connection whose write statements are counted (and may be the last thing it does)."""

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self._con = con

    def execute(self, sql, *args, **kwargs):
        global _count
        lines = [line for line in str(sql).splitlines() if line.strip() and not line.strip().startswith("--")]
        first = lines[0].split()[0].upper() if lines else ""
        if first in _WRITES:
            _count += 1
            log = os.environ.get("MTM_WRITE_LOG")
            if log:
                with open(log, "a", encoding="utf-8") as handle:
                    handle.write(f"{time.monotonic() - _START:.4f}\t{_count}\t{_head(' '.join(lines))}\n")
            if str(_count) == os.environ.get("MTM_KILL_BEFORE_WRITE"):
                _kill()
            if str(_count) == os.environ.get("MTM_KILL_DURING_WRITE"):
                delay = float(os.environ.get("MTM_KILL_DELAY_MS", "1")) / 1000
                threading.Timer(delay, _kill).start()
        return self._con.execute(sql, *args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._con, name)


class _DuckdbShim:
    """Stands in for the duckdb module inside mtm_pipeline.warehouse.connection."""

    def __getattr__(self, name):
        return getattr(duckdb, name)

    @staticmethod
    def connect(*args, **kwargs):
        con = duckdb.connect(*args, **kwargs)
        return con if kwargs.get("read_only") else _CountingConnection(con)


def install() -> None:
    from mtm_pipeline.warehouse import connection

    connection.duckdb = _DuckdbShim()


def _rerun(quarters: list[str], ephemeral: bool = False) -> int:
    """What an operator does after a crash: release runs whose process died, then load the quarters again
    (the reference data and each quarter's warehouse assets, as `mtm run` does minus the report, which
    only reads the warehouse), in the Dagster instance of DAGSTER_HOME (or, to save the trials time, an
    ephemeral one once the stale runs are released)."""
    import dagster as dg

    from mtm_pipeline.maintenance import release_stale_runs
    from mtm_pipeline.resources import WarehouseResource
    from mtm_pipeline_tests.robustness.helpers import materialise

    instance = dg.DagsterInstance.get()
    holding = sorted(instance.event_log_storage.get_concurrency_run_ids())
    released = release_stale_runs(instance)
    remaining = sorted(instance.event_log_storage.get_concurrency_run_ids())
    print(
        "RERUN " + json.dumps({"holding_slots": holding, "released": released, "remaining": remaining}),
        flush=True,
    )
    if ephemeral:
        instance = dg.DagsterInstance.ephemeral()
    ok = True
    for number, quarter in enumerate(quarters):
        result = materialise(WarehouseResource(), quarter, instance, reference=number == 0)
        ok = ok and result.success
    return 0 if ok else 1


def _child(request: dict) -> None:
    global _count, _START
    fd = os.open(request["output"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.environ.clear()
    os.environ.update(request["env"])
    _count, _START = 0, time.monotonic()
    code = 99
    try:
        if request.get("rerun"):
            code = _rerun(request["rerun"], ephemeral=request.get("ephemeral", False))
        else:
            from mtm_pipeline.cli import main as cli_main

            code = cli_main(request["argv"])
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 1
    except BaseException:  # noqa: BLE001 - a child reports every failure and exits
        import traceback

        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def _wait(pid: int, kill_after: float | None, timeout: float) -> dict:
    started = time.monotonic()
    killed = timed_out = False
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        elapsed = time.monotonic() - started
        if kill_after is not None and not killed and elapsed >= kill_after:
            os.kill(pid, signal.SIGKILL)
            killed = True
        if elapsed > timeout and not timed_out:
            os.kill(pid, signal.SIGKILL)
            timed_out = True
        time.sleep(0.002)
    return {
        "pid": pid,
        "signal": os.WTERMSIG(status) if os.WIFSIGNALED(status) else None,
        "exit": os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
        "seconds": round(time.monotonic() - started, 3),
        "timed_out": timed_out,
    }


def serve() -> int:
    install()
    import great_expectations  # noqa: F401 - imported once here instead of in every trial

    import mtm_pipeline.cli
    import mtm_pipeline.maintenance  # noqa: F401
    import mtm_pipeline_tests.robustness.helpers  # noqa: F401
    from mtm_pipeline.countries import country_mapper

    country_mapper()  # built once (pycountry translations) and inherited by every child

    if threading.active_count() != 1:  # forking a process with threads could deadlock the children
        raise RuntimeError(f"{threading.active_count()} threads before fork")
    import gc

    gc.freeze()  # keep the imported objects out of the children's collections (fewer copied pages)
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            _child(request)
        answer = _wait(pid, request.get("kill_after"), request.get("timeout", 120))
        print(json.dumps(answer), flush=True)
    return 0


def main() -> int:
    if sys.argv[1:2] == ["serve"]:
        return serve()
    install()
    from mtm_pipeline.cli import main as cli_main

    return cli_main(sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
