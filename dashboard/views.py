"""What a map view shows, as data: figure, legend, heading, source line and notice.

One function per map mode (value, composite risk signal, hotspots), each turning a resolved
:class:`~dashboard.routes.MapState` into a :class:`MapView` by asking the data layer and the
method modules. No Dash here; the callbacks only route inputs to :func:`map_view`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cached_property, lru_cache

import pandas as pd
import plotly.graph_objects as go

from dashboard import routes
from dashboard.figures import (CATEGORY_COLOURS, area_fills, choropleth_figure, class_bounds_labels,
                               fitting_labels, hover_texts, legend_entries, no_value_text)
from dashboard.formatting import format_number, format_percent, signed
from dashboard.i18n import t
from data_pipeline.analysis import change_view, composite_view, hotspot_view
from data_pipeline.search import DEFAULT_LEVELS, AreaIndex, normalise
from data_pipeline.warehouse import AccessDenied, NotFound, Scope, Warehouse
from geodata.codes import LAND_CODE, level_of
from indicators.classify import Classes, class_note, classify, palette

CLASS_METHODS = {"kwantielen": "quantiles", "gelijk": "equal_interval", "natuurlijk": "natural_breaks",
                 "handmatig": "manual"}
SCORE_METHODS = {"z": "z", "percentiel": "percentile"}
CATEGORIES = {"gi": ("cold", "not significant", "hot"),
              "moran": ("low-low", "low-high", "not significant", "high-low", "high-high")}
HOTSPOT_LEVELS = ("wijk", "buurt")
#: The land's name in the tree of official data (geodata builds it so).
NETHERLANDS = "Nederland"


@dataclass
class MapView:
    """A map view. Its :attr:`figure` and :attr:`areas` are made when first asked for (by
    ``draw`` and ``list_areas``): the map callback sends only the figure, the list beside the
    map only the areas, and each would cost the other's request as much again."""

    draw: Callable[[], go.Figure]
    legend: list[tuple[str, str]]
    legend_title: str
    heading: str
    source: str
    notice: str = ""
    list_areas: Callable[[], pd.DataFrame] | None = None
    classes: Classes | None = None   # a value map's class bounds, for another map to share

    @cached_property
    def figure(self) -> go.Figure:
        return self.draw()

    @cached_property
    def areas(self) -> pd.DataFrame | None:
        """The land areas of the map as the list beside it shows them: code, name, value, status,
        colour (of its class, or of "n.b.") and text (the value as the map says it)."""
        return self.list_areas() if self.list_areas else None


def _areas(frame: pd.DataFrame, colours: list[str], lang: str, say) -> Callable[[], pd.DataFrame]:
    """How to make the :attr:`MapView.areas` of a classed ``frame``: ``say(row)`` is the value
    text of a shown area; the others say why they have no value."""
    def areas() -> pd.DataFrame:
        texts = [say(row) if row.status == "ok" else no_value_text(row.status, lang)
                 for row in frame.itertuples(index=False)]
        out = frame.assign(text=texts, colour=area_fills(frame, colours).to_numpy())
        return out.loc[~out["is_water"], ["code", "name", "value", "status", "colour", "text"]].reset_index(drop=True)
    return areas


def is_land_area(warehouse: Warehouse, code: object) -> bool:
    """Whether ``code`` is an area of the warehouse's tree that is not water."""
    return warehouse.has_area(code) and not warehouse.area(code).is_water


def resolve_state(warehouse: Warehouse, state: routes.MapState) -> routes.MapState:
    """Fill in defaults for a missing or unknown indicator or year, and drop what does not
    exist: an unknown selected or compared area (compared areas keep the first one's level),
    a "since" year that is not an earlier year of the warehouse."""
    ids = [i.id for i in warehouse.catalog.indicators]
    indicator = state.indicator if state.indicator in ids else ids[0]
    year = state.year if state.year in warehouse.years else warehouse.years[-1]

    def known(code):
        return code != LAND_CODE and is_land_area(warehouse, code)

    area = state.area if state.area and known(state.area) else None
    compare = tuple(c for c in state.compare if known(c))
    compare = tuple(c for c in compare if level_of(c) == level_of(compare[0])) if compare else ()
    earlier = [y for y in warehouse.years if y < year]
    since = state.since if state.since in earlier else None
    if state.mode == "verandering" and since is None and earlier:
        since = earlier[0]
    return replace(state, indicator=indicator, year=year, area=area, compare=compare, since=since)


def crumbs(warehouse: Warehouse, state: routes.MapState) -> list[tuple[str, str | None]]:
    """The breadcrumb trail of a map: (name, link) from the land down to the map's parent area;
    the last one is the map on screen and has no link."""
    lineage = warehouse.lineage(state.parent)
    return [(area_name(warehouse, code, state.lang),
             None if code == state.parent else routes.href(routes.view_of_area(state, code))) for code in lineage]


def dataset_line(warehouse: Warehouse, lang: str) -> str:
    """The footer line naming the dataset, its years, boundary years and attribution."""
    meta, years = warehouse.meta, warehouse.years
    span = f"{years[0]}–{years[-1]}" if len(years) > 1 else str(years[0])
    return t("dataset.line", lang, description=meta["description"], years=span,
             boundary_years=meta.get("setting.boundary_years") or meta["boundary_year"],
             attribution=meta["attribution"])


def error_text(err: Exception, state: routes.MapState) -> str:
    """What the page says when the map, a panel or a page of ``state`` cannot be shown: that
    it does not exist (naming its address) or that the viewer may not see it; never the
    exception's own (internal) message."""
    if isinstance(err, AccessDenied):
        return t("error.no_access", state.lang)
    return t("error.not_found", state.lang, detail=routes.path(state))


@lru_cache(maxsize=8)
def _search_index(warehouse: Warehouse, lang: str) -> AreaIndex:
    words = {level: t(f"level1.{level}", lang) for level in ("regio", "gemeente", "wijk", "buurt")}
    return AreaIndex(warehouse.areas_frame(), level_words=words)


def search_options(warehouse: Warehouse, text: str, lang: str, limit: int = 15,
                   levels: tuple[str, ...] = DEFAULT_LEVELS) -> list[dict]:
    """Search results as dropdown options, e.g. "Centrum (WK036300) — wijk in Amsterdam".

    Each option's search key holds the typed text, the code and the plain name, so the
    dropdown's own filter keeps accent-insensitive and partial matches (also when an answer to
    an earlier keystroke arrives last). ``levels``: the levels to search (by default all)."""
    hits = _search_index(warehouse.current(), lang).search(text, levels=levels, limit=limit)
    options = []
    for hit in hits.itertuples():
        context = t(f"level1.{hit.level}", lang)
        if hit.places:
            context = t("search.context", lang, level=context, places=", ".join(hit.places))
        options.append({"label": f"{hit.name} ({hit.code}) — {context}", "value": hit.code,
                        "search": " ".join((text, hit.code, hit.code.lower(), hit.name, normalise(hit.name), context))})
    return options


def area_name(warehouse: Warehouse, code: str, lang: str) -> str:
    """An area's name; the land reads "Nederland" in the page's language, unless the data are
    of another country (the demo's Demoland), which keeps its own name."""
    name = warehouse.name(code)
    return t("level.land", lang) if code == LAND_CODE and name == NETHERLANDS else name


def source_line(warehouse: Warehouse, indicator_id: str, lang: str) -> str:
    ind = warehouse.catalog.get(indicator_id)
    return t("source.line", lang, source=ind.source_name(lang), tables=ind.table_id,
             boundary_year=warehouse.meta["boundary_year"], attribution=warehouse.meta["attribution"])


def ui_revision(state: routes.MapState) -> str:
    """The figure's uirevision: plotly keeps the user's pan/zoom while this stays the same, and
    takes the figure's own framing when it changes (another map, or an extent from the URL)."""
    key = f"{state.level}/{state.parent}"
    return key + "@" + ",".join(map(str, state.extent)) if state.extent else key


@lru_cache(maxsize=512)
def _names_placed(warehouse: Warehouse, level: str, parent: str, extent: tuple[float, ...],
                  scope: Scope) -> pd.DataFrame:
    """:func:`fitting_labels` of a map view: the same on every request for it (its polygons and
    names are the build's), so worked out once per view and extent; shared, never modify."""
    points = warehouse.label_points(level, parent, scope)
    return fitting_labels(points, pd.Series([warehouse.name(code) for code in points["code"]],
                                            index=points["code"].to_numpy(), dtype=object), extent)


def _figure(warehouse: Warehouse, frame: pd.DataFrame, url: str, colours: list[str], state: routes.MapState,
            scope: Scope, hovers: Callable[[], list[str]]) -> Callable[[], go.Figure]:
    """How to draw the map of a view (``hovers``: the hover text of each row of ``frame``), with
    the names of the areas where they fit."""
    def draw() -> go.Figure:
        labels = _names_placed(warehouse.current(), state.level, state.parent, tuple(state.extent), scope)
        return choropleth_figure(frame.assign(hover=hovers()), url, colours, uirevision=ui_revision(state),
                                 extent=state.extent, highlight=state.area, lang=state.lang, labels=labels)
    return draw


def _classes(values: pd.Series, state: routes.MapState, decimals: int, symmetric: bool = False):
    """Classes of the shown values (symmetric around 0 for changes and scores, unless the user
    set manual breaks) and what to say of them: manual breaks that do not work (quantiles are
    used instead), and why there are fewer classes than asked for."""
    method = CLASS_METHODS[state.classes]
    if symmetric and not (method == "manual" and state.breaks):
        method = "symmetric"
    try:
        classes, problem = classify(values, method, state.k, (state.breaks or None) if method == "manual" else None), ""
    except ValueError as err:
        classes, problem = classify(values, "symmetric" if symmetric else "quantiles", state.k), str(err)
    return classes, " ".join(filter(None, [problem, _class_note_text(class_note(values, classes, state.k), state, decimals)]))


def _class_note_text(note, state: routes.MapState, decimals: int) -> str:
    if note is None:
        return ""
    lang = state.lang
    reason = "one" if note.reason == "distinct" and note.used == 1 else note.reason
    why = t(f"legend.fewer_{reason}", lang, used=note.used,
            value=format_number(note.value, decimals, lang=lang), share=format_percent(note.share, lang=lang))
    return t("legend.fewer", lang, used=note.used, requested=note.requested, why=why)


def _outside_text(values: pd.Series, classes: Classes, state: routes.MapState) -> str:
    """How many areas lie outside class bounds made on another map (they are in its end classes)."""
    outside = int(((values < classes.bounds[0]) | (values > classes.bounds[-1])).sum()) if classes.k else 0
    if not outside:
        return ""
    return t("legend.outside", state.lang, n=outside, total=len(values), levels=t(f"levels.{state.level}", state.lang))


def classed(frame: pd.DataFrame, state: routes.MapState, decimals: int, around_zero: str | None = None,
            classes: Classes | None = None):
    """Add a class per shown area; return the frame, colours, class labels, what to say and the classes.

    ``around_zero`` is for values with a sign and a meaning at 0 (changes, scores): the
    legend's label for 0; the classes are then symmetric around 0 on a diverging palette.
    ``classes`` are bounds made on another map, so that two maps share one scale: values
    outside them are drawn in the end classes, and what to say counts them."""
    shown = (frame["status"] == "ok") & ~frame["is_water"]
    if classes is None:
        classes, note = _classes(frame.loc[shown, "value"], state, decimals, symmetric=around_zero is not None)
    else:
        note = _outside_text(frame.loc[shown, "value"], classes, state)
    colours = palette(classes.k, "sequential" if around_zero is None else "diverging") if classes.k else []
    frame["klass"] = classes.class_of(frame["value"].where(shown))
    labels = class_bounds_labels(classes.bounds, decimals, state.lang, zero=around_zero, signs=around_zero is not None)
    return frame, colours, labels, note, classes


def value_view(warehouse: Warehouse, state: routes.MapState, scope: Scope, url: str,
               classes: Classes | None = None) -> MapView:
    ind = warehouse.catalog.get(state.indicator)
    frame = warehouse.map_values(state.level, state.parent, state.indicator, state.year, scope)
    frame, colours, labels, problem, classes = classed(frame, state, ind.decimals, classes=classes)
    heading = t("map.heading", state.lang, indicator=ind.label(state.lang),
                levels=t(f"levels.{state.level}", state.lang),
                area=area_name(warehouse, state.parent, state.lang), year=state.year)
    return MapView(_figure(warehouse, frame, url, colours, state, scope,
                           lambda: hover_texts(frame, ind.unit(state.lang), state.lang, ind.decimals)),
                   legend_entries(colours, labels, frame, state.lang), ind.unit(state.lang), heading,
                   source_line(warehouse, state.indicator, state.lang), problem,
                   _areas(frame, colours, state.lang,
                          lambda row: format_number(row.value, ind.decimals, lang=state.lang)),
                   classes)


def score_view(warehouse: Warehouse, state: routes.MapState, scope: Scope, url: str) -> MapView:
    lang = state.lang
    frame, result = composite_view(warehouse, state.level, state.parent, state.year,
                                   SCORE_METHODS[state.score_method], state.weights, state.stabilise, scope)
    frame, colours, labels, problem, _ = classed(frame, state, 2, around_zero=t("legend.average", lang))
    if result.contributions.columns.empty:
        problem = t("score.no_indicators", lang)
    labels_of = {i.id: i.label(lang) for i in warehouse.catalog.indicators}

    def hovers() -> list[str]:
        texts = []
        for row in frame.itertuples(index=False):
            if row.is_water:
                text = t("map.water", lang)
            elif row.status != "ok":
                text = t("hover.missing", lang)
            else:
                parts = result.contributions.loc[row.code].dropna()
                top = parts.reindex(parts.abs().sort_values(ascending=False).index[:3])
                items = ", ".join(f"{labels_of[i]} {signed(v, 2, lang)}" for i, v in top.items())
                text = (t("hover.score", lang, score=signed(row.value, 2, lang),
                          coverage=format_percent(row.coverage, lang=lang)) + "<br>" + t("hover.top", lang, items=items))
            texts.append(f"<b>{row.name}</b> ({row.code})<br>{text}")
        return texts

    used = [i for i in warehouse.catalog.indicators if i.id in result.contributions.columns]
    sources = "; ".join(sorted({f"{i.source_name(lang)} ({i.table_id})" for i in used}))
    source = t("source.score", lang, n=len(used), method=t(f"score_method.{state.score_method}", lang),
               sources=sources)
    heading = t("map.heading_score", lang, levels=t(f"levels.{state.level}", lang),
                area=area_name(warehouse, state.parent, lang), year=state.year)
    return MapView(_figure(warehouse, frame, url, colours, state, scope, hovers),
                   legend_entries(colours, labels, frame, lang), t("score.unit", lang), heading, source, problem,
                   _areas(frame, colours, lang, lambda row: signed(row.value, 2, lang)))


def hotspots_map_view(warehouse: Warehouse, state: routes.MapState, scope: Scope, url: str) -> MapView:
    lang = state.lang
    ind = warehouse.catalog.get(state.indicator)
    frame = hotspot_view(warehouse, state.level, state.parent, state.indicator, state.year, state.hotspot,
                         state.alpha, scope)
    categories = CATEGORIES[state.hotspot]
    frame["klass"] = pd.array([categories.index(c) if c in categories else pd.NA for c in frame["category"]],
                              dtype="Int64")

    def hovers() -> list[str]:
        values = hover_texts(frame, ind.unit(lang), lang, ind.decimals)
        return [f"{v}<br>{t(f'category.{c}', lang)}" if isinstance(c, str) else v
                for v, c in zip(values, frame["category"])]

    colours = [CATEGORY_COLOURS[c] for c in categories]
    labels = [t(f"category.{c}", lang) for c in categories]
    heading = t("map.heading_hotspot", lang, indicator=ind.label(lang), levels=t(f"levels.{state.level}", lang),
                area=area_name(warehouse, state.parent, lang), year=state.year)
    say = (lambda row: f"{format_number(row.value, ind.decimals, lang=lang)} · "
           + (t(f"category.{row.category}", lang) if isinstance(row.category, str) else no_value_text("missing", lang)))
    return MapView(_figure(warehouse, frame, url, colours, state, scope, hovers),
                   legend_entries(colours, labels, frame, lang), t(f"hotspot.{state.hotspot}", lang), heading,
                   source_line(warehouse, state.indicator, lang), list_areas=_areas(frame, colours, lang, say))


def change_map_view(warehouse: Warehouse, state: routes.MapState, scope: Scope, url: str) -> MapView:
    """The change of one indicator since an earlier year, on a diverging palette around 0.

    An area has a change only when both years are shown; classes are symmetric around 0
    (:func:`indicators.classify.change_classes`) unless the user set manual breaks."""
    lang = state.lang
    ind = warehouse.catalog.get(state.indicator)
    frame = change_view(warehouse, state.level, state.parent, state.indicator, state.year, state.since, scope)
    frame, colours, labels, problem, _ = classed(frame, state, ind.decimals, around_zero=t("legend.no_change", lang))
    unit = ind.unit(lang)

    def hovers() -> list[str]:
        texts = []
        for row in frame.itertuples(index=False):
            if row.is_water:
                text = t("map.water", lang)
            elif row.status == "ok":
                text = t("hover.change", lang, change=signed(row.value, ind.decimals, lang), unit=unit,
                         since=state.since, then=format_number(row.value_since, ind.decimals, lang=lang),
                         year=state.year, now=format_number(row.value_now, ind.decimals, lang=lang))
            else:
                text = no_value_text(row.status, lang)
            texts.append(f"<b>{row.name}</b> ({row.code})<br>{text}")
        return texts

    heading = t("map.heading_change", lang, indicator=ind.label(lang), levels=t(f"levels.{state.level}", lang),
                area=area_name(warehouse, state.parent, lang), since=state.since, year=state.year)
    return MapView(_figure(warehouse, frame, url, colours, state, scope, hovers),
                   legend_entries(colours, labels, frame, lang), t("change.unit", lang, unit=unit), heading,
                   source_line(warehouse, state.indicator, lang),
                   " ".join(filter(None, [t("change.note", lang, since=state.since, year=state.year), problem])),
                   _areas(frame, colours, lang, lambda row: signed(row.value, ind.decimals, lang)))


def map_view(warehouse: Warehouse, state: routes.MapState, scope: Scope, classes: Classes | None = None) -> MapView:
    """The view for one resolved state (raises NotFound / AccessDenied). ``classes``: the
    bounds of another value map (its ``MapView.classes``) to draw a value map on, so that both
    share one scale."""
    if not warehouse.view_exists(state.level, state.parent):
        raise NotFound(f"{state.level} / {state.parent}")
    url = routes.geometry_url(warehouse.build_id, state.level, state.parent)
    if state.mode == "score":
        return score_view(warehouse, state, scope, url)
    if state.mode == "verandering":
        if state.since is not None:
            return change_map_view(warehouse, state, scope, url)
        view = value_view(warehouse, state, scope, url)
        view.notice = t("change.one_year", state.lang)
        return view
    if state.mode == "hotspots":
        if state.level in HOTSPOT_LEVELS:
            return hotspots_map_view(warehouse, state, scope, url)
        view = value_view(warehouse, state, scope, url)
        view.notice = t("hotspot.level_only", state.lang)
        return view
    return value_view(warehouse, state, scope, url, classes)
