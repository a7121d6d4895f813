"""Reviewed corrections of published figures (data/corrections/<quarter>.csv), applied between the
'delivered' and the 'corrected' stage. Format and rules: data/corrections/README.md.

A correction names the delivered row (source, obs_id), the field, the value as published and the corrected
value. It is applied only while the delivery still says what the correction was decided against: when the
published value no longer matches (the agency re-delivered, or the row is gone), CorrectionError stops
the corrected stage and names the corrections file, its row and what no longer matches.
"""

from __future__ import annotations

import math
import re
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from mtm_pipeline.numbers import (
    NumberFormatError,
    PublishedNumber,
    parse_published_number,
    published_notation,
)
from mtm_pipeline.periods import PeriodError, parse_period, parse_quarter_key
from mtm_pipeline.sources import SOURCES
from mtm_pipeline.sources.contract import CATEGORIES, CHANGE_UNITS

CORRECTION_COLUMNS = (
    "quarter",
    "source",
    "obs_id",
    "field",
    "published_value",
    "corrected_value",
    "justification",
    "author",
    "decided_on",
)

# Numeric fields: corrected in the contract's notation; the *_precision column follows the digits written.
NUMERIC_FIELDS: dict[str, bool] = {"value": False, "share": True, "change": True}  # field -> per cent sign ok
# Fields a correction may change. Country and period are not among them: they feed the conformed columns
# (ISO3, CIS membership, period bounds); a wrong country or period is fixed in the extract and re-delivered.
CORRECTABLE_FIELDS: tuple[str, ...] = (
    "value",
    "share",
    "change",
    "unit",
    "change_unit",
    "change_base_period",
    "part_of",
    "parts_complete",
    "rank",
    "direction",
    "country_group",
    "purpose",
    "category",
    "sector",
    "education",
    "age_group",
)
_CODES: dict[str, tuple[str, ...]] = {
    "change_unit": CHANGE_UNITS,
    "parts_complete": ("yes", "no"),
    "direction": ("in", "out"),
    "country_group": ("CIS", "non-CIS"),
    "purpose": ("labour",),
    "category": CATEGORIES,
}
_OBS_ID = re.compile(r"^[a-z0-9_]+$")
_RANK = re.compile(r"^[1-9][0-9]*$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_FILE_ATTR = "corrections_file"


class CorrectionError(ValueError):
    """A corrections file that is malformed, or a correction that no longer matches the delivery."""


def corrections_path(corrections_dir: Path, quarter: str) -> Path:
    """The corrections file of a quarter: <corrections_dir>/<quarter>.csv."""
    return Path(corrections_dir) / f"{quarter}.csv"


def _empty() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="object") for c in CORRECTION_COLUMNS})


def _cell_problem(field: str, text: str, *, what: str) -> str | None:
    """Why `text` is not a valid value of `field`, or None."""
    if text == "":
        return None
    if field in NUMERIC_FIELDS:
        try:
            parse_published_number(text, allow_percent_sign=NUMERIC_FIELDS[field])
        except NumberFormatError as exc:
            return f"{what} {text!r} is not a number in the contract's notation ({exc})"
    elif field == "rank" and not _RANK.match(text):
        return f"{what} {text!r} is not a rank (an integer >= 1)"
    elif field == "part_of" and not _OBS_ID.match(text):
        return f"{what} {text!r} is not an obs_id"
    elif field == "change_base_period":
        try:
            parse_period(text)
        except PeriodError as exc:
            return f"{what}: {exc}"
    elif field in _CODES and text not in _CODES[field]:
        return f"{what} {text!r} is not one of {list(_CODES[field])}"
    return None


def _row_problems(row: dict[str, str], quarter: str) -> list[tuple[str, str]]:
    """(column, problem) pairs of one corrections row."""
    problems: list[tuple[str, str]] = []
    if row["quarter"] != quarter:
        problems.append(("quarter", f"{row['quarter']!r} differs from the file's quarter {quarter!r}"))
    if row["source"] not in SOURCES:
        problems.append(("source", f"{row['source']!r} is not a source; sources are {sorted(SOURCES)}"))
    if not _OBS_ID.match(row["obs_id"]):
        problems.append(("obs_id", f"{row['obs_id']!r} is not an obs_id (lower-case letters, digits, '_')"))
    field = row["field"]
    if field not in CORRECTABLE_FIELDS:
        problems.append(
            (
                "field",
                (
                    f"{field!r} cannot be corrected here; correctable fields are {list(CORRECTABLE_FIELDS)} "
                    "(a wrong country or period is fixed in the extract and re-delivered)"
                ),
            )
        )
    else:
        for column in ("published_value", "corrected_value"):
            problem = _cell_problem(field, row[column], what=column)
            if problem:
                problems.append((column, problem))
        if row["published_value"] == "" and row["corrected_value"] == "":
            problems.append(("corrected_value", "published_value and corrected_value are both empty"))
        elif row["published_value"] == row["corrected_value"]:
            problems.append(("corrected_value", "equals published_value: the row corrects nothing"))
    for column in ("justification", "author"):
        if not row[column].strip():
            problems.append((column, "is empty; every correction says why and who decided it"))
    try:
        if not _ISO_DATE.match(row["decided_on"]):
            raise ValueError
        date.fromisoformat(row["decided_on"])
    except ValueError:
        problems.append(("decided_on", f"{row['decided_on']!r} is not a date YYYY-MM-DD"))
    return problems


def load_corrections(corrections_dir: Path, quarter: str) -> pd.DataFrame:
    """The corrections of `quarter` (<dir>/<quarter>.csv), validated; an empty frame when there is no file.

    The frame has exactly CORRECTION_COLUMNS (text); its index is the row number in the file (header = 1).
    Raises CorrectionError naming the file, row and column of every problem.
    """
    parse_quarter_key(quarter)
    path = corrections_path(corrections_dir, quarter)
    if not path.is_file():
        frame = _empty()
        frame.attrs[_FILE_ATTR] = str(path)
        return frame
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except (UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise CorrectionError(f"{path}: not a UTF-8 CSV file ({exc})") from None
    columns = tuple(frame.columns)
    if columns != CORRECTION_COLUMNS:
        missing = [c for c in CORRECTION_COLUMNS if c not in columns]
        unexpected = [c for c in columns if c not in CORRECTION_COLUMNS]
        raise CorrectionError(
            f"{path} row 1 (header): the columns must be exactly {','.join(CORRECTION_COLUMNS)}"
            + (f"; missing {missing}" if missing else "")
            + (f"; unexpected {unexpected}" if unexpected else "")
            + ("; order differs" if not missing and not unexpected else "")
        )
    frame.index = pd.RangeIndex(2, 2 + len(frame))  # row number in the file, header = 1
    problems = [
        f"row {number}, column {column!r}: {problem}"
        for number, row in zip(frame.index, frame.to_dict("records"), strict=True)
        for column, problem in _row_problems(row, quarter)
    ]
    keys = (
        frame[["source", "obs_id", "field"]].apply(tuple, axis=1) if len(frame) else pd.Series(dtype=object)
    )
    for number in keys[keys.duplicated()].index:
        first = keys[keys == keys[number]].index[0]
        problems.append(f"row {number}: corrects the same source, obs_id and field as row {first}")
    if problems:
        raise CorrectionError(
            f"{path}: {len(problems)} problem(s); no correction of {quarter} was applied\n"
            + "\n".join(f"  - {p}" for p in problems)
            + "\nFix the file (format: data/corrections/README.md) and re-materialise the corrected stage."
        )
    frame.attrs[_FILE_ATTR] = str(path)
    return frame


# --- applying --------------------------------------------------------------------------------------------


def _missing(x: object) -> bool:
    if x is None or x is pd.NA:
        return True
    return isinstance(x, float) and math.isnan(x)


def _same_number(published: PublishedNumber, value: object, precision: object) -> bool:
    if _missing(value):
        return False
    delivered_precision = 0.0 if _missing(precision) else float(precision)
    return math.isclose(float(published.value), float(value), rel_tol=1e-12, abs_tol=1e-9) and math.isclose(
        float(published.precision), delivered_precision, rel_tol=1e-9, abs_tol=1e-12
    )


def _as_text(field: str, x: object) -> str:
    if _missing(x):
        return ""
    if field == "parts_complete":
        return "yes" if bool(x) else "no"
    if field == "rank":
        return str(int(x))
    return str(x)


def apply_corrections(delivered: pd.DataFrame, corrections: pd.DataFrame) -> pd.DataFrame:
    """Return the corrected frame (same columns as delivered, plus 'corrected_fields': comma-separated
    field names corrected on that row, None otherwise). Raises CorrectionError if a correction's obs_id
    is not in the delivery, or its published_value no longer equals the delivered figure (compare as
    PublishedNumber value+precision for value/share/change; as text for others). Numeric fields
    (value, share, change) take corrected_value in the contract's notation and update the *_precision
    column from it (use numbers.parse_published_number, allow_percent_sign for share/change)."""
    out = delivered.copy()
    out["corrected_fields"] = pd.Series([None] * len(out), index=out.index, dtype="object")
    if corrections is None or corrections.empty:
        return out
    file = corrections.attrs.get(_FILE_ATTR, "the corrections")
    quarters = set(out["delivery_quarter"].dropna()) if "delivery_quarter" in out else set()
    corrected: dict[int, list[str]] = {}
    for number, c in zip(corrections.index, corrections.to_dict("records"), strict=True):
        where = f"{file} row {number} (source {c['source']}, obs_id {c['obs_id']}, field {c['field']})"
        if quarters and c["quarter"] not in quarters:
            raise CorrectionError(
                f"{where}: the correction is for {c['quarter']}, the delivery is {sorted(quarters)}"
            )
        pos = _delivered_row(out, c, where)
        field = c["field"]
        if field not in out.columns:
            raise CorrectionError(f"{where}: the delivered frame has no column {field!r}")
        _check_published(out, pos, c, where)
        _set_corrected(out, pos, field, c["corrected_value"])
        corrected.setdefault(pos, []).append(field)
    flags = out.columns.get_loc("corrected_fields")
    for pos, fields in corrected.items():
        out.iat[pos, flags] = ",".join(dict.fromkeys(fields))
    return out


def _delivered_row(out: pd.DataFrame, c: dict, where: str) -> int:
    """The position of the one delivered row a correction names (CorrectionError when none or several)."""
    matches = np.flatnonzero(
        (out["source"] == c["source"]).to_numpy() & (out["obs_id"] == c["obs_id"]).to_numpy()
    )
    if len(matches) != 1:
        raise CorrectionError(
            f"{where}: obs_id {c['obs_id']!r} is "
            + ("not in" if not len(matches) else "more than once in")
            + f" the {c['source']} delivery of {c['quarter']}; the row the correction was decided "
            "against no longer exists: review the correction against the delivery, then update or delete it."
        )
    return int(matches[0])


def _check_published(out: pd.DataFrame, pos: int, c: dict, where: str) -> None:
    """CorrectionError unless the delivered cell still says the correction's published_value."""
    field = c["field"]
    delivered_cell = out.iat[pos, out.columns.get_loc(field)]
    if field in NUMERIC_FIELDS:
        delivered_precision = out.iat[pos, out.columns.get_loc(f"{field}_precision")]
        if c["published_value"] == "":
            matches_published = _missing(delivered_cell)
        else:
            published = parse_published_number(c["published_value"], allow_percent_sign=NUMERIC_FIELDS[field])
            matches_published = _same_number(published, delivered_cell, delivered_precision)
        delivered_text = (
            "" if _missing(delivered_cell) else published_notation(float(delivered_cell), delivered_precision)
        )
    else:
        delivered_text = _as_text(field, delivered_cell)
        matches_published = delivered_text == c["published_value"]
    if not matches_published:
        raise CorrectionError(
            f"{where}: published_value {c['published_value']!r} no longer matches the delivered "
            f"{field} {delivered_text!r}; the delivery changed since the correction was decided on "
            f"{c['decided_on']}: review the correction against the new delivery, then update or delete it."
        )


def _set_corrected(out: pd.DataFrame, pos: int, field: str, new: str) -> None:
    """Write a corrected value (in the contract's notation) into its cell, and a number's precision."""
    column = out.columns.get_loc(field)
    if field in NUMERIC_FIELDS:
        precision_column = out.columns.get_loc(f"{field}_precision")
        if new == "":
            out.iat[pos, column], out.iat[pos, precision_column] = np.nan, np.nan
        else:
            parsed = parse_published_number(new, allow_percent_sign=NUMERIC_FIELDS[field])
            out.iat[pos, column] = float(parsed.value)
            out.iat[pos, precision_column] = float(parsed.precision)
    elif field == "rank":
        out.iat[pos, column] = pd.NA if new == "" else int(new)
    elif field == "parts_complete":
        out.iat[pos, column] = pd.NA if new == "" else new == "yes"
    else:
        out.iat[pos, column] = None if new == "" else new
