"""pandera models for the extract boundary.

`ExtractSchema` checks the text cells as delivered (each source subclasses it with its measures);
`ObservationSchema` checks the typed, conformed rows just before they are published.
"""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from mtm_pipeline.numbers import NumberFormatError, parse_published_number
from mtm_pipeline.periods import PERIOD_KINDS, PeriodError, parse_period
from mtm_pipeline.sources.contract import CATEGORIES, CHANGE_UNITS, NATURAL_KEY
from mtm_pipeline.sources.errors import ExtractError, Problem

_PUBLICATION_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


def _is_number(text: str, *, percent: bool = False) -> bool:
    try:
        parse_published_number(text, allow_percent_sign=percent)
    except NumberFormatError:
        return False
    return True


def _is_period(text: str) -> bool:
    try:
        parse_period(text)
    except PeriodError:
        return False
    return True


def is_publication_date(text: str) -> bool:
    """A year `YYYY`, a month `YYYY-MM` or a day `YYYY-MM-DD` that exists (no month 13, no 31 April)."""
    if not _PUBLICATION_DATE.match(text):
        return False
    parts = [int(part) for part in text.split("-")] + [1, 1]
    year, month, day = parts[:3]
    try:
        dt.date(year, month, day)
    except ValueError:
        return False
    return True


def _filled(series: pd.Series) -> pd.Series:
    return series.str.len() > 0


# What each custom check means, by check (method) name: pandera forgets a check's `name=` once a
# second subclass of the model is built, so failures are described from this table instead.
CHECK_DESCRIPTIONS: dict[str, tuple[str, str]] = {
    "_direction_where_required": (
        "direction",
        "in or out for border crossings and remittances, empty for other sources",
    ),
    "_period_valid": (
        "period",
        "a quarter YYYY-Qn, a year YYYY, a date YYYY-MM-DD or January to a month YYYY-01/MM",
    ),
    "_base_period_valid": ("change_base_period", "empty or a period"),
    "_publication_date_valid": (
        "publication_date",
        "a year YYYY, a month YYYY-MM or a day YYYY-MM-DD that exists (month 01-12, day in the month)",
    ),
    "_value_is_number": ("value", "empty or a number (an accepted notation)"),
    "_value_not_negative": ("value", "not negative"),
    "_share_valid": ("share", "empty or a per cent between 0 and 100"),
    "_change_is_number": ("change", "empty or a signed number"),
    "_measure_known": ("measure", "one of this source's measures"),
    "_agency_known": ("agency", "the agency that produces this source"),
    "_unit_matches_measure": ("unit", "required with a value or an absolute change, and the measure's unit"),
    "_has_a_figure": ("value", "at least one of value, share, change or rank is filled"),
    "_change_complete": ("change_unit", "change, change_unit and change_base_period are filled together"),
    "_part_of_exists": ("part_of", "empty or the obs_id of another row in this file"),
    "_parts_complete_with_part_of": ("parts_complete", "filled exactly when part_of is"),
}


class ExtractSchema(pa.DataFrameModel):
    """Text cells of one extract. Empty cells are ''. Check names start with the column they concern."""

    obs_id: Series[str] = pa.Field(str_matches=r"^[a-z0-9_]+$", unique=True)
    measure: Series[str]
    period: Series[str]
    direction: Series[str] = pa.Field(isin=["", "in", "out"])
    country: Series[str]
    country_group: Series[str] = pa.Field(isin=["", "CIS", "non-CIS"])
    purpose: Series[str] = pa.Field(isin=["", "labour"])
    category: Series[str] = pa.Field(isin=["", *CATEGORIES])
    sector: Series[str]
    education: Series[str]
    age_group: Series[str]
    value: Series[str]
    unit: Series[str]
    share: Series[str]
    part_of: Series[str]
    parts_complete: Series[str] = pa.Field(isin=["", "yes", "no"])
    change: Series[str]
    change_unit: Series[str] = pa.Field(isin=["", *CHANGE_UNITS])
    change_base_period: Series[str]
    rank: Series[str] = pa.Field(str_matches=r"^([1-9][0-9]*)?$")
    agency: Series[str]
    publication: Series[str] = pa.Field(str_length={"min_value": 1})
    publication_date: Series[str]
    location: Series[str] = pa.Field(str_length={"min_value": 1})
    published_text: Series[str]
    note: Series[str]

    # Set by each source's subclass.
    _measure_units: dict[str, str] = {}  # noqa: RUF012 (read-only, replaced by each subclass)
    _agencies: tuple[str, ...] = ()
    _directional: bool = False  # border crossings and remittances: every row says in or out

    class Config:
        strict = True
        coerce = False

    @pa.check("period", element_wise=True)
    def _period_valid(cls, text: str) -> bool:
        return _is_period(text)

    @pa.check("publication_date", element_wise=True)
    def _publication_date_valid(cls, text: str) -> bool:
        return is_publication_date(text)

    @pa.check("change_base_period", element_wise=True)
    def _base_period_valid(cls, text: str) -> bool:
        return text == "" or _is_period(text)

    @pa.check("value", element_wise=True)
    def _value_is_number(cls, text: str) -> bool:
        return text == "" or _is_number(text)

    @pa.check("value", element_wise=True)
    def _value_not_negative(cls, text: str) -> bool:
        return text == "" or not _is_number(text) or parse_published_number(text).value >= 0

    @pa.check("share", element_wise=True)
    def _share_valid(cls, text: str) -> bool:
        if text == "":
            return True
        return (
            _is_number(text, percent=True)
            and 0 <= parse_published_number(text, allow_percent_sign=True).value <= 100
        )

    @pa.check("change", element_wise=True)
    def _change_is_number(cls, text: str) -> bool:
        return text == "" or _is_number(text, percent=True)

    @pa.dataframe_check()
    def _measure_known(cls, df: pd.DataFrame) -> Series[bool]:
        return df["measure"].isin(list(cls._measure_units))

    @pa.dataframe_check()
    def _direction_where_required(cls, df: pd.DataFrame) -> Series[bool]:
        return _filled(df["direction"]) if cls._directional else ~_filled(df["direction"])

    @pa.dataframe_check()
    def _agency_known(cls, df: pd.DataFrame) -> Series[bool]:
        return df["agency"].isin(list(cls._agencies))

    @pa.dataframe_check()
    def _unit_matches_measure(cls, df: pd.DataFrame) -> Series[bool]:
        expected = df["measure"].map(cls._measure_units).fillna("")
        needed = _filled(df["value"]) | (df["change_unit"] == "absolute")
        return (df["unit"] == expected) | (~needed & (df["unit"] == ""))

    @pa.dataframe_check()
    def _has_a_figure(cls, df: pd.DataFrame) -> Series[bool]:
        return _filled(df["value"]) | _filled(df["share"]) | _filled(df["change"]) | _filled(df["rank"])

    @pa.dataframe_check()
    def _change_complete(cls, df: pd.DataFrame) -> Series[bool]:
        filled = (
            _filled(df["change"]).astype(int) + _filled(df["change_unit"]) + _filled(df["change_base_period"])
        )
        return (filled == 0) | (filled == 3)

    @pa.dataframe_check()
    def _part_of_exists(cls, df: pd.DataFrame) -> Series[bool]:
        return (df["part_of"] == "") | (df["part_of"].isin(df["obs_id"]) & (df["part_of"] != df["obs_id"]))

    @pa.dataframe_check()
    def _parts_complete_with_part_of(cls, df: pd.DataFrame) -> Series[bool]:
        return _filled(df["part_of"]) == _filled(df["parts_complete"])

    @pa.dataframe_check(
        name="obs_id: no two rows give a value or share for the same measure, period and dimensions"
    )
    def _natural_key_unique(cls, df: pd.DataFrame) -> Series[bool]:
        figures = _filled(df["value"]) | _filled(df["share"])
        duplicated = df[figures].duplicated(subset=list(NATURAL_KEY), keep=False)
        return ~duplicated.reindex(df.index, fill_value=False)


class ObservationSchema(pa.DataFrameModel):
    """A conformed observation as published to published.observations."""

    delivery_quarter: Series[str] = pa.Field(str_matches=r"^\d{4}-Q[1-4]$")
    source: Series[str]
    obs_id: Series[str]
    measure: Series[str]
    period: Series[str]
    period_kind: Series[str] = pa.Field(isin=list(PERIOD_KINDS))
    period_start: Series[pd.Timestamp]
    period_end: Series[pd.Timestamp]
    country_iso3: Series[str] = pa.Field(nullable=True, str_matches=r"^[A-Z]{3}$")
    cis_member: Series[pd.BooleanDtype] = pa.Field(nullable=True)
    value: Series[float] = pa.Field(nullable=True, ge=0)
    value_precision: Series[float] = pa.Field(nullable=True, gt=0)
    share: Series[float] = pa.Field(nullable=True, ge=0, le=100)
    share_precision: Series[float] = pa.Field(nullable=True, gt=0)
    change: Series[float] = pa.Field(nullable=True)
    change_precision: Series[float] = pa.Field(nullable=True, gt=0)
    file_sha256: Series[str] = pa.Field(str_matches=r"^[0-9a-f]{64}$")
    row_number: Series[int] = pa.Field(ge=2, coerce=True)

    class Config:
        strict = False


_BUILTIN_CHECKS = {
    "field_uniqueness": "must be unique in the file",
    "str_matches": "does not have the required form (see data/raw/README.md)",
    "isin": "is not one of the allowed values (see data/raw/README.md)",
    "str_length": "must not be empty",
}


def failures_to_problems(error: pa.errors.SchemaErrors, frame: pd.DataFrame) -> list[Problem]:
    """One Problem per failing (row, check): the column and the meaning from CHECK_DESCRIPTIONS for custom
    checks, pandera's own wording for built-in ones, and the cell as found."""
    columns = set(frame.columns)
    problems: dict[tuple, Problem] = {}
    for case in error.failure_cases.itertuples(index=False):
        check = str(case.check)
        column = case.column if isinstance(case.column, str) and case.column in columns else None
        if check in CHECK_DESCRIPTIONS:
            column, meaning = CHECK_DESCRIPTIONS[check]
            check = f"expected {meaning}"
        else:
            base = check.split("(", 1)[0]
            check = _BUILTIN_CHECKS.get(base, check)
        row = None if pd.isna(case.index) else int(case.index)
        found = ""
        if column is not None and row is not None and row in frame.index:
            found = f" (found {frame.at[row, column]!r})"
        key = (row, column, check)
        if key not in problems:
            problems[key] = Problem(row, column, f"{check}{found}")
    return sorted(problems.values(), key=lambda p: (p.row or 0, p.column or ""))


def structure_problems(frame: pd.DataFrame, schema: type[ExtractSchema]) -> list[Problem]:
    """Exactly the schema's columns, and every cell text: what pandera's schema-level pass would check."""
    expected = list(schema.to_schema().columns)
    problems = []
    missing = [c for c in expected if c not in frame.columns]
    extra = [str(c) for c in frame.columns if c not in expected]
    if missing:
        problems.append(Problem(None, None, f"missing column(s): {', '.join(missing)}"))
    if extra:
        problems.append(Problem(None, None, f"column(s) not in the contract: {', '.join(extra)}"))
    for column in [c for c in expected if c in frame.columns]:
        not_text = frame.index[~frame[column].map(type).eq(str)]
        problems += [
            Problem(int(row), column, f"is not text (found {frame.at[row, column]!r})")
            for row in not_text[:5]
        ]
    return problems


def validate_extract(frame: pd.DataFrame, schema: type[ExtractSchema], file: str) -> pd.DataFrame:
    """Lazy validation: every failure in the file is reported at once, by row and column.

    The structure (columns, text cells) is checked directly, then pandera runs the data checks only:
    its schema-level pass formats a message for every passing column (about 2 ms a column, two thirds
    of an extract's validation), which a 40-quarter backfill pays 200 times.
    """
    from pandera.config import ValidationDepth, config_context

    if problems := structure_problems(frame, schema):
        raise ExtractError(file, problems)
    try:
        with config_context(validation_depth=ValidationDepth.DATA_ONLY):
            return schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as error:
        raise ExtractError(file, failures_to_problems(error, frame)) from None
