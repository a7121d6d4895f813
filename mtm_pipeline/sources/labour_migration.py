"""Ministry of Labour and Social Protection of Population: the `labour_migration` extract."""

from mtm_pipeline.sources.contract import SourceSpec
from mtm_pipeline.sources.schema import ExtractSchema

SPEC = SourceSpec(
    key="labour_migration",
    agency="Ministry of Labour and Social Protection of Population",
    description=(
        "Foreign workers holding permits (a stock on a date) by permit category, sector and country; "
        "employers; the annual quota."
    ),
    measure_units={
        "foreign_workers": "persons",
        "employers_recruiting": "employers",
        "work_permit_quota": "permits",
        "work_permit_quota_share_of_labour_force": "percent",
    },
)


class LabourMigrationExtract(ExtractSchema):
    """Text cells of the Ministry of Labour and Social Protection of Population extract."""

    _measure_units = SPEC.measure_units
    _agencies = (SPEC.agency,)


SCHEMA = LabourMigrationExtract
