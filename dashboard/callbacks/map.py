"""Map navigation: URL <-> controls <-> figure, in one callback so the URL stays the single truth.

The callback reads what changed (URL, a control or a click on the map), works out the new
:class:`~dashboard.routes.MapState`, asks the data layer for values and returns the figure.
When a control or click changed the view, it also writes the new URL (one history entry);
when the URL changed (link, back/forward), it only follows.
"""

from __future__ import annotations

from dataclasses import replace

from dash import Input, Output, callback_context, dcc, html, no_update

from dashboard import routes
from dashboard.figures import choropleth_figure, empty_figure
from dashboard.i18n import t
from dashboard.layout import indicator_options
from data_pipeline.warehouse import AccessDenied, NotFound, Scope, Warehouse
from geodata.codes import LAND_CODE


def resolve_state(warehouse: Warehouse, state: routes.MapState) -> routes.MapState:
    """Fill in defaults for a missing or unknown indicator or year."""
    ids = [i.id for i in warehouse.catalog.indicators]
    indicator = state.indicator if state.indicator in ids else ids[0]
    year = state.year if state.year in warehouse.years else warehouse.years[-1]
    return replace(state, indicator=indicator, year=year)


def area_name(warehouse: Warehouse, code: str, lang: str) -> str:
    return t("level.land", lang) if code == LAND_CODE else str(warehouse.areas.at[code, "name"])


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


def source_line(warehouse: Warehouse, indicator_id: str, lang: str) -> str:
    ind = warehouse.catalog.get(indicator_id)
    return t("source.line", lang, source=ind.source, tables=ind.table_id,
             boundary_year=warehouse.meta["boundary_year"], attribution=warehouse.meta["attribution"])


def dataset_line(warehouse: Warehouse, lang: str) -> str:
    meta = warehouse.meta
    years = f"{warehouse.years[0]}–{warehouse.years[-1]}" if len(warehouse.years) > 1 else str(warehouse.years[0])
    return t("dataset.line", lang, description=meta["description"], years=years,
             boundary_years=meta.get("setting.boundary_years") or meta["boundary_year"],
             attribution=meta["attribution"])


def map_view(warehouse: Warehouse, state: routes.MapState, scope: Scope):
    """Figure, heading and source line for one resolved state (raises NotFound/AccessDenied)."""
    if not warehouse.view_exists(state.level, state.parent):
        raise NotFound(f"{state.level} / {state.parent}")
    frame = warehouse.map_values(state.level, state.parent, state.indicator, state.year, scope)
    ind = warehouse.catalog.get(state.indicator)
    url = routes.geometry_url(warehouse.meta["build_id"], state.level, state.parent)
    heading = t("map.heading", state.lang, indicator=ind.label(state.lang),
                levels=t(f"levels.{state.level}", state.lang),
                area=area_name(warehouse, state.parent, state.lang), year=state.year)
    fig = choropleth_figure(frame, url, unit=ind.unit(state.lang), lang=state.lang, decimals=ind.decimals,
                            uirevision=f"{state.level}/{state.parent}")
    return fig, heading, source_line(warehouse, state.indicator, state.lang)


def register(app, warehouse: Warehouse, scope_of_request) -> None:
    @app.callback(
        Output("url", "pathname"), Output("url", "search"),
        Output("map", "figure"), Output("map", "clickData"),
        Output("map-heading", "children"), Output("source-line", "children"),
        Output("breadcrumbs", "children"),
        Output("indicator", "value"), Output("year", "value"), Output("division", "value"),
        Output("division-box", "style"), Output("map-notice", "children"),
        Input("url", "pathname"), Input("url", "search"), Input("map", "clickData"),
        Input("indicator", "value"), Input("year", "value"), Input("division", "value"),
    )
    def navigate(pathname, search, click, indicator, year, division):
        trigger = callback_context.triggered_id
        state = routes.parse(pathname, search)
        from_url = trigger in (None, "url")
        if trigger == "map":
            point = (click or {}).get("points", [{}])[0]
            code = point.get("location")
            if not code or code not in warehouse.areas.index or warehouse.areas.at[code, "is_water"]:
                return (no_update,) * 12
            target = routes.drill_down(state, code)
            if target is None or not warehouse.view_exists(target.level, target.parent):
                return (*(no_update,) * 11, t("map.no_deeper", state.lang, area=warehouse.areas.at[code, "name"]))
            state = target
        elif trigger == "indicator" and indicator and not str(indicator).startswith("theme:"):
            state = replace(state, indicator=indicator)
        elif trigger == "year" and year:
            state = replace(state, year=int(year))
        elif trigger == "division" and division and state.parent == LAND_CODE:
            state = replace(state, level=division)
        state = resolve_state(warehouse, state)
        try:
            fig, heading, source = map_view(warehouse, state, scope_of_request())
            crumbs = breadcrumbs(warehouse, state)
        except (NotFound, AccessDenied) as err:
            message = t("error.not_found", state.lang, detail=str(err))
            fig, heading, source, crumbs = empty_figure(message), message, "", []
        new_path, new_search = routes.path(state), routes.search(state)
        url_out = (no_update, no_update) if from_url and (pathname, search) == (new_path, new_search) \
            else (new_path, new_search)
        division_style = {} if state.parent == LAND_CODE else {"display": "none"}
        return (*url_out, fig, None, heading, source, crumbs,
                state.indicator, state.year, state.level if state.parent == LAND_CODE else no_update,
                division_style, "")

    @app.callback(
        Output("app-subtitle", "children"), Output("dataset-badge", "children"),
        Output("indicator-label", "children"), Output("year-label", "children"),
        Output("division-label", "children"), Output("map-help", "children"),
        Output("indicator", "options"), Output("division", "options"),
        Output("lang-link", "children"), Output("lang-link", "href"), Output("dataset-line", "children"),
        Input("url", "pathname"), Input("url", "search"),
    )
    def translate(pathname, search):
        state = routes.parse(pathname, search)
        lang = state.lang
        other = "en" if lang == "nl" else "nl"
        demo = warehouse.meta.get("kind") == "demo"
        return (
            t("app.subtitle", lang), t("dataset.demo", lang) if demo else t("dataset.real", lang),
            t("control.indicator", lang), t("control.year", lang), t("control.division", lang),
            t("map.help", lang), indicator_options(warehouse.catalog, lang),
            [{"label": t(f"level.{v}", lang), "value": v} for v in ("regio", "gemeente")],
            t("lang.switch", lang), routes.href(replace(state, lang=other)), dataset_line(warehouse, lang),
        )
