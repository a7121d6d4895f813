"""The derived stage: what the report states that the sources did not publish, computed in the warehouse
from the corrected stage (pure functions in mtm_pipeline/derive/), replaced per quarter in one transaction."""

import dagster as dg
import pandas as pd

from mtm_pipeline.assets.metadata import OWNERS, markdown_preview
from mtm_pipeline.assets.observations import corrected_observations
from mtm_pipeline.assets.quarter_step import QuarterStep
from mtm_pipeline.partitions import quarter_partitions
from mtm_pipeline.resources import WarehouseResource

PREVIEW_COLUMNS = ["obs_id", "derivation", "period", "value", "share", "change", "rank", "qualifier"]


def _metadata(derived: pd.DataFrame, *, preview: bool) -> dict:
    metadata = {
        "dagster/row_count": len(derived),
        "rows_by_derivation": {str(k): int(v) for k, v in derived.groupby("derivation").size().items()},
        "rows_qualified": int(derived["qualifier"].notna().sum()),
    }
    if preview:
        metadata["preview"] = dg.MetadataValue.md(markdown_preview(derived, PREVIEW_COLUMNS, limit=20))
    return metadata


@dg.asset(
    description="Figures the sources did not publish, computed from the ones they did: shares, CIS / non-CIS "
    "groups, rankings, the part an incomplete list does not itemise, changes and year sums, each with its "
    "inputs and honest precision.",
    partitions_def=quarter_partitions,
    group_name="warehouse",
    kinds={"duckdb"},
    owners=OWNERS,
    deps=[corrected_observations],
    pool="duckdb_writer",
    backfill_policy=dg.BackfillPolicy.single_run(),
)
def derived_figures(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    from mtm_pipeline.derive import derive_quarter
    from mtm_pipeline.warehouse.derived import publish_derived, read_derived
    from mtm_pipeline.warehouse.quarters import read_all_corrected

    step = QuarterStep(context)
    with warehouse.connect() as con:
        corrected = read_all_corrected(con)
        derived_history = read_derived(con)
        for quarter in step.quarters:
            own = corrected[corrected["delivery_quarter"] == quarter]
            if own.empty:
                step.fail(
                    quarter, f"{quarter} has no corrected stage: materialise corrected_observations first"
                )
                continue
            try:
                derived = derive_quarter(own, corrected, derived_history, quarter=quarter)
            except ValueError as error:
                # e.g. two derived figures with one obs_id: the quarter keeps what it had
                step.fail(quarter, f"derived figures of {quarter} not replaced: {error}")
                continue
            publish_derived(con, quarter, derived)
            # later quarters of the same run use this quarter's group totals and year sums as bases
            kept = derived_history[derived_history["delivery_quarter"] != quarter]
            frames = [frame for frame in (kept, derived) if not frame.empty]
            derived_history = pd.concat(frames, ignore_index=True) if frames else derived
            step.publish(quarter, _metadata(derived, preview=not step.is_range))
    yield from step.finish()
