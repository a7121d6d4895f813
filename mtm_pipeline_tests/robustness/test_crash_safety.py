"""Crash safety: SIGKILL the process loading 2024-Q1 at many points of the load, then check the warehouse.

Each trial is one process running `mtm_pipeline.cli.main(["run", "2024-Q1"])` with MTM_DATA_DIR and
DAGSTER_HOME (with the project's dagster.yaml, pools included) in a private temporary folder, forked from
a server that imported the pipeline once (killpoint.py). It is killed with SIGKILL:

- just before its Nth write statement (BEGIN/DELETE/INSERT/COMMIT/CREATE), at the statements that matter
  (the first DDL, a staging COMMIT, the DELETE-then-INSERT of each published stage, each stage's
  COMMIT and the statement after it),
- a few milliseconds after such a statement started (inside the COMMIT, inside the INSERT),
- after delays spread evenly over the load, measured from an undisturbed run first,

and one more trial is a fresh `python -m mtm_pipeline_tests.robustness.killpoint run 2024-Q1` process.
Half the trials start from an empty data folder, half from a warehouse holding an earlier delivery of
2024-Q1 (one figure and one note differ) and 2024-Q2.

After each kill: the warehouse opens; each published stage of 2024-Q1 (and published.deliveries, and the
staged rows of every source) is absent, the previous content or the complete new content, compared by
row count and checksum with an undisturbed run; 2024-Q2 is untouched. Then the operator's re-run
(release the runs whose process died, load the quarter again) must converge: every table equal to the
undisturbed run's, excluding load timestamps. A killed run keeps the "duckdb_writer" pool slot claimed in
DAGSTER_HOME, and without the release every later run waits for it forever; the release must leave no
slot claimed, and every third re-run goes through that instance to show the next run proceeds.

Set MTM_ROBUSTNESS_LOG=<file> to append one JSON line per trial (used for docs/reliability.md).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from mtm_pipeline_tests.robustness.helpers import (
    PYTHON,
    TIMESTAMPS,
    checksums,
    new_data_dir,
    subprocess_env,
    table_checksum,
)

Q1, Q2 = "2024-Q1", "2024-Q2"
SOURCES = ("border_crossings", "emigration", "labour_migration", "remittances", "residence_permits")
ABSENT = (0, "d41d8cd98f00b204e9800998ecf8427e")  # md5 of the empty string: no rows


class Server:
    """One fork server (killpoint.py serve); requests are answered in order."""

    def __init__(self, env: dict[str, str]):
        self.process = subprocess.Popen(
            [PYTHON, "-m", "mtm_pipeline_tests.robustness.killpoint", "serve"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        ready = self.process.stdout.readline()
        assert json.loads(ready) == {"ready": True}, ready
        self.lock = threading.Lock()

    def run(self, **request) -> dict:
        with self.lock:
            self.process.stdin.write(json.dumps(request) + "\n")
            self.process.stdin.flush()
            return json.loads(self.process.stdout.readline())

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=30)


@dataclass(frozen=True)
class Trial:
    name: str
    state: str  # "empty" or "previous"
    kill_before: int | None = None
    kill_during: int | None = None
    delay_ms: float = 1.0
    kill_after: float | None = None
    fresh_process: bool = False


def _statements(log: Path) -> list[tuple[float, int, str]]:
    rows = []
    for line in log.read_text(encoding="utf-8").splitlines():
        seconds, number, head = line.split("\t")
        rows.append((float(seconds), int(number), head))
    return rows


def _find(statements, start: int, prefix: str) -> int:
    return next(n for _, n, head in statements if n >= start and head.startswith(prefix))


def plan_trials(statements) -> tuple[list[Trial], dict[str, int]]:
    obs_delete = 'DELETE FROM "published"."observations"'
    obs_insert = 'INSERT INTO "published"."observations"'
    delivered_delete = _find(statements, 1, obs_delete)
    delivered_insert = _find(statements, delivered_delete, obs_insert)
    delivered_commit = _find(statements, delivered_insert, "COMMIT")
    corrected_delete = _find(statements, delivered_commit, obs_delete)
    corrected_insert = _find(statements, corrected_delete, obs_insert)
    corrected_commit = _find(statements, corrected_insert, "COMMIT")
    reference_commit = _find(statements, 1, "COMMIT")
    staged = [n for _, n, head in statements if head.startswith('INSERT INTO "staging"')]
    staging_insert = staged[2]
    staging_commit = _find(statements, staging_insert, "COMMIT")
    before = [
        1,
        reference_commit,
        staging_insert,
        staging_commit,
        delivered_delete + 1,
        delivered_commit,
        delivered_commit + 1,
        corrected_insert,
        corrected_commit,
        corrected_commit + 1,
    ]
    during = [
        (staging_commit, 0.5),
        (delivered_insert, 1.0),
        (delivered_commit, 0.2),
        (corrected_commit, 2.0),
    ]
    # from the first write to 0.3 s after the corrected stage's COMMIT (connections closing, checkpoints)
    first = statements[0][0]
    last = next(t for t, n, _ in statements if n == corrected_commit) + 0.3
    delays = [first + (last - first) * i / 5 for i in range(6)]
    trials = [Trial(f"before write {n}", "", kill_before=n) for n in before]
    trials += [Trial(f"{ms} ms into write {n}", "", kill_during=n, delay_ms=ms) for n, ms in during]
    trials += [Trial(f"after {d:.2f} s", "", kill_after=round(d, 3)) for d in delays]
    points = {"delivered COMMIT": delivered_commit, "corrected COMMIT": corrected_commit}
    return [
        Trial(
            t.name,
            "empty" if i % 2 == 0 else "previous",
            t.kill_before,
            t.kill_during,
            t.delay_ms,
            t.kill_after,
        )
        for i, t in enumerate(trials)
    ], points


def _data_folder(root: Path, state: str, template: Path | None, home: Path | None = None) -> Path:
    """A private data folder; `home`: a Dagster home whose storage is already created, copied in."""
    data = new_data_dir(root, with_dagster_home=home is None)
    if home is not None:
        shutil.copytree(home, data / "dagster_home")
    if state == "previous":
        (data / "warehouse").mkdir()
        shutil.copyfile(template, data / "warehouse" / "mtm.duckdb")
    return data


def _previous_delivery(data: Path) -> None:
    """Turn raw/2024-Q1 into an earlier delivery: one figure and one note differ."""
    path = data / "raw" / Q1 / "border_crossings.csv"
    text = path.read_text(encoding="utf-8")
    assert ",41986," in text
    path.write_text(text.replace(",41986,", ",41900,", 1), encoding="utf-8")
    path = data / "raw" / Q1 / "emigration.csv"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace("Rank 1 from 'primary destination'.", "Rank 1 (first delivery).", 1), encoding="utf-8"
    )


def quarter_state(path: Path, quarter: str) -> dict[str, tuple[int, str]]:
    """Checksums (excluding load timestamps) of one quarter's published stages, deliveries and staged rows.

    A warehouse file without tables (killed before its first CREATE) counts as absent everywhere."""
    with duckdb.connect(str(path), read_only=True) as con:
        if not con.execute("SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'published'").fetchone()[
            0
        ]:
            keys = ["stage delivered", "stage corrected", "deliveries", *(f"staged {s}" for s in SOURCES)]
            return dict.fromkeys(keys, ABSENT)
        state = {
            f"stage {stage}": table_checksum(
                con,
                "published.observations",
                exclude=TIMESTAMPS,
                where="delivery_quarter = ? AND stage = ?",
                params=[quarter, stage],
            )
            for stage in ("delivered", "corrected")
        }
        state["deliveries"] = table_checksum(
            con, "published.deliveries", exclude=TIMESTAMPS, where="delivery_quarter = ?", params=[quarter]
        )
        for source in SOURCES:
            state[f"staged {source}"] = table_checksum(
                con,
                "staging.extract_rows",
                exclude=TIMESTAMPS,
                where="delivery_quarter = ? AND source = ?",
                params=[quarter, source],
            )
    return state


def other_quarter(path: Path, quarter: str) -> dict[str, tuple[int, str]]:
    """Every row of another quarter, nothing excluded."""
    with duckdb.connect(str(path), read_only=True) as con:
        return {
            table: table_checksum(con, table, where=f"{column} = ?", params=[quarter])
            for table, column in [
                ("published.observations", "delivery_quarter"),
                ("published.deliveries", "delivery_quarter"),
                ("staging.extract_rows", "delivery_quarter"),
                ("quality.check_results", "quarter"),
                ("quality.corrections_applied", "quarter"),
            ]
        }


def _log(entry: dict) -> None:
    log = os.environ.get("MTM_ROBUSTNESS_LOG")
    if log:
        with open(log, "a", encoding="utf-8") as handle:
            handle.write(json.dumps({"crash_trial": entry}) + "\n")


@dataclass
class Campaign:
    """What every trial needs: the servers, the starting warehouses and the undisturbed results."""

    tmp_path: Path
    base: Path  # data folder holding the earlier delivery of 2024-Q1 plus 2024-Q2
    servers: list[Server]
    references: dict[str, tuple[dict, dict]]  # start state -> (2024-Q1 state, whole-warehouse checksums)
    previous_q1: dict[str, tuple[int, str]]
    previous_q2: dict[str, tuple[int, str]]
    trials: list[Trial]

    @property
    def template(self) -> Path:
        """The "previous" starting warehouse."""
        return self.base / "warehouse" / "mtm.duckdb"


def _reference_run(tmp_path: Path, base: Path, state: str, server: Server) -> tuple[Path, Path]:
    """An undisturbed load of 2024-Q1 from `state`: (its warehouse, its write log).

    From "empty" it is the real CLI with its writes logged (to place the kills); from "previous" it is
    what the re-run after a kill does, after the earlier delivery and 2024-Q2 were loaded into `base`."""
    template = base / "warehouse" / "mtm.duckdb"
    if state == "previous":
        output = tmp_path / "previous.txt"
        answer = server.run(rerun=[Q1, Q2], env=subprocess_env(base), output=str(output))
        assert answer["exit"] == 0, output.read_text()[-3000:]
    data = _data_folder(tmp_path / f"reference-{state}", state, template)
    log = data.parent / "writes.log"
    if state == "empty":  # the real CLI, whose writes are logged to place the kills
        request = {"argv": ["run", Q1], "env": subprocess_env(data, MTM_WRITE_LOG=str(log))}
    else:  # what the re-run after a kill does
        request = {"rerun": [Q1], "env": subprocess_env(data)}
    answer = server.run(**request, output=str(data.parent / "output.txt"))
    assert answer["exit"] == 0, (data.parent / "output.txt").read_text()[-3000:]
    return data / "warehouse" / "mtm.duckdb", log


def prepare_campaign(tmp_path: Path, base: Path, servers: list[Server]) -> Campaign:
    """Undisturbed runs from both starting states (in parallel), and the trials planned from the write log
    of the one from empty, plus one fresh process killed inside the delivered COMMIT."""
    with ThreadPoolExecutor(2) as pool:
        (ref_previous, _), (ref_empty, log_empty) = pool.map(
            lambda state, server: _reference_run(tmp_path, base, state, server),
            ["previous", "empty"],
            servers,
        )
    references = {
        "empty": (quarter_state(ref_empty, Q1), checksums(ref_empty, exclude=TIMESTAMPS)),
        "previous": (quarter_state(ref_previous, Q1), checksums(ref_previous, exclude=TIMESTAMPS)),
    }
    template = base / "warehouse" / "mtm.duckdb"
    previous_q1 = quarter_state(template, Q1)
    previous_q2 = other_quarter(template, Q2)
    assert references["empty"][0]["stage delivered"] != previous_q1["stage delivered"]
    trials, points = plan_trials(_statements(log_empty))
    trials.append(
        Trial(
            "fresh process, 1 ms into the delivered COMMIT",
            "previous",
            fresh_process=True,
            kill_during=points["delivered COMMIT"],
            delay_ms=1.0,
        )
    )
    return Campaign(tmp_path, base, servers, references, previous_q1, previous_q2, trials)


def _kill_a_load(trial: Trial, server: Server, data: Path, output: Path) -> dict:
    """Load 2024-Q1 in `data` and kill it as the trial says; the answer has "signal", "exit", "seconds"."""
    kill_env = {}
    if trial.kill_before:
        kill_env["MTM_KILL_BEFORE_WRITE"] = str(trial.kill_before)
    if trial.kill_during:
        kill_env.update(MTM_KILL_DURING_WRITE=str(trial.kill_during), MTM_KILL_DELAY_MS=str(trial.delay_ms))
    if not trial.fresh_process:
        return server.run(
            argv=["run", Q1],
            env=subprocess_env(data, **kill_env),
            output=str(output),
            kill_after=trial.kill_after,
        )
    with output.open("w") as handle:
        child = subprocess.run(
            [PYTHON, "-m", "mtm_pipeline_tests.robustness.killpoint", "run", Q1],
            env=subprocess_env(data, **kill_env),
            stdout=handle,
            stderr=subprocess.STDOUT,
            timeout=300,
            check=False,
        )
    return {"signal": -child.returncode if child.returncode < 0 else None, "exit": child.returncode}


def _assert_no_partial_quarter(campaign: Campaign, trial: Trial, path: Path) -> dict[str, str]:
    """Each part of 2024-Q1 is absent, previous or new (never partial), the stage and deliveries in step,
    2024-Q2 untouched; returns part -> which of those it is."""
    expected, _converged = campaign.references[trial.state]
    if not path.exists():
        assert trial.state == "empty"
        return {"warehouse": "absent"}
    seen = {}
    for key, checksum in quarter_state(path, Q1).items():
        allowed = {"new": expected[key]}
        allowed["previous" if trial.state == "previous" else "absent"] = (
            campaign.previous_q1[key] if trial.state == "previous" else ABSENT
        )
        matches = [name for name, value in allowed.items() if value == checksum]
        assert matches, f"{trial.name}: {key} is partial {checksum}; allowed {allowed}"
        seen[key] = matches[0]
    if trial.state == "previous":
        assert other_quarter(path, Q2) == campaign.previous_q2, f"{trial.name}: 2024-Q2 changed"
    delivered_with_deliveries = seen["stage delivered"] == seen["deliveries"]
    assert delivered_with_deliveries, f"{trial.name}: deliveries out of step with the stage: {seen}"
    return seen


def _rerun(trial: Trial, index: int, server: Server, data: Path, folder: Path) -> tuple[dict, dict]:
    """The operator's re-run (release the dead runs, load again): (its answer, its RERUN report).

    Every third re-run goes through the DAGSTER_HOME instance (pool slots) after the release."""
    rerun = server.run(
        rerun=[Q1],
        ephemeral=index % 3 != 0,
        env=subprocess_env(data),
        output=str(folder / "rerun.txt"),
    )
    text = (folder / "rerun.txt").read_text()
    assert rerun["exit"] == 0, f"{trial.name}: re-run failed\n{text[-3000:]}"
    report = json.loads(next(line for line in text.splitlines() if line.startswith("RERUN "))[6:])
    return rerun, report


def run_trial(campaign: Campaign, index: int) -> dict:
    """Kill one load, check the warehouse holds no partial quarter, re-run and check it converges."""
    trial = campaign.trials[index]
    server = campaign.servers[index % 2]
    folder = campaign.tmp_path / f"trial-{index:02d}"
    data = _data_folder(folder, trial.state, campaign.template, home=campaign.base / "dagster_home")
    answer = _kill_a_load(trial, server, data, folder / "killed.txt")
    killed = answer["signal"] == signal.SIGKILL
    path = data / "warehouse" / "mtm.duckdb"
    seen = _assert_no_partial_quarter(campaign, trial, path)

    rerun, report = _rerun(trial, index, server, data, folder)
    assert report["remaining"] == [], f"{trial.name}: pool slots still held after the release: {report}"
    _expected, converged = campaign.references[trial.state]
    assert checksums(path, exclude=TIMESTAMPS) == converged, f"{trial.name}: re-run did not converge"
    entry = {
        "trial": trial.name,
        "start": trial.state,
        "killed": killed,
        "stages": {k: v for k, v in seen.items() if k.startswith(("stage", "warehouse"))},
        "stale_runs_released": len(report["released"]),
        "slot_held_by_dead_run": bool(report["holding_slots"]),
        "converged": True,
        "kill_seconds": answer.get("seconds"),
        "rerun_seconds": rerun["seconds"],
    }
    _log(entry)
    return entry


def _outcomes(results: list[dict]) -> dict[str, dict[str, int]]:
    """Stage -> how many trials left it absent / previous / new."""
    outcomes = {}
    for r in results:
        for stage, state in r["stages"].items():
            outcomes.setdefault(stage, {}).setdefault(state, 0)
            outcomes[stage][state] += 1
    return outcomes


@pytest.mark.slow
def test_sigkill_at_any_point_leaves_no_partial_quarter_and_a_rerun_converges(tmp_path: Path):
    started = time.monotonic()
    env = subprocess_env(tmp_path / "unused")
    servers = [Server(env), Server(env)]
    try:
        # 1. The earlier delivery of 2024-Q1 plus 2024-Q2: the "previous" starting state.
        base = new_data_dir(tmp_path / "previous", with_dagster_home=True)
        _previous_delivery(base)
        # 2. Undisturbed runs of the real CLI from both states: the references, and the write log.
        campaign = prepare_campaign(tmp_path, base, servers)
        # 3. The trials, two at a time.
        with ThreadPoolExecutor(2) as pool:
            results = list(pool.map(lambda index: run_trial(campaign, index), range(len(campaign.trials))))
    finally:
        for server in servers:
            server.close()

    killed = [r for r in results if r["killed"]]
    assert len(results) >= 20 and len(killed) >= 20, results
    outcomes = _outcomes(results)
    # the trials really landed on both sides of each stage's COMMIT
    assert {"new", "previous"} <= set(outcomes["stage delivered"]) and {"new"} <= set(
        outcomes["stage corrected"]
    )
    _log(
        {
            "summary": {
                "trials": len(results),
                "killed": len(killed),
                "outcomes": outcomes,
                "slot_held_by_dead_run": sum(r["slot_held_by_dead_run"] for r in results),
                "seconds": round(time.monotonic() - started, 1),
            }
        }
    )
