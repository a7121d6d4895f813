"""Errors that name the file, row and column of bad input and say what to do."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    row: int | None  # the row number in the file (header = 1), None for whole-file problems
    column: str | None
    message: str

    def describe(self) -> str:
        """The problem as one line, where first: 'row 7, column 'value': <message>', or 'file: <message>'
        for a problem of the whole file."""
        where = []
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column {self.column!r}")
        return f"{', '.join(where) or 'file'}: {self.message}"


class ExtractError(ValueError):
    """An extract that breaks the contract. Nothing of it is written to the warehouse."""

    def __init__(self, file: str, problems: list[Problem], hint: str = ""):
        self.file = file
        self.problems = problems
        lines = [f"{file}: {len(problems)} problem(s); nothing from this file was loaded"]
        lines += [f"  - {p.describe()}" for p in problems[:50]]
        if len(problems) > 50:
            lines.append(f"  ... and {len(problems) - 50} more")
        lines.append(
            hint or "Fix the file (see data/raw/README.md for the contract) and re-materialise the quarter."
        )
        super().__init__("\n".join(lines))
