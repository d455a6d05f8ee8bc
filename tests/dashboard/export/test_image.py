"""Image export of the map on screen: PNG at print resolution, SVG and PDF as vectors, offline.

The files are opened and checked, not just produced: the PNG header and pixel data, the SVG
as XML, the PDF's pages, drawing operators and text (tests/pdfinspect.py, standard library only).
Browser tests skip locally without Chromium and fail on CI (tests/requirements.py).
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import socket
import struct
import time
import xml.etree.ElementTree as ET
import zlib
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone

import pytest

from dashboard import export, routes
from dashboard.export import ExportError, ExportMeta, Renderer
from dashboard.figures import NO_DATA_COLOUR, WATER_COLOUR
from dashboard.views import map_view, resolve_state
from data_pipeline.warehouse import Scope
from tests import pdfinspect
from tests.recording_proxy import RecordingProxy
from tests.requirements import export_browser_path as chromium_path

EVERYTHING = Scope.everything()
MARKING = "Vertrouwelijk — alleen voor intern gebruik"
SVG = "{http://www.w3.org/2000/svg}"
SUPPRESSED = ("BU00020100", "BU00020101")
SUPPRESSED_VALUE = "50,0"  # 2 per 40 and 48 per 960 inhabitants, per 1.000: never on an image



def rgb(colour: str) -> str:
    """'#bdbdbd' -> 'rgb(189, 189, 189)', as plotly writes fills into SVG."""
    return "rgb({}, {}, {})".format(*(int(colour[i:i + 2], 16) for i in (1, 3, 5)))


def view_of(warehouse, level, parent, **state):
    state = resolve_state(warehouse, routes.MapState(level=level, parent=parent, **state))
    return state, map_view(warehouse, state, EVERYTHING)


@pytest.fixture(scope="module")
def gm1(tiny_warehouse):
    """Buurten of Gemeente 1: two classes and one buurt without a value."""
    state, view = view_of(tiny_warehouse, "buurt", "GM0001")
    meta = export.export_meta(tiny_warehouse, state, view, marking=MARKING)
    return view, export.load_geometry(tiny_warehouse, "buurt", "GM0001"), meta


@pytest.fixture(scope="module")
def gm2(tiny_warehouse):
    """Buurten of Gemeente 2: both land buurten suppressed, one water buurt."""
    state, view = view_of(tiny_warehouse, "buurt", "GM0002")
    meta = export.export_meta(tiny_warehouse, state, view, marking="")
    return view, export.load_geometry(tiny_warehouse, "buurt", "GM0002"), meta


@pytest.fixture(scope="module")
def proxy():
    with RecordingProxy() as p:
        yield p


@pytest.fixture(scope="module")
def renderer(proxy):
    """A long-lived renderer whose Chromium sends everything to the recording proxy."""
    r = Renderer(chromium_path(), proxy_server=proxy.url)
    yield r
    r.close()


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
    for trace in view.figure.data:
        scale = [c for _, c in trace.colorscale]
        for z in trace.z:
            fills.append(rgb(scale[min(int(z) * 2, len(scale) - 1)]))
    return sorted(fills)


# -- composing (no browser) --------------------------------------------------------------------

def test_a4_at_300_dpi_is_2480_pixels_exactly():
    assert export.a4_pixels(300) == 2480 and export.a4_pixels(600) == 4961 and export.a4_pixels(150) == 1240
    for dpi in (72, 96, 150, 200, 300, 600):
        assert int(export.css_width("png", dpi=dpi) * (dpi / 96)) == export.a4_pixels(dpi)
    assert export.css_width("pdf") == pytest.approx(793.7, abs=0.01)  # 210 mm in CSS pixels


def test_composed_figure_embeds_the_geometry_and_keeps_the_classes(gm1):
    view, geojson, meta = gm1
    fig = export.compose_figure(view, geojson, meta)
    assert len(fig.data) == len(view.figure.data)
    for shown, exported in zip(view.figure.data, fig.data):
        assert isinstance(exported.geojson, dict) and exported.geojson["features"] == geojson["features"]
        assert list(exported.locations) == list(shown.locations) and list(exported.z) == list(shown.z)
        assert exported.colorscale == shown.colorscale and exported.featureidkey == shown.featureidkey
        assert exported.text is None and exported.hoverinfo == "skip"
    text = json.dumps(fig.to_plotly_json(), default=str, ensure_ascii=False)
    assert "/geo/" not in text and "http" not in text  # nothing for the renderer to fetch
    labels = [a.text for a in fig.layout.annotations]
    for colour, label in view.legend:
        assert any(label in a for a in labels)
        assert any(s.fillcolor == colour for s in fig.layout.shapes)
    assert fig.layout.separators == ",." and fig.layout.width == pytest.approx(793.7, abs=0.01)


def test_footer_carries_unit_year_sources_date_and_marking(gm1):
    view, geojson, meta = gm1
    meta = ExportMeta(**{**meta.__dict__, "exported_at": datetime(2024, 7, 1, 10, 5, tzinfo=timezone.utc)})
    text = "\n".join(a.text for a in export.compose_figure(view, geojson, meta).layout.annotations)
    assert "Misdrijven — buurten in Gemeente 1, 2024" in text
    assert "per 1.000 inwoners" in text and "gebiedsindeling 2024" in text
    assert "Testbron (TEST-1)" in text and "Testdata" in text
    assert "01-07-2024 12:05 CEST (Europe/Amsterdam)" in text  # 10:05 UTC in summer
    assert text.count(MARKING) == 2  # top and bottom
    assert "geen bewijs" not in text and "Synthetische" not in text  # a value map of test data


def test_suppressed_areas_carry_no_value_in_the_composed_figure(gm2):
    view, geojson, meta = gm2
    fig = export.compose_figure(view, geojson, meta)
    nodata = next(t for t in fig.data if SUPPRESSED[0] in t.locations)
    assert set(SUPPRESSED) <= set(nodata.locations)
    assert {c for _, c in nodata.colorscale} == {NO_DATA_COLOUR}
    assert SUPPRESSED_VALUE not in json.dumps(fig.to_plotly_json(), default=str, ensure_ascii=False)


def test_export_meta_marks_demo_data_and_the_risk_signal(demo_warehouse, monkeypatch):
    monkeypatch.setenv(export.MARKING_ENV, MARKING)
    state, view = view_of(demo_warehouse, "gemeente", "NL01", mode="score")
    meta = export.export_meta(demo_warehouse, state, view)
    assert meta.demo and meta.marking == MARKING and "geen bewijs" in meta.caveat
    assert meta.exported_at.tzinfo is not None and meta.exported_at.utcoffset() in (
        datetime(2024, 1, 1, tzinfo=export.TIMEZONE).utcoffset(), datetime(2024, 7, 1, tzinfo=export.TIMEZONE).utcoffset())
    state, view = view_of(demo_warehouse, "gemeente", "NL01", lang="en")
    meta = export.export_meta(demo_warehouse, state, view, marking="")
    assert meta.caveat == "" and meta.marking == ""
    text = "\n".join(a.text for a in export.compose_figure(view, export.load_geometry(
        demo_warehouse, "gemeente", "NL01"), meta).layout.annotations)
    assert "Synthetic data" in text and "SYNTHETIC DATA" in text and "Exported on" in text


def test_hotspot_maps_carry_the_caveat_only_where_hotspots_are_drawn(tiny_warehouse):
    state, view = view_of(tiny_warehouse, "buurt", "GM0001", mode="hotspots")
    assert "geen bewijs" in export.export_meta(tiny_warehouse, state, view, marking="").caveat
    state, view = view_of(tiny_warehouse, "gemeente", "RE01", mode="hotspots")  # values: too coarse for hotspots
    assert export.export_meta(tiny_warehouse, state, view, marking="").caveat == ""


# -- rendering -----------------------------------------------------------------------------------

@pytest.mark.parametrize("dpi, width_mm, expected_width", [(300, 210, 2480), (150, 210, 1240), (300, 297, 3508)])
def test_png_has_the_requested_resolution(renderer, gm1, dpi, width_mm, expected_width):
    view, geojson, meta = gm1
    data = export.export_figure(view, geojson, fmt="png", meta=meta, dpi=dpi, width_mm=width_mm, renderer_=renderer)
    info = png_info(data)
    height = export.compose_figure(view, geojson, meta, width_px=export.css_width("png", width_mm, dpi)).layout.height
    assert info["width"] == expected_width == export.a4_pixels(dpi, width_mm)
    assert info["height"] == round(height * dpi / 96)
    assert info["depth"] == 8 and info["interlace"] == 0 and info["colour_type"] in (2, 6)
    channels = {2: 3, 6: 4}[info["colour_type"]]
    assert info["pixel_bytes"] == info["height"] * (1 + info["width"] * channels)
    assert info["phys"] == (round(dpi / 0.0254),) * 2 + (1,)  # opens at its print size


def test_svg_is_vector_with_the_areas_and_the_legend(renderer, gm1):
    view, geojson, meta = gm1
    root = svg_root(export.export_figure(view, geojson, fmt="svg", meta=meta, renderer_=renderer))
    assert root.get("width") == "210.00mm" and root.get("viewBox").startswith("0 0 793.7")
    assert root.find(f"{SVG}title").text == meta.title
    assert sorted(area_fills(root)) == expected_fills(view)  # same areas, same class colours
    assert not list(root.iter(f"{SVG}image"))
    text = svg_texts(root)
    for needle in (meta.title, "per 1.000 inwoners", "2024", "Testbron (TEST-1)", MARKING,
                   *(label for _, label in view.legend)):
        assert needle in text, needle
    assert "n.b. (onbekend of te klein)" in text


def test_pdf_is_one_vector_page_with_the_texts(renderer, gm1):
    view, geojson, meta = gm1
    data = export.export_figure(view, geojson, fmt="pdf", meta=meta, renderer_=renderer)
    assert data[:5] == b"%PDF-" and pdfinspect.page_count(data) == 1
    x0, y0, x1, y1 = pdfinspect.media_box(data)
    assert x1 - x0 == pytest.approx(595.3, abs=1.5)  # A4 width in points
    assert not pdfinspect.has_raster_images(data)
    ops = pdfinspect.path_operators(data)
    n_areas = sum(len(t.locations) for t in view.figure.data)
    assert ops.get("m", 0) >= n_areas and ops.get("l", 0) >= 3 * n_areas and ops.get("f", 0) >= n_areas
    text = pdfinspect.text(data)
    for needle in (meta.title, "gebiedsindeling 2024", "Testbron (TEST-1)", MARKING, "n.b. (onbekend of te klein)",
                   *(label for _, label in view.legend)):
        assert needle in text, needle


def test_suppressed_areas_carry_no_value_on_the_images(renderer, gm2):
    view, geojson, meta = gm2
    root = svg_root(export.export_figure(view, geojson, fmt="svg", meta=meta, renderer_=renderer))
    fills = area_fills(root)
    assert fills.count(rgb(NO_DATA_COLOUR)) == 2 and fills.count(rgb(WATER_COLOUR)) == 1 and len(fills) == 3
    assert SUPPRESSED_VALUE not in svg_texts(root)
    assert "n.b. (onbekend of te klein)" in svg_texts(root) and "Water" in svg_texts(root)
    pdf_text = pdfinspect.text(export.export_figure(view, geojson, fmt="pdf", meta=meta, renderer_=renderer))
    assert SUPPRESSED_VALUE not in pdf_text and "n.b. (onbekend of te klein)" in pdf_text


def test_demo_exports_say_synthetic_and_score_maps_say_not_proof(renderer, demo_warehouse):
    state, view = view_of(demo_warehouse, "gemeente", "NL01", mode="score")
    meta = export.export_meta(demo_warehouse, state, view, marking="")
    geojson = export.load_geometry(demo_warehouse, "gemeente", "NL01")
    text = svg_texts(svg_root(export.export_figure(view, geojson, fmt="svg", meta=meta, renderer_=renderer)))
    assert "Synthetische gegevens — geen echte cijfers" in text and "SYNTHETISCHE GEGEVENS" in text
    assert "geen bewijs" in text
    assert "geen bewijs" in pdfinspect.text(export.export_figure(view, geojson, fmt="pdf", meta=meta,
                                                                 renderer_=renderer))


def test_exports_from_several_threads_share_one_browser(renderer, gm1):
    view, geojson, meta = gm1
    renderer.start()
    browser = renderer._kaleido
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda fmt: (fmt, export.export_figure(view, geojson, fmt=fmt, meta=meta, dpi=96,
                                                                        renderer_=renderer)),
                                ["png", "svg", "pdf", "png", "svg", "pdf"]))
    for fmt, data in results:
        if fmt == "png":
            assert png_info(data)["width"] == 794
        elif fmt == "svg":
            assert len(area_fills(svg_root(data))) == 4
        else:
            assert pdfinspect.page_count(data) == 1
    assert renderer._kaleido is browser  # no restart


# -- offline -------------------------------------------------------------------------------------

def test_no_request_leaves_the_machine(renderer, proxy, gm1, monkeypatch):
    """The page loads local files only; Chromium's own traffic goes to the (recording) proxy."""
    connected = []
    real_connect = socket.socket.connect

    def guarded(sock, address):
        if sock.family in (socket.AF_INET, socket.AF_INET6) and address[0] not in ("127.0.0.1", "::1", "localhost"):
            connected.append(address)
            raise OSError(f"test guard: no connection to {address}")
        return real_connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)
    view, geojson, meta = gm1
    before = len(renderer.requests)
    for fmt in export.FORMATS:
        export.export_figure(view, geojson, fmt=fmt, meta=meta, renderer_=renderer)
    page = renderer.requests[before:]
    assert page and all(url.startswith(("file:", "blob:file:", "data:")) for url in page), page
    assert any(url.endswith("/world_110m.json") for url in page)  # plotly's topojson, from our empty file
    assert renderer.outside_requests() == []
    assert connected == []  # nor does the Python side connect anywhere
    asked = " ".join(proxy.requests)
    for host in ("plot.ly", "mathjax", "cdnjs", "jsdelivr", "unpkg", "/geo/", "topojson"):
        assert host not in asked
    print("Chromium's own requests, caught by the proxy:", sorted({r.split()[1].split("/")[2 if "//" in r else 0]
                                                                   for r in proxy.requests}))


def test_the_guards_see_a_request_for_a_remote_topojson(proxy):
    """Negative control: point plotly at the CDN and watch both guards catch it."""
    fig = export.go.Figure(export.go.Choropleth(
        geojson={"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"code": "A"},
                 "geometry": {"type": "Polygon", "coordinates": [[[5, 52], [6, 52], [6, 53], [5, 52]]]}}]},
        featureidkey="properties.code", locations=["A"], z=[1]))
    blocked = Renderer(chromium_path(), proxy_server=proxy.url, topojson_url="https://cdn.plot.ly/")
    try:
        with pytest.raises(ExportError, match="topojson"):
            blocked.render(fig, fmt="svg", width=300, height=300)
        assert blocked.outside_requests() == ["https://cdn.plot.ly/world_110m.json"]
    finally:
        blocked.close()
    assert not any("cdn.plot.ly" in r for r in proxy.requests)  # blocked in the page, never sent
    unblocked = Renderer(chromium_path(), proxy_server=proxy.url, topojson_url="https://cdn.plot.ly/",
                         block_page_requests=False)
    try:
        with pytest.raises(ExportError):
            unblocked.render(fig, fmt="svg", width=300, height=300)
    finally:
        unblocked.close()
    assert any(r.startswith("CONNECT cdn.plot.ly:443") for r in proxy.requests)  # went to the proxy, not out


def test_no_browser_is_a_clear_error_not_a_hang(tmp_path, gm1):
    view, geojson, meta = gm1
    started = time.monotonic()
    with pytest.raises(ExportError, match="No Chromium found"):
        export.export_figure(view, geojson, fmt="png", meta=meta, renderer_=Renderer(tmp_path / "chromium"))
    assert time.monotonic() - started < 3
    silent = tmp_path / "silent-browser"  # starts, but never speaks the DevTools protocol
    silent.write_text("#!/bin/sh\nexec sleep 60\n")
    silent.chmod(0o755)
    r = Renderer(silent, start_timeout=2)
    started = time.monotonic()
    with pytest.raises(ExportError, match="did not start within 2 s"):
        export.export_figure(view, geojson, fmt="svg", meta=meta, renderer_=r)
    assert time.monotonic() - started < 10
    assert not r.running


def test_default_renderer_starts_lazily_and_stays(gm1):
    chromium_path()
    view, geojson, meta = gm1
    shared = export.renderer()
    assert export.renderer() is shared
    try:
        export.export_figure(view, geojson, fmt="svg", meta=meta)
        browser = shared._kaleido
        assert shared.running and shared.proxy_server is None  # Chromium's traffic to a closed port
        export.export_figure(view, geojson, fmt="pdf", meta=meta)
        assert shared._kaleido is browser and shared.outside_requests() == []
    finally:
        shared.close()


def test_export_timings(gm1, demo_warehouse, proxy, capsys):
    """First export (browser start included) and later ones, per format. Printed, not asserted."""
    state, view = view_of(demo_warehouse, "gemeente", "NL01")
    cases = {"tiny buurt": gm1[:2] + (gm1[2],),
             f"demo gemeenten ({sum(len(t.locations) for t in view.figure.data)})":
             (view, export.load_geometry(demo_warehouse, "gemeente", "NL01"),
              export.export_meta(demo_warehouse, state, view, marking=MARKING))}
    r = Renderer(chromium_path(), proxy_server=proxy.url)
    lines = []
    try:
        for name, (v, geojson, meta) in cases.items():
            for fmt in export.FORMATS:
                times = []
                for _ in range(4):
                    started = time.perf_counter()
                    data = export.export_figure(v, geojson, fmt=fmt, meta=meta, renderer_=r)
                    times.append(time.perf_counter() - started)
                lines.append(f"{name:>26} {fmt}: first {times[0]:.2f} s, then {min(times[1:]):.2f}–"
                             f"{max(times[1:]):.2f} s ({len(data) // 1024} KB)")
    finally:
        r.close()
    with capsys.disabled():
        print(f"\nexport timings (kaleido {importlib.metadata.version('kaleido')}, {os.cpu_count()} CPUs):\n"
              + "\n".join(lines))


def test_a_panned_or_zoomed_view_is_exported_with_exactly_its_extent(tiny_warehouse):
    fitted_state, fitted = view_of(tiny_warehouse, "buurt", "GM0001")
    geojson = export.load_geometry(tiny_warehouse, "buurt", "GM0001")
    west, south, east, north = export.drawn_bounds(geojson, set(fitted.figure.data[0].locations))
    extent = (west, south, (west + east) / 2, (south + north) / 2)   # zoomed in on one corner
    state, view = view_of(tiny_warehouse, "buurt", "GM0001", extent=extent)
    assert export.screen_extent(view.figure.layout.geo.to_plotly_json()) == pytest.approx(extent)
    meta = export.export_meta(tiny_warehouse, state, view)
    geo = export.compose_figure(view, geojson, meta).layout.geo
    pad = export.GEO_CLIP_PAD + 1e-4
    assert list(geo.lonaxis.range) == pytest.approx([extent[0] - pad, extent[2] + pad])
    assert list(geo.lataxis.range) == pytest.approx([extent[1] - pad, extent[3] + pad])
    fitted_geo = export.compose_figure(fitted, geojson, export.export_meta(tiny_warehouse, fitted_state, fitted)).layout.geo
    assert fitted_geo.lonaxis.range[1] > geo.lonaxis.range[1] + 0.1 * (east - west)   # the whole area, with a margin
