"""Jobs: everything of one delivery quarter, for schedules, sensors and the launchpad."""

import dagster as dg

from mtm_pipeline.partitions import quarter_partitions

quarter_job = dg.define_asset_job(
    name="quarter_job",
    selection=dg.AssetSelection.groups("extracts", "warehouse")
    | dg.AssetSelection.assets("quarterly_report"),
    partitions_def=quarter_partitions,
    description="Load, check, correct and report one delivery quarter.",
)
