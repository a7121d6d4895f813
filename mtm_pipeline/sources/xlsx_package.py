"""An .xlsx delivery opened safely: refused before any XML is parsed when it is no XLSX package (an
old .xls, a password-encrypted workbook, another file), would inflate past the limits, or declares XML
entities; then read as its stored cells (`xlsx_cells`). Also how a numeric or date cell reads as text:
the digits its number format shows.
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path

from mtm_pipeline.sources.errors import ExtractError, Problem
from mtm_pipeline.sources.xlsx_cells import StoredWorkbook, TooLarge, read_stored_cells

# Limits: far above any real extract (the largest delivered file is under 20 KB), far below what
# would exhaust memory. A workbook is checked before any XML in it is parsed.
MAX_XLSX_UNCOMPRESSED_BYTES = 100 * 1024 * 1024
MAX_XLSX_COMPRESSION_RATIO = 200
# An OLE compound file (old .xls, or an Office file encrypted with a password) starts with these bytes.
OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# The streams of an encrypted Office package (MS-OFFCRYPTO), as named in the compound file's directory.
_ENCRYPTED_STREAMS = ("EncryptedPackage".encode("utf-16-le"), "EncryptionInfo".encode("utf-16-le"))
EXPORT_HINT = "Export the sheet again as .xlsx (Excel 2007+), or deliver it as CSV UTF-8."


def refuse_xlsx(path: Path, message: str, hint: str | None = None, row: int | None = None) -> ExtractError:
    """The error for a workbook refused as a whole, with what to do."""
    return ExtractError(str(path), [Problem(row, None, message)], hint=hint or EXPORT_HINT)


def is_encrypted_workbook(data: bytes) -> bool:
    """An Office file encrypted with a password: an OLE compound file holding the encrypted package."""
    return data.startswith(OLE_SIGNATURE) and all(name in data for name in _ENCRYPTED_STREAMS)


def _refuse_not_zip(path: Path, data: bytes, exc: Exception) -> ExtractError:
    if is_encrypted_workbook(data):
        return refuse_xlsx(
            path,
            "the workbook is encrypted with a password (an encrypted Office package), so its cells "
            "cannot be read",
            hint="Open it in Excel, remove the password (File > Info > Protect Workbook > Encrypt with "
            "Password, clear the password) and save it again; or deliver the sheet as CSV UTF-8.",
        )
    kind = "an old .xls workbook" if data.startswith(OLE_SIGNATURE) else "not a zip package"
    return refuse_xlsx(path, f"not a readable XLSX workbook ({kind})")


def check_package(path: Path, data: bytes) -> None:
    """Refuse what is not an XLSX package, or would inflate to more than the limits, before parsing."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except Exception as exc:  # BadZipFile, and ValueError/EOFError on truncated archives
        raise _refuse_not_zip(path, data, exc) from exc
    with archive:
        members = archive.infolist()
        names = {m.filename for m in members}
        if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
            raise refuse_xlsx(
                path, "not a readable XLSX workbook (a zip file without an Excel workbook in it)"
            )
        total = sum(m.file_size for m in members)
        if total > MAX_XLSX_UNCOMPRESSED_BYTES:
            raise refuse_xlsx(
                path,
                f"the workbook inflates to {total:,} bytes (limit {MAX_XLSX_UNCOMPRESSED_BYTES:,}); "
                "refused without reading it",
                hint="Deliver only the extract's sheet (or a CSV UTF-8 file).",
            )
        for member in members:
            if member.file_size > 1024 * 1024 and member.file_size > MAX_XLSX_COMPRESSION_RATIO * max(
                member.compress_size, 1
            ):
                raise refuse_xlsx(
                    path,
                    f"{member.filename} inflates {member.file_size // max(member.compress_size, 1)}-fold "
                    "(a zip bomb?); refused without reading it",
                )


def _refuse_unreadable(path: Path, exc: Exception) -> ExtractError:
    from defusedxml import DefusedXmlException

    cause: BaseException | None = exc
    while cause is not None and not isinstance(cause, DefusedXmlException):
        cause = cause.__cause__ or cause.__context__
    if cause is not None:
        return refuse_xlsx(
            path,
            f"the workbook's XML declares entities or a DTD ({cause.__class__.__name__}); refused "
            "unread (XML entity expansion, 'billion laughs')",
            hint="Export the sheet again from Excel or LibreOffice as .xlsx, or deliver CSV UTF-8.",
        )
    reason = " ".join(str(exc).split())[:200]
    return refuse_xlsx(path, f"not a readable XLSX workbook ({exc.__class__.__name__}: {reason})")


def load_xlsx(path: Path, data: bytes) -> StoredWorkbook:
    """The workbook's stored cells: refused first if it is no XLSX package or would inflate past the
    limits, then as soon as a sheet's content reaches past the limits. Pass it on, so that a delivery is
    parsed once however it is read."""
    check_package(path, data)
    try:
        return read_stored_cells(data)
    except MemoryError:
        raise
    except TooLarge as exc:
        raise refuse_xlsx(
            path,
            exc.problem.message,
            hint="Delete the rows and columns outside the table (select them, Delete, save), or copy the "
            "table alone to a new workbook, and deliver it again.",
            row=exc.problem.row,
        ) from exc
    except Exception as exc:  # openpyxl and the XML parser raise many types on broken packages
        raise _refuse_unreadable(path, exc) from exc


def decimals_of(number_format: str) -> int | None:
    """Decimal places a fixed number format shows ('0.0' -> 1, '#,##0' -> 0), None for General/other."""
    section = number_format.split(";")[0]
    section = re.sub(r'"[^"]*"|\[[^\]]*\]|\\.', "", section)  # literals, colours, escapes
    if not re.search(r"[0#]", section) or "E" in section.upper():
        return None
    match = re.search(r"\.([0#]+)", section)
    return len(match.group(1)) if match else 0


def number_text(value: float | Decimal, number_format: str) -> str:
    """A numeric cell as the digits the sheet shows: fixed formats keep their decimals ('80.0'),
    per cent formats give '58.2%', General gives Excel's 15 significant digits."""
    number_format = number_format or "General"
    decimals = decimals_of(number_format)
    percent = "%" in number_format.split(";")[0]
    exact = Decimal(value) if isinstance(value, int) else Decimal(str(value))
    if percent:
        exact *= 100
    if decimals is not None:
        text = f"{exact:.{decimals}f}"
    elif isinstance(value, int) or (exact == exact.to_integral_value() and abs(exact) < 10**21):
        text = str(int(exact))
    else:
        text = format(float(exact), ".15g")  # what Excel shows; '1e-05' is then refused as no number
    return text + ("%" if percent else "")


def date_text(value: datetime | date, number_format: str) -> str:
    """A date cell as text with the precision its format shows: '2024-07-01', '2024-05' or '2024'."""
    fmt = re.sub(r'"[^"]*"|\[[^\]]*\]|\\.', "", (number_format or "").lower())
    day = value.date() if isinstance(value, datetime) else value
    if isinstance(value, datetime) and value.time() != time(0):
        return value.isoformat(sep=" ")  # a time of day is no reference period: the schema refuses it
    if "d" in fmt or not fmt or fmt == "general":
        return day.isoformat()
    if "m" in fmt:
        return f"{day.year:04d}-{day.month:02d}"
    return f"{day.year:04d}"
