"""Performance benchmark: our dashboard beside the plain plotly approach (PRODUCT.md §6).

    python bench/bench.py [--scale 1.0] [--repeat 30] [--browser/--no-browser]

Builds the demo warehouse in a temporary directory and prints plain-text tables: the build
time, the server time and bytes of each map callback (ours beside the plain approach), and,
with Chromium, first paint and drill-down timings in a real browser, the image exports and the
briefing sheet. Works offline; every request stays on 127.0.0.1. ``bench/README.md`` explains
each figure.
"""

from __future__ import annotations

import argparse
import gzip
import importlib.util
import json
import logging
import os
import sys
import tempfile
import threading
import zlib
from contextlib import contextmanager
from dataclasses import dataclass, replace
from itertools import cycle, islice
from pathlib import Path
from time import perf_counter
from typing import Callable, Iterator
from urllib.parse import urlparse

if importlib.util.find_spec("dashboard") is None:  # a clone that is not pip-installed
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import dash
import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
from dash import Input, Output, dcc, html
from flask import Response

from dashboard import create_app, routes
from dashboard.figures import EMPTY_TOPOLOGY
from dashboard.callbacks.map import CONTROLS, control_value
from dashboard.layout import score_themes
from data_pipeline.cli import build_demo
from data_pipeline.sources import demo_source
from data_pipeline.warehouse import Scope, Warehouse
from geodata.codes import LAND_CODE, LEVELS
from geodata.coverage import WGS84

BUDGET_BUILD_S = 60.0
BUDGET_CALLBACK_P95_MS = 50.0
BUDGET_STEP_BYTES = 50_000
BUDGET_CLICK_P95_MS = 300.0
BUDGET_FIRST_PAINT_MS = 1500.0

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
    areas = warehouse.areas
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
    areas = warehouse.areas
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


# --------------------------------------------------------------------------- 1. build


def run_build(path: Path, seed: int, scale: float) -> None:
    report = build_demo(path, seed=seed, scale=scale)
    total = sum(seconds for _, seconds in report.steps)
    rows = [[name, f"{seconds:.2f}", ""] for name, seconds in report.steps]
    rows.append(["total", f"{total:.2f}", f"< {BUDGET_BUILD_S:g} s: {verdict(total, BUDGET_BUILD_S)}"])
    counts = ", ".join(f"{report.counts[level]} {level}" for level in LEVELS if level in report.counts)
    print_table(f"1. Build: full demo, scale {scale:g}, seed {seed} (budget: full demo build < 60 s)",
                ["step", "seconds", "budget"], rows,
                [f"areas: {counts}; {report.counts.get('geometry_files', 0)} geometry files; "
                 f"{os.cpu_count()} CPU cores (budget is for 2)"])


# --------------------------------------------------------------------------- talking to a Dash app


def decoded(body: bytes, encoding: str) -> bytes:
    """The body of a response before its ``Content-Encoding``."""
    if encoding in ("", "identity"):
        return body
    if encoding == "gzip":
        return gzip.decompress(body)
    if encoding == "deflate":
        return zlib.decompress(body)
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


class MapCallback:
    """Posts to ``/_dash-update-component`` what the browser sends for the app's callback that
    updates ``output`` (``map.figure`` unless told otherwise): the output spec, the outputs, every
    input and state with its current value and ``changedPropIds``. The Flask test client runs the
    whole request in this process."""

    def __init__(self, app: dash.Dash, output: str = "map.figure"):
        self.client = app.server.test_client()
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
        spec = self.callback["output"]
        wildcards = wildcards or {}
        outputs = []
        for out in self.output_ids(spec):
            item = self.expand(dict(zip(("id", "property"), out.rsplit(".", 1))), {}, wildcards)
            outputs.append([{k: v for k, v in x.items() if k != "value"} for x in item]
                           if isinstance(item, list) else item)
        if not spec.startswith(".."):  # a single output is sent as one object, as dash-renderer does
            outputs = outputs[0]
        inputs = [self.expand(i, values, wildcards) for i in self.callback["inputs"]]
        states = [self.expand(i, values, wildcards) for i in self.callback.get("state", [])]
        body = json.dumps({"output": spec, "outputs": outputs, "inputs": inputs, "state": states,
                           "changedPropIds": [changed], "parsedChangedPropsIds": [changed]})
        return lambda: self.client.post("/_dash-update-component", data=body, content_type="application/json",
                                        headers={"Accept-Encoding": BROWSER_ACCEPT_ENCODING})

    def get(self, url: str) -> Sent:
        return Sent.of(self.client.get(url, headers={"Accept-Encoding": BROWSER_ACCEPT_ENCODING}))


def figure_of(sent: Sent, view: View, expected: int) -> dict:
    """The figure in a callback response, checked to draw the ``expected`` number of areas."""
    figure = json.loads(sent.raw)["response"]["map"]["figure"]
    shown = sum(len(trace["locations"]) for trace in figure["data"])
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


# --------------------------------------------------------------------------- 2. ours


def navigate_inputs(warehouse: Warehouse, view: View) -> tuple[dict[str, object], str, dict[str, list]]:
    """The input values of our ``navigate`` callback for ``view``, the one that changed, and the
    theme weight sliders (pattern-matching inputs)."""
    state = default_state(warehouse, *view.shown_before)
    click = {"points": [{"location": view.parent}]} if view.clicked_in else None
    if click:  # a click on the area whose profile is open drills in (the first click only selects it)
        state = replace(state, area=view.parent)
    values = {
        "url.pathname": routes.path(state), "url.search": routes.search(state), "map.clickData": click,
        "division.value": state.level if state.parent == LAND_CODE else "regio",
        **{f"{cid}.value": control_value(state, field) for cid, field in CONTROLS.items()},
    }
    weights = [({"theme": theme, "type": "weight"}, state.weight(theme)) for theme in score_themes(warehouse.catalog)]
    return values, "map.clickData" if click else "url.pathname", {"weight": weights}


def measure_ours(callback: MapCallback, warehouse: Warehouse, view: View, repeat: int) -> Measured:
    times, response = timed(callback.request(*navigate_inputs(warehouse, view)), repeat)
    sent = Sent.of(response)
    figure = figure_of(sent, view, len(view_codes(warehouse, view.level, view.parent)))
    geometry = callback.get(figure["data"][0]["geojson"])
    return Measured(times, len(sent.raw), len(gzip.compress(sent.raw, 6)), len(sent.wire), sent.encoding,
                    len(geometry.wire), len(geometry.raw))


# --------------------------------------------------------------------------- 3. the plain baseline


class PlainBaseline:
    """The same views the way plotly's documentation shows: the full GeoJSON in every figure.

    The GeoJSON (unsimplified, reprojected to WGS84) and the values of a view are loaded once,
    as a fair baseline would cache them; :meth:`figure` is what its callback does each time.
    """

    def __init__(self, source, warehouse: Warehouse):
        assert set(source.areas["code"]) == set(warehouse.areas.index), "source and warehouse differ"
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


def measure_plain(plain: PlainBaseline, callback: MapCallback, view: View, repeat: int) -> Measured:
    """Time: building + serialising the figure. Bytes: what the plain Dash app sends for it."""
    plain.load(view.level, view.parent)
    times, _ = timed(lambda: plain.figure_json(view.level, view.parent), repeat)
    sent = Sent.of(callback.request(*plain_inputs(view))())
    figure_of(sent, view, len(plain.load(view.level, view.parent)[1]))
    return Measured(times, len(sent.raw), len(gzip.compress(sent.raw, 6)), len(sent.wire), sent.encoding)


def print_server_tables(ours: dict[View, Measured], plain: dict[View, Measured], warehouse: Warehouse,
                        repeat: int) -> None:
    time_rows, byte_rows = [], []
    for view in ours:
        o, p = ours[view], plain[view]
        o95, p95 = percentile(o.times_ms, 95), percentile(p.times_ms, 95)
        time_rows.append([
            view.name, len(view_codes(warehouse, view.level, view.parent)),
            f"{percentile(o.times_ms, 50):.1f}", f"{o95:.1f}", f"{percentile(p.times_ms, 50):.1f}", f"{p95:.1f}",
            ratio(p95, o95), verdict(o95, BUDGET_CALLBACK_P95_MS), verdict(p95, BUDGET_CALLBACK_P95_MS),
        ])
        byte_rows.append([
            view.name, kb(o.raw), kb(o.gz), kb(o.wire), kb(p.raw), kb(p.gz), kb(p.wire),
            ratio(p.raw, o.raw), ratio(p.gz, o.gz), ratio(p.wire, o.wire),
            verdict(o.wire, BUDGET_STEP_BYTES), verdict(p.wire, BUDGET_STEP_BYTES),
            f"{kb(o.geometry_wire)} ({kb(o.geometry_raw)})",
        ])
    print_table(f"2. Server time per map callback, ms (p50/p95 of {repeat} after 1 warm-up; "
                f"budget: p95 < {BUDGET_CALLBACK_P95_MS:g} ms)",
                ["view", "areas", "ours p50", "ours p95", "plain p50", "plain p95", "plain/ours p95",
                 "ours", "plain"], time_rows,
                ["ours: the whole POST /_dash-update-component for `navigate` (Flask test client)",
                 "plain: go.Choropleth with the full GeoJSON embedded, then plotly.io.to_json"])
    encodings = sorted({m.encoding for m in [*ours.values(), *plain.values()]})
    print_table(f"3. Bytes per drill-down step, KB = 1000 bytes (budget: < {BUDGET_STEP_BYTES / 1000:g} KB "
                "on the wire, values only, geometry cached)",
                ["view", "ours raw", "gzip", "wire", "plain raw", "gzip", "wire", "plain/ours raw", "gzip",
                 "wire", "ours", "plain", "geometry once: wire (raw)"], byte_rows,
                ["raw: callback response body; gzip: the same at gzip level 6; wire: what the server sends Chromium "
                 f"(Accept-Encoding: {BROWSER_ACCEPT_ENCODING}; server chose: {', '.join(encodings)})",
                 "plain: the response of a minimal Dash app returning the plain figure; the budget is judged on wire",
                 "geometry once: ours only, /geo/<build>/<level>/<parent>.json, then cached by the browser"])


# --------------------------------------------------------------------------- 4. browser

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


def run_browser(app: dash.Dash, plain: PlainBaseline, plain_dash: dash.Dash, warehouse: Warehouse,
                gemeente: str, loads: int = 5, clicks: int = 15) -> None:
    from playwright.sync_api import sync_playwright

    wijken = clickable_wijken(warehouse, gemeente)
    for level, parent in [("gemeente", LAND_CODE), ("wijk", gemeente), *(("buurt", w) for w in wijken)]:
        plain.load(level, parent)
    with serving(app.server) as ours_base, serving(plain_dash.server) as plain_base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        bench = BrowserBench(browser)
        sites = {
            "ours": Site(ours_base, lambda level, parent: routes.href(default_state(warehouse, level, parent)),
                         lambda level, parent: view_codes(warehouse, level, parent), select_first=True),
            "plain": Site(plain_base, plain_path, plain.drawn_codes),
        }
        paint = {name: bench.first_paint(site, "gemeente", LAND_CODE, loads) for name, site in sites.items()}
        click = {name: bench.drill_clicks(site, gemeente, wijken, clicks) for name, site in sites.items()}
        version = browser.version
        browser.close()

    def row(what, times, budget, judged_q):
        o, p = times["ours"], times["plain"]
        judged_o, judged_p = percentile(o, judged_q), percentile(p, judged_q)
        return [what, f"{len(o)}/{len(p)}", f"{percentile(o, 50):.0f}", f"{percentile(o, 95):.0f}",
                f"{percentile(p, 50):.0f}", f"{percentile(p, 95):.0f}", ratio(judged_p, judged_o),
                f"{'p95' if judged_q == 95 else 'p50'} < {budget:g} ms",
                verdict(judged_o, budget), verdict(judged_p, budget)]

    n_gemeenten = len(view_codes(warehouse, "gemeente", LAND_CODE))
    print_table(f"4. Browser: headless Chromium {version}, ms",
                ["measure", "n ours/plain", "ours p50", "ours p95", "plain p50", "plain p95", "plain/ours",
                 "budget", "ours", "plain"],
                [row(f"national gemeente map first paint ({n_gemeenten} areas)", paint, BUDGET_FIRST_PAINT_MS, 50),
                 row(f"drill-down click -> buurten painted (wijken of {gemeente})", click, BUDGET_CLICK_P95_MS, 95)],
                ["first paint: navigation start until every gemeente is drawn; a fresh context (empty cache) "
                 "per load; the median is judged",
                 "click: real mouse click on a wijk polygon (from mousedown) until all buurten of that wijk are "
                 "drawn; p95 is judged",
                 "plain: a minimal Dash app (one dcc.Graph, one callback returning the figure with its full "
                 "GeoJSON; a click returns the next level's figure)",
                 f"requests to hosts other than 127.0.0.1: {len(bench.off_host)}"])


# --------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--scale", type=float, default=1.0, help="demo size relative to the Netherlands (default 1.0)")
    p.add_argument("--seed", type=int, default=2024)
    p.add_argument("--repeat", type=int, default=30, help="requests per server measurement (default 30)")
    p.add_argument("--browser", action=argparse.BooleanOptionalAction, default=True,
                   help=f"measure in headless Chromium (default: when {CHROMIUM} exists)")
    return p.parse_args(argv)


# --------------------------------------------------------------------------- 5. image export


def run_exports(warehouse: Warehouse, views: list[View], repeat: int = 5) -> None:
    """Image export of the national gemeente map and of one gemeente's wijken: the first export
    (which starts the shared kaleido/Chromium) and the ones after it, per format."""
    from dashboard.export import render_state

    rows = []
    for name, level, parent in (("all gemeenten", "gemeente", LAND_CODE),
                                ("wijken of a gemeente", "wijk", next(v.parent for v in views if v.level == "wijk"))):
        state = default_state(warehouse, level, parent)
        for fmt in ("png", "svg", "pdf"):
            times = []
            for _ in range(repeat + 1):
                start = perf_counter()
                data, _, _ = render_state(warehouse, state, fmt, Scope.everything())
                times.append((perf_counter() - start) * 1000)
            first, later = times[0], times[1:]
            rows.append([f"{name} ({fmt})", f"{first:.0f}", f"{percentile(later, 50):.0f}",
                         f"{percentile(later, 95):.0f}", f"{len(data) / 1000:.0f}",
                         "ok" if percentile(later, 95) < 1000 else "OVER"])
    print_table("5. Image export, ms (budget: < 1 s after the first)",
                ["view", "first", "later p50", "later p95", "KB", "budget"], rows,
                ["first: the very first export also starts the shared kaleido/Chromium (first row only);",
                 "later: the same export repeated on the running browser"])


def run_briefings(warehouse: Warehouse, views: list[View], repeat: int = 5) -> None:
    """The one-page A4 briefing (PDF) of a regio, a gemeente and a wijk on the shared browser that
    section 5 started: the first sheet and the ones after it; beside it the content and layout
    alone (no browser)."""
    from dashboard.export import briefing_data, briefing_pdf, compose_briefing

    gemeente = next(v.parent for v in views if v.level == "wijk")
    wijk = next(v.parent for v in views if v.level == "buurt")
    regio = next(v.parent for v in views if v.level == "gemeente" and v.parent != LAND_CODE)
    rows = []
    for name, code in (("a regio", regio), ("a gemeente", gemeente), ("a wijk", wijk)):
        times, composing = [], []
        for _ in range(repeat + 1):
            start = perf_counter()
            data = briefing_pdf(warehouse, code, None, scope=Scope.everything())
            times.append((perf_counter() - start) * 1000)
            start = perf_counter()
            compose_briefing(briefing_data(warehouse, code, None, scope=Scope.everything()))
            composing.append((perf_counter() - start) * 1000)
        first, later = times[0], times[1:]
        rows.append([f"{name} ({code})", f"{first:.0f}", f"{percentile(later, 50):.0f}",
                     f"{percentile(later, 95):.0f}", f"{percentile(composing[1:], 50):.0f}", f"{len(data) / 1000:.0f}",
                     verdict(percentile(later, 95), 1000)])
    print_table("7. Briefing sheet (A4 PDF), ms (budget: < 1 s after the first)",
                ["sheet", "first", "later p50", "later p95", "content+layout p50", "KB", "budget"], rows,
                ["first: the first sheet of that area (the browser already runs, see section 5);",
                 "later: the same sheet again; content+layout: briefing_data and compose_briefing, no browser"])


# --------------------------------------------------------------------------- 6. panels and table


def run_panels(app: dash.Dash, warehouse: Warehouse, views: list[View], repeat: int) -> None:
    """Server time of the callbacks beside the map, through Dash's HTTP endpoint like section 2:
    the profile panel (one area's indicators against its references, trend, score breakdown),
    the comparison (three areas, every indicator, trends) and the area table, on the national
    gemeente map and on one gemeente's buurten."""
    gemeente = next(v.parent for v in views if v.level == "wijk")
    areas = warehouse.areas
    land = areas[~areas["is_water"].astype(bool)]
    buurt = land[(land["level"] == "buurt") & (land["gemeente_code"] == gemeente)]["code"].iloc[0]
    gemeenten = land[land["level"] == "gemeente"]["code"].tolist()
    national = default_state(warehouse, "gemeente", LAND_CODE)
    buurten = default_state(warehouse, "buurt", gemeente)
    cases = [
        ("profile", "profile.children", replace(national, area=gemeente), "national gemeente map, a gemeente"),
        ("profile", "profile.children", replace(buurten, area=buurt), "a gemeente's buurten, a buurt"),
        ("compare", "compare.children", replace(national, compare=tuple(gemeenten[:3])), "three gemeenten"),
        ("table", "area-table.data", national, "national gemeente map"),
        ("table", "area-table.data", buurten, "a gemeente's buurten"),
    ]
    rows = []
    for name, output, state, where in cases:
        callback = MapCallback(app, output)
        values = {"url.pathname": routes.path(state), "url.search": routes.search(state), "table-summary.n_clicks": 1}
        times, response = timed(callback.request(values, "url.search"), repeat)
        sent = Sent.of(response)
        assert json.loads(sent.raw)["response"], f"{name}: empty response"
        p95 = percentile(times, 95)
        rows.append([name, where, f"{percentile(times, 50):.1f}", f"{p95:.1f}", kb(len(sent.wire)),
                     verdict(p95, 50)])
    print_table("6. Profile, comparison and table callbacks: server time, ms",
                ["callback", "view", "p50", "p95", "KB sent", "< 50 ms"], rows,
                [f"{repeat} requests each after one warm-up; comparisons per indicator and year are cached",
                 "after their first use (the first profile of a year costs about 1 s more).",
                 "No plain counterpart: plotly's documentation has no profile, comparison or table."])


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="ondermijningsbeeld-bench-") as tmp:
        path = Path(tmp) / "bench.duckdb"
        run_build(path, args.seed, args.scale)
        warehouse = Warehouse(path)
        app = create_app(warehouse)
        views = pick_views(warehouse)
        ours_callback = MapCallback(app)
        ours = {view: measure_ours(ours_callback, warehouse, view, args.repeat) for view in views}

        plain = PlainBaseline(demo_source(seed=args.seed, scale=args.scale), warehouse)
        plain_dash = plain_app(plain, like=app)
        plain_callback = MapCallback(plain_dash)
        theirs = {view: measure_plain(plain, plain_callback, view, args.repeat) for view in views}
        print_server_tables(ours, theirs, warehouse, args.repeat)
        run_panels(app, warehouse, views, args.repeat)

        if not args.browser:
            print("\n4. Browser: skipped (--no-browser)")
        elif not CHROMIUM.exists():
            print(f"\n4. Browser: skipped ({CHROMIUM} not found)")
        else:
            gemeente = next(view.parent for view in views if view.level == "wijk")
            run_browser(app, plain, plain_dash, warehouse, gemeente)
            run_exports(warehouse, views)
            run_briefings(warehouse, views)
        warehouse.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
