"""The analyst's text of a quarter, read and checked for the quarterly report: its findings replace the
quarter's rows of stage 'narrative' in quality.check_results, and the report inputs carry the text."""

from __future__ import annotations

from dataclasses import replace

import dagster as dg
import pandas as pd

from mtm_pipeline.partitions import quarter_partitions

NARRATIVE_CHECK = "narrative_numbers_match"
NARRATIVE_STAGE = "narrative"


def narrative_check_spec(asset_name: str) -> dg.AssetCheckSpec:
    """The asset check of the narrative's numbers (WARN: the report is built with the findings in Annex A)."""
    from mtm_pipeline.checks.narrative import DESCRIPTION

    return dg.AssetCheckSpec(
        name=NARRATIVE_CHECK, asset=asset_name, description=DESCRIPTION, partitions_def=quarter_partitions
    )


def report_figures(inputs) -> pd.DataFrame:
    """published.figures as the report reads it: corrected observations and derived figures up to the
    quarter."""
    frames = [f for f in (inputs.observations, inputs.derived) if f is not None and not f.empty]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def with_narrative(con, quarter: str, inputs, paths):
    """Read and check the quarter's narrative (paths.narrative/<quarter>/), record the findings, and return
    the report inputs carrying the text and the findings (NarrativeError: a file or a reference the report
    cannot use)."""
    from mtm_pipeline.check_results import findings_to_rows
    from mtm_pipeline.checks.narrative import check_narrative
    from mtm_pipeline.narrative_text import NarrativeError, read_narrative
    from mtm_pipeline.report.analyst import check_file_names
    from mtm_pipeline.report.compose import SECTION_IDS
    from mtm_pipeline.warehouse.quarters import record_check_results

    try:
        folder = paths.confine(paths.narrative / quarter)
    except ValueError as error:  # a symlink out of the data directory
        raise NarrativeError(str(error)) from error
    files = read_narrative(folder, f"narrative/{quarter}")
    check_file_names(files, SECTION_IDS)
    result = check_narrative(files, report_figures(inputs), quarter)
    rows = findings_to_rows(result.findings, quarter=quarter, stage=NARRATIVE_STAGE)
    record_check_results(con, {"quarter": quarter, "stage": NARRATIVE_STAGE}, rows)
    old = inputs.check_results
    if old is not None and not old.empty and "stage" in old:
        old = old[old["stage"] != NARRATIVE_STAGE]
    frames = [f for f in (old, rows) if f is not None and not f.empty]
    check_results = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    inputs = replace(inputs, check_results=check_results, narrative=files, references=result.references)
    return inputs, result.findings


def narrative_check_result(step, quarter: str, findings: list):
    """The check's result for one quarter: failed (WARN) when a number matches no figure."""
    from mtm_pipeline.check_results import failure_table_markdown

    failed = [f for f in findings if not f.passed]
    return step.check(
        quarter,
        NARRATIVE_CHECK,
        passed=not failed,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "numbers": len(findings),
            "failed": len(failed),
            "failures": dg.MetadataValue.md(failure_table_markdown(failed)) if failed else "none",
        },
    )
