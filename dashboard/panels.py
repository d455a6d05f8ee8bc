"""The panels beside the map: the ranked list of its areas, one area's profile and a
comparison of 2-4 areas.

Pure functions from a resolved :class:`~dashboard.routes.MapState` to Dash components. The
numbers come from :mod:`data_pipeline.analysis` (the same rows as the CLI ``table``); every
action in a panel is a link to another URL, so the URL stays the single truth and every panel
can be shared and restored.
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
from dash import dcc, html

from dashboard import routes
from dashboard.formatting import format_count, format_number, format_percent, missing_text, plotly_separators, signed
from dashboard.i18n import t
from dashboard.look import LINK, TABLE, heading
from dashboard.views import SCORE_METHODS, MapView, area_name
from data_pipeline.analysis import area_profile, composite_breakdown, trends
from data_pipeline.warehouse import Scope, Warehouse
from geodata.codes import LAND_CODE, level_of
from indicators.catalog import Indicator
from indicators.compare import peer_group_parts

TREND_CONFIG = {"displayModeBar": False, "responsive": True}
#: One colour and marker per compared area: Okabe-Ito and Tol colours that colour-blind readers
#: tell apart (each at least 3:1 against white), and a different marker, so no line depends
#: on its colour alone.
LINE_STYLES = (("#0072b2", "circle"), ("#d55e00", "square"), ("#009e73", "diamond"), ("#332288", "triangle-up"))
REFERENCE_COLOUR = "#7f7f7f"
REFERENCE_DASHES = ("dash", "dot")
MAX_CONTRIBUTIONS = 8
#: The orders of the area list: highest value first, lowest first, by name (assets/areas.js).
AREA_ORDERS = ("hoog", "laag", "naam")


def _shown(value: float, status: str, decimals: int, lang: str) -> str:
    """A value as the map shows it: a number in the language's format, or why there is none."""
    if status == "ok" and not pd.isna(value):
        return format_number(value, decimals, lang=lang)
    return t("table.status.suppressed" if status == "suppressed" else "table.status.missing", lang)


def peer_label(key: str, lang: str) -> str:
    """A peer group key (:func:`indicators.compare.peer_groups`) in the reader's language.

    >>> peer_label("u2_50000_100000", "en")
    'urbanity class 2, 50,000–100,000 inhabitants'
    >>> peer_label("u5_0_20000", "nl"), peer_label("u1_250000_inf", "nl")
    ('stedelijkheid 5, < 20.000 inwoners', 'stedelijkheid 1, ≥ 250.000 inwoners')
    """
    urbanity, lower, upper = peer_group_parts(key)
    if lower <= 0:
        band = t("peer.band_below", lang, upper=format_count(upper, lang=lang))
    elif upper == float("inf"):
        band = t("peer.band_above", lang, lower=format_count(lower, lang=lang))
    else:
        band = t("peer.band", lang, lower=format_count(lower, lang=lang), upper=format_count(upper, lang=lang))
    return t("peer.label", lang, urbanity=urbanity, band=band)


def theme_indicators(warehouse: Warehouse, indicator: str) -> list[Indicator]:
    """The indicators of the chosen indicator's theme, in catalog order."""
    theme = warehouse.catalog.get(indicator).theme
    return [i for i in warehouse.catalog.indicators if i.theme == theme]


def _cell(text: str, column: str, header: bool = False):
    return (html.Th if header else html.Td)(text, className=f"col-{column}")


def _indicator_cell(ind: Indicator, lang: str) -> html.Td:
    return html.Td([ind.label(lang), html.Span(f" ({ind.unit(lang)})", className="unit")], className="col-indicator")


def _percentile(row, lang: str) -> str:
    """The percentile, or with ties the range the tied areas span: a 0 that 82% of the areas
    share reads "0–82", never as a high percentile on its own."""
    high = format_number(row.percentile, 0, lang=lang)
    if row.n_tied > 1:
        return f"{format_number(row.percentile - row.n_tied / row.n_ranked * 100, 0, lang=lang)}–{high}"
    return high


def scroll_box(table: html.Table, title_id: str) -> html.Div:
    """A table that scrolls sideways in its own box on a narrow screen, not the page: a region
    named by its panel's title, which the keyboard can reach to scroll it."""
    return html.Div(table, className="table-scroll", role="region", tabIndex="0", **{"aria-labelledby": title_id})


def profile_table(warehouse: Warehouse, state: routes.MapState, scope: Scope) -> html.Table:
    """The area's values of the theme's indicators beside its parent, region, NL and peers,
    with its rank and percentile among all areas of its level."""
    lang, area = state.lang, warehouse.visible_area(state.area, scope)
    code, level, parent = area.code, area.level, area.parent_code
    indicators = theme_indicators(warehouse, state.indicator)
    rows = area_profile(warehouse, code, state.year, [i.id for i in indicators], scope)
    columns = [("value", area_name(warehouse, code, lang))]
    if level_of(parent) not in ("land", "regio"):
        columns.append(("parent_value", area_name(warehouse, parent, lang)))
    if level != "regio":
        columns.append(("regio_value", area_name(warehouse, area.regio_code, lang)))
    columns.append(("nl_value", area_name(warehouse, area.land_code, lang)))
    if rows["peer_value"].notna().any():
        columns.append(("peer_value", t("profile.peers", lang)))
    head = html.Tr([_cell(t("profile.indicator", lang), "indicator", True)]
                   + [_cell(label, key, True) for key, label in columns]
                   + [_cell(t("profile.rank", lang, levels=t(f"levels.{level}", lang)), "rank", True),
                      _cell(t("profile.percentile", lang), "percentile", True)])
    body = []
    for ind, row in zip(indicators, rows.itertuples(index=False)):
        cells = [_indicator_cell(ind, lang), _cell(_shown(row.value, row.status, ind.decimals, lang), "value")]
        cells += [_cell(format_number(getattr(row, key), ind.decimals, lang=lang), key) for key, _ in columns[1:]]
        ranked = not pd.isna(row.rank)
        cells.append(_cell(t("profile.rank_of", lang, rank=format_count(row.rank, lang=lang),
                                             n=format_count(row.n_ranked, lang=lang))
                           if ranked else missing_text(lang), "rank"))
        cells.append(_cell(_percentile(row, lang) if ranked else missing_text(lang), "percentile"))
        body.append(html.Tr(cells, **{"data-indicator": ind.id}))
    peer_note = ""
    if rows["peer_group"].notna().any():
        peer_note = t("profile.peer_note", lang, group=peer_label(rows["peer_group"].dropna().iloc[0], lang))
    return html.Div([scroll_box(html.Table([html.Thead(head), html.Tbody(body)], className=f"profile-table {TABLE}"),
                                "profile-title"),
                     html.P(t("profile.rank_note", lang) + (" " + peer_note if peer_note else ""),
                            className="help")])


def trend_figure(warehouse: Warehouse, codes: list[str], indicator: str, lang: str, scope: Scope,
                 reference: list[str] = ()) -> dict:
    """One indicator over all years: a line per area in ``codes``, grey dashed/dotted lines for
    the ``reference`` areas (e.g. the parent and NL; not for a count). Years without a shown
    value are gaps.

    A plain figure dict: plotly.js validates it in the browser, and building ``go.Figure``
    objects would cost more server time than the query."""
    ind = warehouse.catalog.get(indicator)
    if ind.is_count:   # a count of a larger area is no reference for a smaller one
        reference = []
    all_codes = list(dict.fromkeys([*codes, *reference]))
    long = trends(warehouse, all_codes, [indicator], scope).sort_values("year")
    data, dashes = [], iter(REFERENCE_DASHES)
    for i, code in enumerate(all_codes):
        part = long[long["code"] == code]
        is_reference = code in reference and code not in codes
        name = area_name(warehouse, code, lang)
        data.append(dict(
            type="scatter", x=part["year"].tolist(), y=[None if pd.isna(v) else float(v) for v in part["value"]],
            mode="lines+markers", name=name, connectgaps=False,
            line=dict(color=REFERENCE_COLOUR if is_reference else LINE_STYLES[i % len(LINE_STYLES)][0],
                      dash=next(dashes, "dot") if is_reference else "solid", width=1.5 if is_reference else 2.5),
            marker=dict(symbol="circle" if is_reference else LINE_STYLES[i % len(LINE_STYLES)][1],
                        size=5 if is_reference else 8),
            hovertemplate=f"{name} %{{x}}: %{{y:,.{ind.decimals}f}} {ind.unit(lang)}<extra></extra>",
        ))
    layout = dict(
        height=230, margin=dict(l=48, r=8, t=28, b=28), separators=plotly_separators(lang), paper_bgcolor="white",
        plot_bgcolor="white", title=dict(text=f"{ind.label(lang)} ({ind.unit(lang)})", font=dict(size=13), x=0,
                                         xanchor="left"),
        legend=dict(orientation="h", y=-0.2), xaxis=dict(dtick=1, tickformat="d", gridcolor="#eeeeee"),
        yaxis=dict(gridcolor="#eeeeee", rangemode="tozero", tickformat=f",.{ind.decimals}f"),
        font=dict(family="DejaVu Sans, Arial, sans-serif", size=11),
    )
    return {"data": data, "layout": layout}


def area_list(warehouse: Warehouse, state: routes.MapState, view: MapView, scope: Scope) -> dict:
    """The areas of the map as the ranked list beside it shows them (assets/areas.js draws it):
    per area its rank by value, the map's colour and value text, a bar (its share of the
    largest value, signed for values with a sign) and the addresses of its profile and of the
    map below it. The list is what a keyboard or screen-reader user acts on instead of the
    map's shapes. Only shown values give a rank and a bar: the rest read as the map says."""
    lang = state.lang
    areas = view.areas
    shown = areas["status"] == "ok"
    rank = areas["value"].where(shown).rank(method="min", ascending=False)
    values = areas.loc[shown, "value"]
    widest = max(values.abs().max() if not values.empty else 0, 1e-9)
    below = routes.DRILL.get(state.level)
    visible_below = {code for code in areas["code"] if below and warehouse.view_visible(below, code, scope)}
    rows = []
    for row, place in zip(areas.itertuples(index=False), rank):
        ok = row.status == "ok"
        rows.append({"code": row.code, "name": row.name, "text": row.text, "colour": row.colour,
                     "rank": None if pd.isna(place) else int(place),
                     "bar": round(float(row.value) / widest * 100, 1) if ok else None,
                     "profile": routes.href(replace(state, area=row.code)),
                     "below": routes.href(routes.drill_down(state, row.code)) if row.code in visible_below else None})
    return {"rows": rows, "signed": bool((values < 0).any()),
            "words": {"profile": t("list.profile", lang), "profile_of": t("list.profile_of", lang, name="{name}"),
                      "below": t("list.below", lang, levels=t(f"level.{below}", lang)) if below else "",
                      "below_of": t("list.below_of", lang, name="{name}")}}


def area_list_title(state: routes.MapState, view: MapView) -> list:
    return [t("list.title", state.lang, levels=t(f"level.{state.level}", state.lang), n=len(view.areas)),
            html.Span(f" · {view.legend_title}", className="muted")]


def score_breakdown(warehouse: Warehouse, state: routes.MapState, scope: Scope):
    """The area's composite risk signal and the indicators that make it up, largest first."""
    lang = state.lang
    result = composite_breakdown(warehouse, state.area, state.year, SCORE_METHODS[state.score_method],
                                 state.weights, state.stabilise, scope=scope)
    if result is None:
        return html.P(t("profile.no_score", lang), className="help")
    parts = result.contributions.iloc[:MAX_CONTRIBUTIONS]
    widest = max(parts.abs().max(), 1e-9)
    items = []
    for indicator, value in parts.items():
        # Two halves around a zero line: a contribution above average grows to the right, below to the left.
        bar = html.Span(className="bar " + ("up" if value > 0 else "down"),
                        style={"width": f"{abs(value) / widest * 100:.0f}%"})
        items.append(html.Li([
            html.Span(warehouse.catalog.get(indicator).label(lang), className="bar-label"),
            html.Span([html.Span(bar if value < 0 else None, className="bar-half below"),
                       html.Span(bar if value > 0 else None, className="bar-half above")],
                      className="bar-track", role="img",
                      **{"aria-label": t("profile.contribution", lang, value=signed(value, 2, lang))}),
            html.Span(signed(value, 2, lang), className="bar-value"),
        ], **{"data-indicator": indicator}))
    return html.Div([
        html.P(t("profile.score", lang, score=signed(result.score, 2, lang),
                 coverage=format_percent(result.coverage, lang=lang)), className="score-line"),
        html.Ul(items, className="bars"),
        html.P(t("score.caveat", lang), className="caveat"),
    ])


def report_links(warehouse: Warehouse, code: str, state: routes.MapState, scope: Scope, id_: str) -> list:
    """Links to the report of gemeente or region ``code`` as PDF and as Word, in the year and
    language of ``state``; none where the viewer may not see its wijken (a report is about them;
    the server checks again when one is followed)."""
    if level_of(code) not in ("gemeente", "regio") or not scope.allows_view("wijk", warehouse.lineage(code)):
        return []
    return [html.A(t(f"report.{fmt}", state.lang), href=routes.report_url(code, fmt, state.year, state.lang),
                   download="", id=f"{id_}-{fmt}", className=LINK) for fmt in routes.REPORT_FORMATS]


def _add_to_comparison(warehouse: Warehouse, state: routes.MapState, code: str) -> str:
    """The link's text, saying beforehand what adding ``code`` does to the comparison: an area
    of another level starts a new one, a full one lets its oldest area go."""
    lang, compared = state.lang, state.compare
    if compared and level_of(compared[0]) != level_of(code):
        return t("profile.compare_new", lang, levels=t(f"levels.{level_of(compared[0])}", lang))
    if len(compared) >= routes.MAX_COMPARED:
        return t("profile.compare_full", lang, oldest=area_name(warehouse, compared[0], lang))
    return t("profile.add_compare", lang)


def _links(warehouse: Warehouse, state: routes.MapState, scope: Scope) -> list:
    lang, code = state.lang, state.area
    level = level_of(code)
    links = []
    below = routes.drill_down(state, code)
    if below and warehouse.view_exists(below.level, below.parent):
        links.append(dcc.Link(t("profile.open", lang, levels=t(f"levels.{below.level}", lang)),
                              href=routes.href(below), id="profile-drill", className=LINK))
    if code in state.compare:
        links.append(html.Span(t("profile.in_compare", lang), className="muted"))
    else:
        links.append(dcc.Link(_add_to_comparison(warehouse, state, code), id="profile-compare",
                              href=routes.href(routes.with_compared(state, code)), className=LINK))
    if level == "gemeente":
        links.append(dcc.Link(t("profile.gemeente_page", lang),
                              href=routes.href(routes.gemeente_page(state, code)), id="profile-page",
                              className=LINK))
    links += report_links(warehouse, code, state, scope, "profile-report")
    links.append(dcc.Link([html.Span("×", **{"aria-hidden": "true"}),
                           html.Span(t("profile.close", lang), className="visually-hidden")],
                          href=routes.href(replace(state, area=None)), id="profile-close",
                          title=t("profile.close", lang), className=f"close {LINK}"))
    return links


def profile_panel(warehouse: Warehouse, state: routes.MapState, scope: Scope) -> list:
    """The profile of ``state.area``: heading with actions, values against references, trend
    and, where the area has a composite score, its breakdown."""
    lang, area = state.lang, warehouse.visible_area(state.area, scope)
    code, level, parent = area.code, area.level, area.parent_code
    place = t("profile.place", lang, level=t(f"level1.{level}", lang), parent=area_name(warehouse, parent, lang))
    theme = warehouse.catalog.themes[warehouse.catalog.get(state.indicator).theme][lang]
    reference = [p for p in (parent, area.land_code) if p != code]
    return [
        html.Div([html.H3(f"{area_name(warehouse, code, lang)} ({code})", id="profile-title", className=heading(3)),
                  html.Div(_links(warehouse, state, scope), className="panel-links")], className="panel-head"),
        html.P(f"{place} · {state.year} · {t('profile.theme', lang, theme=theme)}", className="help"),
        profile_table(warehouse, state, scope),
        dcc.Graph(id="profile-trend", config=TREND_CONFIG,
                  figure=trend_figure(warehouse, [code], state.indicator, lang, scope, reference)),
        html.H4(t("profile.score_title", lang)),
        score_breakdown(warehouse, state, scope),
    ]


def compare_panel(warehouse: Warehouse, state: routes.MapState, scope: Scope) -> list:
    """The compared areas side by side: every indicator by theme, and one trend chart."""
    lang, codes = state.lang, list(state.compare)
    chips = [html.Span([f"{area_name(warehouse, c, lang)} ({c}) ",
                        dcc.Link("×", href=routes.href(routes.without_compared(state, c)),
                                 title=t("compare.remove", lang), className=f"close {LINK}")],
                       className="chip", **{"data-code": c})
             for c in codes]
    head = [html.H3(t("compare.title", lang, year=state.year), id="compare-title", className=heading(3)),
            html.Div([*chips, dcc.Link(t("compare.clear", lang), href=routes.href(replace(state, compare=())),
                                        className=f"muted {LINK}")], className="panel-links")]
    if len(codes) < 2:
        return [html.Div(head, className="panel-head"), html.P(t("compare.hint", lang), className="help")]
    indicators = list(warehouse.catalog.indicators)
    ids = [i.id for i in indicators]
    profiles = {c: area_profile(warehouse, c, state.year, ids, scope).set_index("indicator") for c in codes}
    nl = profiles[codes[0]]["nl_value"]
    header = html.Tr([_cell(t("profile.indicator", lang), "indicator", True)]
                     + [html.Th(area_name(warehouse, c, lang), **{"data-code": c}) for c in codes]
                     + [_cell(area_name(warehouse, LAND_CODE, lang), "nl_value", True)])
    body, theme = [], None
    for ind in indicators:
        if ind.theme != theme:
            theme = ind.theme
            body.append(html.Tr(html.Th(warehouse.catalog.themes[theme][lang], colSpan=len(codes) + 2),
                                className="theme-row"))
        cells = [_indicator_cell(ind, lang)]
        for c in codes:
            row = profiles[c].loc[ind.id]
            cells.append(html.Td(_shown(row["value"], row["status"], ind.decimals, lang), **{"data-code": c}))
        cells.append(_cell(format_number(nl[ind.id], ind.decimals, lang=lang), "nl_value"))
        body.append(html.Tr(cells, className="current" if ind.id == state.indicator else None,
                            **{"data-indicator": ind.id}))
    land = warehouse.area(codes[0]).land_code
    return [
        html.Div(head, className="panel-head"),
        scroll_box(html.Table([html.Thead(header), html.Tbody(body)], className=f"compare-table {TABLE}",
                              id="compare-table"),
                   "compare-title"),
        dcc.Graph(id="compare-trend", config=TREND_CONFIG,
                  figure=trend_figure(warehouse, codes, state.indicator, lang, scope, [land])),
    ]
