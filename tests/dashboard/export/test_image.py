"""Image export of the map on screen: PNG at print resolution, SVG and PDF as vectors.

The files are opened and checked, not just produced: the PNG's chunks and pixel data (and its
print size read back by Pillow), the SVG as XML (its size in mm and title read back by
ElementTree), the PDF's pages, drawing operators and text (tests/pdfinspect.py, standard
library only). Browser tests skip locally without Chromium and fail on CI (tests/requirements.py).
How the browser is run, offline and bounded in time, is tested in test_render.py.
"""

from __future__ import annotations

import io
import html
import json
import struct
import xml.etree.ElementTree as ET
import zlib
from datetime import datetime, timezone

import pytest
from PIL import Image

from data_pipeline.warehouse import Scope
from dashboard.export import ExportError, ExportMeta, compose_figure, export_figure, export_meta
from dashboard.export import image, page
from dashboard.figures import GEO_CLIP_PAD, NO_DATA_COLOUR, WATER_COLOUR
from tests import pdfinspect
from tests.dashboard.export.conftest import MARKING, area_traces, view_of

SVG = "{http://www.w3.org/2000/svg}"
SUPPRESSED = ("BU00020100", "BU00020101")
SUPPRESSED_VALUE = "50,0"  # 2 per 40 and 48 per 960 inhabitants, per 1.000: never on an image


def rgb(colour: str) -> str:
    """'#bdbdbd' -> 'rgb(189, 189, 189)', as plotly writes fills into SVG."""
    return "rgb({}, {}, {})".format(*(int(colour[i:i + 2], 16) for i in (1, 3, 5)))


# -- helpers that open the files ----------------------------------------------------------------

def png_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, pos = [], 8
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])
        assert zlib.crc32(kind + body) == crc, f"bad CRC in {kind!r}"
        chunks.append((kind, body))
        pos += 12 + length
    return chunks


def png_info(data: bytes) -> dict:
    chunks = png_chunks(data)
    assert chunks[0][0] == b"IHDR" and chunks[-1][0] == b"IEND"
    width, height, depth, colour_type, _, _, interlace = struct.unpack(">IIBBBBB", chunks[0][1])
    pixels = zlib.decompress(b"".join(body for kind, body in chunks if kind == b"IDAT"))
    phys = next((struct.unpack(">IIB", body) for kind, body in chunks if kind == b"pHYs"), None)
    return dict(width=width, height=height, depth=depth, colour_type=colour_type, interlace=interlace,
                pixel_bytes=len(pixels), phys=phys)


def svg_root(data: bytes) -> ET.Element:
    return ET.fromstring(data)


def svg_texts(root: ET.Element) -> str:
    return "\n".join("".join(el.itertext()) for el in root.iter(f"{SVG}text"))


def area_fills(root: ET.Element) -> list[str]:
    return [p.get("fill") for p in root.iter(f"{SVG}path") if "choroplethlocation" in (p.get("class") or "")]


def expected_fills(view) -> list[str]:
    """The colour of every drawn area on screen, from the traces' classes and colour scales."""
    fills = []
    for trace in area_traces(view.figure):
        scale = [c for _, c in trace.colorscale]
        for z in trace.z:
            fills.append(rgb(scale[min(int(z) * 2, len(scale) - 1)]))
    return sorted(fills)


# -- composing (no browser) --------------------------------------------------------------------

def test_a4_at_300_dpi_is_2480_pixels_exactly():
    assert page.a4_pixels(300) == 2480 and page.a4_pixels(600) == 4961 and page.a4_pixels(150) == 1240
    for dpi in (72, 96, 150, 200, 300, 600):
        assert int(page.css_width("png", dpi=dpi) * (dpi / 96)) == page.a4_pixels(dpi)
    assert page.css_width("pdf") == pytest.approx(793.7, abs=0.01)  # 210 mm in CSS pixels


def test_composed_figure_embeds_the_geometry_and_keeps_the_classes(gm1):
    view, geojson, meta = gm1
    fig = compose_figure(view, geojson, meta)
    assert len(fig.data) == len(view.figure.data)
    for shown, exported in zip(area_traces(view.figure), area_traces(fig)):
        assert isinstance(exported.geojson, dict)  # each trace carries the polygons it draws, once
        assert exported.geojson["features"] == [f for f in geojson["features"]
                                                if f["properties"]["code"] in set(shown.locations)]
        assert list(exported.locations) == list(shown.locations) and list(exported.z) == list(shown.z)
        assert exported.colorscale == shown.colorscale and exported.featureidkey == shown.featureidkey
        assert exported.text is None and exported.hoverinfo == "skip"
    drawn = [f["properties"]["code"] for t in area_traces(fig) for f in t.geojson["features"]]
    assert sorted(drawn) == sorted(f["properties"]["code"] for f in geojson["features"])
    text = json.dumps(fig.to_plotly_json(), default=str, ensure_ascii=False)
    assert "/geo/" not in text and "http" not in text  # nothing for the renderer to fetch
    labels = [html.unescape(a.text) for a in fig.layout.annotations]   # as plotly renders them
    for colour, label in view.legend:
        assert any(label in a for a in labels)
        assert any(s.fillcolor == colour for s in fig.layout.shapes)
    assert fig.layout.separators == ",." and fig.layout.width == pytest.approx(793.7, abs=0.01)


def test_footer_carries_unit_year_sources_date_and_marking(gm1):
    view, geojson, meta = gm1
    meta = ExportMeta(**{**meta.__dict__, "exported_at": datetime(2024, 7, 1, 10, 5, tzinfo=timezone.utc)})
    text = "\n".join(a.text for a in compose_figure(view, geojson, meta).layout.annotations)
    assert "Misdrijven — buurten in Gemeente 1, 2024" in text
    assert "per 1.000 inwoners" in text and "gebiedsindeling 2024" in text
    assert "Testbron (TEST-1)" in text and "Testdata" in text
    assert "01-07-2024 12:05 CEST (Europe/Amsterdam)" in text  # 10:05 UTC in summer
    assert text.count(MARKING) == 2  # top and bottom
    assert "geen bewijs" not in text and "Synthetische" not in text  # a value map of test data


def test_suppressed_areas_carry_no_value_in_the_composed_figure(gm2):
    view, geojson, meta = gm2
    fig = compose_figure(view, geojson, meta)
    nodata = next(t for t in area_traces(fig) if SUPPRESSED[0] in t.locations)
    assert set(SUPPRESSED) <= set(nodata.locations)
    assert {c for _, c in nodata.colorscale} == {NO_DATA_COLOUR}
    assert SUPPRESSED_VALUE not in json.dumps(fig.to_plotly_json(), default=str, ensure_ascii=False)


def test_export_meta_marks_demo_data_and_the_risk_signal(demo_warehouse, monkeypatch):
    monkeypatch.setenv(image.MARKING_ENV, MARKING)
    state, view = view_of(demo_warehouse, "gemeente", "NL01", mode="score")
    meta = export_meta(demo_warehouse, state, view)
    assert meta.demo and meta.marking == MARKING and "geen bewijs" in meta.caveat
    assert meta.exported_at.tzinfo is not None and meta.exported_at.utcoffset() in (
        datetime(2024, 1, 1, tzinfo=page.TIMEZONE).utcoffset(), datetime(2024, 7, 1, tzinfo=page.TIMEZONE).utcoffset())
    state, view = view_of(demo_warehouse, "gemeente", "NL01", lang="en")
    meta = export_meta(demo_warehouse, state, view, marking="")
    assert meta.caveat == "" and meta.marking == ""
    text = "\n".join(a.text for a in compose_figure(view, demo_warehouse.geometry("gemeente", "NL01", Scope.everything()), meta).layout.annotations)
    assert "Synthetic data" in text and "SYNTHETIC DATA" in text and "Exported on" in text


def test_hotspot_maps_carry_the_caveat_only_where_hotspots_are_drawn(tiny_warehouse):
    state, view = view_of(tiny_warehouse, "buurt", "GM0001", mode="hotspots")
    assert "geen bewijs" in export_meta(tiny_warehouse, state, view, marking="").caveat
    state, view = view_of(tiny_warehouse, "gemeente", "RE01", mode="hotspots")  # values: too coarse for hotspots
    assert export_meta(tiny_warehouse, state, view, marking="").caveat == ""


def test_a_panned_or_zoomed_view_is_exported_with_exactly_its_extent(tiny_warehouse):
    fitted_state, fitted = view_of(tiny_warehouse, "buurt", "GM0001")
    geojson = tiny_warehouse.geometry("buurt", "GM0001", Scope.everything())
    west, south, east, north = page.drawn_bounds(geojson, set(fitted.figure.data[0].locations))
    extent = (west, south, (west + east) / 2, (south + north) / 2)   # zoomed in on one corner
    state, view = view_of(tiny_warehouse, "buurt", "GM0001", extent=extent)
    assert page.screen_extent(view.figure.layout.geo.to_plotly_json()) == pytest.approx(extent)
    meta = export_meta(tiny_warehouse, state, view)
    geo = compose_figure(view, geojson, meta).layout.geo
    pad = GEO_CLIP_PAD + 1e-4
    assert list(geo.lonaxis.range) == pytest.approx([extent[0] - pad, extent[2] + pad])
    assert list(geo.lataxis.range) == pytest.approx([extent[1] - pad, extent[3] + pad])
    fitted_geo = compose_figure(fitted, geojson, export_meta(tiny_warehouse, fitted_state, fitted)).layout.geo
    assert fitted_geo.lonaxis.range[1] > geo.lonaxis.range[1] + 0.1 * (east - west)   # the whole area, with a margin


# -- the files' metadata (no browser) --------------------------------------------------------------

def test_png_gets_its_print_size_and_keeps_its_pixels():
    original = Image.new("RGBA", (120, 80), (255, 255, 255, 255))
    original.paste((215, 48, 31, 255), (10, 10, 60, 40))
    buffer = io.BytesIO()
    original.save(buffer, format="PNG", dpi=(72, 72))  # a print size to replace
    data = image.png_with_dpi(buffer.getvalue(), 300)
    with Image.open(io.BytesIO(data)) as read:
        assert read.format == "PNG" and read.size == (120, 80)
        assert read.info["dpi"] == pytest.approx((300, 300), abs=0.01)  # 11811 px per metre
        assert read.tobytes() == original.tobytes()
    chunks = [kind for kind, _ in png_chunks(data)]  # every CRC checks out
    assert chunks[:2] == [b"IHDR", b"pHYs"] and chunks.count(b"pHYs") == 1
    assert png_info(data)["phys"] == (11811, 11811, 1)
    broken = bytearray(buffer.getvalue())
    broken[-20] ^= 0xFF  # inside the last IDAT
    for not_a_png in (b"<svg/>", bytes(broken)):
        with pytest.raises(ExportError, match="did not return a PNG"):
            image.png_with_dpi(not_a_png, 300)


def test_svg_gets_a_size_in_mm_and_a_title():
    svg = (b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" class="main-svg" '
           b'width="793.7" height="1000" viewBox="0 0 793.7 1000"><defs><style>.a > b { fill: red }</style></defs>'
           b'<image xlink:href="data:,x"/><text>50 &amp; meer</text></svg>')
    data = image.svg_in_mm(svg, 210, "Misdrijven <per> 1.000 & meer")
    root = ET.fromstring(data)
    assert (root.get("width"), root.get("height"), root.get("viewBox")) == ("210.00mm", "264.58mm", "0 0 793.7 1000")
    assert root[0].tag == f"{SVG}title" and root[0].text == "Misdrijven <per> 1.000 & meer"
    assert root.get("class") == "main-svg" and root.find(f"{SVG}text").text == "50 & meer"
    assert root.find(f"{SVG}image").get("{http://www.w3.org/1999/xlink}href") == "data:,x"
    assert data.startswith(b"<svg ") and b"ns0:" not in data and b"ns1:" not in data  # no renamed prefixes
    again = ET.fromstring(image.svg_in_mm(data, 100, "Nieuw"))
    assert [el.text for el in again.iter(f"{SVG}title")] == ["Nieuw"] and again.get("height") == "125.99mm"
    with pytest.raises(ExportError, match="did not return an SVG"):
        image.svg_in_mm(b"\x89PNG", 210, "t")


# -- rendering -----------------------------------------------------------------------------------

@pytest.mark.parametrize("dpi, width_mm, expected_width", [(300, 210, 2480), (150, 210, 1240), (300, 297, 3508)])
def test_png_has_the_requested_resolution(renderer, gm1, dpi, width_mm, expected_width):
    view, geojson, meta = gm1
    data = export_figure(view, geojson, fmt="png", meta=meta, dpi=dpi, width_mm=width_mm, renderer_=renderer)
    info = png_info(data)
    height = compose_figure(view, geojson, meta, width_px=page.css_width("png", width_mm, dpi)).layout.height
    assert info["width"] == expected_width == page.a4_pixels(dpi, width_mm)
    assert info["height"] == round(height * dpi / 96)
    assert info["depth"] == 8 and info["interlace"] == 0 and info["colour_type"] in (2, 6)
    channels = {2: 3, 6: 4}[info["colour_type"]]
    assert info["pixel_bytes"] == info["height"] * (1 + info["width"] * channels)
    assert info["phys"] == (round(dpi / 0.0254),) * 2 + (1,)  # opens at its print size
    with Image.open(io.BytesIO(data)) as read:
        assert read.info["dpi"] == pytest.approx((dpi, dpi), rel=1e-4)  # whole pixels per metre
        assert read.size[0] / read.info["dpi"][0] * 25.4 == pytest.approx(width_mm, abs=0.1)


def test_svg_is_vector_with_the_areas_and_the_legend(renderer, gm1):
    view, geojson, meta = gm1
    root = svg_root(export_figure(view, geojson, fmt="svg", meta=meta, renderer_=renderer))
    assert root.get("width") == "210.00mm" and root.get("viewBox").startswith("0 0 793.7")
    _, _, width_px, height_px = map(float, root.get("viewBox").split())
    assert float(root.get("height").removesuffix("mm")) == pytest.approx(210 * height_px / width_px, abs=0.01)
    assert root[0].tag == f"{SVG}title" and root[0].text == meta.title
    assert sorted(area_fills(root)) == expected_fills(view)  # same areas, same class colours
    assert not list(root.iter(f"{SVG}image"))
    text = svg_texts(root)
    for needle in (meta.title, "per 1.000 inwoners", "2024", "Testbron (TEST-1)", MARKING,
                   *(label for _, label in view.legend)):
        assert needle in text, needle
    assert "n.b. (onbekend of afgeschermd)" in text


def test_pdf_is_one_vector_page_with_the_texts(renderer, gm1):
    view, geojson, meta = gm1
    data = export_figure(view, geojson, fmt="pdf", meta=meta, renderer_=renderer)
    assert data[:5] == b"%PDF-" and pdfinspect.page_count(data) == 1
    x0, y0, x1, y1 = pdfinspect.media_box(data)
    assert x1 - x0 == pytest.approx(595.3, abs=1.5)  # A4 width in points
    assert not pdfinspect.has_raster_images(data)
    ops = pdfinspect.path_operators(data)
    n_areas = sum(len(t.locations) for t in area_traces(view.figure))
    assert ops.get("m", 0) >= n_areas and ops.get("l", 0) >= 3 * n_areas and ops.get("f", 0) >= n_areas
    text = pdfinspect.text(data)
    for needle in (meta.title, "gebiedsindeling 2024", "Testbron (TEST-1)", MARKING, "n.b. (onbekend of afgeschermd)",
                   *(label for _, label in view.legend)):
        assert needle in text, needle


def test_suppressed_areas_carry_no_value_on_the_images(renderer, gm2):
    view, geojson, meta = gm2
    root = svg_root(export_figure(view, geojson, fmt="svg", meta=meta, renderer_=renderer))
    fills = area_fills(root)
    assert fills.count(rgb(NO_DATA_COLOUR)) == 2 and fills.count(rgb(WATER_COLOUR)) == 1 and len(fills) == 3
    assert SUPPRESSED_VALUE not in svg_texts(root)
    assert "n.b. (onbekend of afgeschermd)" in svg_texts(root) and "Water" in svg_texts(root)
    pdf_text = pdfinspect.text(export_figure(view, geojson, fmt="pdf", meta=meta, renderer_=renderer))
    assert SUPPRESSED_VALUE not in pdf_text and "n.b. (onbekend of afgeschermd)" in pdf_text


def test_demo_exports_say_synthetic_and_score_maps_say_not_proof(renderer, demo_warehouse):
    state, view = view_of(demo_warehouse, "gemeente", "NL01", mode="score")
    meta = export_meta(demo_warehouse, state, view, marking="")
    geojson = demo_warehouse.geometry("gemeente", "NL01", Scope.everything())
    text = svg_texts(svg_root(export_figure(view, geojson, fmt="svg", meta=meta, renderer_=renderer)))
    assert "Synthetische gegevens — geen echte cijfers" in text and "SYNTHETISCHE GEGEVENS" in text
    assert "geen bewijs" in text
    assert "geen bewijs" in pdfinspect.text(export_figure(view, geojson, fmt="pdf", meta=meta, renderer_=renderer))
