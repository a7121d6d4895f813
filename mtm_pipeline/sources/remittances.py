"""National Bank of Kazakhstan: the `remittances` extract."""

from mtm_pipeline.sources.contract import SourceSpec
from mtm_pipeline.sources.schema import ExtractSchema

SPEC = SourceSpec(
    key="remittances",
    agency="National Bank of Kazakhstan",
    description="Personal remittances (balance of payments, USD) sent from and to Kazakhstan, by country.",
    measure_units={"personal_remittances": "USD"},
)


class RemittancesExtract(ExtractSchema):
    """Text cells of the National Bank of Kazakhstan extract."""

    _measure_units = SPEC.measure_units
    _agencies = (SPEC.agency,)
    _directional = True


SCHEMA = RemittancesExtract
