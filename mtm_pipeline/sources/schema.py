"""pandera models for the extract boundary.

`ExtractSchema` checks the text cells as delivered (each source subclasses it with its measures);
`ObservationSchema` checks the typed, conformed rows just before they are published.
"""

from __future__ import annotations

import re

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from mtm_pipeline.numbers import NumberFormatError, parse_published_number
from mtm_pipeline.periods import PeriodError, parse_period
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


def _filled(series: pd.Series) -> pd.Series:
    return series.str.len() > 0


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
    publication_date: Series[str] = pa.Field(str_matches=_PUBLICATION_DATE.pattern)
    location: Series[str] = pa.Field(str_length={"min_value": 1})
    published_text: Series[str]
    note: Series[str]

    # Set by each source's subclass.
    _measure_units: dict[str, str] = {}  # noqa: RUF012 (read-only, replaced by each subclass)
    _agencies: tuple[str, ...] = ()

    class Config:
        strict = True
        coerce = False

    @pa.check("period", name="period: a quarter YYYY-Qn, a year YYYY or a date YYYY-MM-DD", element_wise=True)
    def _period_valid(cls, text: str) -> bool:
        return _is_period(text)

    @pa.check("change_base_period", name="change_base_period: empty or a period", element_wise=True)
    def _base_period_valid(cls, text: str) -> bool:
        return text == "" or _is_period(text)

    @pa.check("value", name="value: empty or a number (an accepted notation)", element_wise=True)
    def _value_is_number(cls, text: str) -> bool:
        return text == "" or _is_number(text)

    @pa.check("value", name="value: not negative", element_wise=True)
    def _value_not_negative(cls, text: str) -> bool:
        return text == "" or not _is_number(text) or parse_published_number(text).value >= 0

    @pa.check("share", name="share: empty or a per cent between 0 and 100", element_wise=True)
    def _share_valid(cls, text: str) -> bool:
        if text == "":
            return True
        return (
            _is_number(text, percent=True)
            and 0 <= parse_published_number(text, allow_percent_sign=True).value <= 100
        )

    @pa.check("change", name="change: empty or a signed number", element_wise=True)
    def _change_is_number(cls, text: str) -> bool:
        return text == "" or _is_number(text, percent=True)

    @pa.dataframe_check(name="measure: one of this source's measures")
    def _measure_known(cls, df: pd.DataFrame) -> Series[bool]:
        return df["measure"].isin(list(cls._measure_units))

    @pa.dataframe_check(name="agency: the agency that produces this source")
    def _agency_known(cls, df: pd.DataFrame) -> Series[bool]:
        return df["agency"].isin(list(cls._agencies))

    @pa.dataframe_check(name="unit: required with a value or an absolute change, and the measure's unit")
    def _unit_matches_measure(cls, df: pd.DataFrame) -> Series[bool]:
        expected = df["measure"].map(cls._measure_units).fillna("")
        needed = _filled(df["value"]) | (df["change_unit"] == "absolute")
        return (df["unit"] == expected) | (~needed & (df["unit"] == ""))

    @pa.dataframe_check(name="value: at least one of value, share, change or rank is filled")
    def _has_a_figure(cls, df: pd.DataFrame) -> Series[bool]:
        return _filled(df["value"]) | _filled(df["share"]) | _filled(df["change"]) | _filled(df["rank"])

    @pa.dataframe_check(name="change_unit: change, change_unit and change_base_period are filled together")
    def _change_complete(cls, df: pd.DataFrame) -> Series[bool]:
        filled = (
            _filled(df["change"]).astype(int) + _filled(df["change_unit"]) + _filled(df["change_base_period"])
        )
        return (filled == 0) | (filled == 3)

    @pa.dataframe_check(name="part_of: empty or the obs_id of another row in this file")
    def _part_of_exists(cls, df: pd.DataFrame) -> Series[bool]:
        return (df["part_of"] == "") | (df["part_of"].isin(df["obs_id"]) & (df["part_of"] != df["obs_id"]))

    @pa.dataframe_check(name="parts_complete: filled exactly when part_of is")
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
    period_kind: Series[str] = pa.Field(isin=["quarter", "year", "date"])
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


def failures_to_problems(error: pa.errors.SchemaErrors) -> list[Problem]:
    """One Problem per failing (row, check), the column taken from the check's name or the failing column."""
    problems: dict[tuple, Problem] = {}
    for case in error.failure_cases.itertuples(index=False):
        check = str(case.check)
        column = (
            case.column
            if isinstance(case.column, str) and case.column in ExtractSchema.to_schema().columns
            else None
        )
        if ":" in check and check.split(":", 1)[0] in ExtractSchema.to_schema().columns:
            column, check = check.split(":", 1)[0], check.split(":", 1)[1].strip()
        row = None if pd.isna(case.index) else int(case.index)
        shown = "" if column is None or row is None else f" (found {case.failure_case!r})"
        if case.check in ("field_uniqueness",):
            check = "must be unique in the file"
        key = (row, column, check)
        if key not in problems:
            problems[key] = Problem(row, column, f"{check}{shown}")
    return sorted(problems.values(), key=lambda p: (p.row or 0, p.column or ""))


def validate_extract(frame: pd.DataFrame, schema: type[ExtractSchema], file: str) -> pd.DataFrame:
    """Lazy validation: every failure in the file is reported at once, by row and column."""
    try:
        return schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as error:
        raise ExtractError(file, failures_to_problems(error)) from None
