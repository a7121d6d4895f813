"""National Border Service of Kazakhstan: the `border_crossings` extract."""

from mtm_pipeline.sources.contract import SourceSpec
from mtm_pipeline.sources.schema import ExtractSchema

SPEC = SourceSpec(
    key="border_crossings",
    agency="National Border Service of Kazakhstan",
    description=(
        "Foreign citizens' arrivals and departures (border crossings) by country of citizenship, "
        "CIS / non-CIS, labour purpose."
    ),
    measure_units={"border_crossings": "crossings"},
)


class BorderCrossingsExtract(ExtractSchema):
    """Text cells of the National Border Service of Kazakhstan extract."""

    _measure_units = SPEC.measure_units
    _agencies = (SPEC.agency,)
    _directional = True


SCHEMA = BorderCrossingsExtract
