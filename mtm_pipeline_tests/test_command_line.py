"""Quarter keys on the command line are checked before anything is staged, written or added as a Dagster
partition; a read-only or locked corrections file is a clear error. Real data folders, a real Dagster
instance (DAGSTER_HOME), a real DuckDB warehouse and real files; the commands run as a user runs them."""

from __future__ import annotations

import ctypes
import fcntl
import os
import stat
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import dagster as dg
import pytest

from mtm_pipeline import cli, suggestions
from mtm_pipeline.partitions import QUARTERS_NAME
from mtm_pipeline.quarter_arguments import check_quarter_keys, key_problem
from mtm_pipeline.settings import DataPaths
from mtm_pipeline.warehouse import connect
from mtm_pipeline_tests.conftest import REPO

PR_CAPBSET_DROP, CAP_DAC_OVERRIDE = 24, 1  # linux/prctl.h, linux/capability.h
BAD_KEYS = {
    "2024-Q3 ": "has spaces around it: give the key alone, like 2024-Q3",
    " 2024-Q1": "has spaces around it",
    "2024-Q5": "is not a quarter: a year has quarters Q1 to Q4",
    "2024-Q0": "is not a quarter: a year has quarters Q1 to Q4",
    "../../etc": "is a path: give a quarter key like 2024-Q1",
    "2024-Q1/../../x": "is a path",
    "2024-q1": "is not a quarter key: use YYYY-Qn",
    "２０２４-Q1": "is not a quarter key",  # full-width digits: digits to \d, not in a folder name
    "": "is not a quarter key",
}


@pytest.mark.parametrize(("key", "expected"), sorted(BAD_KEYS.items()))
def test_a_malformed_key_is_named_with_what_to_type(key, expected):
    assert expected in key_problem(key)


def test_good_keys_pass_once_each_in_the_order_given():
    assert key_problem("2024-Q4") is None
    assert check_quarter_keys(["2024-Q2", "2024-Q1", "2024-Q2"]) == ["2024-Q2", "2024-Q1"]


@pytest.fixture(scope="module")
def shared_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One Dagster instance for the refusals (none may add a partition; each test checks it)."""
    home = tmp_path_factory.mktemp("dagster_home")
    dg.DagsterInstance.from_config(str(home)).dispose()  # its storage, created once
    return home


@pytest.fixture
def dagster_home(shared_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DAGSTER_HOME", str(shared_home))
    return shared_home


def _partitions(home: Path) -> list[str]:
    with dg.DagsterInstance.from_config(str(home)) as instance:
        return instance.get_dynamic_partitions(QUARTERS_NAME)


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["2024-Q3 "], "'2024-Q3 ' has spaces around it"),
        (["2024-Q1", "2024-Q5"], "'2024-Q5' is not a quarter: a year has quarters Q1 to Q4"),
        (["../../etc"], "'../../etc' is a path"),
        (["2031-Q1"], "no quarter folder raw/2031-Q1/ in "),
    ],
)
def test_cli_run_refuses_a_bad_quarter_before_staging_anything(
    data_dir, dagster_home, capsys, argv, expected
):
    assert cli.main(["run", *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and expected in err and "Traceback" not in err
    if "2031-Q1" in argv:
        assert "the quarters delivered are 2024-Q1, 2024-Q2" in err
    assert not (data_dir / "warehouse").exists()  # nothing staged
    assert _partitions(dagster_home) == []  # no partition added


def test_partition_keys_left_by_an_unchecked_run_are_removed(tmp_path, capsys):
    dagster_home = tmp_path / "dagster_home"
    dagster_home.mkdir()
    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        instance.add_dynamic_partitions(QUARTERS_NAME, ["2023-Q4", "2024-Q5", "2024-Q3 ", "../../etc"])
        cli.prepare_instance(instance, ["2024-Q1", "2023-Q4"])
    assert sorted(_partitions(dagster_home)) == ["2023-Q4", "2024-Q1"]
    out = capsys.readouterr().out
    assert "removed the partition '2024-Q5': it is not a quarter key" in out
    assert "removed the partition '2024-Q3 '" in out and "removed the partition '../../etc'" in out


# --- suggestions show|accept -------------------------------------------------------------------------

Q = "2024-Q1"
SUGGESTION = {
    "quarter": Q,
    "stage": "delivered",
    "suggestion_id": "D1",
    "rank": 1,
    "group_id": 1,
    "source": "remittances",
    "obs_id": "rem_in_2022_kgz",
    "field": "value",
    "published": "6.8 million",
    "suggested": "31.7 million",
    "kind": "swap",
    "findings_cleared": 2,
    "findings": "totals: remittances",
    "evidence": "the two figures swapped",
    "created_at": datetime(2026, 1, 1),
}


@pytest.fixture
def review_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A data folder with raw/2024-Q1/ and a warehouse holding one stored suggestion, D1."""
    root = tmp_path / "data"
    (root / "raw" / Q).mkdir(parents=True)
    with connect(DataPaths(root).warehouse) as con:
        columns = ", ".join(SUGGESTION)
        marks = ", ".join("?" for _ in SUGGESTION)
        con.execute(
            f"INSERT INTO quality.suggested_corrections ({columns}) VALUES ({marks})",
            list(SUGGESTION.values()),
        )
    monkeypatch.setenv("MTM_DATA_DIR", str(root))
    return root


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["show", "../../etc"], "'../../etc' is a path"),
        (["show", " 2024-Q1"], "' 2024-Q1' has spaces around it"),
        (["accept", "2024-Q5", "D1"], "'2024-Q5' is not a quarter"),
        (["show", "2031-Q1"], "no quarter folder raw/2031-Q1/ in "),
        (["accept", "2031-Q1", "D1"], "the quarters delivered are 2024-Q1"),
    ],
)
def test_suggestions_refuse_a_bad_quarter(review_root, capsys, argv, expected):
    assert suggestions.main(argv) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith("error: ") and expected in captured.err, captured.err
    assert captured.out == ""
    assert not (review_root / "corrections").exists()


def test_suggestions_of_a_good_quarter_are_shown_and_accepted(review_root, capsys):
    assert suggestions.main(["show", Q, "--stage", "delivered"]) == 0
    assert "D1  rank 1" in capsys.readouterr().out
    assert suggestions.main(["accept", Q, "D1"]) == 0
    assert (
        "rem_in_2022_kgz,value,6.8 million,31.7 million"
        in (review_root / "corrections" / f"{Q}.csv").read_text()
    )


def _corrections_file(root: Path) -> Path:
    path = root / "corrections" / f"{Q}.csv"
    path.parent.mkdir()
    path.write_text(
        "quarter,source,obs_id,field,published_value,corrected_value,justification,author,decided_on\n",
        encoding="utf-8",
    )
    return path


def test_accept_into_a_locked_corrections_file_is_a_clear_error(review_root, capsys):
    path = _corrections_file(review_root)
    before = path.read_bytes()
    with path.open("rb") as other_program:  # another process's lock on the file, held meanwhile
        fcntl.flock(other_program, fcntl.LOCK_EX)
        assert suggestions.main(["accept", Q, "D1"]) == 1
    err = capsys.readouterr().err
    assert f"error: {path} is locked by another process" in err and "nothing was appended" in err
    assert path.read_bytes() == before


def _as_a_user_is_bound_by_file_modes() -> None:
    """In the child before it runs the command: root drops the capability to write files whatever their
    mode (CAP_DAC_OVERRIDE, from its bounding set, so the command's process does not have it)."""
    if os.geteuid() == 0:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_CAPBSET_DROP, CAP_DAC_OVERRIDE, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP, CAP_DAC_OVERRIDE)")


def test_accept_into_a_read_only_corrections_file_is_a_clear_error(review_root):
    path = _corrections_file(review_root)
    path.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
    before = path.read_bytes()
    result = subprocess.run(
        [sys.executable, "-m", "mtm_pipeline.suggestions", "accept", Q, "D1"],
        cwd=REPO,
        env={**os.environ, "MTM_DATA_DIR": str(review_root), "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        preexec_fn=_as_a_user_is_bound_by_file_modes,
    )
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert f"error: cannot write {path}: Permission denied. It is read-only" in result.stderr
    assert "nothing was appended" in result.stderr
    assert path.read_bytes() == before


def test_only_folders_named_exactly_like_a_quarter_are_quarters(tmp_path: Path):
    """The sensor and `cli run` without arguments take the quarters from raw/: the same rule applies."""
    from mtm_pipeline.ingest import discover_quarters

    for name in ("2024-Q1", "２０２４-Q2", "2024-Q3 ", "2024-Q4\n", "2024-Q5"):
        (tmp_path / "raw" / name).mkdir(parents=True)
    found, skipped = discover_quarters(DataPaths(tmp_path))
    assert found == ["2024-Q1"]
    assert sorted(skipped) == sorted(["２０２４-Q2", "2024-Q3 ", "2024-Q4\n", "2024-Q5"])
