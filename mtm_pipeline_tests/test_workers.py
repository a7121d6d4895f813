"""The worker processes: results come back by key, and a killed run leaves no worker behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mtm_pipeline import workers


def test_calls_come_back_by_key_in_workers_and_in_process(monkeypatch):
    calls = {"a": ([1, 2],), "b": ([3, 4, 5],)}
    assert workers.call_each(sum, calls) == {"a": 3, "b": 12}
    assert workers.call(sorted, [3, 1, 2], reverse=True) == [3, 2, 1]
    assert workers.call(os.getpid) != os.getpid()  # it really ran elsewhere
    monkeypatch.setenv("MTM_WORKERS", "0")
    monkeypatch.setattr(workers, "_pool", None)
    assert workers.call(os.getpid) == os.getpid()
    assert workers.call_each(sum, calls) == {"a": 3, "b": 12}


def test_an_exception_in_a_worker_reaches_the_caller():
    with pytest.raises(ZeroDivisionError):
        workers.call(divmod, 1, 0)


def _gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return True
    return state == "Z"


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc")
def test_workers_exit_when_the_run_process_is_killed():
    code = (
        "import os, time\n"
        "from mtm_pipeline import workers\n"
        "print(workers.call(os.getpid), flush=True)\n"
        "time.sleep(120)\n"
    )
    run = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        worker_pid = int(run.stdout.readline())
        assert not _gone(worker_pid)
        run.send_signal(signal.SIGKILL)
        run.wait()
        deadline = time.monotonic() + 10 * workers.PARENT_CHECK_SECONDS
        while not _gone(worker_pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _gone(worker_pid), f"worker {worker_pid} outlived its killed run"
    finally:
        run.kill()
        run.wait()
