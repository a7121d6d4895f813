"""A reader that queries the warehouse in a loop while loads run (for test_concurrency.py).

    python -m mtm_pipeline_tests.robustness.reader_loop <warehouse> <stop file> <result.json> <quarters>

Each read opens a read-only connection through mtm_pipeline.warehouse.connect (which retries while a
writer holds the file), counts the rows of every (delivery quarter, stage) in published.observations in
one query (a stage not there counts 0), and closes. Every error is recorded; none is retried here. Stops
when the stop file exists.
"""

from __future__ import annotations

import json
import sys
import time
import traceback
from pathlib import Path

from mtm_pipeline.warehouse import connect


def main(warehouse: Path, stop: Path, result: Path, quarters: list[str]) -> int:
    reads, errors, seen = 0, [], {}
    waited = []
    while not stop.exists():
        if not warehouse.exists():
            time.sleep(0.01)
            continue
        started = time.monotonic()
        try:
            with connect(warehouse, read_only=True, wait_seconds=120) as con:
                if con.execute(
                    "SELECT count(*) FROM duckdb_tables() "
                    "WHERE schema_name = 'published' AND table_name = 'observations'"
                ).fetchone()[0]:
                    rows = con.execute(
                        "SELECT delivery_quarter, stage, count(*) FROM published.observations GROUP BY ALL"
                    ).fetchall()
                else:
                    rows = []
            reads += 1
            waited.append(time.monotonic() - started)
            counts = {f"{quarter} {stage}": int(count) for quarter, stage, count in rows}
            for key in [f"{q} {s}" for q in quarters for s in ("delivered", "corrected")] + list(counts):
                seen.setdefault(key, set()).add(counts.get(key, 0))
        except Exception as error:  # noqa: BLE001 - every error is a finding of the test
            errors.append(f"{error.__class__.__name__}: {error}\n{traceback.format_exc(limit=3)}")
        time.sleep(0.005)
    result.write_text(
        json.dumps(
            {
                "reads": reads,
                "errors": errors,
                "seen": {k: sorted(v) for k, v in seen.items()},
                "max_wait_seconds": round(max(waited, default=0), 3),
            }
        ),
        encoding="utf-8",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), sys.argv[4].split(",")))
