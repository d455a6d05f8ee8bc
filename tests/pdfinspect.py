"""Just enough PDF reading for the export tests, with the standard library only.

Handles what Chromium's Skia writes: plain (not compressed) object tables, Flate streams,
Type0 fonts with a ToUnicode CMap and text drawn as hex glyph strings. Not a general PDF parser.
"""

from __future__ import annotations

import re
import zlib

OBJECT = re.compile(rb"(\d+)\s+0\s+obj\b(.*?)\bendobj", re.S)
STREAM = re.compile(rb"stream\r?\n")
REF = rb"(\d+)\s+0\s+R"


def objects(pdf: bytes) -> dict[int, tuple[bytes, bytes | None]]:
    """Object number -> (dictionary text, decoded stream or ``None``)."""
    found = {}
    for match in OBJECT.finditer(pdf):
        body = match.group(2)
        stream = None
        start = STREAM.search(body)
        if start and b"/Length" in body[:start.start()]:
            head = body[:start.start()]
            length = re.search(rb"/Length\s+(\d+)(\s+0\s+R)?", head)
            raw = body[start.end():]
            if length and not length.group(2):
                raw = raw[:int(length.group(1))]
            else:
                raw = raw[:raw.rindex(b"endstream")].rstrip(b"\r\n")
            stream = zlib.decompress(raw) if b"/FlateDecode" in head else raw
            body = head
        found[int(match.group(1))] = (body, stream)
    return found


def pages(objs: dict) -> list[bytes]:
    return [d for d, _ in objs.values() if re.search(rb"/Type\s*/Page(?![a-zA-Z])", d)]


def page_count(pdf: bytes) -> int:
    return len(pages(objects(pdf)))


def media_box(pdf: bytes) -> list[float]:
    box = re.search(rb"/MediaBox\s*\[([^\]]*)\]", pages(objects(pdf))[0]).group(1)
    return [float(v) for v in box.split()]


def content(pdf: bytes) -> str:
    """The decoded content streams of all pages, one after the other."""
    objs = objects(pdf)
    parts = []
    for page in pages(objs):
        refs = re.search(rb"/Contents\s*(\[[^\]]*\]|\d+\s+0\s+R)", page).group(1)
        for ref in re.findall(REF, refs):
            parts.append(objs[int(ref)][1].decode("latin-1"))
    return "\n".join(parts)


def has_raster_images(pdf: bytes) -> bool:
    """Any image XObject in the file, or an inline image in a page."""
    objs = objects(pdf)
    if any(re.search(rb"/Subtype\s*/Image", d) for d, _ in objs.values()):
        return True
    return bool(re.search(r"(^|\s)BI\s.*?\sID\s", content(pdf), re.S))


def path_operators(pdf: bytes) -> dict[str, int]:
    """How often each path construction/painting operator occurs in the page content."""
    tokens = re.findall(r"(?<![\w/.-])(m|l|c|h|re|f\*?|S|B\*?|W\*?)(?=\s)", content(pdf))
    counts: dict[str, int] = {}
    for token in tokens:
        counts[token] = counts.get(token, 0) + 1
    return counts


def _cmap(text: str) -> dict[int, str]:
    mapping: dict[int, str] = {}

    def chars(hexes: str) -> str:
        return bytes.fromhex(hexes).decode("utf-16-be")

    for block in re.findall(r"beginbfchar(.*?)endbfchar", text, re.S):
        for src, dst in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            mapping[int(src, 16)] = chars(dst)
    for block in re.findall(r"beginbfrange(.*?)endbfrange", text, re.S):
        for lo, hi, dst in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*(<[0-9A-Fa-f]+>|\[[^\]]*\])", block):
            lo, hi = int(lo, 16), int(hi, 16)
            if dst.startswith("["):
                for i, item in enumerate(re.findall(r"<([0-9A-Fa-f]+)>", dst)):
                    mapping[lo + i] = chars(item)
            else:
                base = bytes.fromhex(dst[1:-1])
                start = int.from_bytes(base, "big")
                for code in range(lo, hi + 1):
                    value = start + code - lo
                    mapping[code] = value.to_bytes(len(base), "big").decode("utf-16-be")
    return mapping


def text(pdf: bytes) -> str:
    """The page text, one line per text object (``BT … ET``)."""
    objs = objects(pdf)
    fonts: dict[str, dict[int, str]] = {}
    for page in pages(objs):
        font_dict = re.search(rb"/Font\s*<<(.*?)>>", page, re.S)
        if not font_dict:
            continue
        for name, ref in re.findall(rb"/(\w+)\s+" + REF, font_dict.group(1)):
            to_unicode = re.search(rb"/ToUnicode\s+" + REF, objs[int(ref)][0])
            if to_unicode:
                fonts[name.decode()] = _cmap(objs[int(to_unicode.group(1))][1].decode("latin-1"))
    lines = []
    for block in re.findall(r"\bBT\b(.*?)\bET\b", content(pdf), re.S):
        cmap: dict[int, str] = {}
        out = []
        for font, hexes in re.findall(r"/(\w+)\s+[\d.]+\s+Tf|<([0-9A-Fa-f]+)>", block):
            if font:
                cmap = fonts.get(font, {})
            else:
                out.extend(cmap.get(int(hexes[i:i + 4], 16), "\ufffd") for i in range(0, len(hexes), 4))
        lines.append("".join(out))
    return "\n".join(lines)
