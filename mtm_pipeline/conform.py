"""From validated text cells to typed, conformed observations (pure functions, no Dagster).

typed_rows: numbers parsed with their published precision, empty cells to nulls, lineage attached.
conform:    countries to ISO 3166 alpha-3 with dated CIS membership, periods normalised.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd

from mtm_pipeline.countries import REMAINDER_ISO3, CountryMapper, UnmappedCountryError
from mtm_pipeline.numbers import parse_published_number
from mtm_pipeline.periods import parse_period
from mtm_pipeline.sources.contract import COLUMNS
from mtm_pipeline.sources.errors import ExtractError, Problem

_NUMERIC = {"value": False, "share": True, "change": True}

STAGED_COLUMNS: tuple[str, ...] = (
    "delivery_quarter",
    "source",
    *[c for c in COLUMNS if c not in _NUMERIC and c != "rank"],
    "value",
    "value_precision",
    "share",
    "share_precision",
    "change",
    "change_precision",
    "rank",
    "file_name",
    "file_sha256",
    "row_number",
    "loaded_at",
)

CONFORMED_COLUMNS: tuple[str, ...] = (
    *STAGED_COLUMNS[:-1],
    "period_kind",
    "period_start",
    "period_end",
    "country_iso3",
    "country_name",
    "cis_member",
    "loaded_at",
)


def _split_number(cells: pd.Series, percent: bool) -> tuple[pd.Series, pd.Series]:
    parsed = [parse_published_number(c, allow_percent_sign=percent) if c else None for c in cells]
    value = pd.Series([float(p.value) if p else None for p in parsed], index=cells.index, dtype="float64")
    precision = pd.Series(
        [float(p.precision) if p else None for p in parsed], index=cells.index, dtype="float64"
    )
    return value, precision


def typed_rows(
    frame: pd.DataFrame, *, source: str, delivery_quarter: str, file_name: str, file_sha256: str
) -> pd.DataFrame:
    """A validated extract (text cells, index = row number) as typed staged rows."""
    out = frame.replace({"": None}).copy()
    for column, percent in _NUMERIC.items():
        out[column], out[f"{column}_precision"] = _split_number(frame[column], percent)
    out["rank"] = pd.to_numeric(out["rank"]).astype("Int64")
    out["parts_complete"] = out["parts_complete"].map({"yes": True, "no": False}).astype("boolean")
    out["delivery_quarter"] = delivery_quarter
    out["source"] = source
    out["file_name"] = file_name
    out["file_sha256"] = file_sha256
    out["row_number"] = frame.index.astype("int64")
    out["loaded_at"] = datetime.now(UTC).replace(tzinfo=None)
    return out.reset_index(drop=True)[list(STAGED_COLUMNS)]


def conform(staged: pd.DataFrame, mapper: CountryMapper) -> pd.DataFrame:
    """Staged rows of one quarter with ISO3 codes, display names, CIS membership and period bounds.

    Raises ExtractError naming every unmapped country by file, row and column.
    """
    out = staged.copy()
    periods = out["period"].map(parse_period)
    out["period_kind"] = periods.map(lambda p: p.kind)
    out["period_start"] = pd.to_datetime(periods.map(lambda p: p.start))
    out["period_end"] = pd.to_datetime(periods.map(lambda p: p.end))
    iso3, names, cis, unmapped = [], [], [], {}
    for row in out.itertuples():
        if row.country is None or pd.isna(row.country):
            iso3.append(None), names.append(None), cis.append(None)
            continue
        try:
            code = mapper.to_iso3(row.country)
        except UnmappedCountryError as exc:
            unmapped.setdefault(row.file_name, []).append(Problem(int(row.row_number), "country", str(exc)))
            iso3.append(None), names.append(None), cis.append(None)
            continue
        iso3.append(code)
        names.append(mapper.display_name(code))
        cis.append(None if code == REMAINDER_ISO3 else mapper.is_cis(code, row.period_end.date()))
    if unmapped:
        file_name = next(iter(unmapped))
        others = [f for f in unmapped if f != file_name]
        raise ExtractError(
            file_name + (f" (and {', '.join(others)})" if others else ""),
            [p for ps in unmapped.values() for p in ps],
            hint="Correct the country name in the extract, or add a reviewed alias to "
            "mtm_pipeline/reference/country_aliases.csv, then re-materialise the quarter.",
        )
    out["country_iso3"] = pd.Series(iso3, index=out.index, dtype="object")
    out["country_name"] = pd.Series(names, index=out.index, dtype="object")
    out["cis_member"] = pd.Series(cis, index=out.index, dtype="boolean")
    return out[list(CONFORMED_COLUMNS)]
