"""Quarterly schedule: run the quarter that has just ended, some days after it ends."""

import os

import dagster as dg

from mtm_pipeline.jobs import quarter_job
from mtm_pipeline.partitions import QUARTERS_NAME
from mtm_pipeline.periods import previous_quarter, quarter_of
from mtm_pipeline.settings import data_paths

# Day of the month after a quarter ends on which its run starts (agencies deliver with a lag).
SCHEDULE_DAY = int(os.environ.get("MTM_SCHEDULE_DAY", "15"))


def expected_sources() -> list[str] | None:
    """The sources expected every quarter: MTM_EXPECTED_SOURCES (comma-separated) or all five."""
    configured = os.environ.get("MTM_EXPECTED_SOURCES", "").strip()
    return [s.strip() for s in configured.split(",") if s.strip()] or None


@dg.schedule(
    job=quarter_job,
    cron_schedule=f"0 6 {SCHEDULE_DAY} 1,4,7,10 *",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description=(
        "Runs the just-completed quarter; alerts with the list of sources whose extracts are missing."
    ),
)
def quarterly_schedule(context: dg.ScheduleEvaluationContext):
    from mtm_pipeline.alerts import alert_for_missing_sources, deliver_alerts
    from mtm_pipeline.deliveries import missing_sources

    quarter = previous_quarter(quarter_of(context.scheduled_execution_time.date()))
    paths = data_paths()
    missing = missing_sources(paths, quarter, expected_sources())
    if missing:
        deliver_alerts([alert_for_missing_sources(quarter, missing)])
        context.log.warning(f"{quarter}: missing extracts from {', '.join(missing)}")
    if len(missing) == len(expected_sources() or missing) and not paths.quarter_dir(quarter).is_dir():
        return dg.SkipReason(f"raw/{quarter}/ does not exist: nothing delivered yet (alert sent)")
    if not context.instance.has_dynamic_partition(QUARTERS_NAME, quarter):
        context.instance.add_dynamic_partitions(QUARTERS_NAME, [quarter])
    return dg.RunRequest(
        run_key=f"schedule:{quarter}:{context.scheduled_execution_time.isoformat()}",
        partition_key=quarter,
        tags={"mtm/trigger": "schedule", "mtm/missing_sources": ",".join(missing) or "none"},
    )
