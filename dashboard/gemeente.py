"""The gemeente page for municipal policymakers: ``/gemeente/<code>``.

Plain language, no method controls. From the top: the way back to the map and a search for
another gemeente; key figures at a glance (a tile per theme: the value, how it compares, its
trend); where the gemeente stands out against comparable gemeenten, unfavourable first; the
gemeente within its RIEC region and its wijken on two maps with one colour scale; and every
indicator explained with its value beside comparable gemeenten and the Netherlands. Every
choice on the page (year, the topic on the maps) is a link, so the page is a stable, shareable
URL. An address that names no gemeente gets a message, the gemeenten closest to what it asked
for and the search, never a dead end.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from difflib import get_close_matches
from os.path import commonprefix

import pandas as pd
from dash import dcc, html

from dashboard import routes
from dashboard.formatting import format_number, format_percent, format_value
from dashboard.i18n import t
from dashboard.layout import GRAPH_CONFIG, legend
from dashboard.panels import report_links
from dashboard.look import LINK, heading
from dashboard.views import MapView, area_name, map_view, resolve_state, search_options, source_line
from data_pipeline.analysis import against_reference, area_profile, standouts, trends
from data_pipeline.search import normalise
from data_pipeline.warehouse import AccessDenied, NotFound, Scope, Warehouse
from geodata.codes import level_of
from indicators.catalog import Catalog, Indicator
from indicators.classify import Classes
from indicators.composite import eligible_indicators

PAGE_MAP_CONFIG = {**GRAPH_CONFIG, "displayModeBar": False, "scrollZoom": False}
#: Standouts per side: at most this many unfavourable ones, then at most this many favourable.
N_STANDOUTS = 3
N_SUGGESTIONS = 5
N_SEARCH_RESULTS = 8
#: The search box and its list of results (pattern-matching ids: the page is made by a callback).
SEARCH_BOX = {"type": "page-search", "page": "gemeente"}
SEARCH_RESULTS = {"type": "page-search-results", "page": "gemeente"}
ARROWS = {"up": "↑", "down": "↓", "level": "→"}


# --------------------------------------------------------------------------- key figures


@dataclass(frozen=True)
class Trend:
    """An indicator's move since the latest earlier year with a shown value.

    ``change`` is ``"up"``, ``"down"`` or ``"level"`` (both years show the same number at the
    indicator's decimals); ``judgement`` is ``"worse"`` or ``"better"`` by the indicator's
    direction, None when level or for an indicator without a direction."""

    change: str
    since: int
    was: float
    judgement: str | None


def trend(values: pd.Series, year: int, direction: str, decimals: int) -> Trend | None:
    """The trend of one indicator in ``year``: ``values`` are its shown values by year (NaN where
    not shown). None when ``year`` has no shown value or no earlier year has one.

    >>> trend(pd.Series({2022: 4.0, 2023: float("nan"), 2024: 5.0}), 2024, "higher_is_worse", 1)
    Trend(change='up', since=2022, was=4.0, judgement='worse')
    >>> trend(pd.Series({2023: 4.04, 2024: 4.01}), 2024, "higher_is_better", 1).change
    'level'
    """
    shown = values.dropna()
    earlier = shown[shown.index < year]
    if year not in shown.index or earlier.empty:
        return None
    since = int(earlier.index.max())
    now, was = round(float(shown[year]), decimals), round(float(earlier[since]), decimals)
    change = "level" if now == was else "up" if now > was else "down"
    bad = {"higher_is_worse": "up", "higher_is_better": "down"}.get(direction)
    judgement = None if change == "level" or bad is None else "worse" if change == bad else "better"
    return Trend(change, since, float(earlier[since]), judgement)


@dataclass(frozen=True)
class KeyFigure:
    """One tile: an indicator's value, its comparison (:func:`~data_pipeline.analysis.against_reference`)
    and its trend."""

    indicator: Indicator
    status: str
    value: float
    reference: str
    reference_value: float
    ratio: float
    worse: bool
    trend: Trend | None


def tile_indicators(catalog: Catalog) -> list[Indicator]:
    """The indicators of the tiles: per theme (in catalog order), its first indicator that can
    signal anything (:func:`~indicators.composite.eligible_indicators`).

    A fixed set rather than the indicators of the standouts: every gemeente page shows the same
    figures in the same places, so two pages can be read side by side, and every theme is seen
    whether the gemeente does well on it or not. Where this gemeente differs most is what the
    standouts below the tiles say."""
    first: dict[str, Indicator] = {}
    for ind in eligible_indicators(catalog.indicators):
        first.setdefault(ind.theme, ind)
    return [first[theme] for theme in catalog.themes if theme in first]


def key_figures(warehouse: Warehouse, code: str, year: int, scope: Scope) -> list[KeyFigure]:
    """The tiles of a gemeente in ``year``, one per :func:`tile_indicators`."""
    indicators = tile_indicators(warehouse.catalog)
    ids = [i.id for i in indicators]
    profile = area_profile(warehouse, code, year, ids, scope)
    compared = against_reference(warehouse.catalog, profile)
    history = trends(warehouse, [code], ids, scope).pivot(index="year", columns="indicator", values="value")
    return [KeyFigure(ind, status, row.value, row.reference, row.reference_value, row.ratio, bool(row.worse),
                      trend(history[ind.id], year, ind.direction, ind.decimals))
            for ind, status, row in zip(indicators, profile["status"], compared.itertuples(index=False))]


# --------------------------------------------------------------------------- words


def _about_the_same(ratio: float, lang: str) -> bool:
    """Whether a ratio reads as 0% higher or lower."""
    return format_percent(abs(ratio - 1), lang=lang) == format_percent(0, lang=lang)


def comparison(ratio: float, reference: str, lang: str) -> str:
    """'2,1 keer zo hoog als in vergelijkbare gemeenten', '35% lager dan in Nederland'."""
    where = t(f"page.ref_{reference}", lang)
    if ratio == 0:
        return t("page.zero", lang, where=where)
    if _about_the_same(ratio, lang):
        return t("page.same", lang, where=where)
    if ratio >= 1.95:
        return t("page.times", lang, x=format_number(ratio, 1, lang=lang), where=where)
    if ratio >= 1:
        return t("page.higher", lang, pct=format_percent(ratio - 1, lang=lang), where=where)
    return t("page.lower", lang, pct=format_percent(1 - ratio, lang=lang), where=where)


def _verdict(worse: bool, lang: str) -> html.Span:
    """The word that says what a colour also says: a point of attention, or favourable."""
    return html.Span(t("page.worse", lang) if worse else t("page.better", lang),
                     className="tag worse" if worse else "tag")


def trend_words(trend_: Trend | None, decimals: int, lang: str) -> str:
    """'gestegen sinds 2023 (toen 11,2): een ongunstige ontwikkeling' (the tile and the report)."""
    if trend_ is None:
        return t("page.trend_none", lang)
    words = t(f"page.trend_{trend_.change}", lang, since=trend_.since,
              was=format_number(trend_.was, decimals, lang=lang))
    if trend_.judgement:
        words += ": " + t(f"page.trend_{trend_.judgement}", lang)
    return words


def _trend_line(trend_: Trend | None, decimals: int, lang: str) -> list:
    """'↑ gestegen sinds 2023 (toen 11,2): een ongunstige ontwikkeling'; the arrow is decoration,
    the words say it all."""
    if trend_ is None:
        return [trend_words(None, decimals, lang)]
    return [html.Span(ARROWS[trend_.change], className="arrow", **{"aria-hidden": "true"}), " ",
            trend_words(trend_, decimals, lang)]


def _tile(figure: KeyFigure, lang: str) -> html.Li:
    ind = figure.indicator
    if figure.status == "ok":
        value = [html.Span(format_number(figure.value, ind.decimals, lang=lang), className="tile-number"), " ",
                 ind.unit(lang)]
    else:
        value = [t(f"table.status.{figure.status}", lang)]
    if pd.isna(figure.ratio):
        compared = [t("page.no_comparison", lang)]
        side = ""
    else:
        compared = [comparison(figure.ratio, figure.reference, lang),
                    f" ({format_number(figure.reference_value, ind.decimals, lang=lang)})"]
        side = "" if _about_the_same(figure.ratio, lang) else "worse" if figure.worse else "better"
        compared += [" ", _verdict(figure.worse, lang)] if side else []
    return html.Li(className=f"tile {side}".strip(), **{"data-indicator": ind.id}, children=[
        html.H4(ind.label(lang)),
        html.P(value, className="tile-value"),
        html.P(compared, className="tile-compare"),
        html.P(_trend_line(figure.trend, ind.decimals, lang), className="tile-trend"),
    ])


def _key_figures(warehouse: Warehouse, state: routes.MapState, scope: Scope) -> html.Section:
    lang = state.lang
    tiles = [_tile(figure, lang) for figure in key_figures(warehouse, state.parent, state.year, scope)]
    return html.Section(id="kerncijfers", children=[
        html.H3(t("page.glance", lang, year=state.year), className=heading(3)),
        html.P(t("page.glance_help", lang), className="help"),
        html.Ul(tiles, className="tiles"),
    ])


# --------------------------------------------------------------------------- way back and search


def _gemeente_link(warehouse: Warehouse, state: routes.MapState, code: str) -> dcc.Link:
    return dcc.Link(f"{warehouse.name(code)} ({code})", href=routes.href(routes.gemeente_page(state, code)))


def _page_bar(state: routes.MapState, back: str, back_text: str) -> html.Div:
    """The way back to a map and the search for a gemeente, whose results are links."""
    return html.Div(className="page-bar", children=[
        dcc.Link(back_text, href=back, id="page-to-map", className=f"back {LINK}"),
        html.Div(className="page-search", role="search", children=[
            html.Label([t("page.search_label", state.lang),
                        dcc.Input(id=SEARCH_BOX, type="search", autoComplete="off", className="page-search-box")]),
            html.Ul(id=SEARCH_RESULTS, className="page-search-results", **{"aria-live": "polite"}),
        ]),
    ])


def search_results(warehouse: Warehouse, text: object, state: routes.MapState) -> list:
    """Links to the pages of the gemeenten a search for ``text`` finds, in the language and
    year of ``state`` (nothing for fewer than two characters)."""
    if not isinstance(text, str) or len(text.strip()) < 2:
        return []
    options = search_options(warehouse, text[:routes.MAX_TEXT], state.lang, N_SEARCH_RESULTS, levels=("gemeente",))
    if not options:
        return [html.Li(t("page.search_none", state.lang))]
    return [html.Li(dcc.Link(o["label"], href=routes.href(routes.gemeente_page(state, o["value"]))))
            for o in options]


def close_gemeenten(warehouse: Warehouse, asked: str, n: int = N_SUGGESTIONS) -> list[str]:
    """At most ``n`` gemeenten for a page address that names none: for the code of a wijk or
    buurt its gemeente, for a region's its gemeenten; else those whose code, then whose name, is
    closest to ``asked`` (difflib).

    ``asked`` is what a ``/gemeente/<code>`` address held, validated and bounded by
    :func:`dashboard.routes.parse` (2 to 12 letters and digits)."""
    gemeenten = warehouse.areas_frame(["gemeente"]).query("~is_water")
    around = [c for c in warehouse.lineage(asked) if level_of(c) == "gemeente"]
    around += gemeenten.loc[gemeenten["regio_code"] == asked, "code"].tolist()
    by_code = get_close_matches(asked.upper(), gemeenten["code"].tolist(), n, cutoff=0.75)
    by_code.sort(key=lambda code: -len(commonprefix([code, asked.upper()])))   # GM0180: GM0181 before GM1870
    names = dict(zip(gemeenten["name"].map(normalise), gemeenten["code"]))
    by_name = [names[name] for name in get_close_matches(normalise(asked), list(names), n, cutoff=0.6)]
    found = around + by_code + by_name
    return list(dict.fromkeys(found))[:n]


def gemeente_not_shown(warehouse: Warehouse, state: routes.MapState, err: Exception) -> list:
    """Instead of the page of a gemeente that does not exist (or the viewer may not see): why,
    the gemeenten closest to what the address asked for, the search and the way back."""
    lang = state.lang
    if isinstance(err, AccessDenied):
        message, close = t("error.no_access", lang), []
    elif state.parent == "?":   # the address held no code at all (routes.parse)
        message, close = t("page.invalid", lang), []
    else:
        message, close = t("page.unknown", lang, code=state.parent), close_gemeenten(warehouse, state.parent)
    suggestions = [html.H3(t("page.suggestions", lang), className=heading(3)),
                   html.Ul([html.Li(_gemeente_link(warehouse, state, code)) for code in close],
                           id="page-suggestions")] if close else []
    return [
        _page_bar(state, routes.href(routes.MapState(lang=lang)), t("page.to_national", lang)),
        html.H2(message, id="page-title", className=heading(2)),
        html.P(t("page.not_shown_help", lang), className="intro"),
        *suggestions,
    ]


# --------------------------------------------------------------------------- the page


def _topic_link(state: routes.MapState, indicator: str, lang: str):
    """A link that puts the topic on the page's maps (a note when it is already there)."""
    if indicator == state.indicator:
        return html.Span(t("page.on_map_current", lang), className="topic-link current")
    return dcc.Link(t("page.on_map", lang), href=routes.href(replace(state, indicator=indicator)),
                    className=f"topic-link {LINK}")


def _standout(warehouse: Warehouse, state: routes.MapState, row) -> html.Li:
    """One row of :func:`data_pipeline.analysis.standouts` in words."""
    lang, ind = state.lang, warehouse.catalog.get(row.indicator)
    return html.Li([
        html.Div([html.Strong(ind.label(lang)), ": ",
                  format_value(row.value, ind.unit(lang), ind.decimals, lang=lang), ", ",
                  comparison(row.ratio, row.reference, lang),
                  f" ({format_number(row.reference_value, ind.decimals, lang=lang)}). ",
                  _verdict(row.worse, lang)]),
        html.P(ind.explanation(lang), className="explain"),
        _topic_link(state, ind.id, lang),
    ], **{"data-indicator": ind.id})


def _standouts(warehouse: Warehouse, state: routes.MapState, rows: pd.DataFrame) -> html.Section:
    """The standouts under two headings: unfavourable first, then favourable."""
    lang = state.lang
    name = area_name(warehouse, state.parent, lang)
    if rows.empty:
        sides = [html.P(t("page.no_standouts", lang))]
    else:
        sides = []
        for side, of_side in (("worse", rows[rows["worse"]]), ("better", rows[~rows["worse"]])):
            items = [_standout(warehouse, state, row) for row in of_side.itertuples(index=False)]
            sides.append(html.Div([
                html.H4(t(f"page.side_{side}", lang)),
                html.Ol(items, className="standouts") if items else html.P(t(f"page.none_{side}", lang, name=name)),
            ], className=f"standouts-side {side}", **{"data-side": side}))
    return html.Section([html.H3(t("page.standouts", lang, name=name), className=heading(3)),
                         html.P(t("page.standouts_help", lang), className="help"), *sides])


def _map_panel(graph_id: str, title: str, view: MapView, scale: str) -> html.Div:
    """A map of the page with its legend, which says in words which classes its colours are."""
    view.figure.update_layout(height=420)
    return html.Div([
        html.H4(title),
        dcc.Graph(figure=view.figure, config=PAGE_MAP_CONFIG, id=graph_id, className="map"),
        html.Div([*legend(view.legend, view.legend_title),
                  html.P(" ".join(filter(None, [scale, view.notice])), className="legend-note")],
                 className="legend", id=f"{graph_id}-legend"),
    ], className="page-map")


def _visible_map(warehouse: Warehouse, state: routes.MapState, scope: Scope,
                 classes: Classes | None = None) -> MapView | None:
    """A map of the page, or None for a viewer who may see the gemeente but not its wijken."""
    try:
        return map_view(warehouse, state, scope, classes)
    except AccessDenied:
        return None


def _maps(warehouse: Warehouse, state: routes.MapState, scope: Scope) -> html.Section:
    """The gemeente among the gemeenten of its region, and its own wijken, for one topic, on
    one scale: the wijken are drawn in the region map's classes (a wijk beyond them in an end
    class, and its legend counts those), so a colour means the same number on both maps. Should
    the region map have no classes, the wijken get classes of their own, and their legend says so."""
    lang, code = state.lang, state.parent
    name, regio = area_name(warehouse, code, lang), warehouse.area(code).regio_code
    regio_name = area_name(warehouse, regio, lang)
    plain = replace(state, page="kaart", mode="waarde", classes="kwantielen", k=5, breaks=(), extent=())
    region = _visible_map(warehouse, replace(plain, level="gemeente", parent=regio, area=code), scope)
    shared = region.classes if region is not None and region.classes.k else None
    wijken = _visible_map(warehouse, replace(plain, level="wijk", area=None), scope, shared)
    panels = []
    if region is not None:
        panels.append(_map_panel("page-map-region", t("page.map_region", lang, name=name, regio=regio_name), region,
                                 t("page.scale_region", lang, regio=regio_name)))
    if wijken is not None:
        scale = (t("page.scale_shared", lang, regio=regio_name) if shared
                 else t("page.scale_own", lang, name=name, regio=regio_name))
        panels.append(_map_panel("page-map-wijken", t("page.map_wijken", lang, name=name), wijken, scale))
    ind = warehouse.catalog.get(state.indicator)
    return html.Section(id="kaarten", children=[
        html.H3(t("page.maps", lang, indicator=ind.label(lang), year=state.year), className=heading(3)),
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
    return html.Section([html.H3(t("page.all_topics", lang), className=heading(3)), *groups])


def _years(warehouse: Warehouse, state: routes.MapState) -> html.Nav:
    items = []
    for year in warehouse.years:
        if year == state.year:
            items.append(html.Strong(str(year), className="year current", **{"aria-current": "page"}))
        else:
            items.append(dcc.Link(str(year), href=routes.href(replace(state, year=year)), className=f"year {LINK}"))
    return html.Nav([html.Span(t("control.year", state.lang) + ": "), *items], className="years", id="page-years")


def _report_line(links: list, lang: str) -> list:
    """'Het ondermijningsbeeld als document: PDF Word' (nothing without links)."""
    return [html.P([t("report.links", lang), " ", *[part for link in links for part in (link, " ")]],
                   className="report-links")] if links else []


def gemeente_page(warehouse: Warehouse, state: routes.MapState, scope: Scope) -> list:
    """The page of gemeente ``state.parent`` as the URL asks for it (raises NotFound for
    anything but a gemeente). Without a topic in the URL the maps show the indicator on which
    the gemeente stands out most, unfavourable before favourable."""
    code = state.parent
    if not warehouse.has_area(code) or warehouse.area(code).level != "gemeente":
        raise NotFound(f"{code} is not a gemeente")
    regio = warehouse.visible_area(code, scope).regio_code
    asked = state.indicator
    state = resolve_state(warehouse, state)
    lang = state.lang
    candidates = eligible_indicators(warehouse.catalog.indicators)
    top = standouts(warehouse, code, state.year, scope, n=N_STANDOUTS, per_side=True)
    if state.indicator != asked or warehouse.catalog.get(state.indicator) not in candidates:
        state = replace(state, indicator=top["indicator"].iloc[0] if len(top) else candidates[0].id)
    return [
        _page_bar(state, routes.href(routes.map_of(state)), t("page.to_map", lang)),
        html.H2(t("page.title", lang, name=area_name(warehouse, code, lang)), id="page-title", className=heading(2)),
        html.P(t("page.place", lang, regio=area_name(warehouse, regio, lang), code=code), className="subtitle"),
        _years(warehouse, state),
        *_report_line(report_links(warehouse, code, state, scope, "page-report"), lang),
        _key_figures(warehouse, state, scope),
        html.P(t("page.intro", lang), className="intro"),
        _standouts(warehouse, state, top),
        _maps(warehouse, state, scope),
        _all_topics(warehouse, state, scope),
        html.P(t("score.caveat", lang), className="caveat"),
    ]
