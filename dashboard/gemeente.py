"""The gemeente page for municipal policymakers: ``/gemeente/<code>``.

Plain language, no method controls: where the gemeente stands out most against comparable
gemeenten, the gemeente within its RIEC region and its wijken on a map, and every indicator
explained with its value beside comparable gemeenten and the Netherlands. Every choice on the
page (year, the topic on the maps) is a link, so the page is a stable, shareable URL.
"""

from __future__ import annotations

from dataclasses import replace

from dash import dcc, html

from dashboard import routes
from dashboard.formatting import format_number, format_percent, format_value
from dashboard.i18n import t
from dashboard.layout import GRAPH_CONFIG, legend
from dashboard.views import area_name, map_view, resolve_state, source_line
from data_pipeline.analysis import area_profile, standouts
from data_pipeline.warehouse import AccessDenied, NotFound, Scope, Warehouse
from indicators.composite import eligible_indicators

PAGE_MAP_CONFIG = {**GRAPH_CONFIG, "displayModeBar": False, "scrollZoom": False}
N_STANDOUTS = 5


def _comparison(ratio: float, reference: str, lang: str) -> str:
    """'2,1 keer zo hoog als in vergelijkbare gemeenten', '35% lager dan in Nederland'."""
    where = t(f"page.ref_{reference}", lang)
    if ratio == 0:
        return t("page.zero", lang, where=where)
    if ratio >= 1.95:
        return t("page.times", lang, x=format_number(ratio, 1, lang=lang), where=where)
    if ratio >= 1:
        return t("page.higher", lang, pct=format_percent(ratio - 1, lang=lang), where=where)
    return t("page.lower", lang, pct=format_percent(1 - ratio, lang=lang), where=where)


def _topic_link(state: routes.MapState, indicator: str, lang: str):
    """A link that puts the topic on the page's maps (a note when it is already there)."""
    if indicator == state.indicator:
        return html.Span(t("page.on_map_current", lang), className="topic-link current")
    return dcc.Link(t("page.on_map", lang), href=routes.href(replace(state, indicator=indicator)),
                    className="topic-link")


def _standouts(warehouse: Warehouse, state: routes.MapState, rows) -> html.Section:
    """The gemeente's standouts (rows of :func:`data_pipeline.analysis.standouts`) in words."""
    lang, code = state.lang, state.parent
    items = []
    for row in rows.itertuples(index=False):
        ind = warehouse.catalog.get(row.indicator)
        items.append(html.Li([
            html.Div([html.Strong(ind.label(lang)), ": ",
                      format_value(row.value, ind.unit(lang), ind.decimals, lang=lang), ", ",
                      _comparison(row.ratio, row.reference, lang),
                      f" ({format_number(row.reference_value, ind.decimals, lang=lang)}). ",
                      html.Span(t("page.worse", lang) if row.worse else t("page.better", lang),
                                className="tag worse" if row.worse else "tag")]),
            html.P(ind.explanation(lang), className="explain"),
            _topic_link(state, ind.id, lang),
        ], **{"data-indicator": ind.id}))
    body = html.Ol(items, className="standouts") if items else html.P(t("page.no_standouts", lang))
    return html.Section([html.H3(t("page.standouts", lang, name=area_name(warehouse, code, lang))),
                         html.P(t("page.standouts_help", lang), className="help"), body])


def _maps(warehouse: Warehouse, state: routes.MapState, scope: Scope) -> html.Section:
    """The gemeente among the gemeenten of its region, and its own wijken, for one topic."""
    lang, code = state.lang, state.parent
    name, regio = area_name(warehouse, code, lang), warehouse.area(code).regio_code
    maps = (("page-map-region", t("page.map_region", lang, name=name, regio=area_name(warehouse, regio, lang)),
             replace(state, level="gemeente", parent=regio, area=code)),
            ("page-map-wijken", t("page.map_wijken", lang, name=name), replace(state, level="wijk", area=None)))
    panels = []
    for graph_id, title, view_state in maps:
        plain = replace(view_state, page="kaart", mode="waarde", classes="kwantielen", k=5, breaks=(), extent=())
        try:
            view = map_view(warehouse, plain, scope)
        except AccessDenied:   # a viewer who may see the gemeente but not its whole region
            continue
        view.figure.update_layout(height=420)
        panels.append(html.Div([
            html.H4(title),
            dcc.Graph(figure=view.figure, config=PAGE_MAP_CONFIG, id=graph_id, className="map"),
            html.Div(legend(view.legend, view.legend_title), className="legend"),
        ], className="page-map"))
    ind = warehouse.catalog.get(state.indicator)
    return html.Section(id="kaarten", children=[
        html.H3(t("page.maps", lang, indicator=ind.label(lang), year=state.year)),
        html.P(ind.explanation(lang), className="explain"),
        html.Div(panels, className="page-maps"),
        html.P(source_line(warehouse, state.indicator, lang), className="source"),
    ])


def _all_topics(warehouse: Warehouse, state: routes.MapState, scope: Scope) -> html.Section:
    lang, code = state.lang, state.parent
    indicators = eligible_indicators(warehouse.catalog.indicators)
    profile = area_profile(warehouse, code, state.year, [i.id for i in indicators], scope).set_index("indicator")
    groups, theme = [], None
    for ind in indicators:
        if ind.theme != theme:
            theme = ind.theme
            groups.append(html.H4(warehouse.catalog.themes[theme][lang]))
        row = profile.loc[ind.id]
        shown = row["status"] == "ok"
        value = (format_value(row["value"], ind.unit(lang), ind.decimals, lang=lang) if shown
                 else t(f"table.status.{row['status']}", lang))
        facts = t("page.facts", lang, value=value,
                  peers=format_number(row["peer_value"], ind.decimals, lang=lang),
                  nl=format_number(row["nl_value"], ind.decimals, lang=lang))
        groups.append(html.Div([
            html.Div([html.Strong(ind.label(lang)), " — ", facts], className="topic-facts"),
            html.P(ind.explanation(lang), className="explain"),
            _topic_link(state, ind.id, lang),
        ], className="topic", **{"data-indicator": ind.id}))
    return html.Section([html.H3(t("page.all_topics", lang)), *groups])


def _years(warehouse: Warehouse, state: routes.MapState) -> html.Nav:
    items = []
    for year in warehouse.years:
        if year == state.year:
            items.append(html.Strong(str(year), className="year current", **{"aria-current": "page"}))
        else:
            items.append(dcc.Link(str(year), href=routes.href(replace(state, year=year)), className="year"))
    return html.Nav([html.Span(t("control.year", state.lang) + ": "), *items], className="years", id="page-years")


def gemeente_page(warehouse: Warehouse, state: routes.MapState, scope: Scope) -> list:
    """The page of gemeente ``state.parent`` as the URL asks for it (raises NotFound for
    anything but a gemeente). Without a topic in the URL the maps show the indicator on which
    the gemeente stands out most."""
    code = state.parent
    if not warehouse.has_area(code) or warehouse.area(code).level != "gemeente":
        raise NotFound(f"{code} is not a gemeente")
    regio = warehouse.visible_area(code, scope).regio_code
    asked = state.indicator
    state = resolve_state(warehouse, state)
    lang = state.lang
    candidates = eligible_indicators(warehouse.catalog.indicators)
    top = standouts(warehouse, code, state.year, scope, n=N_STANDOUTS)
    if state.indicator != asked or warehouse.catalog.get(state.indicator) not in candidates:
        state = replace(state, indicator=top["indicator"].iloc[0] if len(top) else candidates[0].id)
    return [
        dcc.Link(t("page.to_map", lang), href=routes.href(routes.map_of(state)), id="page-to-map",
                 className="back"),
        html.H2(t("page.title", lang, name=area_name(warehouse, code, lang)), id="page-title"),
        html.P(t("page.place", lang, regio=area_name(warehouse, regio, lang), code=code), className="subtitle"),
        _years(warehouse, state),
        html.P(t("page.intro", lang), className="intro"),
        _standouts(warehouse, state, top),
        _maps(warehouse, state, scope),
        _all_topics(warehouse, state, scope),
        html.P(t("score.caveat", lang), className="caveat"),
    ]
