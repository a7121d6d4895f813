"""Sensor on raw/: a new quarter folder adds its partition; new or changed files (by content hash)
launch one run for exactly that quarter; the same files never launch a second run. A changed analyst's text
(narrative/<quarter>/*.md, added, edited or removed) of a quarter whose extracts did not change launches a run
of that quarter's report alone."""

import json

import dagster as dg

from mtm_pipeline.jobs import quarter_job
from mtm_pipeline.partitions import quarter_partitions
from mtm_pipeline.settings import data_paths

NARRATIVE = "narrative/"  # cursor keys of the narratives' fingerprints: narrative/<quarter>


def narrative_requests(seen: dict, current: dict, texts: dict) -> list[dg.RunRequest]:
    """A report-only run for each quarter whose text changed while its extracts did not (a quarter whose
    extracts changed runs whole, its report included). No run key: the cursor alone keeps a text from running
    twice, and a text changed back to an earlier version runs again."""
    keys = {k for k in seen if k.startswith(NARRATIVE)} | set(texts)
    return [
        dg.RunRequest(
            partition_key=key.removeprefix(NARRATIVE),
            asset_selection=[dg.AssetKey("quarterly_report")],
            tags={"mtm/trigger": "sensor", "mtm/narrative": texts.get(key, "removed")},
        )
        for key in sorted(keys)
        if seen.get(key) != texts.get(key)
        and key.removeprefix(NARRATIVE) in current
        and seen.get(key.removeprefix(NARRATIVE)) == current[key.removeprefix(NARRATIVE)]
    ]


@dg.sensor(
    job=quarter_job,
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Watches MTM_DATA_DIR/raw/ for new quarters and new or changed extract files, and "
    "MTM_DATA_DIR/narrative/ for changes of the analyst's text.",
)
def raw_extracts_sensor(context: dg.SensorEvaluationContext):
    from mtm_pipeline.deliveries import delivered_fingerprints, narrative_fingerprints

    seen: dict[str, str] = json.loads(context.cursor) if context.cursor else {}
    current = delivered_fingerprints(data_paths())
    texts = {f"{NARRATIVE}{q}": fp for q, fp in narrative_fingerprints(data_paths()).items() if q in current}
    known = set(quarter_partitions.get_partition_keys(dynamic_partitions_store=context.instance))
    new_partitions = sorted(q for q in current if q not in known)
    run_requests = [
        dg.RunRequest(run_key=f"raw:{quarter}:{fp}", partition_key=quarter, tags={"mtm/trigger": "sensor"})
        for quarter, fp in sorted(current.items())
        if seen.get(quarter) != fp
    ]
    run_requests += narrative_requests(seen, current, texts)
    return dg.SensorResult(
        run_requests=run_requests,
        cursor=json.dumps({**current, **texts}, sort_keys=True),
        dynamic_partitions_requests=(
            [quarter_partitions.build_add_request(new_partitions)] if new_partitions else []
        ),
    )
