"""The published quarter: every delivered extract conformed (ISO3, CIS, periods) and swapped in atomically."""

import dagster as dg

from mtm_pipeline.assets.extracts import extract_assets
from mtm_pipeline.assets.metadata import OWNERS, markdown_preview
from mtm_pipeline.conform import conform
from mtm_pipeline.countries import country_mapper
from mtm_pipeline.partitions import quarter_partitions
from mtm_pipeline.resources import WarehouseResource
from mtm_pipeline.sources.errors import ExtractError, Problem
from mtm_pipeline.sources.schema import ObservationSchema
from mtm_pipeline.warehouse.quarters import publish_quarter, read_staged


def validate_conformed(frame):
    import pandera.pandas as pa

    try:
        return ObservationSchema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as error:
        cases = error.failure_cases
        problems = [
            Problem(
                int(frame.loc[case.index, "row_number"])
                if case.index is not None and case.index == case.index
                else None,
                str(case.column),
                f"{case.check} (found {case.failure_case!r})",
            )
            for case in cases.itertuples(index=False)
        ]
        raise ExtractError("conformed observations", problems) from None


@dg.asset(
    description="Published observations of a delivery quarter: all extracts, countries as ISO3, CIS by date.",
    partitions_def=quarter_partitions,
    group_name="warehouse",
    kinds={"duckdb", "pandera"},
    owners=OWNERS,
    deps=extract_assets,
    pool="duckdb_writer",
)
def observations(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    quarter = context.partition_key
    with warehouse.connect() as con:
        staged = read_staged(con, quarter)
        if staged.empty:
            raise dg.Failure(f"no extract of {quarter} is staged: deliver files to raw/{quarter}/ first")
        conformed = validate_conformed(conform(staged, country_mapper()))
        publish_quarter(con, quarter, conformed)
    by_source = conformed.groupby("source").size()
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": len(conformed),
            "rows_by_source": {str(k): int(v) for k, v in by_source.items()},
            "preview": dg.MetadataValue.md(
                markdown_preview(conformed, ["source", "measure", "period", "country_iso3", "value", "share"])
            ),
        }
    )
