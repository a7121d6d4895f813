"""The text of a PDF the report wrote (fpdf2, embedded TrueType subsets): each font's ToUnicode map applied to
the strings its pages draw, in drawing order. Enough for the report's PDFs; not a general PDF reader."""

from __future__ import annotations

import re
import zlib
from pathlib import Path

_OBJECT = re.compile(rb"(\d+) 0 obj(.*?)endobj", re.DOTALL)
_STREAM = re.compile(rb"stream\r?\n(.*?)\r?\nendstream", re.DOTALL)
_STRING = re.compile(rb"/(F\d+) [\d.]+ Tf|\(((?:\\.|[^\\)])*)\) Tj", re.DOTALL)
_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}


def _stream(body: bytes) -> bytes:
    data = _STREAM.search(body).group(1)
    return zlib.decompress(data) if b"/FlateDecode" in body[: body.index(b"stream")] else data


def _unescape(raw: bytes) -> bytes:
    return re.sub(rb"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), raw, flags=re.DOTALL)


def _cmap(data: bytes) -> dict[int, str]:
    out = {}
    for section in re.findall(rb"beginbfchar(.*?)endbfchar", data, re.DOTALL):
        for cid, uni in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", section):
            out[int(cid, 16)] = bytes.fromhex(uni.decode()).decode("utf-16-be")
    for section in re.findall(rb"beginbfrange(.*?)endbfrange", data, re.DOTALL):
        for low, high, uni in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", section):
            for i, cid in enumerate(range(int(low, 16), int(high, 16) + 1)):
                out[cid] = chr(int(uni, 16) + i)
    return out


def pdf_text(path: Path) -> str:
    """The drawn strings of every page, joined by spaces."""
    objects = {int(m.group(1)): m.group(2) for m in _OBJECT.finditer(Path(path).read_bytes())}
    maps = {}
    for number, body in objects.items():
        if m := re.search(rb"/ToUnicode (\d+) 0 R", body):
            maps[number] = _cmap(_stream(objects[int(m.group(1))]))
    fonts = {}
    for body in objects.values():
        for name, number in re.findall(rb"/(F\d+) (\d+) 0 R", body):
            fonts[name.decode()] = maps.get(int(number), {})
    words = []
    for body in objects.values():
        if not re.search(rb"/Type /Page\b", body):
            continue
        content = _stream(objects[int(re.search(rb"/Contents (\d+) 0 R", body).group(1))])
        cmap: dict[int, str] = {}
        for m in _STRING.finditer(content):
            if m.group(1):
                cmap = fonts.get(m.group(1).decode(), {})
                continue
            raw = _unescape(m.group(2))
            words.append(
                "".join(cmap.get(int.from_bytes(raw[i : i + 2], "big"), "?") for i in range(0, len(raw), 2))
            )
    return " ".join(words)
