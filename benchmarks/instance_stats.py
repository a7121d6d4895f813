"""Print the runs of a Dagster instance ($DAGSTER_HOME) as JSON: partition, start, end, and step durations.

DAGSTER_HOME=... python benchmarks/instance_stats.py
"""

from __future__ import annotations

import json

import dagster as dg


def main() -> None:
    instance = dg.DagsterInstance.get()
    runs = []
    for record in instance.get_run_records():
        run = record.dagster_run
        steps = {
            s.step_key: (s.end_time - s.start_time) if s.end_time and s.start_time else None
            for s in instance.get_run_step_stats(run.run_id)
        }
        runs.append(
            {
                "run_id": run.run_id,
                "status": run.status.value,
                "partition": run.tags.get("dagster/partition"),
                "partition_range": [
                    run.tags.get("dagster/asset_partition_range_start"),
                    run.tags.get("dagster/asset_partition_range_end"),
                ],
                "start": record.start_time,
                "end": record.end_time,
                "steps": steps,
            }
        )
    runs.sort(key=lambda r: r["start"] or 0)
    print(json.dumps(runs))


if __name__ == "__main__":
    main()
