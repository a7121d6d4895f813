"""Reference data in the warehouse: country display names and dated CIS membership."""

import dagster as dg
import pandas as pd

from mtm_pipeline.assets.metadata import OWNERS
from mtm_pipeline.countries import country_mapper
from mtm_pipeline.resources import WarehouseResource
from mtm_pipeline.warehouse.load import replace_rows


@dg.asset(
    description=(
        "Countries (ISO 3166 alpha-3, display names) and dated CIS membership used to conform extracts."
    ),
    group_name="reference",
    kinds={"duckdb"},
    owners=OWNERS,
    pool="duckdb_writer",
)
def country_reference(warehouse: WarehouseResource) -> dg.MaterializeResult:
    mapper = country_mapper()
    countries = pd.DataFrame(sorted(mapper.display_names.items()), columns=["iso3", "display_name"])
    membership = pd.DataFrame([vars(m) for m in mapper.cis])
    with warehouse.connect() as con:
        replace_rows(
            con, [("reference.countries", {}, countries), ("reference.cis_membership", {}, membership)]
        )
    return dg.MaterializeResult(
        metadata={"countries": len(countries), "cis_membership_rows": len(membership)}
    )
