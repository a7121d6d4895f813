"""How a delivered file would be read, without loading anything: whether it is read as the observation
contract or by a layout (which one, which tables where), every figure with its cell, its value in base
units and its period, and every refusal. The same readers as ingest, stopping before the warehouse.

    python -m mtm_pipeline.sources explain FILE [--source S] [--quarter Q]

Documented in docs/explain.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from mtm_pipeline.numbers import NumberFormatError, parse_published_number
from mtm_pipeline.periods import PeriodError, is_quarter_key
from mtm_pipeline.sources.contract import DIMENSIONS, SourceSpec
from mtm_pipeline.sources.errors import ExtractError
from mtm_pipeline.sources.layouts import layouts_for
from mtm_pipeline.sources.row_labels import country_lookup
from mtm_pipeline.sources.schema import validate_extract
from mtm_pipeline.sources.sheets import Workbook, read_csv_sheet, read_sheets
from mtm_pipeline.sources.table_match import match_layout
from mtm_pipeline.sources.workbook import read_delivery


class ExplainError(ValueError):
    """The file cannot be explained as given (unknown source or quarter): say which option to pass."""


@dataclass
class Explanation:
    """What reading the file would give: lines to show, and whether the file would be refused."""

    file: str
    source: str
    quarter: str
    lines: list[str] = field(default_factory=list)
    refused: bool = False

    def text(self) -> str:
        """The explanation as printed."""
        verdict = "refused (exit status 1)" if self.refused else "would be read as shown"
        head = [f"{self.file}: source {self.source!r}, delivery quarter {self.quarter}", ""]
        return "\n".join([*head, *self.lines, "", f"Result: {verdict}. Nothing was loaded."])


def source_of(path: Path, source: str | None, sources: dict[str, SourceSpec]) -> SourceSpec:
    """The source named by --source, or by the file's name ('border_crossings.xlsx')."""
    key = source or path.name.split(".", 1)[0]
    if key not in sources:
        known = ", ".join(sorted(sources))
        raise ExplainError(f"{key!r} is not a source: pass --source (one of {known})")
    return sources[key]


def quarter_of_file(path: Path, quarter: str | None) -> str:
    """The delivery quarter named by --quarter, or by the file's folder (raw/2024-Q3/...)."""
    key = quarter or path.resolve().parent.name
    if not is_quarter_key(key):
        raise ExplainError(f"{key!r} is not a delivery quarter: pass --quarter (e.g. --quarter 2024-Q3)")
    return key


def _layout_lines(workbook: Workbook, spec: SourceSpec) -> list[str]:
    """Which layout matches and where its tables are, as the reader finds them."""
    countries = country_lookup()
    lines = []
    for layout in layouts_for(spec.key):
        attempt = match_layout(layout, workbook.sheets, countries)
        if not attempt.tables or attempt.problems:
            continue
        lines.append(f"Read by layout {layout.name!r} ({layout.description})")
        for table in attempt.tables:
            rows = f"rows {table.body[0]}-{table.body[-1]}" if table.body else "no rows"
            periods = ", ".join(p.label for p in table.period_columns.values())
            lines.append(
                f"  table {table.spec.name!r}: sheet {table.sheet.name!r}, header row {table.header_row}, "
                f"{rows}" + (f", period columns {periods}" if periods else "")
            )
    return lines


def _figure_line(row: pd.Series, contract: bool, number: int) -> str:
    where = f"row {number}" if contract or not row["location"] else row["location"]
    dimensions = ", ".join(f"{d}={row[d]}" for d in DIMENSIONS if row.get(d))
    written = row.get("published_text") or row["value"]
    try:
        parsed = parse_published_number(row["value"])
        value = (
            f"{parsed.value.normalize():f} {row['unit']} (published to the nearest "
            f"{parsed.precision.normalize():f}; as written: {written!r})"
        )
    except NumberFormatError:
        value = f"no value ({row['value']!r})" if row["value"] else "no value"
    identity = f"{row['obs_id']} {row['measure']} {row['period']} {dimensions}".rstrip()
    return f"  {where}: {identity} = {value}"


def _read_lines(path: Path, data: bytes, spec: SourceSpec, quarter: str, name: str) -> list[str]:
    """The figures the file gives; ExtractError when it would be refused."""
    raw = read_delivery(path, spec, quarter, name)
    validate_extract(raw.frame, _schema(spec), name)
    contract = not raw.frame["note"].str.startswith("Read by layout").all()
    lines = []
    if contract and not raw.frame.empty:
        lines.append("Read as the observation contract (one figure per row, see data/raw/README.md)")
    elif path.suffix in (".xlsx", ".csv"):
        workbook = read_csv_sheet(path, data) if path.suffix == ".csv" else read_sheets(path, data)
        lines += _layout_lines(workbook, spec)
    lines += [
        "",
        f"Figures ({len(raw.frame)}): cell, identity, measure, period, dimensions = value in base units",
    ]
    lines += [_figure_line(row, contract, int(number)) for number, row in raw.frame.iterrows()]
    return lines


def _schema(spec: SourceSpec):
    from mtm_pipeline.sources import SCHEMAS

    return SCHEMAS[spec.key]


def explain(path: Path, source: str | None = None, quarter: str | None = None) -> Explanation:
    """How `path` would be read for its source and delivery quarter, refusals included; loads nothing."""
    from mtm_pipeline.sources import SOURCES

    spec = source_of(path, source, SOURCES)
    key = quarter_of_file(path, quarter)
    explanation = Explanation(str(path), spec.key, key)
    try:
        data = path.read_bytes()
        explanation.lines = _read_lines(path, data, spec, key, str(path))
    except (ExtractError, PeriodError) as error:
        explanation.refused = True
        explanation.lines = [str(error)]
    except OSError as error:
        explanation.refused = True
        explanation.lines = [f"cannot read the file: {error}"]
    return explanation
