"""The records as observations in the extract contract's long format (measure border_crossings, values as
counts): per direction the total, the labour-purpose subset, the CIS and non-CIS groups (CIS membership by
date at the quarter's end), and one row per citizenship as delivered with its share of its group."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

import duckdb
import pandas as pd

from mtm_pipeline.record_level.contract import AGENCY, MEASURE, SOURCE, RecordsError
from mtm_pipeline.record_level.scan import may_break_an_error_rule, scan_records, validate_records


def _share(part: int, whole: int) -> str:
    if not whole:
        return "0.0"
    return f"{(Decimal(100 * part) / Decimal(whole)).quantize(Decimal('0.1'), rounding=ROUND_HALF_EVEN):f}"


@dataclass
class _Rows:
    """The aggregate rows being built: every cell of the contract, those common to all rows filled in."""

    path: Path
    quarter: str
    end: date
    rows: list[dict[str, str]] = field(default_factory=list)

    def add(self, obs_id: str, text: str, **cells: str) -> None:
        """One observation: its id, the published text it stands for, and its own cells."""
        from mtm_pipeline.sources.contract import COLUMNS

        row = dict.fromkeys(COLUMNS, "")
        row.update(cells)
        row.update(
            obs_id=obs_id,
            measure=MEASURE,
            period=self.quarter,
            unit="crossings",
            agency=AGENCY,
            publication=f"National Border Service record-level extract ({self.path.name})",
            publication_date=str(self.end.year),
            location=f"raw/{self.quarter}/{self.path.name}",
            published_text=text,
            note="Aggregated from record-level crossings by mtm_pipeline.record_level.",
        )
        self.rows.append(row)


def _refuse_broken(con: duckdb.DuckDBPyConnection, path: Path, quarter: str | None, scan) -> None:
    """RecordsError when an ERROR rule fails (the full validation runs only when the scan shows a problem)."""
    if may_break_an_error_rule(scan):
        problems = validate_records(con, path, quarter)
        if any(p.severity == "ERROR" for p in problems):
            raise RecordsError(str(path), problems)


def _direction_rows(out: _Rows, mine: pd.DataFrame, direction: str, prefix: str, qk: str) -> None:
    """One direction: its total, its labour-purpose subset, then its groups and their countries."""
    from mtm_pipeline.countries import country_mapper

    mapper = country_mapper()
    total = int(mine["n"].sum())
    total_id = f"rec_{prefix}_{qk}_total"
    out.add(total_id, f"{total} records with direction '{direction}'", direction=direction, value=str(total))
    labour = int(mine.loc[mine["purpose"] == "labour", "n"].sum())
    out.add(
        f"rec_{prefix}_{qk}_labour",
        f"{labour} records with purpose 'labour'",
        direction=direction,
        purpose="labour",
        value=str(labour),
        part_of=total_id,
        parts_complete="no",
    )
    groups: dict[str, list[tuple[str, str, int]]] = {"CIS": [], "non-CIS": []}
    for citizenship, n in mine.groupby("citizenship")["n"].sum().items():
        iso3 = mapper.to_iso3(str(citizenship))
        groups["CIS" if mapper.is_cis(iso3, out.end) else "non-CIS"].append((str(citizenship), iso3, int(n)))
    for group, slug in (("CIS", "cis"), ("non-CIS", "noncis")):
        members = sorted(groups[group], key=lambda m: (-m[2], m[0]))
        _group_rows(out, members, direction, group, f"rec_{prefix}_{qk}_{slug}", total_id, total)


def _group_rows(
    out: _Rows, members: list, direction: str, group: str, group_id: str, total_id: str, total: int
) -> None:
    """A country group's row (its share of the direction's total) and one row per citizenship in it."""
    group_total = sum(m[2] for m in members)
    out.add(
        group_id,
        f"{group_total} records from {group} countries",
        direction=direction,
        country_group=group,
        value=str(group_total),
        share=_share(group_total, total),
        part_of=total_id,
        parts_complete="yes",
    )
    used: dict[str, int] = {}
    for citizenship, iso3, n in members:
        suffix = iso3.lower()
        used[suffix] = used.get(suffix, 0) + 1
        obs_id = f"{group_id}_{suffix}" + (f"_{used[suffix]}" if used[suffix] > 1 else "")
        out.add(
            obs_id,
            f"{n} records with citizenship '{citizenship}'",
            direction=direction,
            country=citizenship,
            country_group=group,
            value=str(n),
            share=_share(n, group_total),
            part_of=group_id,
            parts_complete="yes",
        )


def aggregate_records(con: duckdb.DuckDBPyConnection, path: Path, quarter: str | None = None) -> pd.DataFrame:
    """The quarter's crossings as extract rows (text cells, COLUMNS, index = row number from 2), validated
    with the border_crossings pandera schema. Raises RecordsError when an ERROR rule fails."""
    from mtm_pipeline.sources import SCHEMAS
    from mtm_pipeline.sources.contract import COLUMNS
    from mtm_pipeline.sources.schema import validate_extract

    path = Path(path)
    scan = scan_records(con, path, quarter)
    _refuse_broken(con, path, quarter, scan)
    out = _Rows(path, scan.quarter, scan.end)
    qk = scan.quarter.lower().replace("-", "")
    for direction, prefix in (("in", "arr"), ("out", "dep")):
        mine = scan.cells[scan.cells["direction"] == direction]
        if not mine.empty:
            _direction_rows(out, mine, direction, prefix, qk)
    frame = pd.DataFrame(
        out.rows, columns=list(COLUMNS), index=pd.RangeIndex(2, 2 + len(out.rows), name="row_number")
    )
    return validate_extract(frame, SCHEMAS[SOURCE], f"{path} (aggregates)")
