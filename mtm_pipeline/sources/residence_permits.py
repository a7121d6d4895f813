"""Migration Service Committee: the `residence_permits` extract."""

from mtm_pipeline.sources.contract import SourceSpec
from mtm_pipeline.sources.schema import ExtractSchema

SPEC = SourceSpec(
    key="residence_permits",
    agency="Migration Service Committee, Ministry of Internal Affairs",
    description=(
        "Temporary residence permit holders and permits, and permanent residence permits issued, "
        "by country and CIS group."
    ),
    measure_units={"trp_holders": "persons", "trp_issued": "permits", "prp_issued": "persons"},
)


class ResidencePermitsExtract(ExtractSchema):
    """Text cells of the Migration Service Committee extract."""

    _measure_units = SPEC.measure_units
    _agencies = (SPEC.agency,)


SCHEMA = ResidencePermitsExtract
