"""One asset per agency extract: read, validate at the boundary (pandera, lazy), stage in the warehouse."""

import dagster as dg

from mtm_pipeline import workers
from mtm_pipeline.assets.metadata import OWNERS, markdown_preview
from mtm_pipeline.assets.quality import clear_contract_failure, contract_check, record_contract_failure
from mtm_pipeline.assets.quarter_step import QuarterStep
from mtm_pipeline.ingest import read_validated_extract
from mtm_pipeline.partitions import quarter_partitions
from mtm_pipeline.resources import WarehouseResource
from mtm_pipeline.settings import data_paths
from mtm_pipeline.sources import SOURCES
from mtm_pipeline.sources.contract import SourceSpec
from mtm_pipeline.sources.errors import ExtractError
from mtm_pipeline.warehouse.quarters import stage_extract

PREVIEW_COLUMNS = ["obs_id", "measure", "period", "country", "value", "share", "change", "location"]
CONTRACT_CHECK = "extract_contract"


def _extract_metadata(extract, *, preview: bool) -> dict:
    """The quarter's materialisation metadata (a range run shows a table of quarters instead of previews)."""
    if extract is None:
        return {"delivered": False, "dagster/row_count": 0}
    metadata = {
        "delivered": True,
        "file": extract.file_name,
        "sha256": extract.sha256,
        "dagster/row_count": len(extract.rows),
    }
    if preview:
        metadata["preview"] = dg.MetadataValue.md(markdown_preview(extract.rows, PREVIEW_COLUMNS))
    return metadata


def build_extract_asset(spec: SourceSpec) -> dg.AssetsDefinition:
    @dg.asset(
        name=spec.asset_name,
        description=f"{spec.agency}: {spec.description}",
        partitions_def=quarter_partitions,
        group_name="extracts",
        kinds={"csv", "pandera", "duckdb"},
        owners=OWNERS,
        check_specs=[
            contract_check(
                spec.asset_name, CONTRACT_CHECK, "File, columns and cells follow the extract contract."
            )
        ],
        pool="duckdb_writer",
        backfill_policy=dg.BackfillPolicy.single_run(),
    )
    def extract_asset(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
        workers.start_for_run(context)
        step = QuarterStep(context)
        with warehouse.connect() as con:
            for quarter in step.quarters:
                try:
                    extract = read_validated_extract(data_paths(), quarter, spec)
                except (ExtractError, ValueError) as error:
                    yield record_contract_failure(
                        step,
                        quarter,
                        con,
                        check_name=CONTRACT_CHECK,
                        stage="extract",
                        source=spec.key,
                        error=error,
                    )
                    continue
                stage_extract(con, quarter, spec.key, extract.rows if extract else None)
                yield clear_contract_failure(
                    step, quarter, con, check_name=CONTRACT_CHECK, stage="extract", source=spec.key
                )
                step.publish(quarter, _extract_metadata(extract, preview=not step.is_range))
                if extract is None:
                    context.log.info(f"{spec.key}: no extract delivered for {quarter}")
        yield from step.finish(summary_columns=("delivered", "dagster/row_count", "sha256"))

    return extract_asset


extract_assets = [build_extract_asset(spec) for spec in SOURCES.values()]
