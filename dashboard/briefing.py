"""A one-page briefing (A4 portrait, vector PDF) on one area, for readers who never saw the dashboard.

:func:`briefing_pdf` makes the sheet of a regio, gemeente or wijk (a buurt gets its wijk's sheet,
with an extra column for the buurt itself):

- the title ("Ondermijningsbeeld — <name> (<code>), <year>") and the area's place in the tree
  ("gemeente in <regio>"), with one line on how to read the page;
- a map of its sub-areas (the composite risk signal by default, or one indicator's values) with
  its legend, composed as the image export does (:mod:`dashboard.export`'s helpers: embedded
  geometry, the same classes and colours, the legend as shapes);
- a table of the key indicators (every catalog indicator that is not a count, grouped by theme,
  at most :data:`MAX_ROWS`): this area, the areas above it, NL and its rank among all areas of
  its level ("12 van 342"), in Dutch number format. Values and ranks come from
  :func:`data_pipeline.analysis.area_profile` (the numbers of the CLI ``table`` and the dashboard's
  profile), so a hidden value reads "n.b.", never 0;
- small trend lines (the area and NL over all years) for up to :data:`MAX_TRENDS` indicators;
- the source block of the image export: sources with table ids, boundary year, attribution,
  export date, the "risicosignaal, geen bewijs" caveat, the marking line and, on demo data,
  "Synthetische gegevens".

It is rendered by the same long-lived kaleido/Chromium as the image export
(:func:`dashboard.export.renderer`), one page of exactly A4, text as text, no raster images.

:func:`briefing_data` gathers the content (no browser) and :func:`compose_briefing` lays it out
as one ``go.Figure``; both are separate so they can be checked without rendering.
"""

from __future__ import annotations

import math
import re
import textwrap
import unicodedata
from dataclasses import dataclass, replace
from datetime import datetime

import pandas as pd
import plotly.graph_objects as go

from dashboard import export, routes
from dashboard.export import (DEMO_COLOUR, FONT, MARKING_COLOUR, MUTED_COLOUR, TEXT_COLOUR, ExportError, ExportMeta,
                              Renderer)
from dashboard.formatting import format_count, format_number, missing_text
from dashboard.i18n import language, t
from dashboard.views import MapView, map_view, resolve_state
from data_pipeline import analysis
from data_pipeline.warehouse import NotFound, Scope, Warehouse
from geodata.codes import LAND_CODE, level_of
from indicators.catalog import Indicator
from indicators.composite import eligible_indicators

#: A4 portrait in CSS pixels (what kaleido prints at 96 px per inch).
PAGE_WIDTH = export.css_width("pdf")
PAGE_HEIGHT = 297.0 / export.MM_PER_INCH * export.CSS_DPI
MAX_ROWS = 15
MAX_TRENDS = 4
AREA_COLOUR = "#2166ac"
NL_COLOUR = "#7f7f7f"
RULE_COLOUR = "#9e9e9e"

TEXTS = {
    "nl": {
        "level": {"regio": "RIEC-regio", "gemeente": "gemeente", "wijk": "wijk", "buurt": "buurt"},
        "levels": {"regio": "RIEC-regio's", "gemeente": "gemeenten", "wijk": "wijken", "buurt": "buurten"},
        "in": "in",
        "place_regio": "RIEC-regio in {land}",
        "requested": ("Gevraagd: buurt {name} ({code}). Een buurt is te klein voor een eigen blad: dit is het "
                      "blad van de wijk waarin die ligt, met een kolom voor de buurt."),
        "guide": ("Wat dit blad laat zien: de kaart kleurt de {sublevels} van {name} naar {what}; de tabel zet "
                  "de kerncijfers van {year} naast {others} en de rang onder alle {levels}; de lijnen tonen het "
                  "verloop {first}–{last} naast Nederland. n.b. = niet bekend of te klein om te tonen."),
        "what_score": "het samengestelde risicosignaal (hoger: meer signalen dan gemiddeld in Nederland)",
        "what_value": "{indicator} ({unit})",
        "and": "en",
        "table": "Kerncijfers {year}",
        "indicator": "Indicator (eenheid)",
        "rank": "Rang onder {levels}",
        "rank_of": "{rank} van {n}",
        "rank_note": ("Rang: plaats van {name} onder alle {levels} met een gepubliceerde waarde; 1 = hoogste "
                      "waarde."),
        "omitted": " Niet getoond: {n} andere indicatoren (zie het dashboard).",
        "trends": "Verloop {first}–{last}",
        "no_values": "geen gepubliceerde waarden",
        "caveat": ("Risicosignaal, geen bewijs: deze cijfers wijzen waar verder kijken zinvol kan zijn; ze zeggen "
                   "niets over individuele personen of bedrijven."),
        "sources": "Bron: {sources}; {boundary_label} {boundary_year}.",
        "title": "Ondermijningsbeeld — {name} ({code}), {year}",
        "unknown_area": ("Onbekend gebied {code!r}: geen regio, gemeente, wijk of buurt met die code in dit "
                         "warehouse ({description})."),
        "land": "Een blad gaat over één regio, gemeente of wijk, niet over heel {name} ({code}).",
        "unknown_year": "Geen gegevens voor {year}: dit warehouse heeft {first}–{last}.",
        "no_map": "Geen kaart van de deelgebieden van {name} ({code}) in dit warehouse.",
    },
    "en": {
        "level": {"regio": "RIEC region", "gemeente": "municipality", "wijk": "district", "buurt": "neighbourhood"},
        "levels": {"regio": "RIEC regions", "gemeente": "municipalities", "wijk": "districts",
                   "buurt": "neighbourhoods"},
        "in": "in",
        "place_regio": "RIEC region in {land}",
        "requested": ("Requested: neighbourhood {name} ({code}). A neighbourhood is too small for a sheet of its "
                      "own: this is the sheet of its district, with a column for the neighbourhood."),
        "guide": ("What this sheet shows: the map colours the {sublevels} of {name} by {what}; the table sets the "
                  "key figures of {year} beside {others} and the rank among all {levels}; the lines show "
                  "{first}–{last} beside the Netherlands. n.b. = not known or too small to show."),
        "what_score": "the composite risk signal (higher: more signals than the Dutch average)",
        "what_value": "{indicator} ({unit})",
        "and": "and",
        "table": "Key figures {year}",
        "indicator": "Indicator (unit)",
        "rank": "Rank among {levels}",
        "rank_of": "{rank} of {n}",
        "rank_note": "Rank: place of {name} among all {levels} with a published value; 1 = highest value.",
        "omitted": " Not shown: {n} other indicators (see the dashboard).",
        "trends": "Trend {first}–{last}",
        "no_values": "no published values",
        "caveat": ("A risk signal, not proof: these figures show where a closer look may help; they say nothing "
                   "about individual people or businesses."),
        "sources": "Source: {sources}; {boundary_label} {boundary_year}.",
        "title": "Ondermijningsbeeld — {name} ({code}), {year}",
        "unknown_area": ("Unknown area {code!r}: no region, municipality, district or neighbourhood with that code "
                         "in this warehouse ({description})."),
        "land": "A sheet is about one region, municipality or district, not all of {name} ({code}).",
        "unknown_year": "No data for {year}: this warehouse has {first}–{last}.",
        "no_map": "No map of the parts of {name} ({code}) in this warehouse.",
    },
}


def _text(lang: str, key: str, **values) -> str | dict:
    text = TEXTS[language(lang)][key]
    return text.format(**values) if values else text


# -- content -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Column:
    """A value column of the table: one area."""

    code: str
    header: str


@dataclass(frozen=True)
class Row:
    indicator: Indicator
    label: str  # "Label (unit)"
    values: tuple[float | None, ...]  # published values, one per column; None = n.b.
    cells: tuple[str, ...]  # the same, in Dutch number format ("n.b." where None)
    rank: str  # "12 van 342", or "n.b."


@dataclass(frozen=True)
class Trend:
    indicator: Indicator
    years: tuple[int, ...]
    area: tuple[float | None, ...]
    nl: tuple[float | None, ...]


@dataclass
class Briefing:
    """Everything on the sheet, before layout."""

    code: str  # the sheet's area (a wijk when a buurt was asked for)
    requested: str  # the code asked for
    level: str
    name: str
    year: int
    lang: str
    title: str
    place: str
    requested_line: str
    guide: str
    columns: list[Column]
    groups: list[tuple[str, list[Row]]]  # (theme label, rows) in catalog theme order
    omitted: int
    rank_header: str
    rank_note: str
    trends: list[Trend]
    view: MapView
    state: routes.MapState
    geojson: dict
    meta: ExportMeta  # sources, attribution, date, caveat, marking, demo: as the image export
    method_note: str = ""  # the composite's own caveat when the map shows it

    @property
    def rows(self) -> list[Row]:
        return [row for _, rows in self.groups for row in rows]


def resolve_area(warehouse: Warehouse, code: str, scope: Scope, lang: str = "nl") -> tuple[str, str | None]:
    """(the sheet's area, the buurt asked for or ``None``); raises NotFound, AccessDenied or ValueError."""
    text = str(code or "").strip().upper()
    if not warehouse.has_area(text):
        raise NotFound(_text(lang, "unknown_area", code=code, description=warehouse.meta.get("description", "")))
    area = warehouse.visible_area(text, scope)  # AccessDenied outside the viewer's scope
    if area.level == "land":
        raise ValueError(_text(lang, "land", name=area.name, code=text))
    if area.level == "buurt":
        return area.parent_code, text
    return text, None


def resolve_year(warehouse: Warehouse, year: int | None, lang: str = "nl") -> int:
    if year is None:
        return int(warehouse.years[-1])
    if int(year) not in warehouse.years:
        raise NotFound(_text(lang, "unknown_year", year=year, first=warehouse.years[0], last=warehouse.years[-1]))
    return int(year)


def _published(value: float) -> float | None:
    """A published value as the sheet holds it: ``None`` when hidden or missing."""
    return None if pd.isna(value) else float(value)


def table_indicators(warehouse: Warehouse) -> tuple[list[Indicator], int]:
    """The table's indicators in theme order (not counts; ``higher_is_worse`` first when there are
    more than :data:`MAX_ROWS`), and how many were left out."""
    rates = [i for i in warehouse.catalog.indicators if not i.is_count]
    chosen = ([i for i in rates if i.direction == "higher_is_worse"]
              + [i for i in rates if i.direction != "higher_is_worse"])[:MAX_ROWS]
    themes = list(warehouse.catalog.themes)
    ordered = sorted(chosen, key=lambda i: (themes.index(i.theme) if i.theme in themes else len(themes),
                                            rates.index(i)))
    return ordered, len(rates) - len(chosen)


def trend_indicators(warehouse: Warehouse, first: str | None = None) -> list[Indicator]:
    """Up to :data:`MAX_TRENDS` headline indicators: ``first``, then the first ``higher_is_worse`` rate
    of each theme, then other such rates."""
    rates = [i for i in warehouse.catalog.indicators if not i.is_count]
    worse = [i for i in rates if i.direction == "higher_is_worse"]
    chosen = [warehouse.catalog.get(first)] if first else []
    for theme in warehouse.catalog.themes:
        pick = next((i for i in worse if i.theme == theme), None)
        if pick is not None and pick not in chosen and pick.theme not in {c.theme for c in chosen}:
            chosen.append(pick)
    for ind in worse + rates:
        if ind not in chosen:
            chosen.append(ind)
    return chosen[:MAX_TRENDS]


def _map(warehouse: Warehouse, code: str, year: int, indicator: str | None, scope: Scope,
         lang: str) -> tuple[routes.MapState, MapView]:
    """The view of the area's sub-areas: the composite risk signal, or ``indicator``'s values."""
    if indicator is not None:
        warehouse.catalog.get(indicator)  # KeyError for an unknown id
    mode = "waarde"
    if indicator is None:
        if eligible_indicators(warehouse.catalog.indicators):
            mode = "score"
        else:
            worse = [i for i in warehouse.catalog.indicators if i.direction == "higher_is_worse" and not i.is_count]
            indicator = (worse or list(warehouse.catalog.indicators))[0].id
    state = routes.view_showing(routes.MapState(indicator=indicator, year=year, lang=lang, mode=mode), code)
    if not warehouse.view_exists(state.level, state.parent):  # e.g. a gemeente without wijk polygons
        below = warehouse.views_below(code)
        if not below:
            raise NotFound(_text(lang, "no_map", name=warehouse.name(code), code=code))
        state = replace(state, level=below[-1])
    state = resolve_state(warehouse, state)
    return state, map_view(warehouse, state, scope)


def _sources(indicators: list[Indicator]) -> str:
    """The sources with their table ids, ``Source (table, table); Other (table)``, in first-seen order."""
    by_source: dict[str, list[str]] = {}
    for ind in indicators:
        ids = by_source.setdefault(ind.source, [])
        for table_id in (part.strip() for part in str(ind.table_id).split(",")):
            if table_id and table_id not in ids:
                ids.append(table_id)
    return "; ".join(f"{source} ({', '.join(ids)})" for source, ids in by_source.items())


def briefing_data(warehouse: Warehouse, code: str, year: int | None, *, scope: Scope, indicator: str | None = None,
                  marking: str | None = None, lang: str = "nl", now: datetime | None = None) -> Briefing:
    """Everything the sheet of ``code`` shows (see the module doc); no browser needed."""
    lang = language(lang)
    sheet, buurt = resolve_area(warehouse, code, scope, lang)
    year = resolve_year(warehouse, year, lang)
    level, name = warehouse.area(sheet).level, warehouse.name(sheet)
    lineage = warehouse.lineage(sheet)  # land, regio, gemeente, wijk
    land = LAND_CODE
    land_name = t("level.land", lang)

    above = lineage[1:-1][::-1]  # e.g. a wijk's gemeente, then its regio
    if level == "regio":
        place = _text(lang, "place_regio", land=land_name)
    else:
        place = f"{_text(lang, 'level')[level]} {_text(lang, 'in')} " + ", ".join(
            (f"{_text(lang, 'level')['gemeente']} {warehouse.name(c)}"
             if level_of(c) == "gemeente" else warehouse.name(c)) for c in above)

    column_codes = ([buurt] if buurt else []) + [sheet] + above + [land]
    columns = [Column(c, land_name if c == land else warehouse.name(c)) for c in column_codes]

    chosen, omitted = table_indicators(warehouse)
    # The numbers of the CLI `table` and the dashboard's profile: published values only, and the
    # rank among all areas of the level with a shown value.
    profiles = {c: analysis.area_profile(warehouse, c, year, [i.id for i in chosen], scope).set_index("indicator")
                for c in column_codes}
    groups: dict[str, list[Row]] = {}
    for ind in chosen:
        values = tuple(_published(profiles[c].at[ind.id, "value"]) for c in column_codes)
        own = profiles[sheet].loc[ind.id]
        rank = (_text(lang, "rank_of", rank=format_count(own["rank"]), n=format_count(own["n_ranked"]))
                if pd.notna(own["rank"]) else missing_text())
        groups.setdefault(ind.theme, []).append(Row(
            ind, f"{ind.label(lang)} ({ind.unit(lang)})", values,
            tuple(format_number(v, ind.decimals) for v in values), rank))
    theme_labels = warehouse.catalog.themes
    grouped = [(theme_labels.get(theme, {}).get(lang, theme), rows) for theme, rows in groups.items()]

    state, view = _map(warehouse, sheet, year, indicator, scope, lang)
    years = [int(y) for y in warehouse.years]
    trend_inds = trend_indicators(warehouse, state.indicator if state.mode == "waarde" else None)
    over_time = analysis.trends(warehouse, [sheet, land], [i.id for i in trend_inds], scope).set_index(
        ["code", "indicator", "year"])["value"]
    trends = [Trend(ind, tuple(years), tuple(_published(over_time[(sheet, ind.id, y)]) for y in years),
                    tuple(_published(over_time[(land, ind.id, y)]) for y in years))
              for ind in trend_inds]

    if state.mode == "score":
        used = eligible_indicators(warehouse.catalog.indicators)
        what = _text(lang, "what_score")
    else:
        used = [warehouse.catalog.get(state.indicator)]
        what = _text(lang, "what_value", indicator=used[0].label(lang), unit=used[0].unit(lang))
    shown = list(dict.fromkeys([*chosen, *(tr.indicator for tr in trends), *used]))
    sources = _text(lang, "sources", sources=_sources(shown), boundary_label=export.LABELS[lang]["boundary_year"],
                    boundary_year=warehouse.meta["boundary_year"])
    base = export.export_meta(warehouse, state, view, marking=marking, now=now)
    title = _text(lang, "title", name=name, code=sheet, year=year)
    meta = replace(base, title=title, sources=sources, caveat=_text(lang, "caveat"),
                   attribution=warehouse.meta.get("attribution", ""))
    others = [c.header for c in columns if c.code not in (sheet, land, buurt)]
    levels = _text(lang, "levels")[level]
    return Briefing(
        code=sheet, requested=str(code), level=level, name=name, year=year, lang=lang, title=title, place=place,
        requested_line=(_text(lang, "requested", name=warehouse.name(buurt), code=buurt) if buurt else ""),
        guide=_text(lang, "guide", sublevels=_text(lang, "levels").get(state.level, state.level), name=name,
                    what=what, year=year, levels=levels, first=years[0], last=years[-1],
                    others=(", ".join(others) + f" {_text(lang, 'and')} " if others else "") + land_name),
        columns=columns, groups=grouped, omitted=omitted,
        rank_header=_text(lang, "rank", levels=levels),
        rank_note=_text(lang, "rank_note", name=name, levels=levels) + (
            _text(lang, "omitted", n=omitted) if omitted else ""),
        trends=trends, view=view, state=state, geojson=export.load_geometry(warehouse, state.level, state.parent),
        meta=meta, method_note=base.caveat if state.mode == "score" else "")


# -- layout --------------------------------------------------------------------------------------

class _Sheet(export.Page):
    """:class:`dashboard.export.Page` plus table cells at any anchor and hairlines."""

    def __init__(self, width: float, margin: float):
        super().__init__(width, margin)
        self.rules: list[dict] = []

    def cell(self, text: str, size: float, x: float, width: float, *, align: str = "left", bold: bool = False,
             colour: str = TEXT_COLOUR, y: float | None = None, hyphens: bool = False) -> int:
        """Text anchored at ``x`` (its left or right edge), wrapped to ``width`` (also after a hyphen
        with ``hyphens``, for names such as "RIEC Amsterdam-Amstelland"); returns the lines."""
        if hyphens:
            chars = max(6, int(width / (size * (0.62 if bold else 0.58))))
            lines = textwrap.wrap(text, chars, break_long_words=True, break_on_hyphens=True) or [""]
        else:
            lines = export.wrap(text, width, size, bold)
        body = "<br>".join(export.escape(line) for line in lines)
        self.texts.append(dict(text=f"<b>{body}</b>" if bold else body, px=(x, self.y if y is None else y),
                               align=align, font=dict(size=size, color=colour, family=FONT)))
        return len(lines)

    def rule(self, y: float, x0: float | None = None, x1: float | None = None, colour: str = RULE_COLOUR,
             width: float = 0.6, dash: str = "solid") -> None:
        """A horizontal line at ``y`` (from margin to margin unless ``x0``/``x1`` are given)."""
        self.rules.append(dict(x0=self.margin if x0 is None else x0, x1=self.width - self.margin if x1 is None else x1,
                               y=y, colour=colour, width=width, dash=dash))


@dataclass
class _Band:
    """Where the map and the trend lines go (CSS pixels from the top-left corner)."""

    top: float
    height: float
    map_width: float
    trends_x: float
    trends_width: float


def _header(page: _Sheet, b: Briefing) -> None:
    meta = b.meta
    if meta.marking:
        page.text(meta.marking, 10, bold=True, colour=MARKING_COLOUR, align="center", gap=6)
    page.text(b.title, 18, bold=True, gap=2)
    page.text(f"{b.place} · {export.label(b.lang, 'boundary_year')} {meta.boundary_year}", 12,
              colour=MUTED_COLOUR, gap=2)
    if meta.demo:
        page.text(export.label(b.lang, "demo"), 12, bold=True, colour=DEMO_COLOUR, gap=2)
    if b.requested_line:
        page.text(b.requested_line, 9.5, colour=TEXT_COLOUR, gap=2)
    page.y += 2
    page.text(b.guide, 9.5, colour=MUTED_COLOUR, gap=8)


def _band_headings(page: _Sheet, b: Briefing, band: _Band) -> None:
    top = page.y
    left = page.text(b.view.heading, 11, bold=True, width=band.map_width, advance=False)
    page.y = top
    right = 0.0
    if b.trends:
        first, last = b.trends[0].years[0], b.trends[0].years[-1]
        right = page.text(_text(b.lang, "trends", first=first, last=last), 11, bold=True, x=band.trends_x,
                          width=band.trends_width, advance=False)
    page.y = top + max(left, right) + 4


def _table(page: _Sheet, b: Briefing) -> None:
    size, head = 9.0, 8.0
    page.text(_text(b.lang, "table", year=b.year), 11, bold=True, gap=3)
    n = len(b.columns)
    rank_width = 92.0  # "3.073 van 3.214"
    col = min(92.0, (page.inner * 0.62 - rank_width) / n)
    label_width = page.inner - n * col - rank_width
    widths = [col] * n + [rank_width]
    rights = [page.margin + label_width + sum(widths[:i + 1]) - 3 for i in range(n + 1)]
    top = page.y
    lines = [page.cell(_text(b.lang, "indicator"), head, page.margin, label_width - 6, bold=True)]
    for right, width, header in zip(rights, widths, [c.header for c in b.columns] + [b.rank_header]):
        lines.append(page.cell(header, head, right, width - 8, align="right", bold=True, hyphens=True))
    page.y = top + max(lines) * head * 1.3 + 2
    page.rule(page.y, colour=TEXT_COLOUR)
    page.y += 2
    for theme, rows in b.groups:
        page.y += 1
        page.cell(theme, size, page.margin, label_width, bold=True, colour=MUTED_COLOUR)
        page.y += size * 1.3
        for row in rows:
            used = [page.cell(row.label, size, page.margin + 8, label_width - 14)]
            for right, text in zip(rights, [*row.cells, row.rank]):  # numbers are never wrapped
                page.cell(text, size, right, page.inner, align="right",
                          colour=MUTED_COLOUR if text == missing_text() else TEXT_COLOUR)
            page.y += max(used) * size * 1.3 + 1
            page.rule(page.y - 0.5, colour="#e0e0e0")
    page.rule(page.y, colour=TEXT_COLOUR)
    page.y += 3
    page.text(b.rank_note, 8.5, colour=MUTED_COLOUR, gap=6)


def _footer(page: _Sheet, b: Briefing) -> None:
    """The image export's source block (see :func:`dashboard.export.compose_figure`)."""
    meta, lang, size = b.meta, b.lang, 9.0
    for text, bold in ((meta.caveat, True), (b.method_note, False), (meta.notice, False), (meta.sources, False),
                       (meta.attribution, False)):
        if text:
            page.text(text, size, bold=bold, colour=TEXT_COLOUR if bold else MUTED_COLOUR, gap=1)
    stamp = meta.exported_at.astimezone(export.TIMEZONE)
    page.text(f"{export.label(lang, 'exported')} {stamp:%d-%m-%Y %H:%M} {stamp.tzname()} (Europe/Amsterdam)"
              f" · {export.label(lang, 'product')}" + (f" · {export.label(lang, 'demo')}" if meta.demo else ""),
              size, colour=MUTED_COLOUR, gap=1)
    if meta.marking:
        page.y += 3
        page.text(meta.marking, 10, bold=True, colour=MARKING_COLOUR, align="center")


def _layout(b: Briefing, band_height: float) -> tuple[_Sheet, _Band]:
    page = _Sheet(PAGE_WIDTH, margin=round(PAGE_WIDTH * 0.05))
    map_width = page.inner * (0.6 if b.trends else 1.0)
    gap = 18.0
    band = _Band(0, band_height, map_width, page.margin + map_width + gap, page.inner - map_width - gap)
    _header(page, b)
    _band_headings(page, b, band)
    band.top = page.y
    page.y += band_height + 8
    export.draw_legend(page, b.view.legend, b.meta.unit, b.lang)
    page.y += 4
    _table(page, b)
    _footer(page, b)
    return page, band


def _trend_charts(page: _Sheet, b: Briefing, band: _Band, fx, fy) -> tuple[list[go.Scatter], dict]:
    """Small line charts stacked beside the map: the area (solid) and NL (dashed)."""
    traces, axes = [], {}
    if not b.trends:
        return traces, axes
    x0, width = band.trends_x, band.trends_width
    land = next(c.header for c in b.columns if c.code == LAND_CODE) if any(
        c.code == LAND_CODE for c in b.columns) else t("level.land", b.lang)
    # key: a short line per series, with its name
    y = band.top + 5
    half = width / 2
    key_lines = 1
    for i, (label, colour, dash) in enumerate(((b.name, AREA_COLOUR, None), (land, NL_COLOUR, "dash"))):
        lx = x0 + i * half
        page.rule(y, lx, lx + 24, colour, width=1.6, dash=dash or "solid")
        key_lines = max(key_lines, page.cell(label, 8.5, lx + 28, half - 32, y=y - 6))
    key = key_lines * 8.5 * 1.3 + 6
    top = band.top + key
    slot = (band.height - key) / max(len(b.trends), 3)
    for n, trend in enumerate(b.trends, start=1):
        ind, y0 = trend.indicator, top + (n - 1) * slot
        lines = page.cell(f"{ind.label(b.lang)} ({ind.unit(b.lang)})", 8.5, x0, width, bold=False, y=y0)
        plot_top = y0 + lines * 8.5 * 1.3 + 4
        plot_bottom = y0 + slot - 16
        suffix = "" if n == 1 else str(n)
        values = [v for v in (*trend.area, *trend.nl) if v is not None]
        for series, colour, dash in ((trend.nl, NL_COLOUR, "dash"), (trend.area, AREA_COLOUR, "solid")):
            traces.append(go.Scatter(
                x=list(trend.years), y=[math.nan if v is None else v for v in series], mode="lines+markers",
                line=dict(color=colour, width=1.6, dash=dash), marker=dict(size=3.5, color=colour),
                connectgaps=False, hoverinfo="skip", showlegend=False, xaxis=f"x{suffix}", yaxis=f"y{suffix}"))
        years = list(trend.years)
        step = 1 if len(years) <= 6 else math.ceil(len(years) / 6)
        axes[f"xaxis{suffix}"] = dict(
            domain=[fx(x0 + 34), fx(x0 + width - 6)], anchor=f"y{suffix}", tickvals=years[::step],
            ticktext=[str(y) for y in years[::step]], range=[years[0] - 0.3, years[-1] + 0.3] if len(years) > 1
            else [years[0] - 1, years[0] + 1], showgrid=False, zeroline=False, showline=True, linecolor="#bdbdbd",
            ticks="outside", ticklen=2, tickfont=dict(size=7.5, color=MUTED_COLOUR, family=FONT), fixedrange=True)
        axes[f"yaxis{suffix}"] = dict(
            domain=[fy(plot_bottom), fy(plot_top)], anchor=f"x{suffix}", rangemode="tozero", nticks=4,
            showgrid=True, gridcolor="#ececec", zeroline=False, showline=False, tickformat="~r",
            tickfont=dict(size=7.5, color=MUTED_COLOUR, family=FONT), fixedrange=True,
            **({} if values else {"range": [0, 1], "showticklabels": False}))
        if not values:
            page.cell(_text(b.lang, "no_values"), 8, x0 + 40, width - 46, colour=MUTED_COLOUR,
                      y=(plot_top + plot_bottom) / 2 - 5)
    return traces, axes


def compose_briefing(b: Briefing) -> go.Figure:
    """The sheet as one A4 portrait ``go.Figure`` (CSS pixels; kaleido prints 96 px per inch)."""
    page, _ = _layout(b, 0.0)
    fixed = page.y + page.margin * 0.6
    band_height = max(180.0, min(PAGE_HEIGHT - fixed, 520.0))
    page, band = _layout(b, band_height)
    if page.y + page.margin * 0.6 > PAGE_HEIGHT + 0.5:
        raise ExportError(f"the briefing of {b.code} does not fit on one A4 page")
    width, height = PAGE_WIDTH, PAGE_HEIGHT

    def fx(px):
        return px / width

    def fy(px):
        return 1 - px / height

    # The map, as the image export composes it: embedded geometry, framed on the drawn areas.
    traces = export.embedded_traces(b.view, b.geojson)
    key = (b.view.figure.data[0].featureidkey or "properties.code").removeprefix("properties.") if traces else "code"
    shown = {code for trace in traces for code in (trace.locations or ())}
    bounds = export.drawn_bounds(b.geojson, shown, key)
    # Framed on the drawn areas as in the image export, in a box of their own shape centred in its part of
    # the band.
    geo = export.framed_geo(b.view.figure.layout.geo.to_plotly_json(), bounds)
    aspect = export.mercator_aspect(bounds) if bounds else band.height / band.map_width
    map_w = min(band.map_width, band.height / aspect)
    map_h = map_w * aspect
    left, top = page.margin + (band.map_width - map_w) / 2, band.top + (band.height - map_h) / 2
    geo.update(domain=dict(x=[fx(left), fx(left + map_w)], y=[fy(top + map_h), fy(top)]))

    lines, axes = _trend_charts(page, b, band, fx, fy)

    annotations = [dict(text=a["text"], x=fx(a["px"][0]), y=fy(a["px"][1]), xref="paper", yref="paper",
                        xanchor=a["align"], yanchor="top", align=a["align"], showarrow=False, font=a["font"])
                   for a in page.texts]
    if b.meta.demo:
        annotations.append(dict(text=export.escape(export.label(b.lang, "watermark")),
                                x=fx(page.margin + band.map_width / 2), y=fy(band.top + band.height / 2),
                                xref="paper", yref="paper", xanchor="center", yanchor="middle", showarrow=False,
                                textangle=-28, font=dict(size=round(band.map_width / 15), family=FONT,
                                                         color="rgba(179, 88, 6, 0.14)")))
    shapes = [dict(type="rect", xref="paper", yref="paper", x0=fx(box["x"]), x1=fx(box["x"] + box["w"]),
                   y0=fy(box["y"] + box["h"]), y1=fy(box["y"]), fillcolor=box["colour"],
                   line=dict(color="#666666", width=0.5)) for box in page.boxes]
    shapes += [dict(type="line", xref="paper", yref="paper", x0=fx(r["x0"]), x1=fx(r["x1"]), y0=fy(r["y"]),
                    y1=fy(r["y"]), line=dict(color=r["colour"], width=r["width"], dash=r["dash"])) for r in page.rules]

    fig = go.Figure([*traces, *lines])
    fig.update_layout(
        geo=geo, width=width, height=height, margin=dict(l=0, r=0, t=0, b=0, pad=0, autoexpand=False),
        separators=",.", showlegend=False, paper_bgcolor="white", plot_bgcolor="white", template="none",
        font=dict(family=FONT, size=12, color=TEXT_COLOUR), annotations=annotations, shapes=shapes,
        meta=dict(title=b.title), **axes)
    return fig


# -- the file ------------------------------------------------------------------------------------

def briefing_pdf(warehouse: Warehouse, code: str, year: int | None, *, scope: Scope, marking: str | None = None,
                 lang: str = "nl", now: datetime | None = None, indicator: str | None = None,
                 renderer_: Renderer | None = None) -> bytes:
    """The one-page A4 briefing of ``code`` (regio, gemeente, wijk; a buurt gets its wijk's sheet)
    in ``year`` (``None``: the latest) as a vector PDF.

    ``marking`` defaults to ``$ONDERMIJNINGSBEELD_EXPORT_MARKING``; ``indicator`` maps that
    indicator's values instead of the composite risk signal. Raises ``NotFound`` for an unknown
    area or year, ``AccessDenied`` outside ``scope``, ``ValueError`` for the land and
    :class:`~dashboard.export.ExportError` when rendering fails.
    """
    fig = compose_briefing(briefing_data(warehouse, code, year, scope=scope, indicator=indicator, marking=marking,
                                         lang=lang, now=now))
    active = renderer_ or export.renderer()
    return active.render(fig, fmt="pdf", width=fig.layout.width, height=fig.layout.height, scale=1)


def _slug(text: str) -> str:
    """A file-name part: ASCII, lower case, dashes.

    >>> _slug("Groot-Wolderburg"), _slug("'s-Hertogenbosch"), _slug("Súdwest-Fryslân"), _slug("?")
    ('groot-wolderburg', 's-hertogenbosch', 'sudwest-fryslan', 'gebied')
    """
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-") or "gebied"


def briefing_filename(warehouse: Warehouse, code: str, year: int | None) -> str:
    """A safe download name for the sheet, e.g. ``ondermijningsbeeld-GM0888-groot-wolderburg-2024.pdf``
    (a buurt's code gives its wijk's sheet, and so its name)."""
    sheet, _ = resolve_area(warehouse, code, Scope.everything())
    year = resolve_year(warehouse, year)
    return f"ondermijningsbeeld-{sheet}-{_slug(warehouse.name(sheet))}-{year}.pdf"
