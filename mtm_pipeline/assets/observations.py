"""The published quarter, in two stages: 'delivered' (extracts conformed, as received) and 'corrected'
(data/corrections applied). Each stage is checked by every consistency rule before it is swapped in."""

import os

import dagster as dg
import pandas as pd

from mtm_pipeline import workers
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
from mtm_pipeline.assets.quarter_step import QuarterStep
from mtm_pipeline.assets.record_level import border_crossing_records
from mtm_pipeline.conform import conform
from mtm_pipeline.countries import country_mapper
from mtm_pipeline.partitions import quarter_partitions
from mtm_pipeline.resources import WarehouseResource
from mtm_pipeline.settings import data_paths
from mtm_pipeline.sources.errors import ExtractError, Problem
from mtm_pipeline.sources.schema import ObservationSchema
from mtm_pipeline.warehouse.backup import backup_warehouse
from mtm_pipeline.warehouse.quarters import publish_stage, read_all_corrected, read_stage, read_staged

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
            problems.append(
                Problem(None, str(case.column), f"{where}{case.check} (found {case.failure_case!r})")
            )
        raise ExtractError("conformed observations", problems) from None


def _stage_metadata(frame: pd.DataFrame, *, preview: bool) -> dict:
    """The quarter's materialisation metadata (a range run shows a table of quarters instead of previews)."""
    metadata = {
        "dagster/row_count": len(frame),
        "rows_by_source": {str(k): int(v) for k, v in frame.groupby("source").size().items()},
    }
    if preview:
        metadata["preview"] = dg.MetadataValue.md(markdown_preview(frame, PREVIEW_COLUMNS))
    return metadata


class CorrectedHistory:
    """The corrected observations of every delivery quarter, normalised once and held in memory while a
    step works through its quarters: the rules compare each quarter with all the others."""

    def __init__(self, corrected: pd.DataFrame):
        from mtm_pipeline.checks.rules import prepare_history

        self._by_quarter = {
            str(quarter): prepare_history(rows)
            for quarter, rows in corrected.groupby("delivery_quarter", sort=False)
        }

    def other_than(self, quarter: str) -> list:
        return [obs for q, rows in self._by_quarter.items() if q != quarter for obs in rows]

    def replace(self, quarter: str, corrected: pd.DataFrame) -> None:
        from mtm_pipeline.checks.rules import prepare_history

        self._by_quarter[quarter] = prepare_history(corrected)


def corrected_stand_in(delivered: pd.DataFrame, quarter: str) -> pd.DataFrame | None:
    """What the corrected stage of a just-delivered quarter will hold (its reviewed corrections applied),
    so that later quarters of the same backfill compare with it as separate runs would; None when the
    corrections do not apply (the corrected step reports that)."""
    from mtm_pipeline.checks.corrections import CorrectionError, apply_corrections, load_corrections

    try:
        corrected = apply_corrections(
            delivered.drop(columns=["corrected_fields"]), load_corrections(data_paths().corrections, quarter)
        )
    except CorrectionError:
        return None
    corrected["stage"] = "corrected"
    return corrected


@dg.asset(
    description=(
        "Published observations of a quarter as delivered: every extract conformed (ISO3, CIS by date)."
    ),
    partitions_def=quarter_partitions,
    group_name="warehouse",
    kinds={"duckdb", "pandera"},
    owners=OWNERS,
    deps=[*extract_assets, border_crossing_records],
    check_specs=[
        *check_specs("delivered_observations"),
        contract_check(
            "delivered_observations",
            CONFORMANCE_CHECK,
            "Every country maps to ISO 3166; rows pass the conformed schema.",
        ),
    ],
    pool="duckdb_writer",
    backfill_policy=dg.BackfillPolicy.single_run(),
)
def delivered_observations(
    context: dg.AssetExecutionContext, config: ChecksConfig, warehouse: WarehouseResource
):
    workers.start_for_run(context)
    step = QuarterStep(context)
    label = "-".join(dict.fromkeys([step.all_quarters[0], step.all_quarters[-1]])).lower()
    backup = backup_warehouse(
        warehouse.file, data_paths().backups, keep=BACKUPS_KEPT, label=f"before-{label}"
    )
    if backup:
        context.log.info(f"warehouse backed up to {backup} before loading {', '.join(step.quarters)}")
    mapper = country_mapper()
    with warehouse.connect() as con:
        history = CorrectedHistory(read_all_corrected(con))
        for quarter in step.quarters:
            staged = read_staged(con, quarter)
            if staged.empty:
                step.fail(
                    quarter, f"no extract of {quarter} is staged: deliver files to raw/{quarter}/ first"
                )
                continue
            try:
                delivered = validate_conformed(conform(staged, mapper))
            except ExtractError as error:
                yield record_contract_failure(
                    step,
                    quarter,
                    con,
                    check_name=CONFORMANCE_CHECK,
                    stage="delivered",
                    source="all",
                    error=error,
                )
                continue
            delivered.insert(1, "stage", "delivered")
            delivered["corrected_fields"] = None
            outcome = evaluate_stage(
                step, quarter, config, delivered, history.other_than(quarter), "delivered"
            )
            publish_stage(
                con,
                quarter,
                "delivered",
                None if outcome.blocked else delivered,
                outcome.rows,
                suggestions=outcome.suggestions,
            )
            yield clear_contract_failure(
                step, quarter, con, check_name=CONFORMANCE_CHECK, stage="delivered", source="all"
            )
            yield from outcome.check_results
            if outcome.blocked:
                step.fail(quarter, outcome.blocked_message())
                continue
            stand_in = corrected_stand_in(delivered, quarter)
            if stand_in is not None:
                history.replace(quarter, stand_in)
            step.publish(quarter, _stage_metadata(delivered, preview=not step.is_range))
    yield from step.finish()


@dg.asset(
    description=(
        "Published observations of a quarter with reviewed corrections applied: what the report uses."
    ),
    partitions_def=quarter_partitions,
    group_name="warehouse",
    kinds={"duckdb", "pandera"},
    owners=OWNERS,
    deps=[delivered_observations],
    check_specs=[
        *check_specs("corrected_observations"),
        dg.AssetCheckSpec(
            name=GX_CHECK,
            asset="corrected_observations",
            description="Great Expectations suite over the published rows; Data Docs under MTM_DATA_DIR/gx.",
            partitions_def=quarter_partitions,
        ),
    ],
    pool="duckdb_writer",
    backfill_policy=dg.BackfillPolicy.single_run(),
)
def corrected_observations(
    context: dg.AssetExecutionContext, config: ChecksConfig, warehouse: WarehouseResource
):
    from mtm_pipeline.checks.corrections import CorrectionError, apply_corrections, load_corrections

    step = QuarterStep(context)
    validated: dict[str, tuple[pd.DataFrame, pd.DataFrame | None]] = {}
    with warehouse.connect() as con:
        history = CorrectedHistory(read_all_corrected(con))
        for quarter in step.quarters:
            delivered = read_stage(con, quarter, "delivered")
            if delivered.empty:
                step.fail(
                    quarter, f"{quarter} has no delivered stage: materialise delivered_observations first"
                )
                continue
            try:
                corrections = load_corrections(data_paths().corrections, quarter)
                corrected = apply_corrections(delivered.drop(columns=["corrected_fields"]), corrections)
            except CorrectionError as error:
                step.fail(quarter, str(error))
                continue
            corrected["stage"] = "corrected"
            outcome = evaluate_stage(
                step, quarter, config, corrected, history.other_than(quarter), "corrected"
            )
            publish_stage(
                con,
                quarter,
                "corrected",
                None if outcome.blocked else corrected,
                outcome.rows,
                corrections,
                suggestions=outcome.suggestions,
            )
            yield from outcome.check_results
            validated[quarter] = (corrected, outcome.rows)
            if outcome.blocked:
                step.fail(quarter, outcome.blocked_message())
                continue
            history.replace(quarter, corrected)
            step.publish(
                quarter,
                {
                    **_stage_metadata(corrected, preview=not step.is_range),
                    "corrections_applied": len(corrections),
                },
            )
    yield from great_expectations_results(step, validated)
    yield from step.finish(summary_columns=("dagster/row_count", "corrections_applied"))


def great_expectations_results(step: QuarterStep, validated: dict) -> list:
    """One Great Expectations validation per quarter (one GX context, Data Docs built once)."""
    from mtm_pipeline import workers
    from mtm_pipeline.gx_suite import default_docs_dir, validate_quarters

    if not validated:
        return []
    outcomes = workers.call(validate_quarters, validated, docs_dir=default_docs_dir())
    return [
        step.check(
            quarter,
            GX_CHECK,
            passed=bool(outcome.success),
            metadata={
                "expectations_evaluated": int(outcome.evaluated),
                "failed": dg.MetadataValue.md("\n".join(f"- {f}" for f in outcome.failed) or "none"),
                "data_docs": dg.MetadataValue.path(str(outcome.docs_index)),
            },
        )
        for quarter, outcome in outcomes.items()
    ]
