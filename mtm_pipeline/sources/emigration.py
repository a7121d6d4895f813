"""Bureau of National Statistics: the `emigration` extract."""

from mtm_pipeline.sources.contract import SourceSpec
from mtm_pipeline.sources.schema import ExtractSchema

SPEC = SourceSpec(
    key="emigration",
    agency="Bureau of National Statistics",
    description=(
        "Kazakh citizens leaving for permanent residence abroad, by destination country and by education "
        "(aged 15+)."
    ),
    measure_units={"emigrants": "persons"},
)


class EmigrationExtract(ExtractSchema):
    """Text cells of the Bureau of National Statistics extract."""

    _measure_units = SPEC.measure_units
    _agencies = (SPEC.agency,)


SCHEMA = EmigrationExtract
