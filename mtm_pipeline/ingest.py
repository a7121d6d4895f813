"""Read one source's extract for a delivery quarter and validate it at the boundary (no Dagster, no
warehouse)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from mtm_pipeline.conform import typed_rows
from mtm_pipeline.periods import parse_quarter_key
from mtm_pipeline.settings import DataPaths
from mtm_pipeline.sources import SCHEMAS
from mtm_pipeline.sources.contract import SourceSpec
from mtm_pipeline.sources.reader import find_extract
from mtm_pipeline.sources.schema import validate_extract
from mtm_pipeline.sources.workbook import read_delivery


@dataclass(frozen=True)
class ValidatedExtract:
    file_name: str
    sha256: str
    rows: pd.DataFrame  # typed staged rows


def read_validated_extract(paths: DataPaths, quarter: str, spec: SourceSpec) -> ValidatedExtract | None:
    """The validated, typed extract of `spec` for `quarter`, or None when that source delivered nothing."""
    parse_quarter_key(quarter)
    path = find_extract(paths.quarter_dir(quarter), spec)
    if path is None:
        return None
    path = paths.confine(path)
    relative = str(path.relative_to(paths.root.resolve()))
    raw = read_delivery(path, spec, quarter, relative)  # the contract, or an agency table by its layout
    validated = validate_extract(raw.frame, SCHEMAS[spec.key], relative)
    rows = typed_rows(
        validated, source=spec.key, delivery_quarter=quarter, file_name=relative, file_sha256=raw.sha256
    )
    return ValidatedExtract(file_name=relative, sha256=raw.sha256, rows=rows)


def discover_quarters(paths: DataPaths) -> tuple[list[str], list[str]]:
    """Quarter folders under raw/ (sorted) and the names of folders that are not quarter keys."""
    from mtm_pipeline.periods import is_quarter_key

    if not paths.raw.is_dir():
        return [], []
    folders = [p.name for p in paths.raw.iterdir() if p.is_dir()]
    return sorted(f for f in folders if is_quarter_key(f)), sorted(
        f for f in folders if not is_quarter_key(f)
    )
