"""Map navigation: URL <-> controls <-> map, in one callback so the URL stays the single truth.

The callback reads what changed (URL, a control or a click on the map), works out the new
:class:`~dashboard.routes.MapState`, and asks :func:`dashboard.views.map_view` for the map.
When a control or click changed the view, it also writes the new URL (one history entry);
when the URL changed (link, back/forward), it only follows and sets the controls.
"""

from __future__ import annotations

from dataclasses import replace

from dash import ALL, ClientsideFunction, Input, Output, State, callback_context, dcc, html, no_update
from dash.dash_table.Format import Format, Group, Scheme

from dashboard import routes
from dashboard.figures import empty_figure
from dashboard.i18n import t
from dashboard.layout import HIDDEN, choice_options, indicator_options, legend, score_themes
from dashboard.views import area_name, map_view, resolve_state
from data_pipeline.search import AreaIndex, normalise
from data_pipeline.warehouse import AccessDenied, NotFound, Warehouse
from geodata.codes import LAND_CODE

#: Controls whose value is one field of the state: component id -> MapState field.
CONTROLS = {
    "indicator": "indicator", "year": "year", "mode": "mode", "class-method": "classes", "class-k": "k",
    "class-breaks": "breaks", "score-method": "score_method", "hotspot-method": "hotspot",
    "hotspot-alpha": "alpha", "stabilise": "stabilise", "since": "since",
}
EXPORT_FORMATS = ("png", "svg", "pdf")


def breadcrumbs(warehouse: Warehouse, state: routes.MapState) -> list:
    items = []
    lineage = warehouse.lineage(state.parent)
    for i, code in enumerate(lineage):
        name = area_name(warehouse, code, state.lang)
        if i == len(lineage) - 1:
            items.append(html.Span(name, className="crumb current", **{"aria-current": "page"}))
        else:
            items.append(dcc.Link(name, href=routes.href(routes.view_of_area(state, code)), className="crumb"))
            items.append(html.Span("›", className="crumb-sep"))
    return items


def table_rows(warehouse: Warehouse, state: routes.MapState, scope) -> tuple[list[dict], list[dict]]:
    """The areas of the view as table data and columns: the same values and n.b. marks as the map."""
    try:
        rows = warehouse.table(state.level, state.parent, state.indicator, state.year, scope)
    except (NotFound, AccessDenied):
        return [], []
    ind = warehouse.catalog.get(state.indicator)
    lang = state.lang
    number = Format(precision=ind.decimals, scheme=Scheme.fixed, group=Group.yes)
    count = Format(precision=0, scheme=Scheme.fixed, group=Group.yes)
    columns = [
        {"id": "name", "name": t("table.name", lang)}, {"id": "code", "name": t("table.code", lang)},
        {"id": "value", "name": f"{ind.label(lang)} ({ind.unit(lang)})", "type": "numeric", "format": number},
        {"id": "numerator", "name": t("table.numerator", lang), "type": "numeric", "format": count},
        {"id": "denominator", "name": t("table.denominator", lang), "type": "numeric", "format": count},
        {"id": "shown", "name": t("table.status", lang)},
    ]
    rows["shown"] = [t(f"table.status.{s}", lang) for s in rows["status"]]
    data = rows[["name", "code", "value", "numerator", "denominator", "shown"]].astype(object)
    data = data.where(data.notna(), None)
    return data.to_dict("records"), columns


def dataset_line(warehouse: Warehouse, lang: str) -> str:
    meta = warehouse.meta
    years = f"{warehouse.years[0]}–{warehouse.years[-1]}" if len(warehouse.years) > 1 else str(warehouse.years[0])
    return t("dataset.line", lang, description=meta["description"], years=years,
             boundary_years=meta.get("setting.boundary_years") or meta["boundary_year"],
             attribution=meta["attribution"])


def clicked_area(warehouse: Warehouse, click) -> str | None:
    """The code of the land area a map click hit, if any."""
    code = ((click or {}).get("points") or [{}])[0].get("location")
    ok = warehouse.has_area(code) and not warehouse.area(code).is_water
    return code if ok else None


def state_after(warehouse: Warehouse, state: routes.MapState, trigger, inputs: dict,
                themes: list[str]) -> routes.MapState | None:
    """The state after the control or click that fired; ``None`` when nothing should change."""
    if trigger in (None, "url"):
        return state
    if trigger == "map":
        code = clicked_area(warehouse, inputs["click"])
        return routes.selected(state, code) if code else None
    if isinstance(trigger, dict):  # a theme weight slider; sliders are laid out in `themes` order
        weights = tuple((th, float(w)) for th, w in zip(themes, inputs["weights"]) if w is not None and w != 1)
        return replace(state, weights=weights)
    if trigger == "map-extent":  # the user panned or zoomed: keep the extent, for links and exports
        seen = inputs["extent"] or {}
        moved_to = replace(state, extent=routes.parse_extent(",".join(map(str, seen.get("extent") or ()))) or ())
        return moved_to if on_screen(moved_to, seen) and moved_to != state else None
    if trigger == "search":
        code = inputs["search"]
        return replace(routes.view_showing(state, code), area=code) if warehouse.has_area(code) else None
    if trigger == "division":
        return routes.moved(state, inputs["division"], state.parent) if state.parent == LAND_CODE else None
    value = inputs[trigger]
    if value is None or (trigger == "indicator" and str(value).startswith("theme:")):
        return None
    if trigger == "stabilise":
        return replace(state, stabilise="ja" in value)
    if trigger == "class-breaks":
        value = routes.parse_breaks(str(value).replace(",", ".")) or ()
        return replace(state, breaks=value, classes="handmatig" if value else state.classes)
    return replace(state, **{CONTROLS[trigger]: value})


def register(app, warehouse: Warehouse, scope_of_request) -> None:
    themes = score_themes(warehouse.catalog)
    # After a pan or zoom, the browser works out the visible extent (assets/map.js).
    app.clientside_callback(ClientsideFunction("ondermijning", "visibleExtent"),
                            Output("map-extent", "data"), Input("map", "relayoutData"))
    control_outputs = {cid: Output(cid, "value") for cid in CONTROLS}

    @app.callback(
        output=dict(
            pathname=Output("url", "pathname"), search=Output("url", "search"),
            figure=Output("map", "figure"), drawn=Output("map-drawn", "data"), click_reset=Output("map", "clickData"),
            heading=Output("map-heading", "children"), source=Output("source-line", "children"),
            crumbs=Output("breadcrumbs", "children"), legend=Output("legend", "children"),
            notice=Output("map-notice", "children"), found=Output("search", "value"),
            division=Output("division", "value"), division_box=Output("division-box", "style"),
            breaks_box=Output("breaks-box", "style"), class_box=Output("class-box", "style"), score_box=Output("score-box", "style"),
            hotspot_box=Output("hotspot-box", "style"), since_box=Output("since-box", "style"),
            since_options=Output("since", "options"),
            weights_out=Output({"type": "weight", "theme": ALL}, "value"),
            exports={fmt: Output(f"export-{fmt}", "href") for fmt in EXPORT_FORMATS},
            downloads={fmt: Output(f"download-{fmt}", "href") for fmt in ("csv", "xlsx")},
            controls=control_outputs,
        ),
        inputs=dict(
            pathname=Input("url", "pathname"), search=Input("url", "search"), click=Input("map", "clickData"),
            division=Input("division", "value"), found=Input("search", "value"),
            extent=Input("map-extent", "data"),
            controls={cid: Input(cid, "value") for cid in CONTROLS},
            weights=Input({"type": "weight", "theme": ALL}, "value"),
            drawn=State("map-drawn", "data"),
        ),
    )
    def navigate(pathname, search, click, division, found, extent, controls, weights, drawn):
        trigger = callback_context.triggered_id
        current = routes.parse(pathname, search)
        if current.page != "kaart":   # another page is open; the map waits
            return {"notice": no_update, **_unchanged()}
        inputs = {"click": click, "division": division, "search": found, "extent": extent, "weights": weights,
                  **controls}
        state = state_after(warehouse, current, trigger, inputs, themes)
        if state is None:
            return {"notice": no_update, **_unchanged()}
        if trigger == "map" and (state == current or not warehouse.view_exists(state.level, state.parent)):
            code = clicked_area(warehouse, click)
            return {**_unchanged(), "notice": t("map.no_deeper", current.lang, area=warehouse.name(code))}
        state = resolve_state(warehouse, state)
        if trigger == "map-extent" or (trigger == "url" and drawn == drawn_key(state)):
            # The map already shows this (the user just panned or zoomed, or only the comparison
            # changed): drawing it again would only disturb the view, so only the URL and the
            # links follow.
            new_path, new_search = routes.path(state), routes.search(state)
            return {**_unchanged(), "notice": no_update, "drawn": drawn_key(state),
                    "pathname": no_update if pathname == new_path else new_path,
                    "search": no_update if search == new_search else new_search,
                    "exports": {fmt: routes.export_url(state, fmt) for fmt in EXPORT_FORMATS},
                    "downloads": {fmt: routes.download_url(state, fmt) for fmt in ("csv", "xlsx")}}
        try:
            view = map_view(warehouse, state, scope_of_request())
            figure, heading, source, notice = view.figure, view.heading, view.source, view.notice
            legend_children, crumbs = legend(view.legend, view.legend_title), breadcrumbs(warehouse, state)
            shown = drawn_key(state)
        except (NotFound, AccessDenied) as err:
            notice = heading = t("error.not_found", state.lang, detail=str(err))
            figure, source, legend_children, crumbs, shown = empty_figure(heading), "", [], [], None
        new_path, new_search = routes.path(state), routes.search(state)
        same_url = trigger in (None, "url") and (pathname, search) == (new_path, new_search)
        return dict(
            pathname=no_update if same_url else new_path, search=no_update if same_url else new_search,
            figure=figure, click_reset=None, found=None, heading=heading, source=source, crumbs=crumbs,
            legend=legend_children, notice=notice, drawn=shown,
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
            downloads={fmt: routes.download_url(state, fmt) for fmt in ("csv", "xlsx")},
        )

    def _unchanged() -> dict:
        keys = ("pathname", "search", "figure", "drawn", "click_reset", "found", "heading", "source", "crumbs", "legend",
                "division", "division_box", "breaks_box", "class_box", "score_box", "hotspot_box", "since_box",
                "since_options")
        return {**{k: no_update for k in keys}, "weights_out": [no_update] * len(themes),
                "controls": {cid: no_update for cid in CONTROLS},
                "exports": {fmt: no_update for fmt in EXPORT_FORMATS},
                "downloads": {fmt: no_update for fmt in ("csv", "xlsx")}}

    @app.callback(Output("area-table", "data"), Output("area-table", "columns"),
                  Input("table-summary", "n_clicks"), Input("url", "pathname"), Input("url", "search"))
    def area_table(clicks, pathname, search):
        """The table is filled only while it is open (an odd number of clicks on its summary),
        so map navigation does not pay for it."""
        if not clicks or clicks % 2 == 0:
            return no_update, no_update
        state = resolve_state(warehouse, routes.parse(pathname, search))
        return table_rows(warehouse, state, scope_of_request())

    index = {}

    @app.callback(Output("search", "options"), Input("search", "search_value"), Input("url", "search"))
    def search_options(text, search):
        """Search results as options. Each option's search key holds the typed text, the code and
        the plain name, so the dropdown's own filter keeps accent-insensitive and partial matches
        (also when an answer to an earlier keystroke arrives last)."""
        if not text or len(text.strip()) < 2:
            return no_update
        lang = routes.parse(None, search).lang
        if lang not in index:
            index[lang] = AreaIndex(warehouse.areas_frame(), lang=lang)
        hits = index[lang].search(text, limit=15)
        return [{"label": f"{h.name} ({h.code}) — {h.context}", "value": h.code,
                 "search": " ".join((text, h.code, h.code.lower(), h.name, normalise(h.name), h.context))}
                for h in hits.itertuples()]

    @app.callback(
        Output({"type": "text", "key": ALL}, "children"),
        Output("indicator", "options"), Output("division", "options"), Output("mode", "options"),
        Output("class-method", "options"), Output("score-method", "options"), Output("hotspot-method", "options"),
        Output("stabilise", "options"), Output("search", "placeholder"),
        Output({"type": "theme-label", "theme": ALL}, "children"),
        Output("lang-link", "children"), Output("lang-link", "href"), Output("dataset-line", "children"),
        Input("url", "pathname"), Input("url", "search"),
        State("lang-link", "children"), State("dataset-line", "children"),
    )
    def translate(pathname, search, switch_label, dataset):
        state = routes.parse(pathname, search)
        lang = state.lang
        keys = [item["id"]["key"] for item in callback_context.outputs_list[0]]
        other = "en" if lang == "nl" else "nl"
        other_href = routes.href(replace(state, lang=other))
        if dataset and switch_label == t("lang.switch", lang):
            # Already in this language: only the link to the other language follows the view
            # (re-sending every text and option would cost the browser on every click).
            return ([no_update] * len(keys), *[no_update] * 8, [no_update] * len(themes), no_update, other_href,
                    no_update)
        return (
            [t(key, lang) for key in keys],
            indicator_options(warehouse.catalog, lang),
            choice_options("level", ("regio", "gemeente"), lang),
            choice_options("mode", routes.MODES, lang),
            choice_options("classes", routes.CLASS_METHODS, lang),
            choice_options("score_method", routes.SCORE_METHODS, lang),
            choice_options("hotspot", routes.HOTSPOT_METHODS, lang),
            [{"label": t("control.stabilise", lang), "value": "ja"}], t("search.placeholder", lang),
            [warehouse.catalog.themes[theme][lang] for theme in themes],
            t("lang.switch", lang), other_href, dataset_line(warehouse, lang),
        )


def drawn_key(state: routes.MapState) -> str:
    """What the map draws for a state: everything in its URL but the compared areas."""
    return routes.href(replace(state, compare=()))


def on_screen(state: routes.MapState, seen: dict | None) -> bool:
    """Whether the map's last reported pan/zoom extent is the state's extent, on the same map."""
    seen = seen or {}
    return (bool(state.extent) and str(seen.get("view", "")).split("@")[0] == f"{state.level}/{state.parent}"
            and routes.parse_extent(",".join(map(str, seen.get("extent") or ()))) == state.extent)


def control_value(state: routes.MapState, field: str):
    value = getattr(state, field)
    if field == "stabilise":
        return ["ja"] if value else []
    if field == "breaks":
        return "; ".join(f"{b:g}".replace(".", ",") for b in value)
    return value
