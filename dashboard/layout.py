"""The page skeleton. Content that depends on the URL is filled in by the callbacks.

Every fixed text carries the id ``{"type": "text", "key": <i18n key>}`` so that one callback
translates them all when the language changes.
"""

from __future__ import annotations

import json
from functools import cache

import dash_ag_grid as dag
from dash import dcc, html

from dashboard.formatting import format_decimal_input, format_number
from dashboard.i18n import LOCALE_DIR, t
from dashboard.look import BADGE, BUTTON, LABEL, LINK, heading
from dashboard.panels import AREA_ORDERS
from dashboard.routes import ALPHAS, DIVISIONS, MODES, OWN_PATH, TOPOJSON_URL
from dashboard.tables import DOWNLOADS
from data_pipeline.own_files import MAX_BYTES as MAX_UPLOAD_BYTES

#: Shown by a callback when needed; hidden from the start so that nothing shifts the map later.
HIDDEN = {"display": "none"}
#: The own-data page: the longest name of a layer or indicator, and the years it takes.
OWN_MAX_NAME = 80
OWN_YEARS = (1990, 2100)

GRAPH_CONFIG = {
    "topojsonURL": TOPOJSON_URL,  # plotly's world topojson comes from us, never from a CDN
    "displaylogo": False,
    "scrollZoom": False,   # the wheel scrolls the page; zoom with the buttons or Ctrl+wheel (assets/map.js)
    # no box or lasso select, and no "Share chart..." (an upload to Plotly Cloud)
    "modeBarButtonsToRemove": ["select2d", "lasso2d", "sendChartToCloud"],
    "toImageButtonOptions": {"format": "png", "scale": 2},
}


def graph_config(lang: str) -> dict:
    """The map's plotly config with its modebar in the page's language (plotly's bundled
    locales miss some of these titles, so they come from our own locale files)."""
    titles = {"Download plot as a PNG": t("modebar.png", lang), "Pan": t("modebar.pan", lang),
              "Zoom in": t("modebar.zoom_in", lang), "Zoom out": t("modebar.zoom_out", lang),
              "Reset": t("modebar.reset", lang)}
    return {**GRAPH_CONFIG, "locale": lang, "locales": {lang: {"dictionary": titles}}}


def text(key: str, tag=html.Span, lang: str = "nl", **props):
    """A fixed text in the current language, re-translated by the language callback."""
    return tag(t(key, lang), id={"type": "text", "key": key}, **props)


def indicator_options(catalog, lang: str) -> list[dict]:
    """Indicators grouped by theme: a disabled heading per theme, then its indicators."""
    options = []
    for theme, labels in catalog.themes.items():
        members = [i for i in catalog.indicators if i.theme == theme]
        if not members:
            continue
        options.append({"label": labels["en" if lang == "en" else "nl"].upper(), "value": f"theme:{theme}",
                        "disabled": True})
        options.extend({"label": "  " + i.label(lang), "value": i.id} for i in members)
    return options


def legend(entries: list[tuple[str, str]], title: str) -> list:
    """A map legend: title, then a swatch and label per (colour, label) entry."""
    return [html.Div(title, className="legend-title"),
            html.Ul([html.Li([html.Span(className="swatch", style={"background": colour}), label])
                     for colour, label in entries])]


def breadcrumb_items(trail: list[tuple[str, str | None]]) -> list:
    """The breadcrumbs of :func:`dashboard.views.crumbs`: links, then the current map."""
    items = []
    for name, href in trail:
        if href is None:
            items.append(html.Span(name, className="crumb current", **{"aria-current": "page"}))
        else:
            items += [dcc.Link(name, href=href, className=f"crumb {LINK}"), html.Span("›", className="crumb-sep")]
    return items


def choice_options(prefix: str, values, lang: str) -> list[dict]:
    return [{"label": t(f"{prefix}.{v}", lang), "value": v} for v in values]


def score_themes(catalog) -> list[str]:
    """Themes that have at least one indicator that can enter the composite score."""
    return [theme for theme in catalog.themes
            if any(i.theme == theme and i.direction != "neutral" and not i.is_count for i in catalog.indicators)]


DROPDOWN_LABELS = ("search", "clear_search", "clear_selection", "no_options_found")


#: The searchable dropdowns, whose own texts (search box, nothing found) follow the language.
SEARCHABLE = ("search", "indicator")


def dropdown_labels(lang: str) -> dict:
    """The texts Dash's Dropdown shows itself (English by default), in the page's language."""
    return {key: t(f"dropdown.{key}", lang) for key in DROPDOWN_LABELS}


def _control(label_key: str, component, wide: bool = False, **props):
    """A labelled control; ``for`` names a Dropdown's button (assets/a11y.js)."""
    return html.Label([text(label_key, className=LABEL), component], htmlFor=component.id,
                      className="control wide" if wide else "control", **props)


def _choices(label_key: str, component, **props):
    """A group of radio buttons or checkboxes, named by its legend."""
    return html.Fieldset([text(label_key, html.Legend, className=LABEL), component], className="control", **props)


def map_page(warehouse, lang: str = "nl") -> html.Div:
    """The analyst's map: search, controls, map with legend and exports, panels and table."""
    catalog = warehouse.catalog
    return html.Div(id="map-page", children=[
        html.Div(className="search", children=[
            text("search.label", html.Label, htmlFor="search", className="visually-hidden"),
            dcc.Dropdown(id="search", options=[], searchable=True, clearable=True,
                         placeholder=t("search.placeholder", lang), labels=dropdown_labels(lang)),
        ]),
        html.Nav(id="breadcrumbs", className="breadcrumbs", **{"aria-label": t("aria.breadcrumbs", lang)}),
        html.Div(className="controls", children=[
            _control("control.indicator", dcc.Dropdown(id="indicator", options=indicator_options(catalog, lang),
                                                       clearable=False, searchable=True,
                                                       labels=dropdown_labels(lang)), wide=True),
            _control("control.year", dcc.Dropdown(id="year", options=[{"label": str(y), "value": y}
                                                                      for y in warehouse.years],
                                                  clearable=False, searchable=False)),
            _choices("control.division", dcc.RadioItems(id="division", inline=True,
                                                        options=choice_options("level", DIVISIONS, lang)),
                     id="division-box"),
        ]),
        html.Div(className="controls", children=[
            _choices("control.mode", dcc.RadioItems(id="mode", inline=True, options=choice_options("mode", MODES, lang))),
            _control("control.since", dcc.Dropdown(id="since", clearable=False, searchable=False,
                                                   options=[{"label": str(y), "value": y} for y in warehouse.years]),
                     id="since-box", style=HIDDEN),
            html.Div(id="class-box", className="controls inner", children=[
                _control("control.classes", dcc.Dropdown(
                    id="class-method", clearable=False, searchable=False,
                    options=choice_options("classes", ("kwantielen", "gelijk", "natuurlijk", "handmatig"), lang))),
                _control("control.k", dcc.Dropdown(id="class-k", clearable=False, searchable=False,
                                                   options=[{"label": str(k), "value": k} for k in range(3, 10)])),
                _control("control.breaks", dcc.Input(id="class-breaks", type="text", debounce=True,
                                                      placeholder="10; 20; 30"), id="breaks-box"),
            ]),
        ]),
        html.Div(id="score-box", className="panel", children=[
            text("score.caveat", html.P, className="caveat"),
            html.Div(className="controls", children=[
                _choices("control.score_method", dcc.RadioItems(
                    id="score-method", inline=True, options=choice_options("score_method", ("z", "percentiel"), lang))),
                html.Div(className="control", children=[
                    dcc.Checklist(id="stabilise", options=[{"label": t("control.stabilise", lang), "value": "ja"}]),
                ]),
                *[html.Label(className="control weight", children=[
                    html.Span(catalog.themes[theme]["nl"], id={"type": "theme-label", "theme": theme}, className=LABEL),
                    dcc.Slider(id={"type": "weight", "theme": theme}, min=0, max=3, step=0.5, value=1,
                               marks={v: format_decimal_input(v) for v in (0, 1, 2, 3)}),
                ]) for theme in score_themes(catalog)],
            ]),
        ]),
        html.Div(id="hotspot-box", className="panel", children=[
            html.Div(className="controls", children=[
                _choices("control.hotspot_method", dcc.RadioItems(
                    id="hotspot-method", inline=True, options=choice_options("hotspot", ("gi", "moran"), lang))),
                _control("control.alpha", dcc.Dropdown(
                    id="hotspot-alpha", clearable=False, searchable=False,
                    options=[{"label": format_number(a, 2, lang=lang), "value": a} for a in ALPHAS])),
            ]),
            text("hotspot.note", html.P, className="help"),
        ]),
        html.H2(id="map-heading", className=f"map-heading {heading(2)}", tabIndex="-1"),   # the skip link's target
        text("map.help", html.P, className="help"),
        html.P(id="map-notice", className="notice", role="status"),
        html.Div(className="map-row", children=[
            dcc.Graph(id="map", config=graph_config(lang), className="map"),
            dcc.Store(id="map-extent"),
            dcc.Store(id="map-drawn"),   # the URL (less the comparison) of what the map shows
            # ahead of a drill-down: what to fetch, the map asked for, its figure (callbacks/map.py)
            dcc.Store(id="map-prefetch"), dcc.Store(id="map-ahead-request"), dcc.Store(id="map-ahead"),
            dcc.Store(id="map-ahead-kept"),
            html.Div(className="side", children=[
                html.Div(id="legend", className="legend", role="group", **{"aria-label": t("aria.legend", lang)}),
                html.Div(className="exports", children=[
                    text("export.title", html.Div, className="legend-title"),
                    *[html.A(fmt.upper(), id=f"export-{fmt}", href="#", download="", className=f"export-link {LINK}")
                      for fmt in ("png", "svg", "pdf")],
                ]),
            ]),
        ]),
        html.Section(id="profile", className="panel profile", style=HIDDEN, **{"aria-live": "polite"}),
        html.Section(id="compare", className="panel compare", style=HIDDEN),
        html.Section(id="area-list", className="panel", children=[
            html.H3(id="area-list-title"),
            _choices("list.order", dcc.RadioItems(id="area-order", inline=True, value="hoog",
                                                  options=choice_options("order", AREA_ORDERS, lang))),
            dcc.Store(id="area-list-rows"), dcc.Store(id="area-list-key"),   # panels.area_list, and its map
            html.Div(id="area-list-body"),   # drawn from those rows by assets/areas.js
        ]),
        html.Details(className="table-box", children=[
            html.Summary(text("table.summary"), id="table-summary"),
            html.Div(className="downloads", children=[
                text("table.download", html.Span),
                *[html.A(text(f"download.link.{fmt.replace('-', '_')}"), id=f"download-{fmt}", href="#",
                         download="", className=f"export-link {LINK}") for fmt in DOWNLOADS],
            ]),
            html.Div(id="area-table-slot"),    # area_table(), made when the table is first opened
            dcc.Store(id="table-opened"),   # the summary's clicks, once the grid library has loaded
        ]),
        html.P(id="source-line", className="source"),
    ])


@cache
def grid_locale(lang: str) -> dict:
    """AG Grid's own texts (filters, pages, screen-reader labels) in the page's language: its
    Dutch locale file is vendored (assets/VENDORED.md); English is the grid's default."""
    if lang != "nl":
        return {}
    return json.loads((LOCALE_DIR / "ag-grid-nl.json").read_text(encoding="utf-8"))


def area_table(data: list[dict], columns: list[dict], lang: str = "nl") -> dag.AgGrid:
    """The table of the areas on the map (:func:`dashboard.tables.table_rows`): sortable, with
    a filter under each heading, 25 rows a page. It is made only when opened."""
    return dag.AgGrid(
        id="area-table", rowData=data, columnDefs=columns,
        defaultColDef={"sortable": True, "floatingFilter": True, "resizable": True, "minWidth": 110},
        dashGridOptions={"pagination": True, "paginationPageSize": 25, "paginationPageSizeSelector": False,
                         "domLayout": "autoHeight", "localeText": grid_locale(lang),
                         "enableCellTextSelection": True},
        columnSize="responsiveSizeToFit", className="ag-theme-quartz area-grid",
    )


def badges(demo: bool, access_note: str | None) -> list:
    """The header's status badges: which data (demo or real) and, on a server without sign-in,
    who can see it."""
    data = (text("dataset.demo", className=f"badge demo {BADGE} {BADGE}--warning") if demo
            else text("dataset.real", className=f"badge {BADGE} {BADGE}--neutral"))
    access = [text(access_note, className=f"badge access {BADGE} {BADGE}--warning")] if access_note else []
    return [data, *access]


def page_header(demo: bool, access_note: str | None = None, signs_in: bool = False,
                organisation: str = "") -> html.Header:
    """The page header (NL Design System page header): the organisation when one is configured,
    the product name and what it is; on the right the language, sign-out and the badges."""
    lang = "nl"
    actions = [dcc.Link(t("lang.switch", lang), id="lang-link", href="/", className=LINK),
               # the own-data page (full page loads to and from it: its layers change the indicators)
               html.A(text("own.link"), id="own-link", href=OWN_PATH, className=LINK, style={} if signs_in else HIDDEN)]
    if signs_in:
        actions.append(text("access.signout", html.A, href="/logout", className=f"signout {LINK}"))
    brand = [html.P(organisation, id="organisation", className="organisation")] if organisation else []
    brand += [text("app.title", html.H1, className=f"product-name {heading(1)}"),
              text("app.subtitle", html.P, className="subtitle")]
    return html.Header(className="utrecht-page-header header", children=[
        html.Div(className="utrecht-page-header__content header-content", children=[
            html.Div(brand, className="header-brand"),
            html.Div(className="header-right", children=[
                html.Div(actions, className="header-actions"),
                html.Div(badges(demo, access_note), className="header-badges"),
            ]),
        ]),
    ])


def own_drop_text(lang: str) -> html.Div:
    """What the file drop zone says (set again by a callback when the language changes: Dash
    does not reach the texts inside an Upload); its ids name the zone's file input (a11y.js)."""
    return html.Div([html.Span(t("own.drop", lang), id="own-drop-text"), " ",
                     html.Span(t("own.drop_or", lang), id="own-drop-choose", className=f"own-drop-choose {LINK}")])


def own_page(lang: str = "nl") -> html.Div:
    """The own-data page's fixed parts (hidden until the URL opens it); the callbacks of
    :mod:`dashboard.own_page` fill in the rest. Every control a callback reads is here from
    the start, filled in when a file is read."""
    drop = {"clearable": False, "searchable": False, "labels": dropdown_labels(lang)}
    return html.Div(id="own-page", className="own-page", style=HIDDEN, children=[
        text("own.title", html.H2, className=heading(2)),
        html.P(id="own-intro"),
        html.Div(id="own-work", style=HIDDEN, children=[
            html.Section(children=[
                text("own.step_file", html.H3, className=heading(3)),
                dcc.Upload(id="own-upload", multiple=False, max_size=MAX_UPLOAD_BYTES, accept=".csv,.txt,.xlsx",
                           className="own-drop", className_active="own-drop active",
                           children=own_drop_text(lang)),
                text("own.formats", html.P, className="own-hint"),
                html.Div(id="own-file", role="status", **{"aria-live": "polite"}),
                html.Div(id="own-sheet-box", style=HIDDEN, children=[
                    _control("own.sheet", dcc.Dropdown(id="own-sheet", options=[], **drop))]),
            ]),
            html.Section(id="own-choices", style=HIDDEN, children=[
                text("own.step_choices", html.H3, className=heading(3)),
                html.Div(className="controls", children=[
                    _control("own.name", dcc.Input(id="own-name", type="text", maxLength=OWN_MAX_NAME), wide=True),
                    _control("own.area_column", dcc.Dropdown(id="own-area-column", options=[], **drop)),
                    _control("own.year_column", dcc.Dropdown(id="own-year-column", options=[], **drop)),
                    _control("own.year", dcc.Input(id="own-year", type="number", min=OWN_YEARS[0], max=OWN_YEARS[1])),
                ]),
                html.Div(id="own-columns"),
                dcc.Checklist(id="own-share", value=[], options=[{"label": text("own.share"), "value": "ja"}]),
                html.Button(text("own.check"), id="own-check", n_clicks=0,
                            className=f"{BUTTON} {BUTTON}--secondary-action"),
            ]),
            html.Section(id="own-report-section", style=HIDDEN, children=[
                text("own.step_report", html.H3, className=heading(3)),
                html.Div(id="own-report", role="status", **{"aria-live": "polite"}),
                _control("own.replace", dcc.Dropdown(id="own-replace", value="", options=[], **drop), wide=True),
                html.Button(text("own.add"), id="own-add", disabled=True, n_clicks=0,
                            className=f"{BUTTON} {BUTTON}--primary-action"),
                html.Div(id="own-added", role="status", **{"aria-live": "polite"}),
            ]),
        ]),
        html.Section(id="own-layers-section", children=[
            text("own.layers", html.H3, className=heading(3)),
            html.Div(id="own-layers"),
        ]),
        dcc.Store(id="own-version", data=0),
    ])


def serve_layout(warehouse, access_note: str | None = None, signs_in: bool = False,
                 organisation: str = "") -> html.Div:
    """The page; ``access_note`` (an i18n key) is the banner of a server without sign-in,
    ``signs_in`` adds the sign-out link and ``organisation`` names who runs the server."""
    lang = "nl"
    demo = warehouse.meta.get("kind") == "demo"
    return html.Div(className="app", children=[
        dcc.Location(id="url", refresh=False),
        dcc.Store(id="page-lang"),   # <html lang>, kept by assets/map.js when the language changes
        dcc.Store(id="profile-shown"),   # assets/map.js scrolls an opened profile into view
        text("skip.to_map", html.A, href="#map-heading", className="skip-link"),
        page_header(demo, access_note, signs_in, organisation),
        html.Div(className="page", children=[
            html.Div(id="gemeente-page", className="gemeente-page", style=HIDDEN),
            own_page(lang),
            map_page(warehouse, lang),
            html.P(id="dataset-line", className="source"),
        ]),
    ])
