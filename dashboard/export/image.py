"""The map on screen as a briefing-ready image: PNG at print resolution, SVG and PDF as vectors.

:func:`compose_figure` lays a :class:`~dashboard.views.MapView` out on a :class:`~dashboard.export.page.Page`
at A4 width: the same choropleth traces, colours and classes as on screen with the geometry
*embedded* (the on-screen traces point at our ``/geo/...`` URL), a title, the legend drawn as
swatches and labels (class bounds, n.b. and water keys), and the source block with unit,
boundary year, sources with table ids, attribution, export date (Europe/Amsterdam), the
"risicosignaal, geen bewijs" caveat, an optional marking line and the demo mark. Hover texts
are dropped: an image carries no value that is not drawn.

:func:`export_figure` renders it (:mod:`dashboard.export.render`) and gives the file its
physical size: the PNG a ``pHYs`` chunk (300 dpi, written by Pillow's PNG chunk writer), the
SVG a width and height in millimetres and a ``<title>`` (through ElementTree).
"""

from __future__ import annotations

import io
import os
import xml.etree.ElementTree as ET
from datetime import datetime
from typing import TYPE_CHECKING

from dashboard.export.page import (A4_WIDTH_MM, CSS_DPI, TIMEZONE, ExportMeta, Page, PaperMap, css_width,
                                   exact_css)
from dashboard.export.render import FORMATS, ExportError, Format, Renderer, renderer
from dashboard.i18n import t
from data_pipeline.downloads import export_filename

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from dashboard.routes import MapState
    from dashboard.views import MapView
    from data_pipeline.warehouse import Warehouse

#: Deployment-wide marking line (e.g. "Vertrouwelijk — alleen voor intern gebruik").
MARKING_ENV = "ONDERMIJNINGSBEELD_EXPORT_MARKING"
SVG_NS = "http://www.w3.org/2000/svg"
ET.register_namespace("", SVG_NS)
ET.register_namespace("xlink", "http://www.w3.org/1999/xlink")


def export_meta(warehouse: "Warehouse", state: "MapState", view: "MapView", *, marking: str | None = None,
                now: datetime | None = None) -> ExportMeta:
    """The texts for exporting ``view``; ``marking`` defaults to ``$ONDERMIJNINGSBEELD_EXPORT_MARKING``."""
    from dashboard.views import HOTSPOT_LEVELS  # noqa: PLC0415 (keep this module light to import)

    lang = state.lang
    meta = warehouse.meta
    caveat = ""  # value maps show published rates; scores and hotspots are signals that need saying so
    if state.mode == "score":
        caveat = t("score.caveat", lang)
    elif state.mode == "hotspots" and state.level in HOTSPOT_LEVELS:
        caveat = t("export.caveat_hotspots", lang)
    attribution = meta.get("attribution", "")
    return ExportMeta(
        title=view.heading, unit=view.legend_title, boundary_year=str(meta["boundary_year"]), sources=view.source,
        attribution="" if attribution and attribution in view.source else attribution,
        exported_at=(now or datetime.now(TIMEZONE)).astimezone(TIMEZONE), caveat=caveat,
        marking=os.environ.get(MARKING_ENV, "") if marking is None else marking,
        demo=meta.get("kind") == "demo", notice=view.notice, lang=lang)


def compose_figure(view: "MapView", geojson: dict, meta: ExportMeta, *, width_px: float | None = None) -> "go.Figure":
    """The stand-alone export figure of ``view`` (``width_px`` CSS pixels wide; default A4 width)."""
    page = Page(width_px or css_width("svg"))
    lang = meta.lang
    page.header(meta, " · ".join([t("export.unit", lang, unit=meta.unit),
                                  t("export.boundaries", lang, year=meta.boundary_year)]))
    page.y += 8
    paper = PaperMap.of(view, geojson)
    top, width = page.y, page.inner
    height = width * min(1.25, max(0.35, paper.aspect or 1.0))
    page.map(paper, page.margin, top, width, height)
    if meta.demo:
        page.watermark(t("export.watermark", lang), page.width / 2, top + height / 2, round(page.width / 22))
    page.y += height + 12
    page.legend(view.legend, meta.unit, lang)
    page.y += 6
    page.footer(meta)
    return page.figure(title=meta.title, lang=meta.lang)


# -- the files --------------------------------------------------------------------------------

def png_with_dpi(png: bytes, dpi: float) -> bytes:
    """``png`` with its physical size, so it opens at its print size (2480 px = 210 mm at 300 dpi).

    Pillow checks the file (signature, header, every chunk's CRC) and writes the ``pHYs`` chunk
    after the header, in whole pixels per metre as its own encoder does. The pixel data stay as
    Chromium compressed them: re-encoding them with Pillow costs 0.4–0.6 s on the national map
    at any ``compress_level`` (its per-row filter choice dominates; level 0 is no faster), which
    alone would take the PNG export past its one-second budget.
    """
    try:
        from PIL import Image, PngImagePlugin, UnidentifiedImageError  # noqa: PLC0415 (only PNG exports need it)
    except ImportError as err:  # pragma: no cover - depends on the install
        raise ExportError("PNG export needs Pillow (pip install 'pillow>=10,<14').") from err
    try:
        Image.open(io.BytesIO(png), formats=["PNG"]).close()  # the signature and header
        source, out = io.BytesIO(png), io.BytesIO()
        out.write(source.read(8))
        per_metre = int(dpi / 0.0254 + 0.5).to_bytes(4, "big")
        chunks, cid = PngImagePlugin.ChunkStream(source), b""
        while cid != b"IEND":
            cid, _, length = chunks.read()
            data = source.read(length)
            chunks.crc(cid, data)
            if cid != b"pHYs":  # ours replaces any there was
                PngImagePlugin.putchunk(out, cid, data)
            if cid == b"IHDR":
                PngImagePlugin.putchunk(out, b"pHYs", per_metre, per_metre, b"\x01")  # unit: metre
    except (UnidentifiedImageError, SyntaxError, OSError, ValueError) as err:
        raise ExportError("the renderer did not return a PNG") from err
    return out.getvalue()


def svg_in_mm(svg: bytes, width_mm: float, title: str) -> bytes:
    """The root ``<svg>`` with a physical size (``width_mm`` wide, its aspect kept, the viewBox in
    CSS pixels) and a ``<title>``."""
    try:
        root = ET.fromstring(svg)
    except ET.ParseError as err:
        raise ExportError("the renderer did not return an SVG") from err
    if root.get("viewBox") is None:
        root.set("viewBox", f"0 0 {root.get('width')} {root.get('height')}")
    _, _, width_px, height_px = (float(v) for v in root.get("viewBox").replace(",", " ").split())
    root.set("width", f"{width_mm:.2f}mm")
    root.set("height", f"{width_mm * height_px / width_px:.2f}mm")
    for old in root.findall(f"{{{SVG_NS}}}title"):
        root.remove(old)
    element = ET.Element(f"{{{SVG_NS}}}title")
    element.text = title
    root.insert(0, element)
    return ET.tostring(root, encoding="utf-8", xml_declaration=False)


def export_figure(view: "MapView", geojson: dict, *, fmt: Format, meta: ExportMeta, width_mm: float = A4_WIDTH_MM,
                  dpi: float = 300, renderer_: Renderer | None = None) -> bytes:
    """``view`` as a stand-alone image file.

    Parameters
    ----------
    view, geojson
        The map on screen and the GeoJSON its traces point at (:meth:`Warehouse.geometry`).
    fmt
        ``"png"`` (exactly ``dpi`` across ``width_mm``, with that print size), ``"svg"`` or
        ``"pdf"`` (vectors, ``width_mm`` wide).
    meta
        The texts around the map (:func:`export_meta`).
    renderer_
        The browser to render with (default: the process-wide :func:`~dashboard.export.render.renderer`).

    Returns
    -------
    bytes
        The file. Raises :class:`~dashboard.export.render.ExportError` when it cannot be made.
    """
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}, not {fmt!r}")
    width = css_width(fmt, width_mm, dpi)
    fig = compose_figure(view, geojson, meta, width_px=width)
    height = fig.layout.height
    active = renderer_ or renderer()
    if fmt == "png":
        scale = dpi / CSS_DPI
        height = exact_css(round(height * scale), scale)
        fig.layout.height = height
        return png_with_dpi(active.render(fig, fmt="png", width=width, height=height, scale=scale), dpi)
    out = active.render(fig, fmt=fmt, width=width, height=height, scale=1)
    return svg_in_mm(out, width_mm, meta.title) if fmt == "svg" else out


def filename(state: "MapState", fmt: Format) -> str:
    """A safe download name after what the image shows, as the table downloads are named:
    indicator (``risicosignaal`` for the composite; a change names its first year, hotspots
    their method), year, level and the area whose map it is.

    >>> from dashboard.routes import MapState
    >>> filename(MapState(level="wijk", parent="GM0363", indicator="misdrijven", year=2024), "pdf")
    'ondermijningsbeeld_misdrijven_2024_wijk_GM0363.pdf'
    >>> filename(MapState(level="buurt", parent="WK036301", mode="verandering", indicator="x", year=2024,
    ...                   since=2020), "png")
    'ondermijningsbeeld_x_sinds-2020_2024_buurt_WK036301.png'
    >>> filename(MapState(level="gemeente", mode="score", year=2023), "svg")
    'ondermijningsbeeld_risicosignaal_2023_gemeente_NL01.svg'
    """
    subject = {"score": "risicosignaal", "verandering": f"{state.indicator}_sinds-{state.since}",
               "hotspots": f"{state.indicator}_{state.hotspot}"}.get(state.mode, state.indicator)
    return export_filename(subject, state.year, state.level, state.parent, fmt)


def render_state(warehouse: "Warehouse", state: "MapState", fmt: Format, scope,
                 marking: str | None = None) -> tuple[bytes, ExportMeta, "MapView"]:
    """The map of a (resolved) view state as an image: what the export links and the CLI use.

    Parameters
    ----------
    warehouse, state, scope
        The data, the view (as :func:`dashboard.views.resolve_state` returns it) and what the
        viewer may see.
    fmt
        ``"png"``, ``"svg"`` or ``"pdf"``.
    marking
        The marking line (default: ``$ONDERMIJNINGSBEELD_EXPORT_MARKING``).

    Returns
    -------
    tuple
        The file's bytes, its :class:`~dashboard.export.page.ExportMeta` (for :func:`filename`)
        and the :class:`~dashboard.views.MapView` it shows.
    """
    from dashboard.views import map_view  # noqa: PLC0415

    view = map_view(warehouse, state, scope)
    meta = export_meta(warehouse, state, view, marking=marking)
    geojson = warehouse.geometry(state.level, state.parent, scope)
    return export_figure(view, geojson, fmt=fmt, meta=meta), meta, view
