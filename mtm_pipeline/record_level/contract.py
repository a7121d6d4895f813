"""The record-level extract as a file: its name, columns and values, and the problems reported about it."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

RECORDS_STEM = "border_crossing_records"
RECORD_EXTENSIONS = (".parquet", ".csv")
RECORD_COLUMNS: dict[str, str] = {
    "crossing_date": "DATE",
    "direction": "VARCHAR",
    "citizenship": "VARCHAR",
    "purpose": "VARCHAR",
    "checkpoint": "VARCHAR",
}
DIRECTIONS = ("in", "out")
PURPOSES = ("labour", "tourism", "private", "business", "transit", "other")
SOURCE = "border_crossings"
MEASURE = "border_crossings"
AGENCY = "National Border Service of Kazakhstan"
EXAMPLES = 5


class RecordsError(ValueError):
    """A record-level extract that breaks one or more ERROR rules; nothing of it is aggregated."""

    def __init__(self, file: str, problems: list[RecordProblem]):
        self.file = file
        self.problems = problems
        errors = [p for p in problems if p.severity == "ERROR"]
        lines = [f"{file}: {len(errors)} rule(s) failed; nothing from this file was aggregated"]
        lines += [f"  - {p.describe()}" for p in errors]
        lines.append("Fix the records (rules in mtm_pipeline/record_level/) and re-materialise the quarter.")
        super().__init__("\n".join(lines))


@dataclass(frozen=True)
class RecordProblem:
    """One failed rule: how many rows break it and the first few of them."""

    rule: str
    severity: str  # 'ERROR' | 'WARN'
    column: str | None
    count: int  # failing rows (0 for file-level problems such as a missing column)
    examples: tuple[int, ...] = ()  # row numbers (see `row_label`)
    row_label: str = "record"
    detail: str = ""

    def describe(self) -> str:
        """The problem in one line: severity, column, rule, how many rows and the first examples."""
        where = f"column {self.column!r}: " if self.column else ""
        rows = f"{self.count:,} {self.row_label}(s)" if self.count else "the file"
        text = f"{self.severity} {where}{self.rule} - {rows}"
        if self.examples:
            text += f", e.g. {self.row_label} {', '.join(str(e) for e in self.examples)}"
        return text + (f" ({self.detail})" if self.detail else "")


@dataclass(frozen=True)
class Difference:
    """A published figure that the records do not reproduce (within the published precision)."""

    obs_id: str
    subject: str
    published: str
    records: str
    message: str


def find_records(quarter_dir: Path) -> Path | None:
    """The record-level extract of a quarter folder, or None; two formats at once is an error."""
    found = [
        quarter_dir / f"{RECORDS_STEM}{ext}"
        for ext in RECORD_EXTENSIONS
        if (quarter_dir / f"{RECORDS_STEM}{ext}").is_file()
    ]
    if len(found) > 1:
        raise RecordsError(
            str(quarter_dir),
            [
                RecordProblem(
                    "one file per quarter: .parquet or .csv, not both",
                    "ERROR",
                    None,
                    0,
                    detail=", ".join(p.name for p in found),
                )
            ],
        )
    return found[0] if found else None


def records_sha256(path: Path) -> str:
    """The SHA-256 of the records file (read in blocks: the file may be large)."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
