"""The text of a PDF that fpdf2 wrote, without a PDF library: each `(…) Tj` string of the content streams,
decoded through its font's ToUnicode map (DejaVu: two-byte glyph ids) or as Latin-1 (the core fonts).

One line per text run, in drawing order. Enough for our own PDFs (the salinan, the KPPS code sheet); not a
general PDF reader.
"""

from __future__ import annotations

import re
import zlib

OBJECT = re.compile(rb"(\d+) 0 obj(.*?)endobj", re.S)
STREAM = re.compile(rb"stream\r?\n(.*?)\r?\nendstream", re.S)
FONT_REF = re.compile(rb"/(F\d+) (\d+) 0 R")
STRING = rb"\(((?:[^()\\]|\\.)*)\)"
INNER = rb"\((?:[^()\\]|\\.)*\)"  # the same, without a group
# A font switch, a string shown (Tj), or an array of strings and kerning shown (TJ: justified lines).
RUN = re.compile(rb"/(F\d+) [\d.]+ Tf|" + STRING + rb" ?Tj|\[((?:" + INNER + rb"|[^\]])*)\] ?TJ", re.S)
ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f", b"(": b"(", b")": b")",
           b"\\": b"\\"}  # fmt: skip


def _stream(body: bytes) -> bytes | None:
    m = STREAM.search(body)
    if m is None:
        return None
    try:
        return zlib.decompress(m.group(1))
    except zlib.error:
        return m.group(1) if b"/Filter" not in body else None  # an image


def _unescape(raw: bytes) -> bytes:
    def one(m: re.Match[bytes]) -> bytes:
        s = m.group(1)
        return bytes([int(s, 8) & 0xFF]) if s[:1].isdigit() else ESCAPES.get(s, s)

    return re.sub(rb"\\([0-7]{1,3}|.)", one, raw, flags=re.S)


def _cmap(text: bytes) -> dict[int, str]:
    out = {}
    for block in re.findall(rb"beginbfchar(.*?)endbfchar", text, re.S):
        for src, dst in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            out[int(src, 16)] = bytes.fromhex(dst.decode()).decode("utf-16-be")
    for block in re.findall(rb"beginbfrange(.*?)endbfrange", text, re.S):
        for lo, hi, dst in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            start = int(dst, 16)
            for i, code in enumerate(range(int(lo, 16), int(hi, 16) + 1)):
                out[code] = chr(start + i)
    return out


def pdf_text(pdf: bytes) -> str:
    objects = {int(n): body for n, body in OBJECT.findall(pdf)}
    maps: dict[bytes, dict[int, str] | None] = {}
    for name, ref in FONT_REF.findall(pdf):
        font = objects.get(int(ref), b"")
        to_unicode = re.search(rb"/ToUnicode (\d+) 0 R", font)
        table = _stream(objects[int(to_unicode.group(1))]) if to_unicode else None
        maps[name] = _cmap(table) if table else None
    lines = []
    for body in objects.values():
        content = _stream(body)
        if content is None or b"Tj" not in content:
            continue
        cmap: dict[int, str] | None = None
        for m in RUN.finditer(content):
            if m.group(1) is not None:
                cmap = maps.get(m.group(1))
                continue
            if m.group(2) is not None:
                raw = _unescape(m.group(2))
            else:
                raw = b"".join(_unescape(x) for x in re.findall(STRING, m.group(3), re.S))
            if cmap is None:
                lines.append(raw.decode("latin-1"))
            else:
                codes = [int.from_bytes(raw[i : i + 2], "big") for i in range(0, len(raw) - 1, 2)]
                lines.append("".join(cmap.get(c, "\ufffd") for c in codes))
    return "\n".join(lines)
