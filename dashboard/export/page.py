"""One exported page, laid out top to bottom in CSS pixels and turned into one ``go.Figure``.

Both the map image (:mod:`dashboard.export.image`) and the briefing sheet
(:mod:`dashboard.export.briefing`) compose through :class:`Page`: text blocks and table cells,
swatches and rules, one map slot (:class:`PaperMap`), small line charts, and the parts every
export carries — the header (marking, title, subtitle, demo line), the legend, the source block
(caveat, notes, sources, attribution, export date, marking) and the watermark on demo data.
:meth:`Page.figure` turns it all into one figure: texts become annotations, swatches and rules
shapes, the map the geo subplot's domain, the charts cartesian axes' domains.

Why a plotly figure and not an HTML page printed by the same Chromium (which would wrap,
hyphenate and measure text for us): kaleido's public API renders plotly figures only. Its page
is kaleido's own (reloaded after every render), ``calc_fig`` takes a figure, and printing a page
of ours would need the browser tab (``Page.printToPDF``), which kaleido's sync server does not
expose. So text is wrapped here, on an estimate of DejaVu Sans widths (:func:`wrap`) that errs
on the safe side, and each page is one figure that comes out as vectors in SVG and PDF.
"""

from __future__ import annotations

import html
import math
import textwrap
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

import plotly.graph_objects as go

from dashboard.figures import GEO_CLIP_PAD, NO_DATA_COLOUR, WATER_COLOUR, mercator_middle
from dashboard.formatting import TIMEZONE, format_timestamp, plotly_separators
from dashboard.i18n import DEFAULT_LANGUAGE, t

if TYPE_CHECKING:
    from dashboard.views import MapView

CSS_DPI = 96  # a CSS pixel is 1/96 inch: plotly lays out in CSS pixels, Chromium prints at 96 px/inch
MM_PER_INCH = 25.4
A4_WIDTH_MM = 210.0
A4_HEIGHT_MM = 297.0

FONT = "DejaVu Sans, Arial, sans-serif"
TEXT_COLOUR = "#1b1b1b"
MUTED_COLOUR = "#444444"
MARKING_COLOUR = "#8b0000"
DEMO_COLOUR = "#b35806"
WATERMARK_COLOUR = "rgba(179, 88, 6, 0.14)"
RULE_COLOUR = "#9e9e9e"
LINE_HEIGHT = 1.3  # of the font size


# -- sizes ------------------------------------------------------------------------------------

def a4_pixels(dpi: float, width_mm: float = A4_WIDTH_MM) -> int:
    """Pixels across ``width_mm`` at ``dpi``.

    >>> a4_pixels(300), a4_pixels(150), a4_pixels(96), a4_pixels(300, 297)
    (2480, 1240, 794, 3508)
    """
    return round(width_mm / MM_PER_INCH * dpi)


def exact_css(pixels: int, scale: float) -> float:
    """A CSS length that gives exactly ``pixels`` device pixels at ``scale`` (canvas sizes truncate).

    >>> int(exact_css(2480, 300 / 96) * (300 / 96))
    2480
    """
    value = pixels / scale
    while value * scale < pixels:
        value = math.nextafter(value, math.inf)
    return value


def css_width(fmt: str, width_mm: float = A4_WIDTH_MM, dpi: float = 300) -> float:
    """The layout width in CSS pixels: ``width_mm`` exactly, or for PNG exactly ``a4_pixels(dpi)`` wide.

    >>> round(css_width("pdf"), 2), int(css_width("png") * 300 / 96)
    (793.7, 2480)
    """
    if fmt == "png":
        return exact_css(a4_pixels(dpi, width_mm), dpi / CSS_DPI)
    return width_mm / MM_PER_INCH * CSS_DPI


def mm_to_css(mm: float) -> float:
    """CSS pixels in ``mm`` millimetres.

    >>> round(mm_to_css(A4_HEIGHT_MM), 1)
    1122.5
    """
    return mm / MM_PER_INCH * CSS_DPI


# -- text -------------------------------------------------------------------------------------

def escape(text: str) -> str:
    """Plain text for plotly's pseudo-HTML labels.

    >>> escape("<b>R&D</b>")
    '&lt;b&gt;R&amp;D&lt;/b&gt;'
    """
    return html.escape(text, quote=False)


def wrap(text: str, width_px: float, size: float, bold: bool = False, hyphens: bool = False) -> list[str]:
    """Lines of ``text`` that fit ``width_px`` in DejaVu Sans at ``size`` px (a safe estimate).

    With ``hyphens`` lines may also break after a hyphen (for names such as
    "RIEC Amsterdam-Amstelland" in narrow table headers).

    >>> wrap("Zeeland-West-Brabant", 60, 8, bold=True), wrap("Zeeland-West-Brabant", 60, 8, bold=True, hyphens=True)
    (['Zeeland-Wes', 't-Brabant'], ['Zeeland-', 'West-Brabant'])
    """
    if hyphens:
        chars = max(6, int(width_px / (size * (0.62 if bold else 0.58))))
    else:
        chars = max(10, int(width_px / (size * (0.66 if bold else 0.6))))
    return textwrap.wrap(text, chars, break_long_words=True, break_on_hyphens=hyphens) or [""]


@dataclass(frozen=True)
class ExportMeta:
    """The texts an exported page carries besides its content: header, source block and marks."""

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


# -- the map on paper -----------------------------------------------------------------------------

def drawn_bounds(geojson: dict, locations: set[str], key: str = "code") -> tuple[float, float, float, float] | None:
    """(min lon, min lat, max lon, max lat) of the features drawn, or ``None`` when there are none.

    >>> square = {"type": "Feature", "properties": {"code": "A"},
    ...           "geometry": {"type": "Polygon", "coordinates": [[[5, 52], [6, 52], [6, 53], [5, 52]]]}}
    >>> drawn_bounds({"features": [square]}, {"A"}), drawn_bounds({"features": [square]}, {"B"})
    ((5, 52, 6, 53), None)
    """
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


def embedded_traces(view: "MapView", geojson: dict) -> list[go.Choropleth | go.Scattergeo]:
    """The on-screen traces with their areas' geometry inlined and nothing to hover (no values in the file).

    Each trace carries the features it draws (classes, n.b. and water are separate traces), so
    the figure holds every polygon once. The areas' names (a text trace) go along as they are.
    """
    features = geojson.get("features", [])
    traces = []
    for trace in view.figure.data:
        if trace.type == "scattergeo":
            traces.append(go.Scattergeo(trace.to_plotly_json()))
            continue
        spec = trace.to_plotly_json()
        spec.pop("geojson", None)
        for key in ("text", "hovertext", "hovertemplate", "customdata"):
            spec.pop(key, None)
        key = (spec.get("featureidkey") or "properties.code").removeprefix("properties.")
        drawn = set(spec.get("locations") or ())
        own = [f for f in features if (f.get("properties") or {}).get(key) in drawn]
        spec.update(hoverinfo="skip", geojson={**geojson, "features": own})
        traces.append(go.Choropleth(spec))
    return traces


@dataclass
class PaperMap:
    """The map of a view as it goes on paper: its traces with the geometry embedded, and what to frame.

    ``bounds`` is the extent the user panned or zoomed to (``panned``), else the drawn areas.
    """

    traces: list[go.Choropleth | go.Scattergeo]
    screen_geo: dict
    bounds: tuple[float, float, float, float] | None
    panned: bool

    @classmethod
    def of(cls, view: "MapView", geojson: dict) -> "PaperMap":
        traces = embedded_traces(view, geojson)
        key = (view.figure.data[0].featureidkey or "properties.code").removeprefix("properties.") if traces else "code"
        shown = {code for trace in traces for code in (trace.locations or ())}
        screen_geo = view.figure.layout.geo.to_plotly_json()
        extent = screen_extent(screen_geo)
        return cls(traces, screen_geo, extent or drawn_bounds(geojson, shown, key), extent is not None)

    @property
    def aspect(self) -> float | None:
        """Height / width of what is framed (``None`` when nothing is drawn)."""
        return mercator_aspect(self.bounds) if self.bounds else None

    def geo(self) -> dict:
        return framed_geo(self.screen_geo, self.bounds, margin=0 if self.panned else 0.02)


# -- the page ---------------------------------------------------------------------------------

class Page:
    """Places texts, boxes, rules, a map and small charts, in CSS pixels from the top-left corner.

    ``y`` is the cursor: :meth:`text` writes there and moves it down, unless it is given a ``y``
    of its own (a table cell, a label beside a swatch).

    Parameters
    ----------
    width
        The page width in CSS pixels; the margins are 5 % of it.
    height
        A fixed height (the briefing's A4), or ``None``: as high as the content.

    >>> page = Page(400)
    >>> page.text("Een titel", 18, bold=True, gap=2)
    23.400000000000002
    >>> fig = page.figure(title="Een titel")
    >>> fig.layout.width, fig.layout.height, fig.layout.annotations[0].text
    (400, 58, '<b>Een titel</b>')
    """

    def __init__(self, width: float, height: float | None = None):
        self.width, self.height = width, height
        self.margin = round(width * 0.05)
        self.y = float(self.margin)
        self._texts: list[dict] = []
        self._boxes: list[dict] = []
        self._rules: list[dict] = []
        self._map: tuple[PaperMap, tuple[float, float, float, float]] | None = None
        self._charts: list[tuple[list[go.Scatter], tuple[float, float, float, float], dict, dict]] = []
        self._watermark: dict | None = None

    @property
    def inner(self) -> float:
        """The width between the margins."""
        return self.width - 2 * self.margin

    # -- pieces --------------------------------------------------------------------------------

    def text(self, text: str, size: float, *, x: float | None = None, y: float | None = None,
             width: float | None = None, bold: bool = False, colour: str = TEXT_COLOUR, align: str = "left",
             hyphens: bool = False, gap: float = 0.0) -> float:
        """Place ``text``, wrapped to fit, and return its height.

        Parameters
        ----------
        text, size
            Plain text (escaped here) and its font size in CSS pixels.
        x
            Where the text is anchored: its left edge, its middle or (``align="right"``) its
            right edge; by default the left margin, the page's middle or the right margin.
        y
            Its top; by default the cursor, which then moves below the text plus ``gap``.
        width
            The width to wrap to (default: between the margins).
        bold, colour, align, hyphens
            Its look; ``hyphens`` also breaks lines after a hyphen (see :func:`wrap`).
        """
        if x is None:
            x = {"left": self.margin, "center": self.width / 2, "right": self.width - self.margin}[align]
        height = self.lines(wrap(text, width or self.inner, size, bold, hyphens), size, x=x,
                            y=self.y if y is None else y, bold=bold, colour=colour, align=align)
        if y is None:
            self.y += height + gap
        return height

    def lines(self, lines: list[str], size: float, *, x: float, y: float, bold: bool = False,
              colour: str = TEXT_COLOUR, align: str = "left") -> float:
        """``lines`` as they are (no wrapping; an empty one stays a blank line) in one text block
        at (``x``, ``y``); returns their height. A table's column of cells goes in one block:
        the renderer spends time on every block, not on every line."""
        body = "<br>".join(escape(line) or "\u00a0" for line in lines)
        self._texts.append(dict(text=f"<b>{body}</b>" if bold else body, x=x, y=y, align=align,
                                font=dict(size=size, color=colour, family=FONT)))
        return len(lines) * size * LINE_HEIGHT

    def box(self, x: float, y: float, w: float, h: float, colour: str) -> None:
        """A filled rectangle with a thin grey edge (a legend swatch)."""
        self._boxes.append(dict(x=x, y=y, w=w, h=h, colour=colour))

    def rule(self, y: float, x0: float | None = None, x1: float | None = None, colour: str = RULE_COLOUR,
             width: float = 0.6, dash: str = "solid") -> None:
        """A horizontal line at ``y`` (from margin to margin unless ``x0``/``x1`` are given)."""
        self._rules.append(dict(x0=self.margin if x0 is None else x0, x1=self.width - self.margin if x1 is None else x1,
                                y=y, colour=colour, width=width, dash=dash))

    def map(self, paper: PaperMap, x: float, y: float, w: float, h: float) -> None:
        """The map, framed in the box at (``x``, ``y``), ``w`` × ``h`` (one per page)."""
        self._map = (paper, (x, y, w, h))

    def chart(self, x0: float, x1: float, top: float, bottom: float, xs: list[int],
              series: list[tuple[list[float | None], str, str]]) -> None:
        """A small line chart: its own cartesian axes in the box ``x0``–``x1`` × ``top``–``bottom``.

        Parameters
        ----------
        x0, x1, top, bottom
            The plot area in CSS pixels (tick labels go outside it).
        xs
            The years along the x axis (at most about six tick labels).
        series
            One line per ``(values, colour, dash)``, drawn in that order; ``None`` is a gap.
            With no value at all the y axis is left without ticks.
        """
        values = [v for values, _, _ in series for v in values if v is not None]
        traces = [go.Scatter(x=list(xs), y=[math.nan if v is None else v for v in vals], mode="lines+markers",
                             line=dict(color=colour, width=1.6, dash=dash), marker=dict(size=3.5, color=colour),
                             connectgaps=False, hoverinfo="skip", showlegend=False)
                  for vals, colour, dash in series]
        step = 1 if len(xs) <= 6 else math.ceil(len(xs) / 6)
        tick_font = dict(size=7.5, color=MUTED_COLOUR, family=FONT)
        xaxis = dict(tickvals=xs[::step], ticktext=[str(x) for x in xs[::step]],
                     range=[xs[0] - 0.3, xs[-1] + 0.3] if len(xs) > 1 else [xs[0] - 1, xs[0] + 1], showgrid=False,
                     zeroline=False, showline=True, linecolor="#bdbdbd", ticks="outside", ticklen=2,
                     tickfont=tick_font, fixedrange=True)
        yaxis = dict(rangemode="tozero", nticks=4, showgrid=True, gridcolor="#ececec",
                     zeroline=False, showline=False, tickformat="~r", tickfont=tick_font, fixedrange=True,
                     **({} if values else {"range": [0, 1], "showticklabels": False}))
        self._charts.append((traces, (x0, x1, top, bottom), xaxis, yaxis))

    def watermark(self, text: str, x: float, y: float, size: float) -> None:
        """``text`` large, faint and slanted, centred on (``x``, ``y``): over the map of demo data."""
        self._watermark = dict(text=escape(text), x=x, y=y, size=size)

    # -- the parts every export carries ------------------------------------------------------------

    def header(self, meta: ExportMeta, subtitle: str) -> None:
        """The marking, the title, ``subtitle`` and, on demo data, the demo line."""
        if meta.marking:
            self.text(meta.marking, 10, bold=True, colour=MARKING_COLOUR, align="center", gap=6)
        self.text(meta.title, 18, bold=True, gap=2)
        self.text(subtitle, 12, colour=MUTED_COLOUR, gap=2)
        if meta.demo:
            self.text(t("export.demo", meta.lang), 12, bold=True, colour=DEMO_COLOUR, gap=2)

    def legend(self, entries: list[tuple[str, str]], title: str, lang: str) -> None:
        """Swatches with their labels: classes in columns of up to 5, then the n.b./water keys."""
        size, row, swatch_w, swatch_h = 11.0, 18.0, 24.0, 12.0
        self.text(t("export.legend_of", lang, title=title) if title else t("export.legend", lang), 12, bold=True,
                  gap=4)
        keys = [e for e in entries if e[0] in (NO_DATA_COLOUR, WATER_COLOUR)]
        classes = [e for e in entries if e not in keys]
        columns = [classes[i:i + 5] for i in range(0, len(classes), 5)] + ([keys] if keys else [])
        if not columns:
            return
        col_width = self.inner / max(len(columns), 3)
        top = self.y
        for c, column in enumerate(columns):
            x = self.margin + c * col_width
            for r, (colour, label) in enumerate(column):
                y = top + r * row
                self.box(x, y + (row - swatch_h) / 2 - 1, swatch_w, swatch_h, colour)
                self.text(label, size, x=x + swatch_w + 6, y=y, width=col_width - swatch_w - 12)
        self.y = top + max(len(col) for col in columns) * row + 6

    def footer(self, meta: ExportMeta, notes: tuple[str, ...] = (), size: float = 9.5, gap: float = 2) -> None:
        """The source block: the caveat (bold), ``notes``, the on-screen notice, the sources, the
        attribution, the export date (Europe/Amsterdam) with the product and demo mark, and the
        marking again."""
        for text, bold in ((meta.caveat, True), *((n, False) for n in notes), (meta.notice, False),
                           (meta.sources, False), (meta.attribution, False)):
            if text:
                self.text(text, size, bold=bold, colour=TEXT_COLOUR if bold else MUTED_COLOUR, gap=gap)
        moment = f"{format_timestamp(meta.exported_at, meta.lang)} (Europe/Amsterdam)"
        line = " · ".join([t("export.exported", meta.lang, moment=moment), t("app.title", meta.lang),
                           *([t("export.demo", meta.lang)] if meta.demo else [])])
        self.text(line, size, colour=MUTED_COLOUR, gap=gap)
        if meta.marking:
            self.y += gap + 2
            self.text(meta.marking, 10, bold=True, colour=MARKING_COLOUR, align="center")

    # -- the figure ----------------------------------------------------------------------------

    def figure(self, title: str, lang: str = DEFAULT_LANGUAGE) -> go.Figure:
        """The page as one figure, ``width`` × ``height`` CSS pixels (height: the content's, when not fixed)."""
        width = self.width
        height = self.height or math.ceil(self.y + self.margin * 0.6)

        def fx(px):
            return px / width

        def fy(px):
            return 1 - px / height

        annotations = [dict(text=a["text"], x=fx(a["x"]), y=fy(a["y"]), xref="paper", yref="paper",
                            xanchor=a["align"], yanchor="top", align=a["align"], showarrow=False, font=a["font"])
                       for a in self._texts]
        if self._watermark:
            w = self._watermark
            annotations.append(dict(text=w["text"], x=fx(w["x"]), y=fy(w["y"]), xref="paper", yref="paper",
                                    xanchor="center", yanchor="middle", showarrow=False, textangle=-28,
                                    font=dict(size=w["size"], color=WATERMARK_COLOUR, family=FONT)))
        shapes = [dict(type="rect", xref="paper", yref="paper", x0=fx(b["x"]), x1=fx(b["x"] + b["w"]),
                       y0=fy(b["y"] + b["h"]), y1=fy(b["y"]), fillcolor=b["colour"],
                       line=dict(color="#666666", width=0.5)) for b in self._boxes]
        shapes += [dict(type="line", xref="paper", yref="paper", x0=fx(r["x0"]), x1=fx(r["x1"]), y0=fy(r["y"]),
                        y1=fy(r["y"]), line=dict(color=r["colour"], width=r["width"], dash=r["dash"]))
                   for r in self._rules]
        traces, layout = [], {}
        if self._map:
            paper, (x, y, w, h) = self._map
            traces += paper.traces
            layout["geo"] = {**paper.geo(), "domain": dict(x=[fx(x), fx(x + w)], y=[fy(y + h), fy(y)])}
        for n, (lines, (x0, x1, top, bottom), xaxis, yaxis) in enumerate(self._charts, start=1):
            suffix = "" if n == 1 else str(n)
            for line in lines:
                line.update(xaxis=f"x{suffix}", yaxis=f"y{suffix}")
            traces += lines
            layout[f"xaxis{suffix}"] = dict(domain=[fx(x0), fx(x1)], anchor=f"y{suffix}", **xaxis)
            layout[f"yaxis{suffix}"] = dict(domain=[fy(bottom), fy(top)], anchor=f"x{suffix}", **yaxis)
        if not self._charts:  # a figure without traces would draw empty axes
            layout.update(xaxis=dict(visible=False), yaxis=dict(visible=False))
        fig = go.Figure(traces)
        fig.update_layout(
            width=width, height=height, margin=dict(l=0, r=0, t=0, b=0, pad=0, autoexpand=False),
            separators=plotly_separators(lang), showlegend=False, paper_bgcolor="white", plot_bgcolor="white", template="none",
            font=dict(family=FONT, size=12, color=TEXT_COLOUR), annotations=annotations, shapes=shapes,
            meta=dict(title=title), **layout)
        return fig
