"""Briefing-ready exports of the map on screen: PNG at print resolution, SVG and PDF as vectors.

:func:`compose_figure` turns a :class:`~dashboard.views.MapView` into one stand-alone
``go.Figure`` at A4 width: the same choropleth traces, colours and classes as on screen, with
the geometry *embedded* (the on-screen traces point at our ``/geo/...`` URL), a title, the
legend drawn as shapes and annotations (class bounds as labelled, n.b. and water keys), and a
footer with unit, boundary year, sources with table ids, attribution, export date
(Europe/Amsterdam), the "risicosignaal, geen bewijs" caveat, an optional marking line and the
demo mark. Hover texts are dropped: an image carries no value that is not drawn.
:func:`export_figure` renders it with kaleido 1.x in Debian's Chromium.

Offline by construction:

- kaleido gets an explicit browser path (``path=``), so it never looks for or downloads its
  own Chrome (``get_chrome`` is never called);
- MathJax is off (``mathjax=False``) and plotly.js is the vendored geo bundle the page uses
  (``dashboard/assets``), loaded from a file;
- plotly's geo asks for a world topojson even when nothing of it is drawn: kaleido's
  ``topojson=`` option points it at a local directory holding our empty topology
  (:data:`dashboard.figures.EMPTY_TOPOLOGY`) under every name plotly.js may ask for;
- the rendering page may load local URLs only (``Network.setBlockedURLs`` for http, https,
  ws, wss, ftp; every URL it asks for is logged in :attr:`Renderer.requests`);
- Chromium itself calls home when it starts (search-engine preconnect, update and sign-in
  services, network time); flags turn most of that off, and a proxy on a loopback port that is
  bound but never listens makes whatever is left fail on this machine instead of leaving it.

One Chromium stays open for the life of the process (:func:`renderer`): the first export
starts it (about a second), later exports take a fraction of a second.
"""

from __future__ import annotations

import asyncio
import atexit
import gzip
import html
import json
import math
import os
import shutil
import signal
import socket
import struct
import tempfile
import textwrap
import threading
import zlib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal
from zoneinfo import ZoneInfo

import plotly.graph_objects as go

from dashboard.figures import GEO_CLIP_PAD, NO_DATA_COLOUR, WATER_COLOUR, mercator_middle

if TYPE_CHECKING:
    from dashboard.routes import MapState
    from dashboard.views import MapView
    from data_pipeline.warehouse import Warehouse

Format = Literal["png", "svg", "pdf"]
FORMATS = ("png", "svg", "pdf")
MEDIA_TYPES = {"png": "image/png", "svg": "image/svg+xml", "pdf": "application/pdf"}

TIMEZONE = ZoneInfo("Europe/Amsterdam")
CSS_DPI = 96  # a CSS pixel is 1/96 inch: plotly lays out in CSS pixels, Chromium prints at 96 px/inch
A4_WIDTH_MM = 210.0
MM_PER_INCH = 25.4
#: Deployment-wide marking line (e.g. "Vertrouwelijk — alleen voor intern gebruik").
MARKING_ENV = "ONDERMIJNINGSBEELD_EXPORT_MARKING"
#: Optional override of the browser; otherwise BROWSER_PATH, /usr/bin/chromium, then PATH.
BROWSER_ENV = "ONDERMIJNINGSBEELD_CHROMIUM"
BROWSER_CANDIDATES = ("/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
PLOTLY_JS = Path(__file__).with_name("assets") / "plotly-geo-4.1.1.min.js"
#: Every name plotly.js's geo may fetch: ``<scope>_<resolution>m.json``.
TOPOJSON_NAMES = tuple(f"{scope}_{res}m" for scope in ("world", "usa", "europe", "asia", "africa",
                                                       "north-america", "south-america") for res in (110, 50))

FONT = "DejaVu Sans, Arial, sans-serif"
TEXT_COLOUR = "#1b1b1b"
MUTED_COLOUR = "#444444"
MARKING_COLOUR = "#8b0000"
DEMO_COLOUR = "#b35806"

LABELS = {
    "nl": {"unit": "Eenheid", "boundary_year": "gebiedsindeling", "exported": "Geëxporteerd op",
           "legend": "Legenda", "demo": "Synthetische gegevens — geen echte cijfers",
           "watermark": "SYNTHETISCHE GEGEVENS", "product": "Ondermijningsbeeld",
           "caveat_hotspots": "Hotspots zijn een statistisch patroon: een risicosignaal, geen bewijs."},
    "en": {"unit": "Unit", "boundary_year": "boundaries", "exported": "Exported on",
           "legend": "Legend", "demo": "Synthetic data — not real figures",
           "watermark": "SYNTHETIC DATA", "product": "Ondermijningsbeeld",
           "caveat_hotspots": "Hotspots are a statistical pattern: a risk signal, not proof."},
}


class ExportError(RuntimeError):
    """An export could not be made (no browser, browser failed, render failed or timed out)."""


@dataclass(frozen=True)
class ExportMeta:
    """The texts an exported image carries besides the map and its legend."""

    title: str
    unit: str
    boundary_year: str
    sources: str  # with table ids, e.g. "Bron: CBS (85984NED); gebiedsindeling 2024. ..."
    attribution: str = "Bron: CBS en politie (open data, CC BY 4.0)"  # = data_pipeline.cbs_source.ATTRIBUTION
    exported_at: datetime = field(default_factory=lambda: datetime.now(TIMEZONE))
    caveat: str = ""  # "risicosignaal, geen bewijs" where it applies; empty: none
    marking: str = ""  # deployment marking, drawn at top and bottom; empty: none
    demo: bool = False  # synthetic data: a line under the title and a watermark over the map
    notice: str = ""  # the on-screen notice (e.g. why manual breaks fell back to quantiles)
    lang: str = "nl"


def export_meta(warehouse: "Warehouse", state: "MapState", view: "MapView", *, marking: str | None = None,
                now: datetime | None = None) -> ExportMeta:
    """The texts for exporting ``view``; ``marking`` defaults to ``$ONDERMIJNINGSBEELD_EXPORT_MARKING``."""
    from dashboard.i18n import t  # noqa: PLC0415 (keep this module light to import)
    from dashboard.views import HOTSPOT_LEVELS  # noqa: PLC0415

    lang = state.lang
    meta = warehouse.meta
    caveat = ""  # value maps show published rates; scores and hotspots are signals that need saying so
    if state.mode == "score":
        caveat = t("score.caveat", lang)
    elif state.mode == "hotspots" and state.level in HOTSPOT_LEVELS:
        caveat = label(lang, "caveat_hotspots")
    attribution = meta.get("attribution", "")
    return ExportMeta(
        title=view.heading, unit=view.legend_title, boundary_year=str(meta["boundary_year"]), sources=view.source,
        attribution="" if attribution and attribution in view.source else attribution,
        exported_at=(now or datetime.now(TIMEZONE)).astimezone(TIMEZONE), caveat=caveat,
        marking=os.environ.get(MARKING_ENV, "") if marking is None else marking,
        demo=meta.get("kind") == "demo", notice=view.notice, lang=lang)


def load_geometry(warehouse: "Warehouse", level: str, parent: str) -> dict:
    """The GeoJSON the on-screen map fetches from ``/geo/...`` (gzipped on disk)."""
    return json.loads(gzip.decompress(warehouse.geometry_file(level, parent).read_bytes()))


# -- sizes ------------------------------------------------------------------------------------

def a4_pixels(dpi: float, width_mm: float = A4_WIDTH_MM) -> int:
    """Pixels across ``width_mm`` at ``dpi``.

    >>> a4_pixels(300), a4_pixels(150), a4_pixels(96), a4_pixels(300, 297)
    (2480, 1240, 794, 3508)
    """
    return round(width_mm / MM_PER_INCH * dpi)


def _css(pixels: int, scale: float) -> float:
    """A CSS length that gives exactly ``pixels`` device pixels at ``scale`` (canvas sizes truncate)."""
    value = pixels / scale
    while value * scale < pixels:
        value = math.nextafter(value, math.inf)
    return value


def css_width(fmt: Format, width_mm: float = A4_WIDTH_MM, dpi: float = 300) -> float:
    """The layout width in CSS pixels: ``width_mm`` exactly, or for PNG exactly ``a4_pixels(dpi)`` wide."""
    if fmt == "png":
        return _css(a4_pixels(dpi, width_mm), dpi / CSS_DPI)
    return width_mm / MM_PER_INCH * CSS_DPI


# -- composition --------------------------------------------------------------------------------

def label(lang: str, key: str) -> str:
    return LABELS.get(lang, LABELS["nl"])[key]


def escape(text: str) -> str:
    """Plain text for plotly's pseudo-HTML labels."""
    return html.escape(text, quote=False)


def wrap(text: str, width_px: float, size: float, bold: bool = False) -> list[str]:
    """Lines of ``text`` that fit ``width_px`` in DejaVu Sans at ``size`` px (a safe estimate)."""
    chars = max(10, int(width_px / (size * (0.66 if bold else 0.6))))
    return textwrap.wrap(text, chars, break_long_words=True, break_on_hyphens=False) or [""]


def drawn_bounds(geojson: dict, locations: set[str], key: str = "code") -> tuple[float, float, float, float] | None:
    """(min lon, min lat, max lon, max lat) of the features drawn, or ``None`` when there are none."""
    xs, ys = [], []

    def walk(coords):
        if coords and isinstance(coords[0], (int, float)):
            xs.append(coords[0])
            ys.append(coords[1])
        else:
            for c in coords:
                walk(c)

    for feature in geojson.get("features", []):
        if (feature.get("properties") or {}).get(key) in locations and feature.get("geometry"):
            walk(feature["geometry"].get("coordinates", []))
    return (min(xs), min(ys), max(xs), max(ys)) if xs else None


def mercator_aspect(bounds: tuple[float, float, float, float]) -> float:
    """Height / width of ``bounds`` in Web Mercator.

    >>> round(mercator_aspect((3.3, 50.7, 7.2, 53.6)), 2)  # the Netherlands
    1.21
    """
    def merc(lat):
        return math.log(math.tan(math.pi / 4 + math.radians(max(-85.0, min(85.0, lat))) / 2))

    width = math.radians(bounds[2] - bounds[0])
    return (merc(bounds[3]) - merc(bounds[1])) / width if width > 0 else 1.0


def screen_extent(geo: dict) -> tuple[float, float, float, float] | None:
    """The extent a user panned/zoomed to, as the on-screen figure carries it (None: fitted).

    >>> screen_extent({"fitbounds": False, "lonaxis": {"range": [4.799, 5.001]}, "lataxis": {"range": [52.299, 52.401]}})
    (4.8, 52.3, 5.0, 52.4)
    >>> screen_extent({"fitbounds": "locations"}) is None
    True
    """
    lon, lat = (geo.get(axis, {}).get("range") for axis in ("lonaxis", "lataxis"))
    if geo.get("fitbounds") is not False or not lon or not lat:
        return None
    pad = GEO_CLIP_PAD  # the figure widens its ranges by this much (choropleth_figure)
    return tuple(round(v, 6) for v in (lon[0] + pad, lat[0] + pad, lon[1] - pad, lat[1] - pad))


def framed_geo(geo: dict, bounds: tuple[float, float, float, float] | None, margin: float = 0.02) -> dict:
    """The on-screen geo, framed on ``bounds`` so the map fills its box on the page.

    On screen ``fitbounds`` fits the areas into plotly's square geo frame; on paper the frame
    follows the areas (lon/lat ranges with a 2 % margin), which gives the map the page width;
    a panned/zoomed extent is framed as it is (``margin=0``).
    plotly.js draws geo ranges ``GEO_CLIP_PAD`` degrees narrower on each side, so that much is
    added too; without it the buurten of a small wijk are cropped.
    """
    if bounds is None:
        return geo
    x0, y0, x1, y1 = bounds
    pad_x = max((x1 - x0) * margin, 1e-4) + GEO_CLIP_PAD
    pad_y = max((y1 - y0) * margin, 1e-4) + GEO_CLIP_PAD
    return {**geo, "fitbounds": False, "center": dict(lon=(x0 + x1) / 2, lat=mercator_middle(y0, y1)),
            "lonaxis": {**geo.get("lonaxis", {}), "range": [x0 - pad_x, x1 + pad_x]},
            "lataxis": {**geo.get("lataxis", {}), "range": [y0 - pad_y, y1 + pad_y]}}


class Page:
    """Places text, boxes and the map top to bottom, in CSS pixels from the top-left corner."""

    def __init__(self, width: float, margin: float):
        self.width, self.margin, self.y = width, margin, margin
        self.texts: list[dict] = []
        self.boxes: list[dict] = []

    @property
    def inner(self) -> float:
        return self.width - 2 * self.margin

    def text(self, text: str, size: float, *, x: float | None = None, width: float | None = None, bold=False,
             colour=TEXT_COLOUR, align="left", advance=True, gap: float = 0.0) -> float:
        lines = wrap(text, width or self.inner, size, bold)
        body = "<br>".join(escape(line) for line in lines)
        x = self.margin if x is None else x
        anchor = {"left": x, "center": self.width / 2, "right": self.width - self.margin}[align]
        self.texts.append(dict(text=f"<b>{body}</b>" if bold else body, px=(anchor, self.y), align=align,
                               font=dict(size=size, color=colour, family=FONT)))
        height = len(lines) * size * 1.3
        if advance:
            self.y += height + gap
        return height

    def box(self, x: float, y: float, w: float, h: float, colour: str) -> None:
        self.boxes.append(dict(x=x, y=y, w=w, h=h, colour=colour))


def draw_legend(page: Page, entries: list[tuple[str, str]], title: str, lang: str) -> None:
    """Swatches with their labels: classes in columns of up to 5, then the n.b./water keys."""
    size, row, swatch_w, swatch_h = 11.0, 18.0, 24.0, 12.0
    page.text(f"{label(lang, 'legend')} — {title}" if title else label(lang, "legend"), 12, bold=True, gap=4)
    keys = [e for e in entries if e[0] in (NO_DATA_COLOUR, WATER_COLOUR)]
    classes = [e for e in entries if e not in keys]
    columns = [classes[i:i + 5] for i in range(0, len(classes), 5)] + ([keys] if keys else [])
    if not columns:
        return
    col_width = page.inner / max(len(columns), 3)
    top = page.y
    for c, column in enumerate(columns):
        x = page.margin + c * col_width
        for r, (colour, text) in enumerate(column):
            y = top + r * row
            page.box(x, y + (row - swatch_h) / 2 - 1, swatch_w, swatch_h, colour)
            page.y = y
            page.text(text, size, x=x + swatch_w + 6, width=col_width - swatch_w - 12, advance=False)
    page.y = top + max(len(col) for col in columns) * row + 6


def embedded_traces(view: "MapView", geojson: dict) -> list[go.Choropleth]:
    """The on-screen traces with the geometry inlined and nothing to hover (no values in the file)."""
    traces = []
    for trace in view.figure.data:
        spec = trace.to_plotly_json()
        spec.pop("geojson", None)
        for key in ("text", "hovertext", "hovertemplate", "customdata"):
            spec.pop(key, None)
        spec.update(hoverinfo="skip", geojson=geojson)
        traces.append(go.Choropleth(spec))
    return traces


def compose_figure(view: "MapView", geojson: dict, meta: ExportMeta, *, width_px: float | None = None) -> go.Figure:
    """The stand-alone export figure of ``view`` (``width_px`` CSS pixels wide; default A4 width)."""
    width = width_px or css_width("svg")
    lang = meta.lang
    page = Page(width, margin=round(width * 0.05))
    if meta.marking:
        page.text(meta.marking, 10, bold=True, colour=MARKING_COLOUR, align="center", gap=6)
    page.text(meta.title, 18, bold=True, gap=2)
    subtitle = f"{label(lang, 'unit')}: {meta.unit} · {label(lang, 'boundary_year')} {meta.boundary_year}"
    page.text(subtitle, 12, colour=MUTED_COLOUR, gap=2)
    if meta.demo:
        page.text(label(lang, "demo"), 12, bold=True, colour=DEMO_COLOUR, gap=2)
    page.y += 8

    traces = embedded_traces(view, geojson)
    key = (view.figure.data[0].featureidkey or "properties.code").removeprefix("properties.") if traces else "code"
    shown = {code for trace in traces for code in (trace.locations or ())}
    screen_geo = view.figure.layout.geo.to_plotly_json()
    extent = screen_extent(screen_geo)
    bounds = extent or drawn_bounds(geojson, shown, key)
    map_top, map_width = page.y, page.inner
    map_height = map_width * min(1.25, max(0.35, mercator_aspect(bounds) if bounds else 1.0))
    page.y += map_height + 12

    draw_legend(page, view.legend, meta.unit, lang)
    page.y += 6
    footer = [(meta.caveat, True), (meta.notice, False), (meta.sources, False), (meta.attribution, False)]
    for text, bold in footer:
        if text:
            page.text(text, 9.5, bold=bold, colour=TEXT_COLOUR if bold else MUTED_COLOUR, gap=2)
    stamp = meta.exported_at.astimezone(TIMEZONE)
    page.text(f"{label(lang, 'exported')} {stamp:%d-%m-%Y %H:%M} {stamp.tzname()} (Europe/Amsterdam)"
              f" · {label(lang, 'product')}" + (f" · {label(lang, 'demo')}" if meta.demo else ""),
              9.5, colour=MUTED_COLOUR, gap=2)
    if meta.marking:
        page.y += 4
        page.text(meta.marking, 10, bold=True, colour=MARKING_COLOUR, align="center")
    height = math.ceil(page.y + page.margin * 0.6)

    def fx(px):
        return px / width

    def fy(px):
        return 1 - px / height

    annotations = [dict(text=a["text"], x=fx(a["px"][0]), y=fy(a["px"][1]), xref="paper", yref="paper",
                        xanchor=a["align"], yanchor="top", align=a["align"], showarrow=False, font=a["font"])
                   for a in page.texts]
    if meta.demo:
        annotations.append(dict(text=escape(label(lang, "watermark")), x=0.5, y=fy(map_top + map_height / 2),
                                xref="paper", yref="paper", showarrow=False, textangle=-28,
                                font=dict(size=round(width / 22), color="rgba(179, 88, 6, 0.14)", family=FONT)))
    shapes = [dict(type="rect", xref="paper", yref="paper", x0=fx(b["x"]), x1=fx(b["x"] + b["w"]),
                   y0=fy(b["y"] + b["h"]), y1=fy(b["y"]), fillcolor=b["colour"], line=dict(color="#666666", width=0.5))
              for b in page.boxes]

    fig = go.Figure(traces)
    geo = framed_geo(screen_geo, bounds, margin=0 if extent else 0.02)
    geo.update(domain=dict(x=[fx(page.margin), fx(page.margin + map_width)],
                           y=[fy(map_top + map_height), fy(map_top)]))
    fig.update_layout(
        geo=geo, width=width, height=height, margin=dict(l=0, r=0, t=0, b=0, pad=0, autoexpand=False),
        separators=",.", showlegend=False, paper_bgcolor="white", template="none",
        font=dict(family=FONT, size=12, color=TEXT_COLOUR), annotations=annotations, shapes=shapes,
        meta=dict(title=meta.title),
    )
    return fig


# -- rendering --------------------------------------------------------------------------------

def find_browser(path: str | os.PathLike | None = None) -> str:
    """The Chromium to use: ``path``, ``$ONDERMIJNINGSBEELD_CHROMIUM``, ``$BROWSER_PATH``, then the usual places."""
    for candidate in (path, os.environ.get(BROWSER_ENV), os.environ.get("BROWSER_PATH"), *BROWSER_CANDIDATES):
        if not candidate:
            continue
        found = shutil.which(str(candidate))
        if found:
            return found
        if path is not None and candidate == path:
            break  # an explicit path that is not there: say so, do not fall back
    raise ExportError(f"No Chromium found{f' at {path}' if path else ''}: image export needs a local browser "
                      "(Debian: apt-get install -y chromium). Nothing is downloaded.")


def _empty_topojson_dir() -> Path:
    """A directory with the empty world topology under every name plotly.js's geo may ask for."""
    from dashboard.figures import EMPTY_TOPOLOGY  # noqa: PLC0415

    directory = Path(tempfile.mkdtemp(prefix="ondermijningsbeeld-topojson-"))
    for name in TOPOJSON_NAMES:
        (directory / f"{name}.json").write_text(EMPTY_TOPOLOGY, encoding="utf-8")
    return directory


def _closed_loopback_port() -> socket.socket:
    """A loopback socket that is bound but never listens: connecting to its port is refused."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    return sock


#: Flags that keep Chromium from calling home (network time, updaters, pings); the proxy
#: catches whatever is left. choreographer already passes --disable-component-update etc.
QUIET_FLAGS = ("--disable-background-networking", "--no-pings", "--disable-domain-reliability",
               "--disable-default-apps", "--disable-features=NetworkTimeServiceQuerying,Translate,"
               "OptimizationHints,MediaRouter,AutofillServerCommunication")
#: URL patterns the rendering page may not load (it needs file:// and data: only).
BLOCKED_URLS = ("http://*", "https://*", "ws://*", "wss://*", "ftp://*")
LOCAL_SCHEMES = ("file:", "data:", "blob:", "about:")


def _quiet_chromium():
    from choreographer.browsers.chromium import Chromium  # noqa: PLC0415

    class QuietChromium(Chromium):
        def get_cli(self):
            return [*super().get_cli(), *QUIET_FLAGS]

    return QuietChromium


def _page_generator(**kwargs):
    from kaleido import PageGenerator  # noqa: PLC0415

    class KaleidoPage(PageGenerator):
        # kaleido prints PDFs with 0.1 inch margins around an image the size of the page, which
        # shifts the figure and cuts its right and bottom edge: CSS page margins win over those.
        header = PageGenerator.header.replace(
            "<title>Kaleido-fier</title>",
            "<title>Ondermijningsbeeld</title>\n        <style>@page { margin: 0 }</style>")

    return KaleidoPage(**kwargs)


class Renderer:
    """One long-lived headless Chromium driven by kaleido, on its own event-loop thread.

    Thread-safe: :meth:`render` may be called from any thread; the browser starts on the first
    call (or :meth:`start`) and is restarted after it fails.

    Nothing leaves the machine, in two layers: the rendering page may load ``file:`` and
    ``data:`` URLs only (``Network.setBlockedURLs``; every URL it asks for is logged in
    :attr:`requests`), and all of Chromium's own traffic goes to ``proxy_server`` — by default
    a loopback port that refuses connections. Tests pass a recording proxy instead.
    """

    def __init__(self, browser_path: str | os.PathLike | None = None, *, proxy_server: str | None = None,
                 topojson_url: str | None = None, plotlyjs: str | os.PathLike | None = None,
                 block_page_requests: bool = True, start_timeout: float = 20.0, render_timeout: float = 30.0):
        self.browser_path = browser_path
        self.proxy_server = proxy_server
        self.topojson_url = topojson_url
        self.plotlyjs = plotlyjs
        self.block_page_requests = block_page_requests
        self.start_timeout = start_timeout
        self.render_timeout = render_timeout
        #: Every URL the rendering page asked for (file: ones included), in order.
        self.requests: list[str] = []
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._kaleido = None
        self._blackhole: socket.socket | None = None
        self._topojson_dir: Path | None = None
        atexit.register(self.close)

    @property
    def running(self) -> bool:
        return self._kaleido is not None

    def outside_requests(self) -> list[str]:
        """URLs the page asked for that are not local (blocked, but they should not occur at all)."""
        return [url for url in self.requests if not url.startswith(LOCAL_SCHEMES)]

    def start(self) -> None:
        with self._lock:
            self._start_locked()

    def _start_locked(self) -> None:
        if self._kaleido is not None:
            return
        browser = find_browser(self.browser_path)
        try:
            import kaleido  # noqa: PLC0415
        except ImportError as err:  # pragma: no cover - depends on the install
            raise ExportError("Image export needs kaleido 1.x (pip install 'kaleido>=1,<2').") from err
        if self._topojson_dir is None and self.topojson_url is None:
            self._topojson_dir = _empty_topojson_dir()
        proxy = self.proxy_server
        if proxy is None:
            self._blackhole = self._blackhole or _closed_loopback_port()
            proxy = "http://127.0.0.1:%d" % self._blackhole.getsockname()[1]
        plotlyjs = Path(self.plotlyjs) if self.plotlyjs else PLOTLY_JS
        if not plotlyjs.is_file():
            import plotly  # noqa: PLC0415

            plotlyjs = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
        page = _page_generator(plotly=str(plotlyjs), mathjax=False)

        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="kaleido", daemon=True)
        self._thread.start()
        holder: dict = {}

        async def open_browser():
            try:
                k = kaleido.Kaleido(path=browser, page_generator=page, timeout=self.render_timeout, n=1,
                                    proxy_server=proxy, enable_extensions=False, browser_cls=_quiet_chromium())
                holder["k"] = k
                await k.open()
                await self._guard_pages(k)
                return k
            except BaseException as err:  # noqa: BLE001 - handed to the waiting thread, also when it gave up
                return err

        future = asyncio.run_coroutine_threadsafe(open_browser(), self._loop)
        try:
            result = future.result(self.start_timeout)
        except TimeoutError:
            future.cancel()
            self._teardown(holder.get("k"), wait=2)
            raise ExportError(f"Chromium at {browser} did not start within {self.start_timeout:g} s") from None
        if isinstance(result, BaseException):
            self._teardown(holder.get("k"), wait=2)
            raise ExportError(f"Chromium at {browser} could not be started: {result}") from result
        self._kaleido = result

    async def _guard_pages(self, k) -> None:
        async def record(event):
            self.requests.append(((event.get("params") or {}).get("request") or {}).get("url", ""))

        for tab in list(k.tabs.values()):
            tab.subscribe("Network.requestWillBeSent", record)
            await tab.send_command("Network.enable")
            if self.block_page_requests:
                await tab.send_command("Network.setBlockedURLs", params={"urls": list(BLOCKED_URLS)})

    def render(self, figure: go.Figure | dict, *, fmt: Format, width: float, height: float, scale: float = 1) -> bytes:
        if fmt not in FORMATS:
            raise ValueError(f"format must be one of {FORMATS}, not {fmt!r}")
        spec = figure.to_dict() if hasattr(figure, "to_dict") else figure
        with self._lock:
            self._start_locked()
            k, loop = self._kaleido, self._loop
        topojson = self.topojson_url or (self._topojson_dir.as_uri() + "/")
        coro = k.calc_fig(spec, opts=dict(format=fmt, width=width, height=height, scale=scale), topojson=topojson)
        future = asyncio.run_coroutine_threadsafe(coro, loop)
        try:
            return future.result(self.render_timeout + 5)
        except BaseException as err:
            future.cancel()
            from kaleido.errors import KaleidoError  # noqa: PLC0415

            if isinstance(err, KaleidoError):  # the figure failed, the browser is fine
                raise ExportError(f"Rendering the {fmt.upper()} failed: {err}") from err
            self.close()  # browser gone or stuck: start afresh next time
            if isinstance(err, TimeoutError):
                raise ExportError(f"Rendering the {fmt.upper()} took longer than {self.render_timeout:g} s") from None
            raise ExportError(f"Rendering the {fmt.upper()} failed: {err!r}") from err

    def close(self) -> None:
        with self._lock:
            k, self._kaleido = self._kaleido, None
            self._teardown(k)
            if self._topojson_dir is not None:
                shutil.rmtree(self._topojson_dir, ignore_errors=True)
                self._topojson_dir = None
            if self._blackhole is not None:
                self._blackhole.close()
                self._blackhole = None

    def _teardown(self, k, wait: float = 10) -> None:
        loop, thread = self._loop, self._thread
        if loop is not None and k is not None and loop.is_running():
            try:
                asyncio.run_coroutine_threadsafe(k.close(), loop).result(wait)
            except BaseException:  # noqa: BLE001 - fall through to ending our own process
                pass
        process = getattr(k, "subprocess", None)
        if process is not None and process.poll() is None:
            try:  # choreographer starts the browser in a session of its own: end that group
                os.killpg(process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            process.wait(5)
        if loop is not None:
            if loop.is_running():
                try:
                    asyncio.run_coroutine_threadsafe(_cancel_pending(), loop).result(3)
                except BaseException:  # noqa: BLE001
                    pass
                loop.call_soon_threadsafe(loop.stop)
            if thread is not None:
                thread.join(5)
            if not loop.is_running():
                loop.close()
        self._loop = self._thread = None


async def _cancel_pending() -> None:
    """Cancel what kaleido/choreographer left running on the loop (watchdogs, readers)."""
    tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    for task in tasks:
        task.cancel()
    await asyncio.wait(tasks, timeout=2) if tasks else None


_RENDERER: Renderer | None = None
_RENDERER_LOCK = threading.Lock()


def renderer() -> Renderer:
    """The process-wide renderer (Chromium starts lazily on the first export)."""
    global _RENDERER
    with _RENDERER_LOCK:
        if _RENDERER is None:
            _RENDERER = Renderer()
        return _RENDERER


# -- export -----------------------------------------------------------------------------------

def _png_with_dpi(png: bytes, dpi: float) -> bytes:
    """``png`` with a pHYs chunk, so it opens at its print size (e.g. 2480 px = 210 mm at 300 dpi)."""
    if png[:8] != b"\x89PNG\r\n\x1a\n" or png[12:16] != b"IHDR":
        raise ExportError("the renderer did not return a PNG")
    ppm = round(dpi / 0.0254)
    data = struct.pack(">IIB", ppm, ppm, 1)
    chunk = struct.pack(">I", len(data)) + b"pHYs" + data + struct.pack(">I", zlib.crc32(b"pHYs" + data))
    end_of_ihdr = 8 + 8 + struct.unpack(">I", png[8:12])[0] + 4
    rest = png[end_of_ihdr:]
    if b"pHYs" in rest[:64]:
        return png
    return png[:end_of_ihdr] + chunk + rest


def _svg_in_mm(svg: bytes, width_mm: float, height_px: float, width_px: float, title: str) -> bytes:
    """Give the root ``<svg>`` a physical size (mm, keeping the viewBox) and a ``<title>``."""
    text = svg.decode("utf-8")
    end = text.index(">", text.index("<svg"))
    root = text[:end]
    height_mm = width_mm * height_px / width_px
    for attr, value in (("width", width_mm), ("height", height_mm)):
        start = root.find(f' {attr}="')
        if start >= 0:
            stop = root.index('"', start + len(attr) + 3)
            root = root[:start] + f' {attr}="{value:.2f}mm' + root[stop:]
    return (root + f"><title>{escape(title)}</title>" + text[end + 1:]).encode("utf-8")


def export_figure(view: "MapView", geojson: dict, *, fmt: Format, meta: ExportMeta, width_mm: float = A4_WIDTH_MM,
                  dpi: float = 300, renderer_: Renderer | None = None) -> bytes:
    """``view`` as a stand-alone PNG (``dpi`` across ``width_mm``), SVG or PDF (vector, ``width_mm`` wide)."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}, not {fmt!r}")
    width = css_width(fmt, width_mm, dpi)
    fig = compose_figure(view, geojson, meta, width_px=width)
    height = fig.layout.height
    active = renderer_ or renderer()
    if fmt == "png":
        scale = dpi / CSS_DPI
        height = _css(round(height * scale), scale)
        fig.layout.height = height
        return _png_with_dpi(active.render(fig, fmt="png", width=width, height=height, scale=scale), dpi)
    out = active.render(fig, fmt=fmt, width=width, height=height, scale=1)
    if fmt == "svg":
        return _svg_in_mm(out, width_mm, height, width, meta.title)
    return out


def filename(meta: ExportMeta, fmt: Format) -> str:
    """A safe download name, e.g. ``ondermijningsbeeld-2024-11-28-1723.pdf``.

    >>> filename(ExportMeta("t", "u", "2024", "s", exported_at=datetime(2024, 11, 28, 17, 23, tzinfo=TIMEZONE)), "pdf")
    'ondermijningsbeeld-2024-11-28-1723.pdf'
    """
    return f"ondermijningsbeeld-{meta.exported_at.astimezone(TIMEZONE):%Y-%m-%d-%H%M}.{fmt}"


def render_state(warehouse: "Warehouse", state: "MapState", fmt: Format, scope,
                 marking: str | None = None) -> tuple[bytes, ExportMeta, "MapView"]:
    """The map of a (resolved) view state as an image: what the export links and the CLI use."""
    from dashboard.views import map_view

    view = map_view(warehouse, state, scope)
    meta = export_meta(warehouse, state, view, marking=marking)
    return export_figure(view, load_geometry(warehouse, state.level, state.parent), fmt=fmt, meta=meta), meta, view
