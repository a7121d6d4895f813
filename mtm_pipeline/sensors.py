"""Sensor on raw/: a new quarter folder adds its partition; new or changed files (by content hash)
launch one run for exactly that quarter; the same files never launch a second run."""

import json

import dagster as dg

from mtm_pipeline.jobs import quarter_job
from mtm_pipeline.partitions import quarter_partitions
from mtm_pipeline.settings import data_paths


@dg.sensor(
    job=quarter_job,
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Watches MTM_DATA_DIR/raw/ for new quarters and new or changed extract files.",
)
def raw_extracts_sensor(context: dg.SensorEvaluationContext):
    from mtm_pipeline.deliveries import delivered_fingerprints

    seen: dict[str, str] = json.loads(context.cursor) if context.cursor else {}
    current = delivered_fingerprints(data_paths())
    known = set(quarter_partitions.get_partition_keys(dynamic_partitions_store=context.instance))
    new_partitions = sorted(q for q in current if q not in known)
    run_requests = [
        dg.RunRequest(run_key=f"raw:{quarter}:{fp}", partition_key=quarter, tags={"mtm/trigger": "sensor"})
        for quarter, fp in sorted(current.items())
        if seen.get(quarter) != fp
    ]
    return dg.SensorResult(
        run_requests=run_requests,
        cursor=json.dumps(current, sort_keys=True),
        dynamic_partitions_requests=(
            [quarter_partitions.build_add_request(new_partitions)] if new_partitions else []
        ),
    )
