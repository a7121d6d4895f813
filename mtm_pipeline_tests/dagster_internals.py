"""For the tests of the behaviour the project takes from Dagster internals (mtm_pipeline/event_log.py and
mtm_pipeline/failed_partitions.py): a failure names the installed Dagster version and the tested one."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

import dagster as dg

from mtm_pipeline_tests.conftest import REPO


def tested_dagster_version() -> str:
    """The Dagster version pyproject.toml pins (the one the project is tested with)."""
    pin = re.search(r'"dagster==([^"]+)"', (REPO / "pyproject.toml").read_text(encoding="utf-8"))
    return pin.group(1) if pin else "unknown"


def relies_on_dagster_internals(what: str) -> Callable:
    """Decorate a test of Dagster-internal behaviour: any failure says which Dagster broke it."""

    def decorate(test: Callable) -> Callable:
        @functools.wraps(test)
        def run(*args, **kwargs):
            try:
                return test(*args, **kwargs)
            except Exception as error:
                raise AssertionError(
                    f"Dagster {dg.__version__} changed internal behaviour the project relies on ({what}); "
                    f"tested with Dagster {tested_dagster_version()}. Pin dagster back, or adapt the "
                    f"module named above. {type(error).__name__}: {error}"
                ) from error

        return run

    return decorate
