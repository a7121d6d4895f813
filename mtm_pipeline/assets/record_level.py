"""The optional record-level border crossings extract: validated and aggregated inside DuckDB, then either fed
as the quarter's border_crossings delivery or reconciled with the published border_crossings extract.

Per quarter of the step (one in a quarter run, many in a single-run backfill):
- no records file: nothing to do; aggregates (and any rows fed from records earlier) are removed;
- a records file that breaks a rule or cannot be read: the quarter fails (file, rule, count and example rows
  named; recorded in quality.check_results and alerted like a refused extract), the other quarters go on, and
  the warehouse keeps what it had for the quarter;
- records and no published border_crossings extract staged: the aggregates are staged in
  staging.extract_rows as the quarter's border_crossings delivery (file = the records file), so that
  delivered_observations conforms, checks and publishes them like a published extract;
- records and a published extract: the published extract stays the delivery; the reconcile check compares.
The aggregates are kept in staging.record_aggregates (source 'border_crossing_records') in every case.

The step runs after border_crossings_extract, which re-stages (or removes) the published extract's rows of
the quarter first: rows staged from a records file are told apart from a published extract by their file.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd

from mtm_pipeline.assets.metadata import OWNERS, markdown_preview
from mtm_pipeline.assets.quality import clear_contract_failure, contract_check, record_contract_failure
from mtm_pipeline.assets.quarter_step import QuarterStep
from mtm_pipeline.partitions import quarter_partitions
from mtm_pipeline.resources import WarehouseResource
from mtm_pipeline.settings import data_paths
from mtm_pipeline.sources import SOURCES

RECORD_AGGREGATES = "staging.record_aggregates"
AGGREGATES_SOURCE = "border_crossing_records"
PUBLISHED_SOURCE = "border_crossings"
RECONCILE_CHECK = "reconciles_with_published_extract"
CONTRACT_CHECK = "records_contract"
FED = "fed as the border_crossings delivery"
RECONCILED = "reconciled with the published extract"
PREVIEW_COLUMNS = ["obs_id", "direction", "country", "country_group", "purpose", "value", "share"]


def replace_record_aggregates(
    con: duckdb.DuckDBPyConnection, quarter: str, rows: pd.DataFrame | None
) -> None:
    """One transaction: delete the quarter's aggregates, insert the new ones (None: delete only)."""
    from mtm_pipeline.warehouse.load import replace_rows

    replace_rows(con, [(RECORD_AGGREGATES, {"delivery_quarter": quarter}, rows)])


def is_records_file(file_name: str) -> bool:
    """Whether a staged row's file is a record-level extract (rows fed from records), not a published one."""
    from mtm_pipeline.record_level import RECORD_EXTENSIONS, RECORDS_STEM

    path = Path(str(file_name))
    return path.stem == RECORDS_STEM and path.suffix.lower() in RECORD_EXTENSIONS


def staged_border_crossings(con: duckdb.DuckDBPyConnection, quarter: str) -> pd.DataFrame:
    """What staging.extract_rows holds for the quarter's border_crossings (published or fed from records)."""
    from mtm_pipeline.warehouse.quarters import STAGING

    return con.execute(
        f"SELECT * FROM {STAGING} WHERE delivery_quarter = ? AND source = ? ORDER BY row_number",
        [quarter, PUBLISHED_SOURCE],
    ).df()


@dataclass(frozen=True)
class _Records:
    """One quarter's records file, validated and aggregated (rows: typed, source border_crossing_records)."""

    file: str
    aggregates: pd.DataFrame  # text cells, as aggregate_records returns them
    rows: pd.DataFrame
    warnings: int

    @property
    def records(self) -> int:
        """The number of records: the sum of the totals by direction."""
        totals = self.aggregates[
            (self.aggregates["country"] == "")
            & (self.aggregates["country_group"] == "")
            & (self.aggregates["purpose"] == "")
        ]
        return int(totals["value"].astype(int).sum())


def _read_records(context: dg.AssetExecutionContext, quarter: str) -> _Records | None:
    """The quarter's records file validated and aggregated in an in-memory DuckDB (the warehouse is not
    held while the rows are scanned); None when there is none. Raises RecordsError for a refused file."""
    from mtm_pipeline.conform import typed_rows
    from mtm_pipeline.record_level import (
        RecordsError,
        aggregate_records,
        find_records,
        records_sha256,
        validate_records,
    )

    paths = data_paths()
    path = find_records(paths.quarter_dir(quarter))
    if path is None:
        return None
    path = paths.confine(path)
    relative = str(path.relative_to(paths.root.resolve()))
    scan = duckdb.connect()
    try:
        scan.execute("SET enable_progress_bar = false")
        problems = validate_records(scan, path, quarter)
        if any(p.severity == "ERROR" for p in problems):
            raise RecordsError(relative, problems)
        aggregates = aggregate_records(scan, path, quarter)
    except duckdb.Error as error:  # not a readable Parquet / CSV file
        raise ValueError(f"{relative}: cannot be read as a records file ({error})") from None
    finally:
        scan.close()
    for problem in problems:
        context.log.warning(f"{relative}: {problem.describe()}")
    rows = typed_rows(
        aggregates,
        source=AGGREGATES_SOURCE,
        delivery_quarter=quarter,
        file_name=relative,
        file_sha256=records_sha256(path),
    )
    return _Records(relative, aggregates, rows, len(problems))


def _differences_markdown(differences: list) -> str:
    lines = ["| obs_id | published | records | |", "|---|---|---|---|"]
    lines += [
        f"| {d.obs_id} | {d.published} | {d.records} | {d.message.replace('|', '/')} |"
        for d in differences[:50]
    ]
    return "\n".join(lines)


@dg.asset(
    description="Record-level border crossings (optional extract): validated and aggregated in DuckDB; fed "
    "as the quarter's border_crossings delivery when no published extract is staged, else reconciled with "
    "it.",
    partitions_def=quarter_partitions,
    group_name="extracts",
    kinds={"parquet", "duckdb"},
    owners=OWNERS,
    pool="duckdb_writer",
    deps=[dg.AssetKey(SOURCES[PUBLISHED_SOURCE].asset_name)],
    check_specs=[
        contract_check(
            "border_crossing_records",
            CONTRACT_CHECK,
            "One records file per quarter whose rows follow the record-level rules (data/raw/README.md).",
        ),
        dg.AssetCheckSpec(
            name=RECONCILE_CHECK,
            asset="border_crossing_records",
            description="The records reproduce the published border_crossings figures of the quarter: "
            "counts equal, shares within their rounding, ranks in the records' order (skipped when either is "
            "absent, e.g. when the records are fed as the delivery).",
            partitions_def=quarter_partitions,
        ),
    ],
    backfill_policy=dg.BackfillPolicy.single_run(),
)
def border_crossing_records(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    """Each quarter's records file: refused, absent (its aggregates and fed rows removed), fed as the
    delivery, or reconciled with the published extract (see the module docstring)."""
    step = QuarterStep(context)
    read: dict[str, _Records | None | ValueError] = {}
    for quarter in step.quarters:  # the scans, before the warehouse is opened
        try:
            read[quarter] = _read_records(context, quarter)
        except ValueError as error:  # RecordsError, the aggregates' schema, a file outside the data directory
            read[quarter] = error
    with warehouse.connect() as con:
        for quarter in step.quarters:
            yield from _quarter_records(step, con, quarter, read[quarter])
    yield from step.finish(
        summary_columns=("delivered", "role", "records", "dagster/row_count", "reconciled")
    )


def _quarter_records(step: QuarterStep, con, quarter: str, records: _Records | None | ValueError) -> Iterator:
    """One quarter of the step: its contract check, then its records' role (or their removal)."""
    if isinstance(records, ValueError):  # the warehouse keeps what it had, as for a refused extract
        yield record_contract_failure(
            step,
            quarter,
            con,
            check_name=CONTRACT_CHECK,
            stage="extract",
            source=AGGREGATES_SOURCE,
            error=records,
        )
        return
    yield clear_contract_failure(
        step, quarter, con, check_name=CONTRACT_CHECK, stage="extract", source=AGGREGATES_SOURCE
    )
    staged = staged_border_crossings(con, quarter)
    from_records = staged["file_name"].map(is_records_file).astype(bool)
    if records is None:
        yield from _no_records(step, con, quarter, fed_before=bool(from_records.any()))
        return
    replace_record_aggregates(con, quarter, records.rows)
    metadata = {
        "delivered": True,
        "file": records.file,
        "records": records.records,
        "dagster/row_count": len(records.rows),
        "warnings": records.warnings,
    }
    published = staged[~from_records]
    if published.empty:
        yield from _feed(step, con, quarter, records, metadata)
    else:
        yield from _reconcile(step, quarter, records, published, metadata)
    metadata["preview"] = dg.MetadataValue.md(markdown_preview(records.aggregates, PREVIEW_COLUMNS, limit=12))
    step.publish(quarter, metadata)


def _no_records(step: QuarterStep, con, quarter: str, *, fed_before: bool) -> Iterator:
    """No records file: remove the aggregates, and the delivery fed from records before."""
    from mtm_pipeline.warehouse.quarters import stage_extract

    log = step.context.log
    replace_record_aggregates(con, quarter, None)
    if fed_before:  # the records that were fed are gone: so is their delivery
        stage_extract(con, quarter, PUBLISHED_SOURCE, None)
        log.info(f"{quarter}: records removed; their border_crossings rows unstaged")
    log.info(f"no record-level border crossings delivered for {quarter}")
    yield step.check(quarter, RECONCILE_CHECK, passed=True, metadata={"skipped": "no records delivered"})
    step.publish(quarter, {"delivered": False, "dagster/row_count": 0})


def _feed(step: QuarterStep, con, quarter: str, records: _Records, metadata: dict) -> Iterator:
    """No published extract staged: the aggregates are staged as the quarter's border_crossings delivery."""
    from mtm_pipeline.warehouse.quarters import stage_extract

    stage_extract(con, quarter, PUBLISHED_SOURCE, records.rows.assign(source=PUBLISHED_SOURCE))
    skipped = f"no published border_crossings extract staged for {quarter}: {FED}"
    yield step.check(quarter, RECONCILE_CHECK, passed=True, metadata={"skipped": skipped})
    metadata.update(role=FED, reconciled="no published extract")


def _reconcile(step: QuarterStep, quarter: str, records: _Records, published, metadata: dict) -> Iterator:
    """A published extract is staged: it stays the delivery, and the records are compared with it."""
    from mtm_pipeline.record_level import reconcile

    differences = reconcile(records.aggregates, published)
    if differences:
        step.context.log.warning(
            f"{len(differences)} published border_crossings figure(s) of {quarter} differ from the "
            f"records; first: {differences[0].message}"
        )
    yield step.check(
        quarter,
        RECONCILE_CHECK,
        passed=not differences,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "published_file": str(published["file_name"].iloc[0]),
            "published_rows": len(published),
            "differences": len(differences),
            "details": dg.MetadataValue.md(_differences_markdown(differences)) if differences else "none",
        },
    )
    metadata.update(role=RECONCILED, reconciled=f"{len(differences)} difference(s)")
