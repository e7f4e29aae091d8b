"""Text of the PDFs opsdesk.billing.pdf makes (uncompressed), for exact assertions
without a PDF library: each shown string, decoded through its font's ToUnicode map."""

from __future__ import annotations

import re

ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}


def _unescape(data: bytes) -> bytes:
    out, i = bytearray(), 0
    while i < len(data):
        if data[i : i + 1] != b"\\":
            out += data[i : i + 1]
            i += 1
            continue
        octal = re.match(rb"[0-7]{1,3}", data[i + 1 : i + 4])
        if octal:
            out.append(int(octal[0], 8))
            i += 1 + len(octal[0])
        else:
            nxt = data[i + 1 : i + 2]
            out += ESCAPES.get(nxt, nxt)
            i += 2
    return bytes(out)


def _cmap(body: bytes) -> dict[int, str]:
    mapping: dict[int, str] = {}
    for section in re.findall(rb"beginbfchar(.*?)endbfchar", body, re.S):
        for code, uni in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", section):
            mapping[int(code, 16)] = bytes.fromhex(uni.decode()).decode("utf-16-be")
    for section in re.findall(rb"beginbfrange(.*?)endbfrange", body, re.S):
        for lo, hi, uni in re.findall(
            rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", section
        ):
            for n, code in enumerate(range(int(lo, 16), int(hi, 16) + 1)):
                mapping[code] = chr(int(uni, 16) + n)
    return mapping


def pdf_lines(raw: bytes) -> list[str]:
    """Every string the pages show, in order (one per table cell or text line)."""
    objects = {int(m[1]): m[2] for m in re.finditer(rb"(\d+) 0 obj(.*?)endobj", raw, re.S)}
    fonts: dict[bytes, dict[int, str] | None] = {}
    for name, num in re.findall(rb"/(F\d+) (\d+) 0 R", raw):
        unicode = re.search(rb"/ToUnicode (\d+) 0 R", objects[int(num)])
        fonts[name] = _cmap(objects[int(unicode[1])]) if unicode else None  # None: Latin-1
    lines: list[str] = []
    for body in objects.values():
        if b"/Length1" in body or b" Tj" not in body:
            continue  # a font file, or not a page
        font: bytes | None = None
        for m in re.finditer(rb"/(F\d+) [\d.]+ Tf|\(((?:\\.|[^\\)])*)\) Tj", body, re.S):
            if m[1]:
                font = m[1]
                continue
            data = _unescape(m[2])
            cmap = fonts.get(font or b"")
            if cmap is None:
                lines.append(data.decode("latin-1"))
            else:
                codes = [int.from_bytes(data[i : i + 2], "big") for i in range(0, len(data), 2)]
                lines.append("".join(cmap.get(c, "?") for c in codes))
    return lines


def pdf_title(raw: bytes) -> str:
    """The document's /Title: a literal string, or UTF-16 hex when it is not ASCII."""
    m = re.search(rb"/Title <feff([0-9a-fA-F]*)>", raw)
    if m:
        return bytes.fromhex(m[1].decode()).decode("utf-16-be")
    m = re.search(rb"/Title \(((?:\\.|[^\\)])*)\)", raw)
    return _unescape(m[1]).decode("latin-1") if m else ""
