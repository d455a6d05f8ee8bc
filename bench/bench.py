"""Performance benchmark: our dashboard beside the plain plotly approach (PRODUCT.md §6).

    python bench/bench.py [--scale 1.0] [--repeat 30] [--browser/--no-browser]

Builds the demo warehouse in a temporary directory and prints plain-text tables: the build
time, the server time and bytes of each map callback (ours beside the plain approach), and,
the panels beside the map and the area search, and with Chromium, first paint and drill-down
timings in a real browser, the image exports and the briefing sheet. Works offline; every
request stays on 127.0.0.1. ``bench/README.md`` explains each figure; ``bench/harness.py``
holds the machinery.
"""

from __future__ import annotations

import argparse
import gzip
import importlib.util
import json
import os
import shutil
import sys
import tempfile
from dataclasses import replace
from pathlib import Path
from time import perf_counter

if importlib.util.find_spec("dashboard") is None:  # a clone that is not pip-installed
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import dash

from harness import (BROWSER_ACCEPT_ENCODING, CHROMIUM, CHROMIUM_ARGS, BrowserBench, MapCallback, Measured,
                     PlainBaseline, Sent, Site, View, clickable_wijken, default_state, figure_of, kb, percentile,
                     pick_views, plain_app, plain_inputs, plain_path, print_table, ratio, serving, timed, verdict,
                     view_codes)

from dashboard import routes
from dashboard.app import create_app
from dashboard.layout import score_themes
from dashboard.routes import CONTROLS, control_value
from dashboard.signin import Gate
from data_pipeline.access import AccessFile
from data_pipeline.audit import AuditLog
from data_pipeline.cli import build_demo
from data_pipeline.sources import demo_source
from data_pipeline.warehouse import Scope, Warehouse
from geodata.codes import LAND_CODE, LEVELS

#: The budgets of PRODUCT.md §6.
BUDGET_BUILD_S = 60.0
BUDGET_CALLBACK_P95_MS = 10.0
BUDGET_STEP_BYTES = 50_000
BUDGET_CLICK_P95_MS = 300.0
BUDGET_FIRST_PAINT_MS = 800.0


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
    p.add_argument("--load-seconds", type=float, default=30.0,
                   help="length of each load run of section 10 (default 30; 0 skips it)")
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
    print_table("8. Briefing sheet (A4 PDF), ms (budget: < 1 s after the first)",
                ["sheet", "first", "later p50", "later p95", "content+layout p50", "KB", "budget"], rows,
                ["first: the first sheet of that area (the browser already runs, see section 5);",
                 "later: the same sheet again; content+layout: briefing_data and compose_briefing, no browser"])


# --------------------------------------------------------------------------- 6. panels and table


def run_panels(app: dash.Dash, warehouse: Warehouse, views: list[View], repeat: int) -> None:
    """Server time of the callbacks beside the map, through Dash's HTTP endpoint like section 2:
    the profile panel (one area's indicators against its references, trend, score breakdown),
    the comparison (three areas, every indicator, trends) and the area table, on the national
    gemeente map and on one gemeente's buurten; and the map sent ahead of a drill-down."""
    gemeente = next(v.parent for v in views if v.level == "wijk")
    areas = warehouse.areas_frame()
    land = areas[~areas["is_water"].astype(bool)]
    buurt = land[(land["level"] == "buurt") & (land["gemeente_code"] == gemeente)]["code"].iloc[0]
    wijk = next(v.parent for v in views if v.level == "buurt")
    gemeenten = land[land["level"] == "gemeente"]["code"].tolist()
    national = default_state(warehouse, "gemeente", LAND_CODE)
    buurten = default_state(warehouse, "buurt", gemeente)
    cases = [
        ("profile", "profile.children", replace(national, area=gemeente), "national gemeente map, a gemeente"),
        ("profile", "profile.children", replace(buurten, area=buurt), "a gemeente's buurten, a buurt"),
        ("compare", "compare.children", replace(national, compare=tuple(gemeenten[:3])), "three gemeenten"),
        ("table", "area-table-slot.children", national, "national gemeente map"),
        ("table", "area-table-slot.children", buurten, "a gemeente's buurten"),
        ("map ahead", "map-ahead.data", replace(national, level="wijk", parent=gemeente), "a gemeente's wijken"),
        ("map ahead", "map-ahead.data", replace(buurten, level="buurt", parent=wijk), "a wijk's buurten"),
    ]
    rows = []
    for name, output, state, where in cases:
        callback = MapCallback(app, output)
        values = {"url.pathname": routes.path(state), "url.search": routes.search(state), "table-opened.data": 1,
                  "map-ahead-request.data": routes.href(state)}
        changed = "map-ahead-request.data" if output == "map-ahead.data" else "url.search"
        times, response = timed(callback.request(values, changed), repeat)
        sent = Sent.of(response)
        assert json.loads(sent.raw)["response"], f"{name}: empty response"
        p95 = percentile(times, 95)
        rows.append([name, where, f"{percentile(times, 50):.1f}", f"{p95:.1f}", kb(len(sent.wire)),
                     verdict(p95, 50)])
    print_table("6. Profile, comparison and table callbacks: server time, ms",
                ["callback", "view", "p50", "p95", "KB sent", "< 50 ms"], rows,
                [f"{repeat} requests each after one warm-up; comparisons per indicator and year are computed",
                 "once per build (the latest year at start; shared by every worker through Redis when REDIS_URL",
                 "is set), so only the first profile of an earlier year costs about 1 s more.",
                 "map ahead: the figure of the map a click on the selected area opens, sent before that click.",
                 "No plain counterpart: plotly's documentation has no profile, comparison or table."])


# --------------------------------------------------------------------------- 7. area search


def run_search(warehouse: Warehouse, repeat: int) -> None:
    """The search box's work on the server: building the index once per language, then one
    search per keystroke for typical queries (a word, a gemeente name or its first letters,
    a buurt code or its number part, a miss)."""
    from data_pipeline.search import AreaIndex

    areas = warehouse.areas_frame()
    built, index = timed(lambda: AreaIndex(areas, {"buurt": "buurt", "wijk": "wijk"}), 3)
    gemeente = warehouse.name(warehouse.codes("gemeente")[0])
    buurt = warehouse.codes("buurt")[-1]
    rows = [["build the index", f"{len(index):,} areas", f"{percentile(built, 50):.1f}", f"{max(built):.1f}"]]
    for text in ("a", "centrum", "centrum zuid", gemeente, gemeente[:3], buurt, buurt[2:6], "xyzzy"):
        times, found = timed(lambda: index.search(text, limit=15), repeat)
        rows.append([repr(text), f"{len(found)} results", f"{percentile(times, 50):.2f}", f"{max(times):.2f}"])
    print_table("7. Area search on the server, ms", ["query", "", "p50", "max"], rows,
                [f"{repeat} searches per query after one warm-up; the index is built once per language"])


def run_access(warehouse: Warehouse, views: list[View], repeat: int) -> None:
    """The map callback as in section 2, signed in as a RIEC user (scope checks on every read)
    with every step written to the audit trail, beside the open app without either."""
    with tempfile.TemporaryDirectory(prefix="ondermijningsbeeld-bench-access-") as tmp:
        gemeente = next(view.parent for view in views if view.level == "wijk")
        access = AccessFile(Path(tmp) / "access.json")
        access.add("bench", "riec", "a bench password", warehouse.area(gemeente).regio_code)
        audit = AuditLog(Path(tmp) / "access.audit.jsonl")
        gated = create_app(warehouse, Gate(access=access, audit=audit))
        client = gated.server.test_client()
        assert client.post("/login", data={"username": "bench", "password": "a bench password"}).status_code == 302
        on = MapCallback(gated, client=client)
        off = MapCallback(create_app(warehouse))
        rows = []
        for view in views:
            t_off, _ = timed(off.request(*navigate_inputs(warehouse, view)), repeat)
            t_on, _ = timed(on.request(*navigate_inputs(warehouse, view)), repeat)
            rows.append([view.name, f"{percentile(t_off, 50):.1f}", f"{percentile(t_off, 95):.1f}",
                         f"{percentile(t_on, 50):.1f}", f"{percentile(t_on, 95):.1f}",
                         f"{percentile(t_on, 95) - percentile(t_off, 95):+.1f}"])
        events = len(audit.read(action="map"))
    print_table(f"9. Map callback with sign-in, scope checks and audit trail, ms (p50/p95 of {repeat})",
                ["view", "off p50", "off p95", "on p50", "on p95", "on - off p95"], rows,
                [f"on: signed in as a riec user of {warehouse.area(gemeente).regio_code}; {events} audit lines written",
                 "off: the open demo app (no sign-in, no audit)"])


def run_load_section(path: Path, warehouse: Warehouse, app: dash.Dash, seconds: float, users: int = 50) -> None:
    """50 simulated users for ``seconds`` on loopback against each way of serving."""
    from load import behind_nginx, run_load, session_steps, workers

    steps = session_steps(app, warehouse)
    runs = []

    def measured(base: str, **kwargs):
        run_load(base, steps, users, min(5.0, seconds), **kwargs)   # warm: first requests of each worker
        return run_load(base, steps, users, seconds, **kwargs)

    with tempfile.TemporaryDirectory(prefix="ondermijningsbeeld-bench-load-") as tmp:
        tmp = Path(tmp)
        access = AccessFile(tmp / "access.json")
        with serving(app.server) as base:
            runs.append(("development server (threaded)", measured(base)))
        with workers(path, tmp / "none.json", tmp) as base:
            runs.append(("serve --workers 2", measured(base)))
            runs.append(("serve --workers 2, 2 slow clients", measured(base, slow_clients=2)))
        nginx, redis = shutil.which("nginx") or "/usr/sbin/nginx", shutil.which("redis-server")
        if Path(nginx).exists() and redis:
            access.add("bench", "liec", "a bench password")
            with behind_nginx(path, access.path, tmp, nginx, redis) as (base, _):
                signin = ("bench", "a bench password")
                runs.append(("2 instances behind nginx, Redis", measured(base, signin=signin)))
                runs.append(("  the same, 2 slow clients", measured(base, slow_clients=2, signin=signin)))
        else:
            runs.append(("2 instances behind nginx: skipped (nginx or redis-server not installed)", None))
    rows = [[name, "", "", "", "", "", ""] if r is None else
            [name, r.requests, f"{r.per_second():.0f}", f"{r.percentile(50):.0f}", f"{r.percentile(95):.0f}",
             f"{r.percentile(99):.0f}", len(r.errors)] for name, r in runs]
    print_table(f"10. Load: {users} users for {seconds:g} s each, loopback",
                ["server", "requests", "req/s", "p50 ms", "p95 ms", "p99 ms", "errors"], rows,
                [f"a session: {', '.join(step.name for step in steps)}; again and again, no pause",
                 "slow clients: connections that send half a request, then a byte every 2 s",
                 "each run after 5 s of the same load, not counted (every worker's first requests)"])


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
        run_search(warehouse, args.repeat)
        run_access(warehouse, views, args.repeat)
        if args.load_seconds > 0:
            run_load_section(path, warehouse, app, args.load_seconds)

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
