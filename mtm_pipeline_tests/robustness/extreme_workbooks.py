"""Tiny workbooks with an enormous extent, written from a sample workbook by editing its sheet XML (what
openpyxl would not write without building the rectangle in memory). Used by the refusal tests and by
benchmarks/workbook_limits.py."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

SHEET = "xl/worksheets/sheet1.xml"


def _rewrite_sheet(path: Path, rewrite: Callable[[bytes], Iterator[bytes]]) -> None:
    """Write the package again with the first sheet's XML replaced by the chunks `rewrite` yields."""
    source = zipfile.ZipFile(io.BytesIO(path.read_bytes()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target:
        for name in source.namelist():
            if name != SHEET:
                target.writestr(name, source.read(name))
                continue
            with target.open(name, "w", force_zip64=True) as handle:
                for chunk in rewrite(source.read(name)):
                    handle.write(chunk)
    path.write_bytes(out.getvalue())


def _dimension(xml: bytes, ref: str) -> bytes:
    return re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="' + ref.encode() + b'"', xml, count=1)


def far_cell(path: Path) -> None:
    """One more cell, holding a number, at XFD1048576 (the last cell of a sheet). The declared extent is
    left as it was, so that the cell itself is what is refused."""

    def rewrite(xml: bytes) -> Iterator[bytes]:
        yield xml.replace(
            b"</sheetData>", b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData>', 1
        )

    _rewrite_sheet(path, rewrite)


def huge_dimension(path: Path) -> None:
    """The sheet declares its extent as the whole sheet; its cells are those of the sample."""
    _rewrite_sheet(path, lambda xml: iter([_dimension(xml, "A1:XFD1048576")]))


def million_empty_rows(path: Path, rows: int = 1_000_000) -> None:
    """Formatted empty rows (each with an empty formatted cell) down to row `rows`, under the table. The
    declared extent is left as it was, so that the rows themselves are what is refused."""

    def rewrite(xml: bytes) -> Iterator[bytes]:
        last = max(int(r) for r in re.findall(rb'<row r="(\d+)"', xml))
        head, tail = xml.split(b"</sheetData>", 1)
        yield head
        for start in range(last + 1, rows + 1, 10_000):
            yield b"".join(
                b'<row r="%d" ht="15" customHeight="1"><c r="A%d" s="0"/></row>' % (n, n)
                for n in range(start, min(start + 10_000, rows + 1))
            )
        yield b"</sheetData>" + tail

    _rewrite_sheet(path, rewrite)


CASES: dict[str, Callable[[Path], None]] = {
    "far_cell": far_cell,
    "huge_dimension": huge_dimension,
    "million_empty_rows": million_empty_rows,
}
