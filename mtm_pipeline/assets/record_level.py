"""The optional record-level border crossings extract: validated and aggregated inside DuckDB, reconciled with
the published border_crossings extract, aggregates staged in staging.record_aggregates.

Add `border_crossing_records` to the Definitions' assets (it needs the "warehouse" resource).
"""

import dagster as dg
import duckdb
import pandas as pd

from mtm_pipeline.assets.metadata import OWNERS, markdown_preview
from mtm_pipeline.conform import typed_rows
from mtm_pipeline.partitions import quarter_partitions
from mtm_pipeline.resources import WarehouseResource
from mtm_pipeline.settings import data_paths
from mtm_pipeline.sources import SOURCES

RECORD_AGGREGATES = "staging.record_aggregates"
AGGREGATES_SOURCE = "border_crossing_records"
RECONCILE_CHECK = "reconciles_with_published_extract"
PREVIEW_COLUMNS = ["obs_id", "direction", "country", "country_group", "purpose", "value", "share"]

def replace_record_aggregates(
    con: duckdb.DuckDBPyConnection, quarter: str, rows: pd.DataFrame | None
) -> None:
    """One transaction: delete the quarter's aggregates, insert the new ones (None: delete only)."""
    from mtm_pipeline.warehouse.load import replace_rows

    replace_rows(con, [(RECORD_AGGREGATES, {"delivery_quarter": quarter}, rows)])


def _differences_markdown(differences: list) -> str:
    lines = ["| obs_id | published | records | |", "|---|---|---|---|"]
    lines += [
        f"| {d.obs_id} | {d.published} | {d.records} | {d.message.replace('|', '/')} |"
        for d in differences[:50]
    ]
    return "\n".join(lines)


@dg.asset(
    description="Record-level border crossings (optional extract): validated and aggregated in DuckDB, reconciled with the published extract.",
    partitions_def=quarter_partitions,
    group_name="extracts",
    kinds={"parquet", "duckdb"},
    owners=OWNERS,
    pool="duckdb_writer",
    deps=[dg.AssetKey(SOURCES["border_crossings"].asset_name)],
    check_specs=[
        dg.AssetCheckSpec(
            name=RECONCILE_CHECK,
            asset="border_crossing_records",
            description="The records reproduce the published border_crossings figures of the quarter: counts "
            "equal, shares within their rounding, ranks in the records' order (skipped when either is absent).",
        )
    ],
)
def border_crossing_records(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    from mtm_pipeline.record_level import (
        RecordsError,
        aggregate_records,
        find_records,
        reconcile,
        records_sha256,
        validate_records,
    )

    quarter = context.partition_key
    paths = data_paths()
    try:
        path = find_records(paths.quarter_dir(quarter))
    except RecordsError as error:
        raise dg.Failure(description=str(error)) from None
    if path is None:
        with warehouse.connect() as con:
            replace_record_aggregates(con, quarter, None)
        context.log.info(f"no record-level border crossings delivered for {quarter}")
        yield dg.AssetCheckResult(
            check_name=RECONCILE_CHECK, passed=True, metadata={"skipped": "no records delivered"}
        )
        yield dg.MaterializeResult(metadata={"delivered": False, "dagster/row_count": 0})
        return

    path = paths.confine(path)
    relative = str(path.relative_to(paths.root.resolve()))
    scan = duckdb.connect()  # the rows are scanned in memory, without holding the warehouse lock
    try:
        scan.execute("SET enable_progress_bar = false")
        problems = validate_records(scan, path, quarter)
        errors = [p for p in problems if p.severity == "ERROR"]
        if errors:
            raise dg.Failure(
                description=str(RecordsError(relative, problems)),
                metadata={
                    "file": relative,
                    "rules_failed": len(errors),
                    "problems": dg.MetadataValue.md("\n".join(f"- {p.describe()}" for p in problems)),
                },
            )
        aggregates = aggregate_records(scan, path, quarter)
    finally:
        scan.close()
    for problem in problems:
        context.log.warning(f"{relative}: {problem.describe()}")

    rows = typed_rows(
        aggregates, source=AGGREGATES_SOURCE, delivery_quarter=quarter, file_name=relative,
        file_sha256=records_sha256(path),
    )  # fmt: skip
    with warehouse.connect() as con:
        published = con.execute(
            "SELECT * FROM staging.extract_rows WHERE delivery_quarter = ? AND source = ? ORDER BY row_number",
            [quarter, "border_crossings"],
        ).df()
        replace_record_aggregates(con, quarter, rows)
    totals = aggregates[
        (aggregates["country"] == "") & (aggregates["country_group"] == "") & (aggregates["purpose"] == "")
    ]
    records = int(totals["value"].astype(int).sum())

    if published.empty:
        yield dg.AssetCheckResult(
            check_name=RECONCILE_CHECK, passed=True,
            metadata={"skipped": f"no published border_crossings extract staged for {quarter}"},
        )  # fmt: skip
        differences = None
    else:
        differences = reconcile(aggregates, published)
        if differences:
            context.log.warning(
                f"{len(differences)} published border_crossings figure(s) of {quarter} differ from the records; "
                f"first: {differences[0].message}"
            )
        yield dg.AssetCheckResult(
            check_name=RECONCILE_CHECK,
            passed=not differences,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={
                "published_rows": len(published),
                "differences": len(differences),
                "details": dg.MetadataValue.md(_differences_markdown(differences)) if differences else "none",
            },
        )
    yield dg.MaterializeResult(
        metadata={
            "delivered": True,
            "file": relative,
            "records": records,
            "dagster/row_count": len(rows),
            "warnings": len(problems),
            "reconciled": "no published extract"
            if differences is None
            else f"{len(differences)} difference(s)",
            "preview": dg.MetadataValue.md(markdown_preview(aggregates, PREVIEW_COLUMNS, limit=12)),
        }
    )
