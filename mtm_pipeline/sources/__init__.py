"""Agency extracts: the contract, the reader, and one module per source (spec + pandera schema)."""

from mtm_pipeline.sources import (
    border_crossings,
    emigration,
    labour_migration,
    remittances,
    residence_permits,
)
from mtm_pipeline.sources.contract import SourceSpec
from mtm_pipeline.sources.schema import ExtractSchema

_MODULES = (border_crossings, residence_permits, labour_migration, emigration, remittances)

SOURCES: dict[str, SourceSpec] = {m.SPEC.key: m.SPEC for m in _MODULES}
SCHEMAS: dict[str, type[ExtractSchema]] = {m.SPEC.key: m.SCHEMA for m in _MODULES}
