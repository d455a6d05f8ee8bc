"""What the benchmark measures with: the views it opens, the plain baseline, talking to a Dash
app over its HTTP endpoint, a headless browser, and plain-text tables. ``bench.py`` runs the
sections; this module holds no measurement of its own.
"""

from __future__ import annotations

import gzip
import json
import logging
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import cycle, islice
from pathlib import Path
from time import perf_counter
from typing import Callable, Iterator
from urllib.parse import urlparse

import dash
import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
from dash import Input, Output, dcc, html
from flask import Response

from dashboard import routes
from dashboard.figures import EMPTY_TOPOLOGY
from dashboard.layout import graph_config
from data_pipeline.warehouse import Scope, Warehouse
from geodata.codes import LAND_CODE
from geodata.coverage import WGS84

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"]
VIEWPORT = {"width": 1280, "height": 1200}
#: What Chromium sends, also to http://127.0.0.1 (checked with Chromium 156).
BROWSER_ACCEPT_ENCODING = "gzip, deflate, br, zstd"
PLAIN_PREFIX = "/plain"


# --------------------------------------------------------------------------- views


@dataclass(frozen=True)
class View:
    """A map view (``level`` areas inside ``parent``), opened by a URL or by a click.

    ``clicked_in`` is the (level, parent) view in which ``parent`` is clicked to open this one.
    """

    label: str
    level: str
    parent: str
    clicked_in: tuple[str, str] | None = None

    @property
    def name(self) -> str:
        if self.clicked_in:
            return f"click {self.parent} in {'/'.join(self.clicked_in)}"
        return f"{self.label} ({self.level}/{self.parent})"

    @property
    def shown_before(self) -> tuple[str, str]:
        """The view on screen when the request is made."""
        return self.clicked_in or (self.level, self.parent)


def largest(warehouse: Warehouse, level: str) -> str:
    """The land (not water) area of ``level`` with the most children."""
    areas = warehouse.areas_frame()
    candidates = areas.loc[(areas["level"] == level) & ~areas["is_water"].astype(bool), "code"]
    return areas[areas["parent_code"].isin(candidates)].groupby("parent_code").size().idxmax()


def pick_views(warehouse: Warehouse) -> list[View]:
    regio, gemeente, wijk = (largest(warehouse, level) for level in ("regio", "gemeente", "wijk"))
    return [
        View("land", "regio", LAND_CODE),
        View("land-gemeente", "gemeente", LAND_CODE),
        View("regio", "gemeente", regio),
        View("gemeente", "wijk", gemeente),
        View("wijk", "buurt", wijk),
        View("click regio", "gemeente", regio, clicked_in=("regio", LAND_CODE)),
        View("click gemeente", "wijk", gemeente, clicked_in=("gemeente", regio)),
        View("click wijk", "buurt", wijk, clicked_in=("wijk", gemeente)),
    ]


def view_codes(warehouse: Warehouse, level: str, parent: str) -> list[str]:
    return warehouse.view_areas(level, parent, Scope.everything())["code"].tolist()


def default_state(warehouse: Warehouse, level: str, parent: str) -> routes.MapState:
    return routes.MapState(level, parent, warehouse.catalog.indicators[0].id, warehouse.years[-1])


def clickable_wijken(warehouse: Warehouse, gemeente: str) -> list[str]:
    """The land wijken of ``gemeente``, most buurten first."""
    areas = warehouse.areas_frame()
    wijken = areas[(areas["parent_code"] == gemeente) & ~areas["is_water"].astype(bool)]["code"]
    sizes = areas[areas["parent_code"].isin(wijken)].groupby("parent_code").size()
    return sizes.sort_values(ascending=False, kind="stable").index.tolist()


# --------------------------------------------------------------------------- numbers and tables


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q))


def timed(fn: Callable[[], object], repeat: int) -> tuple[list[float], object]:
    """Milliseconds per call over ``repeat`` calls after one warm-up call, and the last result."""
    result = fn()
    times = []
    for _ in range(repeat):
        start = perf_counter()
        result = fn()
        times.append((perf_counter() - start) * 1000)
    return times, result


def verdict(value: float, budget: float) -> str:
    return "ok" if value < budget else "OVER"


def ratio(plain: float, ours: float) -> str:
    return f"{plain / ours:.1f}x" if ours else "-"


def kb(n: int) -> str:
    return f"{n / 1000:.1f}"


def print_table(title: str, headers: list[str], rows: list[list[object]], notes: list[str] = ()) -> None:
    cells = [[str(c) for c in row] for row in [headers, *rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]

    def line(row):
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths)))

    print(f"\n{title}")
    print(line(cells[0]))
    print("-" * len(line(cells[0])))
    for row in cells[1:]:
        print(line(row))
    for note in notes:
        print(f"  {note}")



# --------------------------------------------------------------------------- talking to a Dash app


def decoded(body: bytes, encoding: str) -> bytes:
    """The body of a response before its ``Content-Encoding`` (ours sends gzip; the plain app,
    with Flask-Compress's defaults, also brotli or zstd)."""
    if encoding in ("", "identity"):
        return body
    if encoding == "gzip":
        return gzip.decompress(body)
    if encoding == "br":
        import brotli
        return brotli.decompress(body)
    if encoding == "zstd":
        try:
            from compression import zstd  # Python 3.14
        except ImportError:
            from backports import zstd  # what Flask-Compress uses before 3.14
        return zstd.decompress(body)
    raise ValueError(f"unknown Content-Encoding {encoding!r}")


@dataclass(frozen=True)
class Sent:
    """One response as the browser receives it."""

    wire: bytes      # the bytes on the wire
    raw: bytes       # the body after undoing Content-Encoding
    encoding: str

    @classmethod
    def of(cls, response) -> "Sent":
        assert response.status_code == 200, f"{response.request.path}: HTTP {response.status_code}"
        encoding = response.headers.get("Content-Encoding", "identity")
        return cls(response.get_data(), decoded(response.get_data(), encoding), encoding)


#: What the page holds from the start that callbacks read as State: the map's config (Dutch),
#: so `navigate` sends none again, as in the browser.
BROWSER_HOLDS = {"map.config": graph_config("nl")}


class MapCallback:
    """Posts to ``/_dash-update-component`` what the browser sends for the app's callback that
    updates ``output`` (``map.figure`` unless told otherwise): the output spec, the outputs, every
    input and state with its current value and ``changedPropIds``. The Flask test client runs the
    whole request in this process."""

    def __init__(self, app: dash.Dash, output: str = "map.figure", client=None):
        self.client = client or app.server.test_client()
        dependencies = self.client.get("/_dash-dependencies").get_json()
        self.callback = next(cb for cb in dependencies if output in self.output_ids(cb["output"]))

    @staticmethod
    def output_ids(spec: str) -> list[str]:
        return spec.strip(".").split("...")

    @staticmethod
    def expand(dep: dict, values: dict[str, object], wildcards: dict[str, list]) -> object:
        """One input or output as dash-renderer sends it; a pattern-matching (ALL) id becomes
        the list of the concrete components, from ``wildcards[type] = [(id, value), ...]``."""
        if not dep["id"].startswith("{"):
            key = f"{dep['id']}.{dep['property']}"
            return {**dep, "value": values[key]} if key in values else dep
        pattern = json.loads(dep["id"])
        return [{"id": cid, "property": dep["property"], "value": value}
                for cid, value in wildcards.get(pattern["type"], [])]

    def request(self, values: dict[str, object], changed: str,
                wildcards: dict[str, list] | None = None) -> Callable[[], object]:
        body = self.body(values, changed, wildcards)
        return lambda: self.client.post("/_dash-update-component", data=body, content_type="application/json",
                                        headers={"Accept-Encoding": BROWSER_ACCEPT_ENCODING})

    def body(self, values: dict[str, object], changed: str, wildcards: dict[str, list] | None = None) -> str:
        """The JSON the browser posts to ``/_dash-update-component`` for these values."""
        spec = self.callback["output"]
        wildcards = wildcards or {}
        outputs = []
        for out in self.output_ids(spec):
            item = self.expand(dict(zip(("id", "property"), out.rsplit(".", 1))), {}, wildcards)
            outputs.append([{k: v for k, v in x.items() if k != "value"} for x in item]
                           if isinstance(item, list) else item)
        if not spec.startswith(".."):  # a single output is sent as one object, as dash-renderer does
            outputs = outputs[0]
        values = {**BROWSER_HOLDS, **values}
        inputs = [self.expand(i, values, wildcards) for i in self.callback["inputs"]]
        states = [self.expand(i, values, wildcards) for i in self.callback.get("state", [])]
        return json.dumps({"output": spec, "outputs": outputs, "inputs": inputs, "state": states,
                           "changedPropIds": [changed], "parsedChangedPropsIds": [changed]})

    def get(self, url: str) -> Sent:
        return Sent.of(self.client.get(url, headers={"Accept-Encoding": BROWSER_ACCEPT_ENCODING}))


def figure_of(sent: Sent, view: View, expected: int) -> dict:
    """The figure in a callback response, checked to draw the ``expected`` number of areas."""
    figure = json.loads(sent.raw)["response"]["map"]["figure"]
    shown = sum(len(trace.get("locations", ())) for trace in figure["data"])
    assert shown == expected, f"{view.name}: {shown} areas in the figure, expected {expected}"
    return figure


@dataclass
class Measured:
    times_ms: list[float]
    raw: int                # callback response body
    gz: int                 # the same, gzip level 6
    wire: int               # what the server sends Chromium
    encoding: str
    geometry_wire: int = 0  # ours: the view's geometry file, fetched once and then cached
    geometry_raw: int = 0



# --------------------------------------------------------------------------- the plain baseline


class PlainBaseline:
    """The same views the way plotly's documentation shows: the full GeoJSON in every figure.

    The GeoJSON (unsimplified, reprojected to WGS84) and the values of a view are loaded once,
    as a fair baseline would cache them; :meth:`figure` is what its callback does each time.
    """

    def __init__(self, source, warehouse: Warehouse):
        assert set(source.areas["code"]) == set(warehouse.areas_frame()["code"]), "source and warehouse differ"
        self.source = source
        self.warehouse = warehouse
        self.loaded: dict[tuple[str, str], tuple[dict, list[str], list[float]]] = {}

    def load(self, level: str, parent: str) -> tuple[dict, list[str], list[float]]:
        if (level, parent) not in self.loaded:
            state = default_state(self.warehouse, level, parent)
            values = self.warehouse.map_values(level, parent, state.indicator, state.year, Scope.everything())
            frame = self.source.geometry[level]
            frame = frame[frame["code"].isin(values["code"])].sort_values("code").to_crs(WGS84)
            geojson = json.loads(frame[["code", "geometry"]].to_json())
            self.loaded[level, parent] = (geojson, values["code"].tolist(), values["value"].tolist())
        return self.loaded[level, parent]

    def drawn_codes(self, level: str, parent: str) -> list[str]:
        """The areas plotly draws: it leaves out a location whose z is missing."""
        _, codes, values = self.load(level, parent)
        return [code for code, value in zip(codes, values) if not np.isnan(value)]

    def figure(self, level: str, parent: str) -> go.Figure:
        geojson, codes, values = self.load(level, parent)
        fig = go.Figure(go.Choropleth(geojson=geojson, locations=codes, z=values,
                                      featureidkey="properties.code", colorscale="YlOrRd"))
        fig.update_geos(fitbounds="locations", visible=False)
        fig.update_layout(height=620, margin=dict(l=0, r=0, t=0, b=0))
        return fig

    def figure_json(self, level: str, parent: str) -> str:
        return pio.to_json(self.figure(level, parent))


def plain_app(plain: PlainBaseline, like: dash.Dash) -> dash.Dash:
    """A minimal Dash app the way the documentation writes it: one graph, one callback that
    returns the figure with its GeoJSON, and a click that opens the next level.

    Pages: ``/plain/<level>/<parent>``. plotly.js comes from plotly's package (``serve_locally``),
    the world topojson from a local stub, and responses are compressed when ours are.
    """
    app = dash.Dash("plain_baseline", serve_locally=True, compress=like.config.compress, update_title=None,
                    include_assets_files=False)
    app.enable_dev_tools(debug=False, dev_tools_disable_version_check=True)
    app.layout = html.Div([
        dcc.Location(id="url"),
        dcc.Graph(id="map", config={"topojsonURL": routes.TOPOJSON_URL}, style={"height": "620px"}),
    ])

    @app.callback(Output("map", "figure"), Input("url", "pathname"), Input("map", "clickData"))
    def show(pathname, click):
        level, parent = pathname.removeprefix(PLAIN_PREFIX + "/").split("/")
        if dash.callback_context.triggered_id == "map" and click:
            below = routes.drill_down(routes.MapState(), click["points"][0]["location"])
            level, parent = below.level, below.parent
        return plain.figure(level, parent)

    @app.server.route(routes.TOPOJSON_URL + "<name>.json")
    def topojson(name: str):
        return Response(EMPTY_TOPOLOGY, mimetype="application/json")

    return app


def plain_inputs(view: View) -> tuple[dict[str, object], str]:
    click = {"points": [{"location": view.parent}]} if view.clicked_in else None
    values = {"url.pathname": plain_path(*view.shown_before), "map.clickData": click}
    return values, "map.clickData" if click else "url.pathname"


def plain_path(level: str, parent: str) -> str:
    return f"{PLAIN_PREFIX}/{level}/{parent}"



# --------------------------------------------------------------------------- a browser

PAINTED_JS = """(codes) => {
  // performance.now() once exactly the areas `codes` are drawn, else null
  const want = new Set(codes);
  let drawn = 0;
  for (const p of document.querySelectorAll('path.choroplethlocation')) {
    const loc = p.__data__ && p.__data__.loc;
    if (loc == null) continue;  // plotly's empty placeholder for a location without a value
    if (!want.has(loc) || !p.getAttribute('d')) return null;
    drawn++;
  }
  return drawn === want.size ? performance.now() : null;
}"""

POINT_INSIDE_JS = """(code) => {
  // A point of the screen inside the path of `code`. plotly's drag layer lies on top of the
  // paths, so test the fill of the path itself, and that no legend, colour bar or mode bar
  // covers the point.
  const path = [...document.querySelectorAll('path.choroplethlocation')]
    .find(p => p.__data__ && p.__data__.loc === code);
  if (!path) return null;
  const box = path.getBoundingClientRect();
  const toPath = path.getScreenCTM().inverse();
  const cx = box.left + box.width / 2, cy = box.top + box.height / 2;
  const points = [];
  for (let i = 1; i < 12; i++) for (let j = 1; j < 12; j++)
    points.push([box.left + box.width * i / 12, box.top + box.height * j / 12]);
  points.sort((a, b) => Math.hypot(a[0] - cx, a[1] - cy) - Math.hypot(b[0] - cx, b[1] - cy));
  return points.find(([x, y]) => {
    const top = document.elementFromPoint(x, y);
    return top && top.closest('.js-plotly-plot') && !top.closest('.legend, .colorbar, .modebar')
      && path.isPointInFill(new DOMPoint(x, y).matrixTransform(toPath));
  }) || null;
}"""

ARM_CLICK_JS = """() => {
  window.__mousedownAt = null;
  document.addEventListener('mousedown', e => { window.__mousedownAt = e.timeStamp; },
                            {capture: true, once: true});
}"""


@contextmanager
def serving(wsgi_app) -> Iterator[str]:
    """Serve ``wsgi_app`` on 127.0.0.1 and a free port in a background thread; yield its base URL."""
    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request
    server = make_server("127.0.0.1", 0, wsgi_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join()


@dataclass(frozen=True)
class Site:
    """How to open a map view in one of the two apps, and which areas it then draws."""

    base: str
    url_of: Callable[[str, str], str]             # (level, parent) -> path and query
    drawn_codes: Callable[[str, str], list[str]]  # (level, parent) -> codes of the drawn areas
    select_first: bool = False                    # a click selects an area; a second click drills in


class BrowserBench:
    """Timings in one headless Chromium; remembers any request that leaves 127.0.0.1."""

    def __init__(self, browser):
        self.browser = browser
        self.off_host: list[str] = []

    def new_page(self):
        context = self.browser.new_context(viewport=VIEWPORT)
        context.on("request", self._check_host)
        return context, context.new_page()

    def _check_host(self, request) -> None:
        url = urlparse(request.url)
        if url.scheme in ("http", "https", "ws", "wss") and url.hostname != "127.0.0.1":
            self.off_host.append(request.url)

    @staticmethod
    def painted(page, codes: list[str]) -> float:
        """Wait until exactly ``codes`` are drawn; the page's clock (ms) at that frame."""
        return page.wait_for_function(PAINTED_JS, arg=codes, polling="raf", timeout=120_000).json_value()

    def open(self, page, site: Site, level: str, parent: str) -> float:
        """Load a view and wait until it is drawn; ms since navigation start."""
        page.goto(site.base + site.url_of(level, parent), wait_until="commit")
        return self.painted(page, site.drawn_codes(level, parent))

    def first_paint(self, site: Site, level: str, parent: str, loads: int) -> list[float]:
        """Fresh page loads (a new context each, so nothing is cached) after one warm-up load."""
        times = []
        for i in range(loads + 1):
            context, page = self.new_page()
            painted = self.open(page, site, level, parent)
            context.close()
            if i:
                times.append(painted)
        return times

    def drill_clicks(self, site: Site, gemeente: str, wijken: list[str], clicks: int) -> list[float]:
        """Real mouse clicks on wijk polygons; ms from mousedown until that wijk's buurten are drawn.

        The wijk view is loaded again before each click; the first click only warms up.
        """
        context, page = self.new_page()
        times = []
        for wijk in islice(cycle(wijken), 3 * (clicks + 1)):
            if len(times) > clicks:
                break
            self.open(page, site, "wijk", gemeente)
            point = page.evaluate(POINT_INSIDE_JS, wijk)
            if point is None:  # not drawn (plain leaves out areas without a value) or too small to hit
                continue
            if site.select_first:  # our map: the first click opens the profile, a click on it again drills in
                page.mouse.click(*point)
                page.locator("#profile-title", has_text=f"({wijk})").wait_for()   # read, then click again
                point = page.evaluate(POINT_INSIDE_JS, wijk)
            page.evaluate(ARM_CLICK_JS)
            page.mouse.click(*point)
            painted = self.painted(page, site.drawn_codes("buurt", wijk))
            times.append(painted - page.evaluate("window.__mousedownAt"))
        context.close()
        return times[1:]
