"""Tiny workbooks with an enormous extent, written from a sample workbook by editing its sheet XML (what
openpyxl would not write without building the rectangle in memory). Used by the refusal tests and by
benchmarks/workbook_limits.py."""

from __future__ import annotations

import io
import re
import struct
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

from mtm_pipeline.sources.xlsx_cells import column_letters

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


def dense_rows(path: Path, rows: int, columns: int = 26) -> None:
    """Rows of numbers in `columns` columns under the table, down to row `rows`: the most content the
    reader takes when `rows` is its row limit."""

    def cell(row: int, column: int) -> bytes:
        return b'<c r="%s%d"><v>%d</v></c>' % (column_letters(column + 1).encode(), row, row * column)

    def rewrite(xml: bytes) -> Iterator[bytes]:
        last = max(int(r) for r in re.findall(rb'<row r="(\d+)"', xml))
        head, tail = xml.split(b"</sheetData>", 1)
        yield head
        for start in range(last + 1, rows + 1, 1000):
            yield b"".join(
                b'<row r="%d">' % n + b"".join(cell(n, c) for c in range(columns)) + b"</row>"
                for n in range(start, min(start + 1000, rows + 1))
            )
        yield b"</sheetData>" + tail

    _rewrite_sheet(path, rewrite)


CASES: dict[str, Callable[[Path], None]] = {
    "far_cell": far_cell,
    "huge_dimension": huge_dimension,
    "million_empty_rows": million_empty_rows,
}


# --- a password-encrypted workbook --------------------------------------------------------------------------

_FREE, _END, _FAT = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD


def _directory_entry(
    name: str, kind: int, right: int = _FREE, child: int = _FREE, start=_END, size=0
) -> bytes:
    encoded = (name + "\0").encode("utf-16-le") if name else b""
    return (
        encoded.ljust(64, b"\0")
        + struct.pack("<HBB3I", len(encoded), kind, 1, _FREE, right, child)
        + bytes(16 + 4 + 16)  # class id, state bits, creation and modification times
        + struct.pack("<IQ", start, size)
    )


def encrypted_workbook(path: Path) -> None:
    """The workbook as Excel saves it with a password: an OLE compound file (D0 CF 11 E0 ...) holding the
    streams EncryptionInfo and EncryptedPackage (here the package's bytes scrambled, not real AES: what
    matters to the reader is the container it has to recognise)."""
    package = bytes(b ^ 0x5A for b in path.read_bytes())
    info = b"\x04\x00\x04\x00\x40\x00\x00\x00" + b"<encryption/>".ljust(4096 - 8, b"\0")  # agile encryption
    streams = [info, struct.pack("<Q", len(package)) + package]
    sectors = [(len(s) + 511) // 512 for s in streams]
    assert 2 + sum(sectors) <= 128, "one FAT sector maps 128 sectors"
    fat, starts, next_free = [_FAT, _END], [], 2
    for count in sectors:
        starts.append(next_free)
        fat += [next_free + i + 1 for i in range(count - 1)] + [_END]
        next_free += count
    fat_sector = struct.pack(f"<{len(fat)}I", *fat).ljust(512, b"\xff")
    directory = (
        _directory_entry("Root Entry", 5, child=1)
        + _directory_entry("EncryptionInfo", 2, right=2, start=starts[0], size=len(streams[0]))
        + _directory_entry("EncryptedPackage", 2, start=starts[1], size=len(streams[1]))
        + _directory_entry("", 0, start=0)
    )
    header = (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
        + bytes(16)
        + struct.pack(
            "<HHHHH6sIIIIIIIII", 0x3E, 3, 0xFFFE, 9, 6, bytes(6), 0, 1, 1, 0, 0x1000, _END, 0, _END, 0
        )
        + struct.pack("<I", 0)  # the FAT is sector 0
        + b"\xff" * (4 * 108)
    )
    body = b"".join(s.ljust(n * 512, b"\0") for s, n in zip(streams, sectors, strict=True))
    path.write_bytes(header + fat_sector + directory + body)
