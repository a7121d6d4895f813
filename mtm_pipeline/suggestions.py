"""Review suggested corrections: list a quarter's suggestions, and accept one into the reviewed corrections
file.

    python -m mtm_pipeline.suggestions show 2024-Q1 [--stage delivered|corrected]
    python -m mtm_pipeline.suggestions accept 2024-Q1 D3

A suggestion is one edit or a set of up to three edits made together; `accept` appends one row per figure of
the suggestion (every figure of a set) to data/corrections/<quarter>.csv, in the file's
format (data/corrections/README.md), with the justification prefilled from the suggestion's evidence and
`author` and `decided_on` left empty. The corrections reader refuses a file with an empty author or date,
so an accepted suggestion changes nothing until a reviewer has read it, edited the justification if
needed, and filled both: until then the quarter's corrected stage is not rebuilt and says why.
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
from pathlib import Path

from mtm_pipeline.checks.corrections import CORRECTION_COLUMNS, corrections_path
from mtm_pipeline.periods import parse_quarter_key
from mtm_pipeline.quarter_arguments import QuarterArgumentError, delivered_quarter_keys
from mtm_pipeline.settings import data_paths

_COLUMNS = (
    "suggestion_id",
    "edit_number",
    "edits_in_set",
    "description",
    "rank",
    "group_id",
    "stage",
    "source",
    "obs_id",
    "field",
    "published",
    "suggested",
    "kind",
    "findings_cleared",
    "findings",
    "evidence",
)


class SuggestionError(ValueError):
    """A suggestion that does not exist, or cannot be accepted (its figure is already corrected), or a
    warehouse that does not exist yet."""


def _read(warehouse: Path, sql: str, parameters: list) -> list[tuple]:
    from mtm_pipeline.warehouse import connect

    if not Path(warehouse).is_file():
        raise SuggestionError(
            f"there is no warehouse at {warehouse} yet: run the quarter first (make run), or point "
            "MTM_DATA_DIR at the data folder whose warehouse holds its suggestions"
        )
    with connect(warehouse, read_only=True) as con:
        return con.execute(sql, parameters).fetchall()


def read_suggestions(warehouse: Path, quarter: str, stage: str | None = None) -> list[dict]:
    """The stored suggestion rows of a quarter (one stage, or both), best first."""
    sql = (
        f"SELECT {', '.join(_COLUMNS)} FROM quality.suggested_corrections WHERE quarter = ?"
        + (" AND stage = ?" if stage else "")
        + " ORDER BY stage DESC, CAST(substr(suggestion_id, 2) AS INTEGER), edit_number, obs_id,"
        " list_position(['value', 'share', 'change', 'rank'], field)"
    )
    rows = _read(warehouse, sql, [quarter, stage] if stage else [quarter])
    return [dict(zip(_COLUMNS, row, strict=True)) for row in rows]


def read_unexplained(warehouse: Path, quarter: str, stage: str) -> list[tuple[str, str, str]]:
    return _read(
        warehouse,
        "SELECT rule, subject, reason FROM quality.unexplained_findings WHERE quarter = ? AND stage = ? "
        "ORDER BY rule, subject",
        [quarter, stage],
    )


def correction_rows(quarter: str, suggestion: list[dict]) -> list[dict]:
    """The corrections-file rows of one accepted suggestion; author and decided_on left for the reviewer."""
    first = suggestion[0]
    kind = _kinds(suggestion)
    justification = (
        f"Suggested correction {first['suggestion_id']} ({kind}, rank {first['rank']}, "
        f"{first['stage']} stage), accepted for review: {first['evidence']}"
    )
    return [
        {
            "quarter": quarter,
            "source": row["source"],
            "obs_id": row["obs_id"],
            "field": row["field"],
            "published_value": row["published"],
            "corrected_value": row["suggested"],
            "justification": justification,
            "author": "",
            "decided_on": "",
        }
        for row in suggestion
    ]


def _kinds(rows: list[dict]) -> str:
    """'sign', or a set's kinds: 'a set of 2 edits: swap + typing_digit'."""
    kinds = list(dict.fromkeys((r.get("edit_number") or 1, r["kind"]) for r in rows))
    if len(kinds) == 1:
        return kinds[0][1]
    return f"a set of {len(kinds)} edits: " + " + ".join(kind for _, kind in kinds)


def _existing(path: Path) -> list[dict]:
    if not path.is_file():
        return []
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def accept(quarter: str, suggestion_id: str, *, root: Path | None = None) -> tuple[Path, list[int]]:
    """Append the suggestion's rows to <corrections>/<quarter>.csv; returns the file and its new row numbers
    (the header is row 1). Refuses a suggestion whose figure the file already corrects."""
    parse_quarter_key(quarter)
    paths = data_paths() if root is None else _paths_at(root)
    stored = read_suggestions(paths.warehouse, quarter)
    rows = [r for r in stored if r["suggestion_id"] == suggestion_id]
    if not rows:
        known = list(dict.fromkeys(r["suggestion_id"] for r in stored))  # best first, as stored
        raise SuggestionError(
            f"no suggestion {suggestion_id!r} for {quarter} in quality.suggested_corrections"
            + (f"; the quarter has {', '.join(known)}" if known else "; the quarter has none (run it first)")
        )
    path = corrections_path(paths.corrections, quarter)
    existing = _existing(path)
    for row in rows:
        for number, other in enumerate(existing, start=2):
            if (other.get("source"), other.get("obs_id"), other.get("field")) == (
                row["source"],
                row["obs_id"],
                row["field"],
            ):
                raise SuggestionError(
                    f"{path} row {number} already corrects {row['obs_id']} {row['field']} "
                    f"({other.get('published_value')} -> {other.get('corrected_value')}); "
                    "nothing was appended"
                )
    new = correction_rows(quarter, rows)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(CORRECTION_COLUMNS), lineterminator="\n")
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        writer.writeheader()
    elif path.read_bytes()[-1:] not in (b"\n", b""):
        buffer.write("\n")
    writer.writerows(new)
    _append_locked(path, buffer.getvalue())
    first = len(existing) + 2
    return path, list(range(first, first + len(new)))


def _append_locked(path: Path, text: str) -> None:
    """Append `text` to the corrections file holding an exclusive lock on it; SuggestionError when another
    process holds one (another `accept`, an editor that locks the files it has open)."""
    import fcntl

    with path.open("a", encoding="utf-8", newline="") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as error:
            raise SuggestionError(
                f"{path} is locked by another process (another accept, or a program that has it open); "
                "nothing was appended: close it and accept again"
            ) from error
        fh.write(text)


def _paths_at(root: Path):
    from mtm_pipeline.settings import DataPaths

    return DataPaths(root)


def suggestion_line(edits: list[dict]) -> str:
    """One suggestion as one line: a single edit with its figures, a set as one instruction ('swap the values
    of A and B, and set T value to 1968 (published 1868): clears 8 findings')."""
    first = edits[0]
    head = f"{first['suggestion_id']:>4}  rank {first['rank']}  group {first['group_id']}  "
    if (first.get("edits_in_set") or 1) > 1:
        clears = f"clears {first['findings_cleared']} findings"
        return f"{head}{_kinds(edits)}\n      {first['description']}: {clears}"
    figures = "; ".join(f"{e['obs_id']} {e['field']} {e['published']} -> {e['suggested']}" for e in edits)
    return f"{head}{first['kind']:<18} clears {first['findings_cleared']}: {figures}"


def show(quarter: str, stage: str) -> str:
    """A quarter's stored suggestions, one per line (a set as one suggestion), and the findings no edit
    explains with the reason."""
    paths = data_paths()
    rows = read_suggestions(paths.warehouse, quarter, stage)
    header = (
        f"Suggested corrections, {quarter} {stage} stage (best first; accept with: python -m "
        f"mtm_pipeline.suggestions accept {quarter} <id>)"
    )
    lines = [header]
    seen: dict[str, list[dict]] = {}
    for row in rows:
        seen.setdefault(row["suggestion_id"], []).append(row)
    lines += [suggestion_line(edits) for edits in seen.values()]
    if not seen:
        lines.append("  none")
    unexplained = read_unexplained(paths.warehouse, quarter, stage)
    if unexplained:
        lines.append("Findings no edit explains:")
        lines += [f"  {rule}: {subject}\n    {reason}" for rule, subject, reason in unexplained]
    return "\n".join(lines)


def _unwritable(error: OSError) -> str:
    where = error.filename or "the corrections file"
    return (
        f"cannot write {where}: {error.strerror or error}. It is read-only or held by another program: "
        "make it writable (or close it), then accept again; nothing was appended"
    )


def main(argv: list[str] | None = None) -> int:
    """`show <quarter>` or `accept <quarter> <id>`; exit 2 for a bad quarter key, 1 for another refusal."""
    parser = argparse.ArgumentParser(
        prog="python -m mtm_pipeline.suggestions", description=__doc__.split("\n\n")[0]
    )
    sub = parser.add_subparsers(dest="command", required=True)
    show_parser = sub.add_parser(
        "show", help="list a quarter's suggested corrections and the findings no edit explains"
    )
    show_parser.add_argument("quarter")
    show_parser.add_argument("--stage", choices=("delivered", "corrected"), default="corrected")
    accept_parser = sub.add_parser(
        "accept", help="append a suggestion to data/corrections/<quarter>.csv for review"
    )
    accept_parser.add_argument("quarter")
    accept_parser.add_argument("suggestion_id", help="e.g. D3 (delivered stage) or C1 (corrected stage)")
    args = parser.parse_args(argv)
    try:
        quarter = delivered_quarter_keys([args.quarter], data_paths())[0]
    except QuarterArgumentError as error:  # checked before the warehouse or any file is opened
        print(f"error: {error}", file=sys.stderr)
        return 2
    try:
        if args.command == "show":
            text = show(quarter, args.stage)
        else:
            path, numbers = accept(quarter, args.suggestion_id)
    except ValueError as error:  # a SuggestionError, or a quarter that is not a quarter key
        print(f"error: {error}", file=sys.stderr)
        return 1
    except OSError as error:  # accept: the corrections file (or its folder) cannot be written
        print(f"error: {_unwritable(error)}", file=sys.stderr)
        return 1
    if args.command == "show":
        print(text)
        return 0
    rows = f"row {numbers[0]}" if len(numbers) == 1 else f"rows {numbers[0]}-{numbers[-1]}"
    print(
        f"appended {rows} to {path} (justification prefilled from the evidence).\n"
        f"Review them, then fill 'author' and 'decided_on' (YYYY-MM-DD): until both are filled the "
        f"corrections file of {args.quarter} is refused and none of its corrections apply."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
