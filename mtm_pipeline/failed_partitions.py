"""Showing one quarter of a range run as failed: the one use of Dagster internals in the asset steps.

Dagster records a range step's output as a materialisation of every partition of the range and has no
public way to leave one partition out (dagster issue 17836). After the range's output, the step therefore
records each failed quarter as *planned* again by this run, with no materialisation after it: once the
run has failed, Dagster's partition status shows such a partition as failed.

Built on `DagsterEvent.build_asset_materialization_planned_event` and `AssetMaterializationPlannedData`
(not public API, checked with Dagster 1.13.27). `mtm_pipeline_tests/test_dagster_internals.py` checks the
behaviour relied on and names the installed Dagster version when it changes.
"""

from __future__ import annotations

import dagster as dg
from dagster._core.events import AssetMaterializationPlannedData, DagsterEvent


def mark_partitions_failed(context: dg.AssetExecutionContext, partitions: list[str]) -> None:
    """Record the partitions of the context's asset as planned again by its run, after the step's output:
    with no materialisation after it, each shows as failed once the run has failed."""
    step_key = context.get_step_execution_context().step.key
    for partition in partitions:
        event = DagsterEvent.build_asset_materialization_planned_event(
            context.run.job_name,
            step_key,
            AssetMaterializationPlannedData(context.asset_key, partition=partition),
        )
        context.instance.report_dagster_event(event, run_id=context.run_id)
