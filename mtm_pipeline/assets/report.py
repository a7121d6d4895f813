"""The published report: one per quarter (narrative, tables, figures as HTML, PDF, Markdown, XLSX),
and a multi-quarter trend report across every quarter in the warehouse."""

import base64
from pathlib import Path

import dagster as dg

from mtm_pipeline import workers
from mtm_pipeline.assets.derived import derived_figures
from mtm_pipeline.assets.metadata import OWNERS
from mtm_pipeline.assets.narrative_checks import narrative_check_result, narrative_check_spec, with_narrative
from mtm_pipeline.assets.observations import corrected_observations
from mtm_pipeline.assets.quarter_step import QuarterStep
from mtm_pipeline.partitions import quarter_partitions
from mtm_pipeline.resources import WarehouseResource
from mtm_pipeline.settings import data_paths

REPORT_KINDS = {"html", "pdf", "markdown", "excel"}


def _artifact_metadata(artifacts, figures_shown: int = 2) -> dict:
    images = "\n\n".join(
        f"![{p.stem}](data:image/png;base64,{base64.b64encode(p.read_bytes()).decode()})"
        for p in artifacts.figures[:figures_shown]
    )
    return {
        "key_findings": dg.MetadataValue.md(artifacts.key_findings_markdown),
        "html": dg.MetadataValue.path(str(artifacts.html)),
        "pdf": dg.MetadataValue.path(str(artifacts.pdf)),
        "markdown": dg.MetadataValue.path(str(artifacts.markdown)),
        "xlsx": dg.MetadataValue.path(str(artifacts.xlsx)),
        "figures": dg.MetadataValue.md(
            "\n".join(f"- `{Path(p).name}`" for p in artifacts.figures) + ("\n\n" + images if images else "")
        ),
        "figure_count": len(artifacts.figures),
    }


@dg.asset(
    description="The quarter's Migration Situation Report: every figure computed from the corrected stage, "
    "with the analyst's text (MTM_DATA_DIR/narrative/<quarter>/) in its place and its numbers checked.",
    partitions_def=quarter_partitions,
    group_name="report",
    kinds=REPORT_KINDS,
    owners=OWNERS,
    deps=[corrected_observations, derived_figures],
    pool="duckdb_writer",
    backfill_policy=dg.BackfillPolicy.single_run(),
    check_specs=[narrative_check_spec("quarterly_report")],
)
def quarterly_report(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    from mtm_pipeline.narrative_text import NarrativeError
    from mtm_pipeline.report.build import build_quarterly_report
    from mtm_pipeline.report.inputs import load_report_inputs

    step = QuarterStep(context)
    paths = data_paths()
    inputs, checks = {}, []
    with warehouse.connect() as con:
        for quarter in step.quarters:
            try:
                report_inputs = load_report_inputs(con, quarter)
                inputs[quarter], findings = with_narrative(con, quarter, report_inputs, paths)
            except NarrativeError as error:  # the analyst's text: names the file and line to fix
                step.fail(quarter, f"the report of {quarter} was not built: {error}")
                continue
            checks.append(narrative_check_result(step, quarter, findings))
    # The quarters' reports are independent and CPU-bound: the worker processes build several at once.
    built = workers.call_each(
        build_quarterly_report, {quarter: (inputs[quarter], paths.reports / quarter) for quarter in inputs}
    )
    for quarter, artifacts in built.items():
        step.publish(quarter, _artifact_metadata(artifacts))
    yield from checks
    yield from step.finish(summary_columns=("figure_count",))


@dg.asset(
    description="Trends across every quarter in the warehouse: flows, permits, labour stock, remittances.",
    group_name="report",
    kinds=REPORT_KINDS,
    owners=OWNERS,
    deps=[corrected_observations],
    pool="duckdb_writer",
    # Refreshed by the daemon whenever a quarter's corrected stage changes (UI, schedule or sensor runs).
    automation_condition=dg.AutomationCondition.eager(),
)
def trend_report(warehouse: WarehouseResource) -> dg.MaterializeResult:
    from mtm_pipeline.report.build import build_trend_report
    from mtm_pipeline.warehouse.quarters import read_all_corrected

    with warehouse.connect() as con:
        observations = read_all_corrected(con)
    if observations.empty:
        raise dg.Failure("the warehouse has no corrected observations yet: materialise a quarter first")
    artifacts = workers.call(build_trend_report, observations, data_paths().reports / "trends")
    return dg.MaterializeResult(metadata=_artifact_metadata(artifacts, figures_shown=3))
