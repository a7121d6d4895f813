"""Runs whose process died (kill -9, power loss): mark them failed and free the pool slots they hold.

A run killed while it held the "duckdb_writer" pool slot keeps that slot claimed in the Dagster instance
(DAGSTER_HOME), and every later run then waits for it forever. `cli run`, `maintenance rebuild` and
`maintenance release-stale-runs` release such runs first.
"""

from __future__ import annotations

import os

import dagster as dg

from mtm_pipeline.processes import process_alive

_RUNNING = ("STARTING", "STARTED", "CANCELING")


def _run_pid(instance: dg.DagsterInstance, run_id: str) -> int | None:
    records = instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.RUN_START).records
    for record in records:
        event = record.event_log_entry.dagster_event
        if event is not None and event.pid:
            return int(event.pid)
    return None


def release_stale_runs(instance: dg.DagsterInstance) -> list[str]:
    """Runs of this machine's instance whose process is gone: mark them failed, free their pool slots.

    A run counts as stale when it is not finished but the process that started it no longer exists,
    or when it is finished but still holds (or waits for) a concurrency slot. Returns their run ids.
    """
    released = []
    storage = instance.event_log_storage
    candidates = {run.run_id: run for run in instance.get_runs() if run.status.value in _RUNNING}
    for run_id in storage.get_concurrency_run_ids():
        run = instance.get_run_by_id(run_id)
        if run is not None:
            candidates.setdefault(run_id, run)
    for run_id, run in candidates.items():
        if run.status.value in _RUNNING:
            pid = _run_pid(instance, run_id)
            if pid is None or pid == os.getpid() or process_alive(pid):
                continue
            instance.report_run_failed(
                run, f"the process of this run (pid {pid}) no longer exists: it was killed or crashed"
            )
        storage.free_concurrency_slots_for_run(run_id)
        released.append(run_id)
    return released
