"""The page skeleton. Content that depends on the URL is filled in by the callbacks."""

from __future__ import annotations

from dash import dcc, html

from dashboard.i18n import t
from dashboard.routes import TOPOJSON_URL

GRAPH_CONFIG = {
    "topojsonURL": TOPOJSON_URL,  # plotly's world topojson comes from us, never from a CDN
    "displaylogo": False,
    "scrollZoom": True,
    "modeBarButtonsToRemove": ["select2d", "lasso2d"],
    "toImageButtonOptions": {"format": "png", "scale": 2},
}


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


def serve_layout(warehouse) -> html.Div:
    lang = "nl"
    demo = warehouse.meta.get("kind") == "demo"
    return html.Div(className="page", children=[
        dcc.Location(id="url", refresh=False),
        html.Header(className="header", children=[
            html.Div([
                html.H1(t("app.title", lang), id="app-title"),
                html.P(t("app.subtitle", lang), id="app-subtitle", className="subtitle"),
            ]),
            html.Div(className="header-right", children=[
                html.Span(t("dataset.demo", lang) if demo else t("dataset.real", lang), id="dataset-badge",
                          className="badge demo" if demo else "badge"),
                dcc.Link(t("lang.switch", lang), id="lang-link", href="/"),
            ]),
        ]),
        html.Nav(id="breadcrumbs", className="breadcrumbs", **{"aria-label": "kruimelpad"}),
        html.Div(className="controls", children=[
            html.Label([html.Span(t("control.indicator", lang), id="indicator-label"),
                        dcc.Dropdown(id="indicator", options=indicator_options(warehouse.catalog, lang),
                                     clearable=False, searchable=True)], className="control wide"),
            html.Label([html.Span(t("control.year", lang), id="year-label"),
                        dcc.Dropdown(id="year", options=[{"label": str(y), "value": y} for y in warehouse.years],
                                     clearable=False, searchable=False)], className="control"),
            html.Div(id="division-box", className="control", children=[
                html.Span(t("control.division", lang), id="division-label"),
                dcc.RadioItems(id="division", inline=True, options=[
                    {"label": t("level.regio", lang), "value": "regio"},
                    {"label": t("level.gemeente", lang), "value": "gemeente"},
                ]),
            ]),
        ]),
        html.H2(id="map-heading", className="map-heading"),
        html.P(t("map.help", lang), id="map-help", className="help"),
        html.P(id="map-notice", className="notice", role="status"),
        dcc.Graph(id="map", config=GRAPH_CONFIG, className="map"),
        html.P(id="source-line", className="source"),
        html.P(id="dataset-line", className="source"),
    ])
