"""Dagster definitions: every asset, check, resource, schedule and sensor of the MTM pipeline.

Every Dagster process imports this module: keep heavy imports (GX, matplotlib, PDF) inside functions.
"""

import dagster as dg

from mtm_pipeline.assets.derived import derived_figures
from mtm_pipeline.assets.extracts import extract_assets
from mtm_pipeline.assets.observations import corrected_observations, delivered_observations
from mtm_pipeline.assets.record_level import border_crossing_records
from mtm_pipeline.assets.reference import country_reference
from mtm_pipeline.assets.report import quarterly_report, trend_report
from mtm_pipeline.jobs import quarter_job
from mtm_pipeline.resources import WarehouseResource
from mtm_pipeline.schedules import quarterly_schedule
from mtm_pipeline.sensors import raw_extracts_sensor

quarter_assets = [
    *extract_assets,
    border_crossing_records,
    delivered_observations,
    corrected_observations,
    derived_figures,
    quarterly_report,
]

defs = dg.Definitions(
    assets=[country_reference, *quarter_assets, trend_report],
    jobs=[quarter_job],
    schedules=[quarterly_schedule],
    sensors=[
        raw_extracts_sensor,
        # Evaluates automation conditions (trend_report refreshes after any quarter changes); on by default.
        dg.AutomationConditionSensorDefinition(
            "default_automation_condition_sensor",
            target=dg.AssetSelection.all(),
            default_status=dg.DefaultSensorStatus.RUNNING,
        ),
    ],
    resources={"warehouse": WarehouseResource()},
    # One process per run: steps share no DuckDB lock contention and a quarter runs in about a second.
    executor=dg.in_process_executor,
)
