"""The published quarter, in two stages: 'delivered' (extracts conformed, as received) and 'corrected'
(data/corrections applied). Each stage is checked by every consistency rule before it is swapped in."""

import os

import dagster as dg
import pandas as pd

from mtm_pipeline.assets.extracts import extract_assets
from mtm_pipeline.assets.metadata import OWNERS, markdown_preview
from mtm_pipeline.assets.quality import (
    ChecksConfig,
    check_specs,
    clear_contract_failure,
    contract_check,
    evaluate_stage,
    record_contract_failure,
)
from mtm_pipeline.conform import conform
from mtm_pipeline.countries import country_mapper
from mtm_pipeline.partitions import quarter_partitions
from mtm_pipeline.resources import WarehouseResource
from mtm_pipeline.settings import data_paths
from mtm_pipeline.sources.errors import ExtractError, Problem
from mtm_pipeline.sources.schema import ObservationSchema
from mtm_pipeline.warehouse.backup import backup_warehouse
from mtm_pipeline.warehouse.quarters import publish_stage, read_history, read_stage, read_staged

BACKUPS_KEPT = int(os.environ.get("MTM_BACKUPS_KEPT", "5"))
CONFORMANCE_CHECK = "conformance"
GX_CHECK = "great_expectations"
PREVIEW_COLUMNS = ["source", "measure", "period", "country_iso3", "value", "share", "change"]


def validate_conformed(frame: pd.DataFrame) -> pd.DataFrame:
    """pandera check of the conformed rows; failures name the file row they came from."""
    import pandera.pandas as pa

    try:
        return ObservationSchema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as error:
        problems = []
        for case in error.failure_cases.itertuples(index=False):
            row = frame.loc[case.index] if case.index in frame.index else None
            where = f"{row['file_name']} row {row['row_number']}: " if row is not None else ""
            problems.append(Problem(None, str(case.column), f"{where}{case.check} (found {case.failure_case!r})"))
        raise ExtractError("conformed observations", problems) from None


def _stage_metadata(frame: pd.DataFrame) -> dict:
    return {
        "dagster/row_count": len(frame),
        "rows_by_source": {str(k): int(v) for k, v in frame.groupby("source").size().items()},
        "preview": dg.MetadataValue.md(markdown_preview(frame, PREVIEW_COLUMNS)),
    }


@dg.asset(
    description="Published observations of a quarter as delivered: every extract conformed (ISO3, CIS by date).",
    partitions_def=quarter_partitions,
    group_name="warehouse",
    kinds={"duckdb", "pandera"},
    owners=OWNERS,
    deps=extract_assets,
    check_specs=[
        *check_specs("delivered_observations"),
        contract_check("delivered_observations", CONFORMANCE_CHECK, "Every country maps to ISO 3166; rows pass the conformed schema."),
    ],
    pool="duckdb_writer",
)
def delivered_observations(context: dg.AssetExecutionContext, config: ChecksConfig, warehouse: WarehouseResource):
    quarter = context.partition_key
    with warehouse.connect() as con:
        staged = read_staged(con, quarter)
    if staged.empty:
        raise dg.Failure(f"no extract of {quarter} is staged: deliver files to raw/{quarter}/ first")
    try:
        delivered = validate_conformed(conform(staged, country_mapper()))
    except ExtractError as error:
        yield record_contract_failure(
            context, warehouse, check_name=CONFORMANCE_CHECK, stage="delivered", source="all", error=error
        )
        raise dg.Failure(description=str(error)) from None
    delivered.insert(1, "stage", "delivered")
    delivered["corrected_fields"] = None
    backup = backup_warehouse(warehouse.file, data_paths().backups, keep=BACKUPS_KEPT, label=f"before-{quarter.lower()}")
    if backup:
        context.log.info(f"warehouse backed up to {backup} before loading {quarter}")
    with warehouse.connect() as con:
        outcome = evaluate_stage(context, config, delivered, read_history(con, quarter), "delivered")
        publish_stage(con, quarter, "delivered", None if outcome.blocked else delivered, outcome.rows)
    yield clear_contract_failure(
        warehouse, quarter=quarter, check_name=CONFORMANCE_CHECK, stage="delivered", source="all"
    )
    yield from outcome.finish()
    yield dg.MaterializeResult(metadata=_stage_metadata(delivered))


@dg.asset(
    description="Published observations of a quarter with reviewed corrections applied: what the report uses.",
    partitions_def=quarter_partitions,
    group_name="warehouse",
    kinds={"duckdb", "pandera"},
    owners=OWNERS,
    deps=[delivered_observations],
    check_specs=[
        *check_specs("corrected_observations"),
        dg.AssetCheckSpec(
            name=GX_CHECK, asset="corrected_observations",
            description="Great Expectations suite over the published rows; Data Docs under MTM_DATA_DIR/gx.",
            partitions_def=quarter_partitions,
        ),
    ],
    pool="duckdb_writer",
)
def corrected_observations(context: dg.AssetExecutionContext, config: ChecksConfig, warehouse: WarehouseResource):
    from mtm_pipeline.checks.corrections import apply_corrections, load_corrections

    quarter = context.partition_key
    corrections = load_corrections(data_paths().corrections, quarter)
    with warehouse.connect() as con:
        delivered = read_stage(con, quarter, "delivered")
        if delivered.empty:
            raise dg.Failure(f"{quarter} has no delivered stage: materialise delivered_observations first")
        corrected = apply_corrections(delivered.drop(columns=["corrected_fields"]), corrections)
        corrected["stage"] = "corrected"
        outcome = evaluate_stage(context, config, corrected, read_history(con, quarter), "corrected")
        publish_stage(
            con, quarter, "corrected", None if outcome.blocked else corrected, outcome.rows, corrections
        )
    yield great_expectations_result(corrected, outcome.rows, quarter)
    yield from outcome.finish()
    yield dg.MaterializeResult(
        metadata={**_stage_metadata(corrected), "corrections_applied": len(corrections)}
    )


def great_expectations_result(frame: pd.DataFrame, check_rows: pd.DataFrame | None, quarter: str) -> dg.AssetCheckResult:
    from mtm_pipeline.gx_suite import default_docs_dir, validate_quarter

    outcome = validate_quarter(frame, check_rows, quarter=quarter, docs_dir=default_docs_dir())
    return dg.AssetCheckResult(
        check_name=GX_CHECK,
        passed=bool(outcome.success),
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={
            "expectations_evaluated": int(outcome.evaluated),
            "failed": dg.MetadataValue.md("\n".join(f"- {f}" for f in outcome.failed) or "none"),
            "data_docs": dg.MetadataValue.path(str(outcome.docs_index)),
        },
    )
