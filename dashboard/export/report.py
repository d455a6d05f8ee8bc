"""The ondermijningsbeeld as a document: the report of a gemeente or a RIEC region, as content.

:func:`report_data` gathers what the report says, once, as a :class:`Report`: a cover and a
list of :class:`Section` s, each with headings and blocks (:class:`Paragraph`, :class:`Table`,
:class:`MapBlock`, :class:`Chart`). :mod:`dashboard.export.document` renders that one content
as an editable Word file and as a multi-page PDF; nothing is computed twice.

A gemeente report has

- a cover (area, year, dataset, marking) and, in Word, a table of contents;
- a summary: the key figures of the gemeente page (a figure per theme against comparable
  gemeenten, with its trend) and where it stands out, unfavourable first
  (:func:`data_pipeline.analysis.standouts` with ``per_side``);
- the composite risk signal with the contribution of each indicator and a map of its wijken;
- per theme: the theme's indicators beside comparable gemeenten, the region and NL; a map of
  the wijken for the theme's headline indicator; the wijken that stand out on the theme
  (highest theme score among all wijken of the country); the hotspots among the wijken
  (Getis-Ord Gi*, FDR); the trend since the first year beside the region and NL;
- the viewer's organisation's own indicators (:mod:`data_pipeline.own`), when it has any;
- two empty sections for the analyst ("Bevindingen van partners", "Duiding"; Word only);
- method and caveats, sources with table ids and years, and what was hidden and why;
- an appendix with every wijk's value of each headline indicator.

A region report compares its gemeenten (a table and maps), lists the wijken that stand out
across the region and shows the trends per theme.

Every number comes from the data API the dashboard uses (:mod:`data_pipeline.analysis`, the
map views, the gemeente page's key figures), read with the viewer's :class:`Scope`: a report
is about its area's wijken, so it needs detail rights there (else ``AccessDenied``). Hidden
values read "n.b.", never 0; the disclosure section counts hidden wijk values, which the maps
show as n.b. anyway.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd

from dashboard import routes
from dashboard.export.briefing import resolve_year, slug, sources_text
from dashboard.export.image import MARKING_ENV, export_meta
from dashboard.export.page import ExportMeta
from dashboard.formatting import TIMEZONE, format_count, format_number, format_percent, missing_text, signed
from dashboard.gemeente import comparison, key_figures, tile_indicators, trend_words
from dashboard.i18n import language, t
from dashboard.views import MapView, area_name, map_view, resolve_state
from data_pipeline import analysis
from data_pipeline.own import OWN_DATASET
from data_pipeline.warehouse import AccessDenied, NotFound, Scope, Warehouse
from geodata.codes import LAND_CODE
from indicators.catalog import Indicator
from indicators.composite import eligible_indicators

N_STANDOUTS = 3  # per side, as on the gemeente page
MAX_WIJKEN = 5  # wijken that stand out, per theme
MAX_CONTRIBUTIONS = 10
HOTSPOT_METHOD, HOTSPOT_ALPHA = "gi", 0.05  # the dashboard's defaults
AREA_COLOUR, REGIO_COLOUR, NL_COLOUR = "#2166ac", "#b35806", "#7f7f7f"
LEVELS = ("gemeente", "regio")


# -- the content model ------------------------------------------------------------------------

@dataclass(frozen=True)
class Paragraph:
    """Plain text; ``style``: ``body``, ``note`` (smaller, muted), ``caveat`` (bold) or ``hint``
    (the analyst's placeholder), ``bullet`` (an item of a list)."""

    text: str
    style: str = "body"


@dataclass(frozen=True)
class Table:
    """A table of texts (numbers already in the language's format); ``numeric`` columns are
    right-aligned; ``widths`` are relative column widths; ``note`` goes under it."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    numeric: tuple[bool, ...]
    widths: tuple[float, ...] = ()
    note: str = ""
    title: str = ""


@dataclass
class MapBlock:
    """A map of the dashboard (:class:`~dashboard.views.MapView`) with its geometry and the
    texts its image carries (title, legend, source, marking)."""

    state: routes.MapState
    view: MapView
    geojson: dict
    meta: ExportMeta


@dataclass(frozen=True)
class Series:
    label: str
    values: tuple[float | None, ...]
    colour: str
    dash: str = "solid"


@dataclass(frozen=True)
class Chart:
    """Lines over the years (``None``: not shown that year), with the source under them."""

    title: str
    years: tuple[int, ...]
    series: tuple[Series, ...]
    source: str = ""


Block = Paragraph | Table | MapBlock | Chart


@dataclass
class Section:
    """A heading (``level`` 1 or 2) and its blocks; ``new_page``: starts a page in the PDF;
    ``editable_only``: the analyst's own sections, in the Word file only."""

    title: str
    level: int = 1
    blocks: list[Block] = field(default_factory=list)
    new_page: bool = False
    editable_only: bool = False


@dataclass
class Report:
    """Everything a report says, before it is laid out."""

    code: str
    level: str  # gemeente or regio
    name: str
    year: int
    since: int | None
    lang: str
    title: str
    subtitle: str
    cover: list[str]  # lines under the title: place, years, dataset
    meta: ExportMeta  # title, sources (with table ids), attribution, date, caveat, marking, demo
    sections: list[Section]

    @property
    def headings(self) -> list[str]:
        return [s.title for s in self.sections]


# -- gathering ----------------------------------------------------------------------------------

def resolve_report_area(warehouse: Warehouse, code: str, scope: Scope, lang: str = "nl") -> str:
    """The code of a gemeente or region the viewer may see in detail; raises ``NotFound`` for
    an unknown code or another level, ``AccessDenied`` outside the viewer's scope."""
    text = str(code or "").strip().upper()
    if not warehouse.has_area(text):
        raise NotFound(t("briefing.unknown_area", lang, code=code, description=warehouse.meta.get("description", "")))
    area = warehouse.visible_area(text, scope)
    if area.level not in LEVELS or area.is_water:
        raise NotFound(t("report.level", lang, code=text))
    if not scope.allows_view("wijk", warehouse.lineage(text)):  # a report is about its wijken
        raise AccessDenied(f"wijk inside {text}")
    return text


def resolve_since(warehouse: Warehouse, year: int, since: int | None, lang: str = "nl") -> int | None:
    """The first year of the trends: ``since``, or the warehouse's first; ``None`` with one year only."""
    earlier = [int(y) for y in warehouse.years if y < year]
    if since is None:
        return earlier[0] if earlier else None
    if int(since) not in earlier:
        raise ValueError(t("report.bad_since", lang, since=since, year=year))
    return int(since)


class _Context:
    """What every part of a report needs: the data, the area and the viewer."""

    def __init__(self, warehouse: Warehouse, code: str, year: int, since: int | None, scope: Scope, lang: str,
                 marking: str, now: datetime):
        self.wh, self.code, self.year, self.since, self.scope, self.lang = warehouse, code, year, since, scope, lang
        self.marking, self.now = marking, now
        area = warehouse.area(code)
        self.level = area.level
        self.regio = area.regio_code
        self.name = area_name(warehouse, code, lang)
        self.sub = "gemeente" if self.level == "regio" else "wijk"  # the areas on its maps
        self.catalog = warehouse.catalog
        self.eligible = eligible_indicators(self.catalog.indicators)
        self.headline = {i.theme: i for i in tile_indicators(self.catalog)}
        self.shown: list[Indicator] = []  # every indicator whose figures the report shows (its sources)

    def use(self, *indicators: Indicator) -> None:
        for ind in indicators:
            if ind not in self.shown:
                self.shown.append(ind)

    def label(self, ind: Indicator) -> str:
        return f"{ind.label(self.lang)} ({ind.unit(self.lang)})"

    def number(self, value, ind: Indicator) -> str:
        return format_number(value, ind.decimals, lang=self.lang)

    def theme(self, theme: str) -> str:
        return self.catalog.themes.get(theme, {}).get(self.lang, theme)

    def themes(self) -> list[tuple[str, list[Indicator]]]:
        """The themes with indicators that can signal anything, in catalog order."""
        return [(theme, [i for i in self.eligible if i.theme == theme]) for theme in self.catalog.themes
                if theme in self.headline]

    def map_block(self, level: str, parent: str, indicator: str | None, mode: str = "waarde") -> MapBlock | None:
        """The dashboard's map of ``level`` areas inside ``parent`` (None when there is none)."""
        if not self.wh.view_exists(level, parent):
            return None
        state = resolve_state(self.wh, routes.MapState(level=level, parent=parent, indicator=indicator,
                                                       year=self.year, lang=self.lang, mode=mode))
        view = map_view(self.wh, state, self.scope)
        meta = export_meta(self.wh, state, view, marking=self.marking, now=self.now)
        return MapBlock(state, view, self.wh.geometry(level, parent, self.scope), meta)


def _status_text(value, status: str, ind: Indicator, lang: str) -> str:
    """A published value, or why there is none ("n.b. (afgeschermd)")."""
    if status == "ok" and not pd.isna(value):
        return format_number(value, ind.decimals, lang=lang)
    return t("table.status.suppressed" if status == "suppressed" else "table.status.missing", lang)


def _profile_table(ctx: _Context, indicators: list[Indicator], title: str = "") -> Table:
    """The area's values beside comparable gemeenten (a gemeente), the region and NL, with its
    rank among all areas of its level: the rows of :func:`~data_pipeline.analysis.area_profile`."""
    lang = ctx.lang
    rows = analysis.area_profile(ctx.wh, ctx.code, ctx.year, [i.id for i in indicators], ctx.scope)
    columns = [("value", ctx.name)]
    if ctx.level == "gemeente":
        columns += [("peer_value", t("profile.peers", lang)), ("regio_value", area_name(ctx.wh, ctx.regio, lang))]
    columns.append(("nl_value", area_name(ctx.wh, LAND_CODE, lang)))
    body = []
    for ind, row in zip(indicators, rows.itertuples(index=False)):
        cells = [ctx.label(ind), _status_text(row.value, row.status, ind, lang)]
        cells += [ctx.number(getattr(row, key), ind) for key, _ in columns[1:]]
        cells.append(t("profile.rank_of", lang, rank=format_count(row.rank, lang=lang),
                       n=format_count(row.n_ranked, lang=lang)) if not pd.isna(row.rank) else missing_text(lang))
        body.append(tuple(cells))
    ctx.use(*indicators)
    note = t("briefing.rank_note", lang, name=ctx.name, levels=t(f"levels.{ctx.level}", lang))
    groups = rows["peer_group"].dropna()
    if ctx.level == "gemeente" and not groups.empty:
        from dashboard.panels import peer_label  # noqa: PLC0415 (the panels' words for a peer group)

        note += " " + t("profile.peer_note", lang, group=peer_label(groups.iloc[0], lang))
    header = (t("briefing.indicator", lang), *(label for _, label in columns),
              t("briefing.rank", lang, levels=t(f"levels.{ctx.level}", lang)))
    return Table(header, tuple(body), (False, *([True] * (len(columns) + 1))),
                 widths=(3.2, *([1.0] * len(columns)), 1.2), note=note, title=title)


def _summary(ctx: _Context) -> Section:
    lang = ctx.lang
    blocks: list[Block] = [Paragraph(t(f"report.summary_intro_{ctx.level}", lang, name=ctx.name, year=ctx.year))]
    figures = key_figures(ctx.wh, ctx.code, ctx.year, ctx.scope)
    rows = []
    for fig in figures:
        ind = fig.indicator
        value = (format_number(fig.value, ind.decimals, lang=lang) if fig.status == "ok"
                 else t(f"table.status.{fig.status}", lang))
        compared = (t("page.no_comparison", lang) if pd.isna(fig.ratio) else
                    f"{comparison(fig.ratio, fig.reference, lang)} ({ctx.number(fig.reference_value, ind)})")
        rows.append((ctx.theme(ind.theme), ctx.label(ind), value, compared, trend_words(fig.trend, ind.decimals, lang)))
        ctx.use(ind)
    blocks.append(Table((t("report.theme", lang), t("briefing.indicator", lang), str(ctx.year),
                         t("report.compared", lang), t("report.trend", lang)),
                        tuple(rows), (False, False, True, False, False), widths=(1.2, 2.2, 0.8, 2.2, 2.2),
                        title=t("page.glance", lang, year=ctx.year)))
    top = analysis.standouts(ctx.wh, ctx.code, ctx.year, ctx.scope, n=N_STANDOUTS, per_side=True)
    blocks.append(Paragraph(t("page.standouts", lang, name=ctx.name), "subheading"))
    blocks.append(Paragraph(t("page.standouts_help", lang), "note"))
    if top.empty:
        blocks.append(Paragraph(t("page.no_standouts", lang)))
    for side, rows_ in (("worse", top[top["worse"]]), ("better", top[~top["worse"]])):
        blocks.append(Paragraph(t(f"page.side_{side}", lang), "caveat"))
        if rows_.empty:
            blocks.append(Paragraph(t(f"page.none_{side}", lang, name=ctx.name)))
        for row in rows_.itertuples(index=False):
            ind = ctx.catalog.get(row.indicator)
            ctx.use(ind)
            blocks.append(Paragraph(
                f"{ind.label(lang)}: {ctx.number(row.value, ind)} {ind.unit(lang)}, "
                f"{comparison(row.ratio, row.reference, lang)} ({ctx.number(row.reference_value, ind)}).", "bullet"))
    blocks.append(Paragraph(t("briefing.caveat", lang), "caveat"))
    return Section(t("report.summary", lang), blocks=blocks, new_page=True)


def _risk_signal(ctx: _Context) -> Section:
    lang = ctx.lang
    blocks: list[Block] = []
    if not ctx.eligible:
        return Section(t("profile.score_title", lang), blocks=[Paragraph(t("profile.no_score", lang))], new_page=True)
    result = analysis.composite_breakdown(ctx.wh, ctx.code, ctx.year, scope=ctx.scope)
    blocks.append(Paragraph(t("report.score_intro", lang, levels=t(f"levels.{ctx.level}", lang))))
    if result is None:
        blocks.append(Paragraph(t("profile.no_score", lang)))
    else:
        blocks.append(Paragraph(t("report.score", lang, name=ctx.name, score=signed(result.score, 2, lang),
                                  coverage=format_percent(result.coverage, lang=lang)), "caveat"))
        parts = result.contributions.iloc[:MAX_CONTRIBUTIONS]
        ctx.use(*(ctx.catalog.get(i) for i in parts.index))
        blocks.append(Table((t("briefing.indicator", lang), t("report.theme", lang), t("report.contribution", lang)),
                            tuple((ctx.label(ctx.catalog.get(i)), ctx.theme(ctx.catalog.get(i).theme),
                                   signed(v, 2, lang)) for i, v in parts.items()),
                            (False, False, True), widths=(3, 1.5, 1), title=t("report.contributions", lang)))
        themes = result.theme_scores
        blocks.append(Table((t("report.theme", lang), t("report.theme_score", lang)),
                            tuple((ctx.theme(th), signed(v, 2, lang) if not pd.isna(v) else missing_text(lang))
                                  for th, v in themes.items()),
                            (False, True), widths=(3, 1), title=t("report.theme_scores", lang)))
    if ctx.level == "regio":
        frame, _ = analysis.composite_view(ctx.wh, "gemeente", ctx.code, ctx.year, "z", (), False, ctx.scope)
        frame = frame[~frame["is_water"]].sort_values("value", ascending=False, na_position="last")
        blocks.append(Table((t("level1.gemeente", lang).capitalize(), t("report.code", lang),
                             t("score.unit", lang), t("report.coverage", lang)),
                            tuple((r.name, r.code, signed(r.value, 2, lang) if r.status == "ok" else missing_text(lang),
                                   format_percent(r.coverage, lang=lang)) for r in frame.itertuples(index=False)),
                            (False, False, True, True), widths=(3, 1.2, 1, 1),
                            title=t("report.score_gemeenten", lang, name=ctx.name)))
    block = ctx.map_block(ctx.sub, ctx.code, None, mode="score")
    if block is not None:
        blocks.append(block)
    blocks.append(Paragraph(t("score.caveat", lang), "note"))
    return Section(t("profile.score_title", lang), blocks=blocks, new_page=True)


def _theme_scores(ctx: _Context) -> pd.DataFrame:
    """The theme scores of every wijk of the report's area (the composite at wijk level, as the
    score map computes it), with names; empty without eligible indicators."""
    if not ctx.eligible:
        return pd.DataFrame()
    codes = ctx.wh.codes("wijk", ctx.code)
    scores = analysis.composite(ctx.wh, "wijk", ctx.year).theme_scores.reindex(codes)
    return scores.assign(name=[ctx.wh.name(c) for c in codes], gemeente=[ctx.wh.area(c).parent_code for c in codes])


def _standing_out(ctx: _Context, theme: str, ind: Indicator, scores: pd.DataFrame) -> list[Block]:
    """The wijken with the highest score on the theme (above the national average of wijken)."""
    lang = ctx.lang
    title = t("report.wijken_out", lang, theme=ctx.theme(theme))
    if scores.empty or theme not in scores.columns:
        return [Paragraph(title, "subheading"), Paragraph(t("report.no_wijken_out", lang))]
    top = scores[scores[theme] > 0].sort_values(theme, ascending=False).head(MAX_WIJKEN)
    blocks: list[Block] = [Paragraph(title, "subheading"),
                           Paragraph(t("report.wijken_out_help", lang, n=MAX_WIJKEN), "note")]
    if top.empty:
        return blocks + [Paragraph(t("report.no_wijken_out", lang))]
    values = analysis.trends(ctx.wh, list(top.index), [ind.id], ctx.scope)
    values = values[values["year"] == ctx.year].set_index("code")
    rows = []
    for code, row in top.iterrows():
        cells = [row["name"], code]
        if ctx.level == "regio":
            cells.append(ctx.wh.name(row["gemeente"]))
        cells += [_status_text(values.at[code, "value"], values.at[code, "status"], ind, lang),
                  signed(row[theme], 2, lang)]
        rows.append(tuple(cells))
    header = [t("level1.wijk", lang).capitalize(), t("report.code", lang)]
    header += [t("level1.gemeente", lang).capitalize()] if ctx.level == "regio" else []
    header += [ctx.label(ind), t("report.theme_score", lang)]
    numeric = (False, False, *([False] if ctx.level == "regio" else []), True, True)
    return blocks + [Table(tuple(header), tuple(rows), numeric, widths=(2, 1.2, *([2] if ctx.level == "regio" else []),
                                                                        1.6, 1))]


def _hotspots(ctx: _Context, ind: Indicator) -> list[Block]:
    """The hot spots among the gemeente's wijken (Gi*, FDR), as the dashboard's hotspot map."""
    lang = ctx.lang
    title = Paragraph(t("report.hotspots", lang, indicator=ind.label(lang)), "subheading")
    if ctx.level == "regio":
        return [title, Paragraph(t("report.hotspots_regio", lang), "note")]
    if not ctx.wh.view_exists("wijk", ctx.code):
        return [title, Paragraph(t("report.hotspots_none", lang), "note")]
    frame = analysis.hotspot_view(ctx.wh, "wijk", ctx.code, ind.id, ctx.year, HOTSPOT_METHOD, HOTSPOT_ALPHA,
                                  ctx.scope)
    hot = frame[frame["category"] == "hot"]
    cold = frame[frame["category"] == "cold"]
    words = [t("report.hotspots_hot", lang, n=len(hot), areas=", ".join(f"{r.name} ({r.code})" for r in
                                                                        hot.itertuples(index=False)) or "—"),
             t("report.hotspots_cold", lang, n=len(cold))]
    return [title, Paragraph(" ".join(words)), Paragraph(t("hotspot.note", lang) + " " +
                                                         t("export.caveat_hotspots", lang), "note")]


def _trend(ctx: _Context, ind: Indicator) -> list[Block]:
    """The headline indicator from ``since`` to the year: the area, its region and NL."""
    lang = ctx.lang
    if ctx.since is None:
        return [Paragraph(t("report.one_year", lang), "note")]
    years = tuple(int(y) for y in ctx.wh.years if ctx.since <= y <= ctx.year)
    codes = [ctx.code] + ([ctx.regio] if ctx.level == "gemeente" else []) + [LAND_CODE]
    over = analysis.trends(ctx.wh, codes, [ind.id], ctx.scope).set_index(["code", "year"])
    colours = {ctx.code: AREA_COLOUR, ctx.regio: REGIO_COLOUR, LAND_CODE: NL_COLOUR}
    series, rows = [], []
    for code in codes:
        values = tuple(None if pd.isna(over.at[(code, y), "value"]) else float(over.at[(code, y), "value"])
                       for y in years)
        name = area_name(ctx.wh, code, lang)
        series.append(Series(name, values, colours[code], "solid" if code == ctx.code else "dash"))
        rows.append((name, *(_status_text(over.at[(code, y), "value"], over.at[(code, y), "status"], ind, lang)
                             for y in years)))
    title = t("report.trend_title", lang, indicator=ctx.label(ind), since=ctx.since, year=ctx.year)
    source = t("briefing.sources", lang, sources=sources_text([ind], lang), boundary_year=ctx.wh.meta["boundary_year"])
    return [Chart(title, years, tuple(series), source),
            Table((t("report.area", lang), *(str(y) for y in years)), tuple(rows), (False, *([True] * len(years))),
                  widths=(2.4, *([1.0] * len(years))))]


def _theme(ctx: _Context, theme: str, indicators: list[Indicator], scores: pd.DataFrame) -> Section:
    lang = ctx.lang
    head = ctx.headline[theme]
    blocks: list[Block] = [Paragraph(t("report.theme_intro", lang, indicator=head.label(lang)) + " "
                                     + head.explanation(lang))]
    blocks.append(_profile_table(ctx, indicators, t("report.figures", lang, theme=ctx.theme(theme), year=ctx.year)))
    if ctx.level == "regio":
        blocks.append(_gemeenten_table(ctx, indicators, t("report.gemeenten_theme", lang, theme=ctx.theme(theme))))
    block = ctx.map_block(ctx.sub, ctx.code, head.id)
    blocks.append(block if block is not None else Paragraph(t("briefing.no_map", lang, name=ctx.name, code=ctx.code)))
    blocks += _standing_out(ctx, theme, head, scores)
    blocks += _hotspots(ctx, head)
    blocks.append(Paragraph(t("report.trend_heading", lang), "subheading"))
    blocks += _trend(ctx, head)
    ctx.use(*indicators)
    return Section(ctx.theme(theme), blocks=blocks, new_page=True)


def _sub_values(ctx: _Context, indicators: list[Indicator]) -> tuple[list, dict]:
    """The map's areas (the gemeente's wijken, the region's gemeenten) and their published
    values of ``indicators``: the rows of :meth:`Warehouse.table` (as the CLI ``table``)."""
    frames = {ind.id: ctx.wh.table(ctx.sub, ctx.code, ind.id, ctx.year, ctx.scope).set_index("code")
              for ind in indicators}
    return [(code, ctx.wh.name(code)) for code in ctx.wh.codes(ctx.sub, ctx.code)], frames


def _gemeenten_table(ctx: _Context, indicators: list[Indicator], title: str) -> Table:
    """Every sub-area (wijk or gemeente) with its published values of ``indicators``."""
    lang = ctx.lang
    areas, frames = _sub_values(ctx, indicators)
    rows = tuple((name, code, *(_status_text(frames[i.id].at[code, "value"], frames[i.id].at[code, "status"], i, lang)
                                for i in indicators)) for code, name in areas)
    header = (t(f"level1.{ctx.sub}", lang).capitalize(), t("report.code", lang), *(ctx.label(i) for i in indicators))
    ctx.use(*indicators)
    return Table(header, rows, (False, False, *([True] * len(indicators))),
                 widths=(2.2, 1.3, *([1.2] * len(indicators))), title=title,
                 note=t("report.table_note", lang, year=ctx.year))


def _own_data(ctx: _Context) -> Section | None:
    """The figures of the viewer's organisation's own indicators (a warehouse as its viewer
    sees it: :func:`data_pipeline.own.overlay`), when it has any."""
    own = [i for i in ctx.catalog.indicators if i.dataset == OWN_DATASET]
    if not own:
        return None
    return Section(t("report.own", ctx.lang), blocks=[Paragraph(t("report.own_intro", ctx.lang)),
                                                      _profile_table(ctx, own)], new_page=True)


def _analyst(ctx: _Context) -> list[Section]:
    return [Section(t(f"report.{key}", ctx.lang), blocks=[Paragraph(t(f"report.{key}_hint", ctx.lang), "hint")],
                    new_page=True, editable_only=True) for key in ("partners", "duiding")]


def _method(ctx: _Context) -> Section:
    lang = ctx.lang
    texts = [t("briefing.caveat", lang), t("report.method_values", lang), t("report.method_peers", lang),
             t("score.caveat", lang), t("report.method_wijken", lang), t("hotspot.note", lang),
             t("export.caveat_hotspots", lang), t("report.method_nb", lang)]
    return Section(t("report.method", lang), blocks=[Paragraph(texts[0], "caveat"),
                                                     *(Paragraph(text) for text in texts[1:])], new_page=True)


def _sources(ctx: _Context) -> Section:
    lang, meta = ctx.lang, ctx.wh.meta
    years = [y for y in ctx.wh.years if (ctx.since or ctx.year) <= y <= ctx.year]
    span = f"{years[0]}–{years[-1]}" if len(years) > 1 else str(years[0])
    rows = tuple((ctx.label(i), i.source_name(lang), i.table_id, span) for i in ctx.shown)
    return Section(t("report.sources", lang), blocks=[
        Table((t("briefing.indicator", lang), t("report.source", lang), t("report.table_id", lang),
               t("report.years", lang)), rows, (False, False, False, False), widths=(3, 2, 1.4, 1)),
        Paragraph(t("report.dataset", lang, description=meta.get("description", ""),
                    boundary_year=meta["boundary_year"], built_at=str(meta.get("built_at", ""))[:10],
                    build_id=meta.get("build_id", ""))),
        Paragraph(meta.get("attribution", ""), "note")])


def _disclosure(ctx: _Context) -> Section:
    """What was hidden and why: the rules, each indicator's thresholds and how many wijk values
    of the area are hidden in the year (the maps show each of them as n.b.)."""
    lang = ctx.lang
    rows, land = [], set(ctx.wh.codes("wijk", ctx.code))
    for ind in ctx.shown:
        frame = ctx.wh.table("wijk", ctx.code, ind.id, ctx.year, ctx.scope)
        frame = frame[frame["code"].isin(land)]  # no water
        hidden = int((frame["status"] == "suppressed").sum())
        missing = int((frame["status"] == "missing").sum())
        rows.append((ctx.label(ind), format_number(ind.min_denominator, 0 if ind.min_denominator % 1 == 0 else 1,
                                                   lang=lang),
                     format_count(ind.min_count, lang=lang) if ind.min_count else "—",
                     format_count(hidden, lang=lang), format_count(missing, lang=lang),
                     format_count(len(frame), lang=lang)))
    return Section(t("report.disclosure", lang), blocks=[
        Paragraph(t("report.disclosure_intro", lang)),
        Table((t("briefing.indicator", lang), t("report.min_denominator", lang), t("report.min_count", lang),
               t("report.hidden", lang, year=ctx.year), t("report.missing", lang), t("report.wijken", lang)),
              tuple(rows), (False, True, True, True, True, True), widths=(3, 1.1, 1, 1, 1, 1),
              note=t("report.disclosure_note", lang, name=ctx.name))])


def _appendix(ctx: _Context) -> Section | None:
    """Every wijk with its value of each theme's headline indicator (a gemeente report)."""
    if ctx.level != "gemeente" or not ctx.headline:
        return None
    heads = [ctx.headline[theme] for theme, _ in ctx.themes()]
    return Section(t("report.appendix", ctx.lang), blocks=[
        _gemeenten_table(ctx, heads, t("report.appendix_table", ctx.lang, name=ctx.name, year=ctx.year))],
        new_page=True)


def report_data(warehouse: Warehouse, code: str, year: int | None = None, since: int | None = None, *,
                scope: Scope, lang: str = "nl", marking: str | None = None,
                now: datetime | None = None) -> Report:
    """The content of the report of gemeente or region ``code`` (see the module doc).

    Parameters
    ----------
    year, since
        The year of the figures (default: the latest) and the first year of the trends
        (default: the first year of the warehouse).
    scope
        What the viewer may see: the report needs the wijken of ``code``.
    marking
        The marking line (default: ``$ONDERMIJNINGSBEELD_EXPORT_MARKING``).

    Raises ``NotFound`` (unknown area or year, another level), ``AccessDenied`` (outside
    ``scope``) or ``ValueError`` (a first year that is not before ``year``).
    """
    lang = language(lang)
    code = resolve_report_area(warehouse, code, scope, lang)
    year = resolve_year(warehouse, year, lang)
    since = resolve_since(warehouse, year, since, lang)
    marking = os.environ.get(MARKING_ENV, "") if marking is None else marking
    now = (now or datetime.now(TIMEZONE)).astimezone(TIMEZONE)
    ctx = _Context(warehouse, code, year, since, scope, lang, marking, now)
    scores = _theme_scores(ctx)
    sections = [_summary(ctx), _risk_signal(ctx)]
    if ctx.level == "regio":
        heads = [ctx.headline[theme] for theme, _ in ctx.themes()]
        block = ctx.map_block("gemeente", code, heads[0].id) if heads else None
        sections.append(Section(t("report.gemeenten", lang), blocks=[
            Paragraph(t("report.gemeenten_intro", lang, name=ctx.name)),
            _gemeenten_table(ctx, heads, t("report.gemeenten_table", lang, year=year)),
            *([block] if block is not None else [])], new_page=True))
    sections += [_theme(ctx, theme, indicators, scores) for theme, indicators in ctx.themes()]
    sections += [s for s in (_own_data(ctx),) if s is not None]
    sections += _analyst(ctx)
    sections += [_method(ctx), _sources(ctx), _disclosure(ctx)]
    sections += [s for s in (_appendix(ctx),) if s is not None]

    meta = warehouse.meta
    level_word = t(f"level1.{ctx.level}", lang)
    place = (t("briefing.place_regio", lang, land=area_name(warehouse, LAND_CODE, lang)) if ctx.level == "regio"
             else f"{level_word} {t('briefing.in', lang)} {area_name(warehouse, ctx.regio, lang)}")
    title = t("report.title", lang, name=ctx.name, code=code, year=year)
    sources = t("briefing.sources", lang, sources=sources_text(ctx.shown, lang), boundary_year=meta["boundary_year"])
    report_meta = ExportMeta(title=title, unit="", boundary_year=str(meta["boundary_year"]), sources=sources,
                             attribution=meta.get("attribution", ""), exported_at=now,
                             caveat=t("briefing.caveat", lang), marking=marking, demo=meta.get("kind") == "demo",
                             lang=lang)
    cover = [place, t("report.cover_year", lang, year=year, since=since or year),
             t("report.cover_dataset", lang, description=meta.get("description", ""),
               boundary_year=meta["boundary_year"])]
    return Report(code=code, level=ctx.level, name=ctx.name, year=year, since=since, lang=lang, title=title,
                  subtitle=t("report.subtitle", lang), cover=cover, meta=report_meta, sections=sections)


def report_filename(warehouse: Warehouse, code: str, year: int, fmt: str) -> str:
    """A safe download name, e.g. ``ondermijningsbeeld-rapport-GM0888-groot-wolderburg-2024.docx``."""
    return f"ondermijningsbeeld-rapport-{code}-{slug(warehouse.name(code))}-{year}.{fmt}"
