"""A one-page briefing (A4 portrait, vector PDF) on one area, for readers who never saw the dashboard.

:func:`briefing_pdf` makes the sheet of a regio, gemeente or wijk (a buurt gets its wijk's sheet,
with an extra column for the buurt itself):

- the title ("Ondermijningsbeeld — <name> (<code>), <year>") and the area's place in the tree
  ("gemeente in <regio>"), with one line on how to read the page;
- a map of its sub-areas (the composite risk signal by default, or one indicator's values) with
  its legend, on the same :class:`~dashboard.export.page.Page` as the image export (embedded
  geometry, the same classes and colours, the legend as swatches);
- a table of the key indicators (every catalog indicator that is not a count, grouped by theme,
  at most :data:`MAX_ROWS`): this area, the areas above it, NL and its rank among all areas of
  its level ("12 van 342"), in Dutch number format. Values and ranks come from
  :func:`data_pipeline.analysis.area_profile` (the numbers of the CLI ``table`` and the dashboard's
  profile), so a hidden value reads "n.b.", never 0;
- small trend lines (the area and NL over all years) for up to :data:`MAX_TRENDS` indicators;
- the source block of the image export: sources with table ids, boundary year, attribution,
  export date, the "risicosignaal, geen bewijs" caveat, the marking line and, on demo data,
  "Synthetische gegevens".

It is rendered by the same long-lived Chromium as the image export
(:func:`dashboard.export.render.renderer`), one page of exactly A4, text as text, no raster images.

:func:`briefing_data` gathers the content (no browser) and :func:`compose_briefing` lays it out
as one ``go.Figure``; both are separate so they can be checked without rendering.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace
from datetime import datetime

import pandas as pd
import plotly.graph_objects as go

from dashboard import routes
from dashboard.export.image import export_meta
from dashboard.export.page import (A4_HEIGHT_MM, LINE_HEIGHT, MUTED_COLOUR, TEXT_COLOUR, ExportMeta, Page, PaperMap,
                                   css_width, mm_to_css)
from dashboard.export.render import ExportError, Renderer, renderer
from dashboard.formatting import format_count, format_number, missing_text
from dashboard.i18n import language, t
from dashboard.views import MapView, area_name, map_view, resolve_state
from data_pipeline import analysis
from data_pipeline.warehouse import NotFound, Scope, Warehouse
from geodata.codes import LAND_CODE, level_of
from indicators.catalog import Indicator
from indicators.composite import eligible_indicators

#: A4 portrait in CSS pixels (what Chromium prints at 96 px per inch).
PAGE_WIDTH = css_width("pdf")
PAGE_HEIGHT = mm_to_css(A4_HEIGHT_MM)
MAX_ROWS = 15
MAX_TRENDS = 4
AREA_COLOUR = "#2166ac"
NL_COLOUR = "#7f7f7f"


# -- content -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Column:
    """A value column of the table: one area."""

    code: str
    header: str


@dataclass(frozen=True)
class Row:
    """A table row: one indicator for every column, and the sheet area's rank."""

    indicator: Indicator
    label: str  # "Label (unit)"
    values: tuple[float | None, ...]  # published values, one per column; None = n.b.
    cells: tuple[str, ...]  # the same, in Dutch number format ("n.b." where None)
    rank: str  # "12 van 342", or "n.b."


@dataclass(frozen=True)
class Trend:
    """One small line chart: an indicator for the sheet's area and NL over the years."""

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
        raise NotFound(t("briefing.unknown_area", lang, code=code,
                         description=warehouse.meta.get("description", "")))
    area = warehouse.visible_area(text, scope)  # AccessDenied outside the viewer's scope
    if area.level == "land":
        raise ValueError(t("briefing.land", lang, name=area.name, code=text))
    if area.level == "buurt":
        return area.parent_code, text
    return text, None


def resolve_year(warehouse: Warehouse, year: int | None, lang: str = "nl") -> int:
    """The sheet's year: ``year``, or the latest when ``None``; raises NotFound for a year without data."""
    if year is None:
        return int(warehouse.years[-1])
    if int(year) not in warehouse.years:
        raise NotFound(t("briefing.unknown_year", lang, year=year, first=warehouse.years[0],
                         last=warehouse.years[-1]))
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
            raise NotFound(t("briefing.no_map", lang, name=warehouse.name(code), code=code))
        state = replace(state, level=below[-1])
    state = resolve_state(warehouse, state)
    return state, map_view(warehouse, state, scope)


def sources_text(indicators: list[Indicator], lang: str = "nl") -> str:
    """The sources with their table ids, ``Source (table, table); Other (table)``, in first-seen order."""
    by_source: dict[str, list[str]] = {}
    for ind in indicators:
        ids = by_source.setdefault(ind.source_name(lang), [])
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
    land_name = area_name(warehouse, LAND_CODE, lang)

    above = lineage[1:-1][::-1]  # e.g. a wijk's gemeente, then its regio
    if level == "regio":
        place = t("briefing.place_regio", lang, land=land_name)
    else:
        kind, within = t(f"level1.{level}", lang), t("briefing.in", lang)
        place = f"{kind} {within} " + ", ".join(
            (t("level1.gemeente", lang) + f" {warehouse.name(c)}" if level_of(c) == "gemeente"
             else warehouse.name(c)) for c in above)

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
        rank = (t("briefing.rank_of", lang, rank=format_count(own["rank"], lang=lang),
                  n=format_count(own["n_ranked"], lang=lang)) if pd.notna(own["rank"]) else missing_text(lang))
        groups.setdefault(ind.theme, []).append(Row(
            ind, f"{ind.label(lang)} ({ind.unit(lang)})", values,
            tuple(format_number(v, ind.decimals, lang=lang) for v in values), rank))
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
        what = t("briefing.what_score", lang)
    else:
        used = [warehouse.catalog.get(state.indicator)]
        what = t("briefing.what_value", lang, indicator=used[0].label(lang), unit=used[0].unit(lang))
    shown = list(dict.fromkeys([*chosen, *(tr.indicator for tr in trends), *used]))
    sources = t("briefing.sources", lang, sources=sources_text(shown, lang), boundary_year=warehouse.meta["boundary_year"])
    base = export_meta(warehouse, state, view, marking=marking, now=now)
    title = t("briefing.title", lang, name=name, code=sheet, year=year)
    meta = replace(base, title=title, sources=sources, caveat=t("briefing.caveat", lang),
                   attribution=warehouse.meta.get("attribution", ""))
    others = [c.header for c in columns if c.code not in (sheet, land, buurt)]
    levels = t(f"levels.{level}", lang)
    return Briefing(
        code=sheet, requested=str(code), level=level, name=name, year=year, lang=lang, title=title, place=place,
        requested_line=(t("briefing.requested", lang, name=warehouse.name(buurt), code=buurt) if buurt else ""),
        guide=t("briefing.guide", lang, sublevels=t(f"levels.{state.level}", lang), name=name,
                what=what, year=year, levels=levels, first=years[0], last=years[-1],
                others=(", ".join(others) + " " + t("briefing.and", lang) + " " if others else "") + land_name),
        columns=columns, groups=grouped, omitted=omitted,
        rank_header=t("briefing.rank", lang, levels=levels),
        rank_note=" ".join([t("briefing.rank_note", lang, name=name, levels=levels),
                            *([t("briefing.omitted", lang, n=omitted)] if omitted else [])]),
        trends=trends, view=view, state=state, geojson=warehouse.geometry(state.level, state.parent, scope),
        meta=meta, method_note=base.caveat if state.mode == "score" else "")


# -- layout --------------------------------------------------------------------------------------

@dataclass
class _Band:
    """Where the map and the trend lines go (CSS pixels from the top-left corner)."""

    top: float
    height: float
    map_width: float
    trends_x: float
    trends_width: float


def _header(page: Page, b: Briefing) -> None:
    page.header(b.meta, f"{b.place} · {t('export.boundaries', b.lang, year=b.meta.boundary_year)}")
    if b.requested_line:
        page.text(b.requested_line, 9.5, colour=TEXT_COLOUR, gap=2)
    page.y += 2
    page.text(b.guide, 9.5, colour=MUTED_COLOUR, gap=8)


def _band_headings(page: Page, b: Briefing, band: _Band) -> None:
    top = page.y
    left = page.text(b.view.heading, 11, bold=True, width=band.map_width, y=top)
    right = 0.0
    if b.trends:
        first, last = b.trends[0].years[0], b.trends[0].years[-1]
        right = page.text(t("briefing.trends", b.lang, first=first, last=last), 11, bold=True, x=band.trends_x,
                          y=top, width=band.trends_width)
    page.y = top + max(left, right) + 4


def _table(page: Page, b: Briefing) -> None:
    size, head = 9.0, 8.0
    page.text(t("briefing.table", b.lang, year=b.year), 11, bold=True, gap=3)
    n = len(b.columns)
    rank_width = 92.0  # "3.073 van 3.214"
    col = min(92.0, (page.inner * 0.62 - rank_width) / n)
    label_width = page.inner - n * col - rank_width
    widths = [col] * n + [rank_width]
    rights = [page.margin + label_width + sum(widths[:i + 1]) - 3 for i in range(n + 1)]
    top = page.y
    heights = [page.text(t("briefing.indicator", b.lang), head, width=label_width - 6, bold=True, y=top)]
    for right, width, header in zip(rights, widths, [c.header for c in b.columns] + [b.rank_header]):
        heights.append(page.text(header, head, x=right, y=top, width=width - 8, align="right", bold=True,
                                 hyphens=True))
    page.y = top + max(heights) + 2
    page.rule(page.y, colour=TEXT_COLOUR)
    page.y += 2
    for theme, rows in b.groups:
        page.y += 1
        page.text(theme, size, width=label_width, bold=True, colour=MUTED_COLOUR)
        for row in rows:
            used = page.text(row.label, size, x=page.margin + 8, y=page.y, width=label_width - 14)
            for right, text in zip(rights, [*row.cells, row.rank]):  # numbers are never wrapped
                page.text(text, size, x=right, y=page.y, width=page.inner, align="right",
                          colour=MUTED_COLOUR if text == missing_text(b.lang) else TEXT_COLOUR)
            page.y += used + 1
            page.rule(page.y - 0.5, colour="#e0e0e0")
    page.rule(page.y, colour=TEXT_COLOUR)
    page.y += 3
    page.text(b.rank_note, 8.5, colour=MUTED_COLOUR, gap=6)


def _layout(b: Briefing, band_height: float) -> tuple[Page, _Band]:
    page = Page(PAGE_WIDTH, PAGE_HEIGHT)
    map_width = page.inner * (0.6 if b.trends else 1.0)
    gap = 18.0
    band = _Band(0, band_height, map_width, page.margin + map_width + gap, page.inner - map_width - gap)
    _header(page, b)
    _band_headings(page, b, band)
    band.top = page.y
    page.y += band_height + 8
    page.legend(b.view.legend, b.meta.unit, b.lang)
    page.y += 4
    _table(page, b)
    page.footer(b.meta, notes=(b.method_note,), size=9.0, gap=1)
    return page, band


def _trend_charts(page: Page, b: Briefing, band: _Band) -> None:
    """Small line charts stacked beside the map: the area (solid) and NL (dashed), under a key."""
    if not b.trends:
        return
    x0, width = band.trends_x, band.trends_width
    land = next((c.header for c in b.columns if c.code == LAND_CODE), t("level.land", b.lang))
    y, half, size = band.top + 5, width / 2, 8.5
    key = size * LINE_HEIGHT
    for i, (label, colour, dash) in enumerate(((b.name, AREA_COLOUR, "solid"), (land, NL_COLOUR, "dash"))):
        lx = x0 + i * half
        page.rule(y, lx, lx + 24, colour, width=1.6, dash=dash)
        key = max(key, page.text(label, size, x=lx + 28, y=y - 6, width=half - 32))
    top = band.top + key + 6
    slot = (band.height - key - 6) / max(len(b.trends), 3)
    for n, trend in enumerate(b.trends):
        ind, y0 = trend.indicator, top + n * slot
        label = page.text(f"{ind.label(b.lang)} ({ind.unit(b.lang)})", size, x=x0, y=y0, width=width)
        plot_top, plot_bottom = y0 + label + 4, y0 + slot - 16
        page.chart(x0 + 34, x0 + width - 6, plot_top, plot_bottom, list(trend.years),
                   [(list(trend.nl), NL_COLOUR, "dash"), (list(trend.area), AREA_COLOUR, "solid")])
        if all(v is None for v in (*trend.area, *trend.nl)):
            page.text(t("briefing.no_values", b.lang), 8, x=x0 + 40, y=(plot_top + plot_bottom) / 2 - 5,
                      width=width - 46, colour=MUTED_COLOUR)


def compose_briefing(b: Briefing) -> go.Figure:
    """The sheet as one A4 portrait ``go.Figure`` (CSS pixels; Chromium prints 96 px per inch)."""
    page, _ = _layout(b, 0.0)
    fixed = page.y + page.margin * 0.6
    band_height = max(180.0, min(PAGE_HEIGHT - fixed, 520.0))
    page, band = _layout(b, band_height)
    if page.y + page.margin * 0.6 > PAGE_HEIGHT + 0.5:
        raise ExportError(f"the briefing of {b.code} does not fit on one A4 page")
    # The map in a box of its own shape, centred in its part of the band.
    paper = PaperMap.of(b.view, b.geojson)
    aspect = paper.aspect or band.height / band.map_width
    map_w = min(band.map_width, band.height / aspect)
    map_h = map_w * aspect
    page.map(paper, page.margin + (band.map_width - map_w) / 2, band.top + (band.height - map_h) / 2, map_w, map_h)
    _trend_charts(page, b, band)
    if b.meta.demo:
        page.watermark(t("export.watermark", b.lang), page.margin + band.map_width / 2,
                       band.top + band.height / 2, round(band.map_width / 15))
    return page.figure(title=b.title, lang=b.lang)


# -- the file ------------------------------------------------------------------------------------

def briefing_pdf(warehouse: Warehouse, code: str, year: int | None, *, scope: Scope, marking: str | None = None,
                 lang: str = "nl", now: datetime | None = None, indicator: str | None = None,
                 renderer_: Renderer | None = None) -> bytes:
    """The one-page A4 briefing of an area as a vector PDF.

    Parameters
    ----------
    warehouse, scope
        The data and what the viewer may see.
    code
        A regio, gemeente or wijk; a buurt gets its wijk's sheet, with a column for the buurt.
    year
        The year of the figures (``None``: the latest).
    marking
        The marking line (default: ``$ONDERMIJNINGSBEELD_EXPORT_MARKING``).
    lang, now
        The page's language and the export date shown (default: now, Europe/Amsterdam).
    indicator
        Map this indicator's values instead of the composite risk signal.
    renderer_
        The browser to render with (default: the process-wide one).

    Returns
    -------
    bytes
        The PDF. Raises ``NotFound`` for an unknown area or year, ``AccessDenied`` outside
        ``scope``, ``ValueError`` for the land and :class:`~dashboard.export.render.ExportError`
        when rendering fails.
    """
    fig = compose_briefing(briefing_data(warehouse, code, year, scope=scope, indicator=indicator, marking=marking,
                                         lang=lang, now=now))
    active = renderer_ or renderer()
    return active.render(fig, fmt="pdf", width=fig.layout.width, height=fig.layout.height, scale=1)


def slug(text: str) -> str:
    """A file-name part: ASCII, lower case, dashes.

    >>> slug("Groot-Wolderburg"), slug("'s-Hertogenbosch"), slug("Súdwest-Fryslân"), slug("?")
    ('groot-wolderburg', 's-hertogenbosch', 'sudwest-fryslan', 'gebied')
    """
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-") or "gebied"


def briefing_filename(warehouse: Warehouse, code: str, year: int | None) -> str:
    """A safe download name for the sheet, e.g. ``ondermijningsbeeld-GM0888-groot-wolderburg-2024.pdf``
    (a buurt's code gives its wijk's sheet, and so its name)."""
    sheet, _ = resolve_area(warehouse, code, Scope.everything())
    year = resolve_year(warehouse, year)
    return f"ondermijningsbeeld-{sheet}-{slug(warehouse.name(sheet))}-{year}.pdf"
