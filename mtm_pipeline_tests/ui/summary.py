"""Lines for the "mtm deployment tests" section at the end of the pytest output (see conftest.py).

Captured test output is hidden for passed and skipped tests; these lines are always shown, so
`make test` says which deployment tests ran against what, and what was skipped and why.
"""

from __future__ import annotations

NOTES: list[str] = []


def note(line: str) -> None:
    NOTES.append(line)
