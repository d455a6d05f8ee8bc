"""Callbacks for what is shown about areas rather than the map: the profile panel, the
comparison and the gemeente page. Each follows the URL only; the panels' own links change it.
"""

from __future__ import annotations

from dash import Input, Output, State, html, no_update

from dashboard import routes
from dashboard.gemeente import gemeente_page
from dashboard.layout import HIDDEN
from dashboard.panels import compare_panel, profile_panel
from dashboard.views import error_text, resolve_state
from dashboard.signin import Gate
from data_pipeline.warehouse import AccessDenied, NotFound, Warehouse


def _made_or_error(make, warehouse: Warehouse, state: routes.MapState, gate: Gate, action: str) -> tuple[list, dict]:
    """A panel's children made by ``make`` (shown), or the message why it cannot be shown; in
    the audit trail either way."""
    try:
        children = make(warehouse, state, gate.scope())
    except (NotFound, AccessDenied) as err:
        gate.record(action, routes.url(state), "denied" if isinstance(err, AccessDenied) else "failed")
        return [html.P(error_text(err, state), className="notice")], {}
    gate.record(action, routes.url(state))
    return children, {}


def profile_output(warehouse: Warehouse, pathname: str | None, search: str | None, gate: Gate):
    """The profile panel's children and style for a URL (hidden when no area is selected)."""
    state = resolve_state(warehouse, routes.parse(pathname, search))
    if state.page != "kaart" or not state.area:
        return [], HIDDEN
    return _made_or_error(profile_panel, warehouse, state, gate, "profile")


def compare_output(warehouse: Warehouse, pathname: str | None, search: str | None, gate: Gate):
    """The comparison's children and style for a URL (hidden when nothing is compared)."""
    state = resolve_state(warehouse, routes.parse(pathname, search))
    if state.page != "kaart" or not state.compare:
        return [], HIDDEN
    return _made_or_error(compare_panel, warehouse, state, gate, "comparison")


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

    @app.callback(Output("compare", "children"), Output("compare", "style"),
                  Input("url", "pathname"), Input("url", "search"), State("compare", "style"))
    def compare(pathname, search, style):
        return _unless_already_hidden(compare_output(warehouse, pathname, search, gate), style)

    @app.callback(Output("gemeente-page", "children"), Output("gemeente-page", "style"),
                  Output("map-page", "style"), Input("url", "pathname"), Input("url", "search"),
                  State("gemeente-page", "style"))
    def page(pathname, search, style):
        state = routes.parse(pathname, search)
        if state.page != "gemeente":
            return (no_update, no_update, no_update) if style == HIDDEN else ([], HIDDEN, {})
        children, _ = _made_or_error(gemeente_page, warehouse, state, gate, "gemeente page")
        return children, {}, HIDDEN
