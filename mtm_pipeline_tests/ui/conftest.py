"""Deployment tests: a real webserver + daemon, headless Chromium, a real PostgreSQL server.

They are marked `ui` (slow: real processes) and run in `make test`; select or deselect them with
`-m ui` / `-m 'not ui'`. What ran and what was skipped (and why) is repeated in a section at the end
of the pytest output.
"""

from __future__ import annotations

import pytest

from mtm_pipeline_tests.ui.summary import NOTES


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "ui: slow deployment tests with real processes (webserver, daemon, Chromium, PostgreSQL)"
    )


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    if NOTES:
        terminalreporter.write_sep("-", "mtm deployment tests")
        for line in NOTES:
            terminalreporter.write_line(line)
