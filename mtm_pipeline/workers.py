"""Worker processes for the slow-to-import, CPU-bound parts of a run: the Great Expectations validation
and the report files.

Importing Great Expectations, matplotlib, fpdf2 and openpyxl takes about 4 s. A run that will validate or
report starts the workers in its first step (`start_for_run`): a forkserver imports those libraries on
another CPU while the extracts are read and checked, and the workers forked from it have them loaded.
A backfill's reports are built by several workers at once. `MTM_WORKERS=0` does everything in the run's
own process; `MTM_WORKERS=N` caps the workers (default: the CPUs this process may use).
"""

from __future__ import annotations

import functools
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from mtm_pipeline.processes import process_alive

PRELOADED = (
    "great_expectations",
    "matplotlib.figure",
    "matplotlib.backends.backend_agg",
    "fpdf",
    "openpyxl",
    "mtm_pipeline.gx_suite",
    "mtm_pipeline.report.build",
    "mtm_pipeline.report.charts",
    "mtm_pipeline.report.render_pdf",
)

ASSETS_USING_WORKERS = ("corrected_observations", "quarterly_report")

_pool: ProcessPoolExecutor | None = None
_creating = threading.Lock()
PARENT_CHECK_SECONDS = 1.0


def worker_count() -> int:
    configured = os.environ.get("MTM_WORKERS", "").strip()
    if configured:
        return max(0, int(configured))
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def _executor() -> ProcessPoolExecutor | None:
    global _pool
    with _creating:
        if _pool is None and worker_count() > 0:
            import multiprocessing

            os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")  # inherited by the forkserver
            # forkserver: workers start from a clean process, not a fork of a multi-threaded Dagster process.
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(list(PRELOADED))
            pool = ProcessPoolExecutor(
                max_workers=worker_count(),
                mp_context=context,
                initializer=_exit_with,
                initargs=(os.getpid(),),
            )
            pool.submit(int)  # starts the forkserver and the first worker: returns once the imports are done
            _pool = pool
    return _pool


def _exit_with(run_pid: int) -> None:
    """In each worker: exit as soon as the run's process is gone. A run killed outright (SIGKILL, out of
    memory) cannot shut its workers down, and they would otherwise wait for work forever; the forkserver
    exits with its last worker."""

    def watch() -> None:
        while True:
            time.sleep(PARENT_CHECK_SECONDS)
            if not process_alive(run_pid):
                os._exit(0)

    threading.Thread(target=watch, name="mtm-exit-with-run", daemon=True).start()


def start() -> None:
    """Start the workers in the background, so their imports overlap with the work before they are needed
    (a call waits for them)."""
    if _pool is None and worker_count() > 0:
        threading.Thread(target=_executor, name="mtm-workers-start", daemon=True).start()


def start_for_run(context) -> None:
    """Start the workers when the run (an asset step's context) will materialise an asset that uses them."""
    import dagster as dg

    try:
        selection = context.run.asset_selection
    except dg.DagsterError:  # an asset invoked directly, outside a run: no run to look at
        return
    if selection is None or any(key.to_user_string() in ASSETS_USING_WORKERS for key in selection):
        start()


def call(function: Callable, *args: Any, **kwargs: Any) -> Any:
    """function(*args, **kwargs) in a worker (in this process with MTM_WORKERS=0); exceptions propagate."""
    return call_each(functools.partial(function, **kwargs), {"": args})[""]


def call_each(function: Callable, calls: dict[str, tuple]) -> dict[str, Any]:
    """function(*args) for every entry of `calls`, spread over the workers; results by the same keys."""
    global _pool
    pool = _executor()
    if pool is None:
        return {key: function(*args) for key, args in calls.items()}
    try:
        futures: dict[str, Future] = {key: pool.submit(function, *args) for key, args in calls.items()}
        return {key: future.result() for key, future in futures.items()}
    except BrokenProcessPool:
        _pool = None  # a worker died (killed, out of memory): the next call starts new workers
        raise
