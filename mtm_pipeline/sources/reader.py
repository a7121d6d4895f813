"""Find and read one source extract (CSV or XLSX, same columns) into a frame of text cells."""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from mtm_pipeline.sources.contract import COLUMNS, EXTENSIONS, SourceSpec
from mtm_pipeline.sources.errors import ExtractError, Problem


@dataclass(frozen=True)
class RawExtract:
    path: Path
    sha256: str
    frame: pd.DataFrame  # text cells ('' for empty), index = row number in the file (header is row 1)


def find_extract(quarter_dir: Path, spec: SourceSpec) -> Path | None:
    """The one file delivered for this source in this quarter, or None when the source is absent."""
    found = [
        quarter_dir / f"{spec.file_stem}{ext}"
        for ext in EXTENSIONS
        if (quarter_dir / f"{spec.file_stem}{ext}").exists()
    ]
    if len(found) > 1:
        raise ExtractError(
            str(quarter_dir),
            [Problem(None, None, f"two files for source {spec.key!r}: {', '.join(p.name for p in found)}")],
            hint="Keep exactly one file per source and quarter (CSV or XLSX) and remove the other.",
        )
    return found[0] if found else None


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _clean_cell(value: object) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return unicodedata.normalize("NFC", str(value)).strip()


def _read_csv_rows(path: Path) -> list[list[str]]:
    import csv

    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ExtractError(
            str(path),
            [
                Problem(
                    line,
                    None,
                    f"byte {exc.object[exc.start]:#04x} is not UTF-8 (cp1251 or another legacy encoding?)",
                )
            ],
            hint="Save the file as UTF-8 (cp1251 cannot hold Kazakh letters) and deliver it again.",
        ) from exc
    return list(csv.reader(text.splitlines()))


def _read_xlsx_rows(path: Path) -> list[list[str]]:
    import zipfile

    import openpyxl

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise ExtractError(
            str(path),
            [Problem(None, None, f"not a readable XLSX workbook ({exc.__class__.__name__}: {exc})")],
            hint="Export the sheet again as .xlsx (Excel 2007+), or deliver it as UTF-8 CSV.",
        ) from exc
    try:
        sheet = workbook.worksheets[0]
        return [list(row) for row in sheet.iter_rows(values_only=True)]
    finally:
        workbook.close()


def read_extract(path: Path) -> RawExtract:
    """Read a CSV (UTF-8, BOM allowed) or XLSX (first sheet) extract; header row names the columns."""
    rows = _read_csv_rows(path) if path.suffix == ".csv" else _read_xlsx_rows(path)
    rows = [[_clean_cell(c) for c in row] for row in rows]
    if not rows or not any(rows[0]):
        raise ExtractError(str(path), [Problem(1, None, "the file is empty: no header row")])
    header = rows[0]
    while header and header[-1] == "":
        header = header[:-1]
    problems = []
    missing = [c for c in COLUMNS if c not in header]
    extra = [c for c in header if c not in COLUMNS]
    duplicated = sorted({c for c in header if header.count(c) > 1})
    if missing:
        problems.append(Problem(1, None, f"missing column(s): {', '.join(missing)}"))
    if extra:
        problems.append(Problem(1, None, f"unknown column(s): {', '.join(repr(c) for c in extra)}"))
    if duplicated:
        problems.append(Problem(1, None, f"column(s) named twice: {', '.join(duplicated)}"))
    if problems:
        raise ExtractError(
            str(path),
            problems,
            hint=f"The header must name exactly these columns, in any order: {', '.join(COLUMNS)}.",
        )
    body = [(number, row) for number, row in enumerate(rows[1:], start=2) if any(row)]
    if not body:
        raise ExtractError(
            str(path),
            [Problem(None, None, "the file has a header but no observations")],
            hint="Deliver the extract with its rows, or leave the file out if the source has no data.",
        )
    records, long_rows = [], []
    for number, row in body:
        if len(row) > len(header) and any(row[len(header) :]):
            long_rows.append(
                Problem(number, None, f"{len(row)} cells but the header has {len(header)} columns")
            )
        records.append(dict(zip(header, row + [""] * (len(header) - len(row)))))
    if long_rows:
        raise ExtractError(
            str(path), long_rows, hint="Remove the stray cells or quote values that contain commas."
        )
    frame = pd.DataFrame.from_records(records, columns=list(COLUMNS), index=[n for n, _ in body])
    frame.index.name = "row_number"
    return RawExtract(path=path, sha256=file_sha256(path), frame=frame)
