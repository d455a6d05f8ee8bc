"""Callbacks for what is shown about areas rather than the map: the ranked list of its areas,
the profile panel, the comparison and the gemeente page. Each follows the URL only; the
panels' own links change it.
"""

from __future__ import annotations

from dataclasses import replace

from dash import MATCH, ClientsideFunction, Input, Output, State, html, no_update

from dashboard import routes
from dashboard.gemeente import SEARCH_BOX, SEARCH_RESULTS, gemeente_not_shown, gemeente_page, search_results
from dashboard.layout import HIDDEN
from dashboard.panels import area_list, area_list_title, compare_panel, profile_panel
from dashboard.views import error_text, map_view, resolve_state
from dashboard.signin import Gate
from data_pipeline.warehouse import AccessDenied, NotFound, Warehouse


def _made_or_error(make, warehouse: Warehouse, state: routes.MapState, gate: Gate, action: str,
                   instead=None) -> tuple[list, dict]:
    """A panel's children made by ``make`` (shown), or why it cannot be shown: the message, or
    what ``instead(warehouse, state, error)`` makes; in the audit trail either way."""
    try:
        children = make(warehouse, state, gate.scope())
    except (NotFound, AccessDenied) as err:
        gate.record(action, routes.url(state), "denied" if isinstance(err, AccessDenied) else "failed")
        if instead is not None:
            return instead(warehouse, state, err), {}
        return [html.P(error_text(err, state), className="notice")], {}
    gate.record(action, routes.url(state))
    return children, {}


def profile_output(warehouse: Warehouse, pathname: str | None, search: str | None, gate: Gate):
    """The profile panel's children and style for a URL (hidden when no area is selected)."""
    state = resolve_state(warehouse, routes.parse(pathname, search))
    if state.page != "kaart" or not state.area:
        return [], HIDDEN
    return _made_or_error(profile_panel, warehouse, state, gate, "profile")


def area_list_output(warehouse: Warehouse, pathname: str | None, search: str | None, drawn: str | None,
                     gate: Gate):
    """The title, rows and key of the ranked list of the map's areas for a URL; nothing new
    when the list drawn (``drawn``: its key) already shows that map, as after a click that
    only opens a profile. The map's check of the viewer's scope applies: a view outside it
    lists nothing, and says why."""
    state = resolve_state(warehouse, routes.parse(pathname, search))
    key = routes.url(replace(state, area=None))   # what its links keep (the comparison, say)
    if state.page != "kaart" or key == drawn:
        return no_update, no_update, no_update
    try:
        view = map_view(warehouse, state, gate.scope())
    except (NotFound, AccessDenied) as err:
        return error_text(err, state), None, key
    return area_list_title(state, view), area_list(warehouse, state, view, gate.scope()), key


def compare_output(warehouse: Warehouse, pathname: str | None, search: str | None, gate: Gate):
    """The comparison's children and style for a URL (hidden when nothing is compared)."""
    state = resolve_state(warehouse, routes.parse(pathname, search))
    if state.page != "kaart" or not state.compare:
        return [], HIDDEN
    return _made_or_error(compare_panel, warehouse, state, gate, "comparison")


def page_output(warehouse: Warehouse, state: routes.MapState, gate: Gate) -> list:
    """The gemeente page's children: the page, or for an address that names no gemeente (or one
    the viewer may not see) why, with close matches, the search and the way back."""
    children, _ = _made_or_error(gemeente_page, warehouse, state, gate, "gemeente page", instead=gemeente_not_shown)
    return children


def _unless_already_hidden(result: tuple[list, dict], style: dict | None):
    """A panel that stays hidden is left alone, so a map click costs the browser nothing here."""
    children, new_style = result
    if new_style == HIDDEN and style == HIDDEN:
        return no_update, no_update
    return children, new_style


def register(app, warehouse: Warehouse, gate: Gate) -> None:
    @app.callback(Output("profile", "children"), Output("profile", "style"),
                  Input("url", "pathname"), Input("url", "search"), State("profile", "style"))
    def profile(pathname, search, style):
        return _unless_already_hidden(profile_output(warehouse, pathname, search, gate), style)

    @app.callback(Output("area-list-title", "children"), Output("area-list-rows", "data"),
                  Output("area-list-key", "data"), Input("url", "pathname"), Input("url", "search"),
                  State("area-list-key", "data"))
    def areas_listed(pathname, search, drawn):
        return area_list_output(warehouse, pathname, search, drawn, gate)

    # The browser draws the list in the chosen order, the selected area marked (assets/areas.js).
    app.clientside_callback(ClientsideFunction("ondermijning", "drawAreaList"),
                            Output("area-list-body", "title"), Input("area-list-rows", "data"),
                            Input("area-order", "value"), Input("url", "search"))

    @app.callback(Output("compare", "children"), Output("compare", "style"),
                  Input("url", "pathname"), Input("url", "search"), State("compare", "style"))
    def compare(pathname, search, style):
        return _unless_already_hidden(compare_output(warehouse, pathname, search, gate), style)

    @app.callback(Output("gemeente-page", "children"), Output("gemeente-page", "style"),
                  Output("own-page", "style"), Output("map-page", "style"),
                  Input("url", "pathname"), Input("url", "search"), State("gemeente-page", "style"),
                  State("own-page", "style"))
    def page(pathname, search, gemeente_style, own_style):
        """Which page the URL opens: the map, a gemeente's page (made here) or the own-data page."""
        state = routes.parse(pathname, search)
        if state.page == "gemeente":
            return page_output(warehouse, state, gate), {}, HIDDEN, HIDDEN
        if state.page == "eigen":
            return [], HIDDEN, {}, HIDDEN
        if gemeente_style == HIDDEN and own_style == HIDDEN:
            return no_update, no_update, no_update, no_update
        return [], HIDDEN, HIDDEN, {}

    # (pattern-matching ids: the search is part of the page the callback above makes)
    @app.callback(Output({**SEARCH_RESULTS, "page": MATCH}, "children"), Input({**SEARCH_BOX, "page": MATCH}, "value"),
                  State("url", "search"), prevent_initial_call=True)
    def page_search(text, search):
        return search_results(warehouse, text, routes.parse(None, search))
