"""Map navigation: URL <-> controls <-> map, in one callback so the URL stays the single truth.

The callback reads what changed (URL, a control or a click on the map), works out the new
:class:`~dashboard.routes.MapState`, and asks :func:`dashboard.views.map_view` for the map.
When a control or click changed the view, it also writes the new URL (one history entry);
when the URL changed (link, back/forward), it only follows and sets the controls.
"""

from __future__ import annotations

import re

from dataclasses import replace
from functools import partial

from dash import ALL, ClientsideFunction, Input, Output, State, callback_context, no_update
from flask import request

from dashboard import routes
from dashboard.figures import empty_figure
from dashboard.i18n import t
from dashboard.layout import (HIDDEN, SEARCHABLE, area_table, breadcrumb_items, choice_options, dropdown_labels,
                              graph_config, indicator_options, legend)
from dashboard.routes import CONTROLS, control_value, drawn_key
from dashboard.panels import AREA_ORDERS
from dashboard.tables import DOWNLOADS, table_rows
from dashboard.views import (crumbs, dataset_line, error_text, is_land_area, map_view, resolve_state,
                             search_options)
from dashboard.signin import Gate
from data_pipeline.warehouse import AccessDenied, NotFound, Warehouse
from geodata.codes import LAND_CODE, level_of

EXPORT_FORMATS = ("png", "svg", "pdf")
DOWNLOAD_FORMATS = tuple(DOWNLOADS)
#: Dash's script tag for @babel/polyfill, left out of every page (see interpolate_index).
BABEL_POLYFILL = re.compile(r'<script src="[^"]*/polyfill@[^"]*"></script>\s*')
#: Dash's DataTable, which the page no longer uses (Dash ships it in every page).
DATA_TABLE = re.compile(r'<script src="[^"]*/dash_table/bundle[^"]*"></script>\s*')
#: AG Grid (1.3 MB), needed only once the table is opened: assets/table.js loads it then.
GRID_SCRIPT = re.compile(r'<script src="([^"]*/dash_ag_grid/dash_ag_grid[^"]*)"></script>\s*')
#: The parts of dcc that its graph, dropdowns and sliders load only once they are on the page
#: (webpack chunks); the map's first callback waits for them.
MAP_CHUNKS = ("async-graph.js", "async-dropdown.js", "async-slider.js")


def page_themes(specs: list, kind: str) -> list[str]:
    """The themes of the page's per-theme components of ``kind`` (the weight sliders, their
    labels), in page order, from a callback's groups of inputs or outputs: the page's layout was made
    for its viewer's catalog (own data adds themes), which may have changed since it loaded.

    >>> page_themes([{"id": "url"}, [{"id": {"type": "weight", "theme": "drugs"}}]], "weight")
    ['drugs']
    """
    for group in specs:
        if isinstance(group, list) and group and isinstance(group[0].get("id"), dict) and \
                group[0]["id"].get("type") == kind:
            return [item["id"]["theme"] for item in group]
    return []


def register(app, warehouse: Warehouse, gate: Gate) -> None:
    is_land = partial(is_land_area, warehouse)
    # The language of the page on <html lang> (the server sets it; a switch changes only the URL).
    app.clientside_callback(ClientsideFunction("ondermijning", "pageLanguage"),
                            Output("page-lang", "data"), Input("url", "search"))
    app.clientside_callback(ClientsideFunction("ondermijning", "profileInView"),
                            Output("profile-shown", "data"), Input("profile", "children"))
    # After a pan or zoom, the browser works out the visible extent (assets/map.js).
    app.clientside_callback(ClientsideFunction("ondermijning", "visibleExtent"),
                            Output("map-extent", "data"), Input("map", "relayoutData"))
    # Ahead of a drill-down (assets/map.js): once an area is selected, the browser fetches the
    # polygons below it and asks for the map they would show (`map_ahead`); a click on the
    # selected area then draws that map at once, and `navigate` follows with the rest of the page.
    app.clientside_callback(ClientsideFunction("ondermijning", "prefetch"),
                            Output("map-ahead-request", "data"), Input("map-prefetch", "data"))
    app.clientside_callback(ClientsideFunction("ondermijning", "keepAhead"),
                            Output("map-ahead-kept", "data"), Input("map-ahead", "data"))
    # The table's grid library is loaded when the table is first opened (assets/table.js).
    app.clientside_callback(ClientsideFunction("ondermijning", "tableOpened"),
                            Output("table-opened", "data"), Input("table-summary", "n_clicks"))
    control_outputs = {cid: Output(cid, "value") for cid in CONTROLS}

    @app.callback(
        output=dict(
            pathname=Output("url", "pathname"), search=Output("url", "search"),
            figure=Output("map", "figure"), config=Output("map", "config"), drawn=Output("map-drawn", "data"),
            click_reset=Output("map", "clickData"),
            prefetch=Output("map-prefetch", "data"),
            heading=Output("map-heading", "children"), source=Output("source-line", "children"),
            crumbs=Output("breadcrumbs", "children"), legend=Output("legend", "children"),
            notice=Output("map-notice", "children"), found=Output("search", "value"),
            division=Output("division", "value"), division_box=Output("division-box", "style"),
            breaks_box=Output("breaks-box", "style"), class_box=Output("class-box", "style"), score_box=Output("score-box", "style"),
            hotspot_box=Output("hotspot-box", "style"), since_box=Output("since-box", "style"),
            since_options=Output("since", "options"),
            weights_out=Output({"type": "weight", "theme": ALL}, "value"),
            exports={fmt: Output(f"export-{fmt}", "href") for fmt in EXPORT_FORMATS},
            downloads={fmt: Output(f"download-{fmt}", "href") for fmt in DOWNLOAD_FORMATS},
            controls=control_outputs,
        ),
        inputs=dict(
            pathname=Input("url", "pathname"), search=Input("url", "search"), click=Input("map", "clickData"),
            division=Input("division", "value"), found=Input("search", "value"),
            extent=Input("map-extent", "data"),
            controls={cid: Input(cid, "value") for cid in CONTROLS},
            weights=Input({"type": "weight", "theme": ALL}, "value"),
            drawn=State("map-drawn", "data"), ahead=State("map-prefetch", "data"), config=State("map", "config"),
        ),
    )
    def navigate(pathname, search, click, division, found, extent, controls, weights, drawn, ahead, config):
        trigger = callback_context.triggered_id
        current = routes.parse(pathname, search)
        themes = page_themes([callback_context.args_grouping["weights"]], "weight")
        if current.page != "kaart":   # another page is open; the map waits
            return {"notice": no_update, **_unchanged(themes)}
        inputs = {"click": click, "division": division, "search": found, "extent": extent, "weights": weights,
                  **controls}
        state = routes.state_after(current, trigger, inputs, themes, is_land)
        if state is None:
            return {"notice": no_update, **_unchanged(themes)}
        if trigger == "map" and (state == current or not warehouse.view_exists(state.level, state.parent)):
            area = warehouse.name(routes.clicked_code(click))
            return {**_unchanged(themes), "notice": t("map.no_deeper", current.lang, area=area)}
        state = resolve_state(warehouse, state)
        if trigger == "map-extent" or (trigger == "url" and drawn == drawn_key(state)):
            # The map already shows this (the user just panned or zoomed, or only the comparison
            # changed): drawing it again would only disturb the view, so only the URL and the
            # links follow.
            new_path, new_search = routes.path(state), routes.search(state)
            return {**_unchanged(themes), "notice": no_update, "drawn": drawn_key(state),
                    "prefetch": _changed(ahead_of(state), ahead),
                    "pathname": no_update if pathname == new_path else new_path,
                    "search": no_update if search == new_search else new_search,
                    "exports": {fmt: routes.export_url(state, fmt) for fmt in EXPORT_FORMATS},
                    "downloads": {fmt: routes.download_url(state, fmt) for fmt in DOWNLOAD_FORMATS}}
        try:
            try:
                view = map_view(warehouse, state, gate.scope())
                gate.record("map", routes.url(state))
            except AccessDenied:
                # Outside the viewer's scope: the gemeenten of the region instead, and why.
                gate.record("map", routes.url(state), "denied")
                regio = warehouse.area(state.parent).regio_code or LAND_CODE
                state = replace(routes.moved(state, "gemeente", regio), compare=())
                view = map_view(warehouse, state, gate.scope())
                view = replace(view, notice=t("error.out_of_scope", state.lang))
            figure, heading, source, notice = view.figure, view.heading, view.source, view.notice
            legend_children, trail = legend(view.legend, view.legend_title), breadcrumb_items(crumbs(warehouse, state))
            shown = drawn_key(state)
        except (NotFound, AccessDenied) as err:
            notice = heading = error_text(err, state)
            figure, source, legend_children, trail, shown = empty_figure(heading), "", [], [], None
        new_path, new_search = routes.path(state), routes.search(state)
        same_url = trigger in (None, "url") and (pathname, search) == (new_path, new_search)
        return dict(
            pathname=no_update if same_url else new_path, search=no_update if same_url else new_search,
            figure=figure, click_reset=None, found=None, heading=heading, source=source, crumbs=trail,
            # the modebar's language; dcc.Graph applies a config only with a new figure, so both come here
            config=no_update if isinstance(config, dict) and config.get("locale") == state.lang
            else graph_config(state.lang),
            legend=legend_children, notice=notice, drawn=shown,
            prefetch=_changed(ahead_of(state) if shown else None, ahead),
            division=state.level if state.parent == LAND_CODE else no_update,
            division_box={} if state.parent == LAND_CODE else HIDDEN,
            breaks_box={} if state.classes == "handmatig" else HIDDEN,
            class_box=HIDDEN if state.mode == "hotspots" else {},
            score_box={} if state.mode == "score" else HIDDEN,
            hotspot_box={} if state.mode == "hotspots" else HIDDEN,
            since_box={} if state.mode == "verandering" else HIDDEN,
            since_options=[{"label": str(y), "value": y, "disabled": y >= state.year} for y in warehouse.years],
            weights_out=[state.weight(theme) for theme in themes],
            controls={cid: control_value(state, field) for cid, field in CONTROLS.items()},
            exports={fmt: routes.export_url(state, fmt) for fmt in EXPORT_FORMATS},
            downloads={fmt: routes.download_url(state, fmt) for fmt in DOWNLOAD_FORMATS},
        )

    def ahead_of(state: routes.MapState) -> dict | None:
        """What a click on the selected area would open, for the browser to fetch ahead: the
        area, the URL of the polygons below it and the address of that map; only a map that
        exists and that the viewer may see."""
        below = routes.DRILL.get(level_of(state.area)) if state.area else None
        if not below or not warehouse.view_visible(below, state.area, gate.scope()):
            return None
        return {"area": state.area, "geometry": routes.geometry_url(warehouse.build_id, below, state.area),
                "view": routes.href(routes.drill_down(state, state.area))}

    @app.callback(Output("map-ahead", "data"), Input("map-ahead-request", "data"), prevent_initial_call=True)
    def map_ahead(view):
        """The figure of the map a drill-down would open (``view``: its address), drawn by the
        browser on the click; the rest of that page comes with `navigate` as ever."""
        if not isinstance(view, str):
            return None
        pathname, _, search = view.partition("?")
        state = resolve_state(warehouse, routes.parse(pathname, search))
        if state.page != "kaart":
            return None
        try:
            figure = map_view(warehouse, state, gate.scope()).figure
        except (NotFound, AccessDenied) as err:
            gate.record("map ahead", routes.url(state), "denied" if isinstance(err, AccessDenied) else "failed")
            return None
        gate.record("map ahead", routes.url(state))
        return {"view": view, "figure": figure.to_dict()}

    page = app.interpolate_index

    def interpolate_index(**parts) -> str:
        """The page, asking the browser from the start for the polygons of the map its address
        opens (plotly asks for them only once the page's callbacks have answered) and the parts
        of dcc the map's first callback waits for (asked for only once the layout is drawn), in
        the language of its address (``<html lang>``), and without Dash's @babel/polyfill: core-js
        for browsers older than any we support, ~100 ms of every first paint. Dash's bundles
        need only its regenerator runtime, an asset. The table's grid library is only named
        (a prefetch the browser may fetch when idle); it runs once the table is opened."""
        state = resolve_state(warehouse, routes.parse(request.path, request.query_string.decode()))
        if state.page == "kaart" and warehouse.view_visible(state.level, state.parent, gate.scope()):
            for url in (routes.geometry_url(warehouse.build_id, state.level, state.parent),
                        routes.TOPOJSON_URL + "world_110m.json"):
                parts["metas"] += f'<link rel="preload" href="{url}" as="fetch" crossorigin="anonymous">'
        if state.page == "kaart":
            chunks = app.config.requests_pathname_prefix + "_dash-component-suites/dash/dcc/"
            parts["metas"] += "".join(f'<link rel="preload" href="{chunks}{name}" as="script">' for name in MAP_CHUNKS)
        scripts = DATA_TABLE.sub("", BABEL_POLYFILL.sub("", parts["scripts"]))
        parts["scripts"] = GRID_SCRIPT.sub(r'<link rel="prefetch" href="\1" as="script" id="grid-script">', scripts)
        return page(**parts).replace("<html>", f'<html lang="{state.lang}">', 1)

    app.interpolate_index = interpolate_index

    def _changed(value, before):
        """``value``, or no update when the browser holds it already (a store set to an equal
        value would still fire what follows it)."""
        return no_update if value == before else value

    def _unchanged(themes: list[str]) -> dict:
        keys = ("pathname", "search", "figure", "config", "drawn", "prefetch", "click_reset", "found", "heading",
                "source",
                "crumbs", "legend",
                "division", "division_box", "breaks_box", "class_box", "score_box", "hotspot_box", "since_box",
                "since_options")
        return {**{k: no_update for k in keys}, "weights_out": [no_update] * len(themes),
                "controls": {cid: no_update for cid in CONTROLS},
                "exports": {fmt: no_update for fmt in EXPORT_FORMATS},
                "downloads": {fmt: no_update for fmt in DOWNLOAD_FORMATS}}

    @app.callback(Output("area-table-slot", "children"),
                  Input("table-opened", "data"), Input("url", "pathname"), Input("url", "search"))
    def table_of_areas(clicks, pathname, search):
        """The table is made and filled only while it is open (an odd number of clicks on its
        summary), so neither the first paint nor map navigation pays for it."""
        if not clicks or clicks % 2 == 0:
            return no_update
        state = resolve_state(warehouse, routes.parse(pathname, search))
        try:
            rows = table_rows(warehouse, state, gate.scope())
        except AccessDenied:
            gate.record("table", routes.url(state), "denied")
            return area_table([], [], state.lang)
        gate.record("table", routes.url(state))
        return area_table(*rows, state.lang)

    @app.callback(Output("search", "options"), Input("search", "search_value"), State("url", "search"))
    def search_box(text, search):
        if not text or len(text.strip()) < 2:
            return no_update
        return search_options(warehouse, text, routes.parse(None, search).lang)

    @app.callback(
        Output({"type": "text", "key": ALL}, "children"),
        Output("indicator", "options"), Output("division", "options"), Output("mode", "options"),
        Output("class-method", "options"), Output("score-method", "options"), Output("hotspot-method", "options"),
        Output("stabilise", "options"), Output("search", "placeholder"),
        Output({"type": "theme-label", "theme": ALL}, "children"),
        Output("lang-link", "children"), Output("lang-link", "href"), Output("own-link", "href"),
        Output("dataset-line", "children"),
        Output("breadcrumbs", "aria-label"), Output("legend", "aria-label"),
        *[Output(dropdown, "labels") for dropdown in SEARCHABLE], Output("area-order", "options"),
        Input("url", "pathname"), Input("url", "search"),
        State("lang-link", "children"), State("dataset-line", "children"),
    )
    def translate(pathname, search, switch_label, dataset):
        state = routes.parse(pathname, search)
        lang = state.lang
        keys = [item["id"]["key"] for item in callback_context.outputs_grouping[0]]
        themes = page_themes(callback_context.outputs_grouping, "theme-label")
        other = "en" if lang == "nl" else "nl"
        other_href = routes.href(replace(state, lang=other))
        own_href = routes.href(routes.MapState(page="eigen", lang=lang))
        if dataset and switch_label == t("lang.switch", lang):
            # Already in this language: only the link to the other language follows the view
            # (re-sending every text and option would cost the browser on every click).
            return ([no_update] * len(keys), *[no_update] * 8, [no_update] * len(themes), no_update, other_href,
                    no_update, no_update, no_update, no_update, *[no_update] * len(SEARCHABLE), no_update)
        return (
            [t(key, lang) for key in keys],
            indicator_options(warehouse.catalog, lang),
            choice_options("level", ("regio", "gemeente"), lang),
            choice_options("mode", routes.MODES, lang),
            choice_options("classes", routes.CLASS_METHODS, lang),
            choice_options("score_method", routes.SCORE_METHODS, lang),
            choice_options("hotspot", routes.HOTSPOT_METHODS, lang),
            [{"label": t("control.stabilise", lang), "value": "ja"}], t("search.placeholder", lang),
            [warehouse.catalog.themes.get(theme, {}).get(lang, theme) for theme in themes],
            t("lang.switch", lang), other_href, own_href, dataset_line(warehouse, lang),
            t("aria.breadcrumbs", lang), t("aria.legend", lang),
            *[dropdown_labels(lang)] * len(SEARCHABLE), choice_options("order", AREA_ORDERS, lang),
        )


