"""The table of the areas on a map: for the page (an AG Grid) and as CSV or XLSX download.

Both carry the numbers of :meth:`data_pipeline.warehouse.Warehouse.table`, the same rows the
map and the CLI ``table`` show, with the same n.b. marks; the download writers are
:mod:`data_pipeline.downloads`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

import pandas as pd

from dashboard import routes
from dashboard.formatting import format_count, format_number
from dashboard.i18n import t
from dashboard.views import map_view
from data_pipeline.downloads import export_filename, published_rows, table_csv, table_xlsx
from data_pipeline.warehouse import NotFound, Scope, Warehouse

#: The table downloads: for Excel in the page's language (headings and status words; in Dutch
#: ``;`` and a decimal comma), and ``csv-data`` for software: English keys and status codes,
#: ``,`` and a decimal point, whatever the page's language.
DOWNLOADS = {"csv": "text/csv", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
             "csv-data": "text/csv"}
#: The columns of :meth:`Warehouse.table` that a download for people gives a heading.
TITLED_COLUMNS = ("code", "name", "level", "parent_code", "year", "indicator", "value", "numerator",
                  "denominator", "status", "n_parts", "n_parts_with_data")
STATUSES = ("ok", "suppressed", "missing")


def _number_column(field: str, header: str, lang: str) -> dict:
    """A column of numbers: right-aligned, sorted and filtered by value, shown as the map shows
    them (the ``<field>_text`` of each row, "n.b." when not published); its filter reads
    numbers the page's way ("1,5" in Dutch: assets/table.js)."""
    return {"field": field, "headerName": header, "type": "rightAligned", "filter": "agNumberColumnFilter",
            "valueFormatter": {"function": f"params.data.{field}_text"},
            "filterParams": {"allowedCharPattern": "\\d\\-,.",
                             "numberParser": {"function": f"parseTableNumber(params, '{lang}')"}}}


@dataclass(frozen=True)
class MapFigures:
    """What a map of the risk signal or of a change shows, for its table and downloads: the
    rows (code, name, value, status, as :attr:`MapView.areas`), what its files are named
    after, the value's heading, unit and decimals, and the sources."""

    rows: pd.DataFrame
    subject: str
    label: str
    unit: str
    decimals: int
    source: str


def map_figures(warehouse: Warehouse, state: routes.MapState, scope: Scope) -> MapFigures | None:
    """The figures of a map that does not show an indicator's own values (the composite risk
    signal, a change since a year); None for one that does: its table is the warehouse's."""
    lang = state.lang
    if state.mode == "score":
        subject, label, decimals = "risicosignaal", t("mode.score", lang), 2
    elif state.mode == "verandering" and state.since is not None:
        ind = warehouse.catalog.get(state.indicator)
        subject, decimals = f"{ind.id}_sinds_{state.since}", ind.decimals
        label = t("table.change", lang, indicator=ind.label(lang), since=state.since)
    else:
        return None
    view = map_view(warehouse, state, scope)
    return MapFigures(view.areas[["code", "name", "value", "status"]], subject, label, view.legend_title,
                      decimals, view.source)


def table_rows(warehouse: Warehouse, state: routes.MapState, scope: Scope) -> tuple[list[dict], list[dict]]:
    """The areas of the view as the grid's rows and columns: the same values and n.b. marks as
    the map, also for a map of the risk signal or of a change (none for a view that does not
    exist; ``AccessDenied`` outside the viewer's scope)."""
    lang = state.lang
    try:
        figures = map_figures(warehouse, state, scope)
        rows = figures.rows if figures else warehouse.table(state.level, state.parent, state.indicator,
                                                            state.year, scope)
    except NotFound:
        return [], []
    if figures:
        heading, decimals, counts = f"{figures.label} ({figures.unit})", figures.decimals, ()
    else:
        ind = warehouse.catalog.get(state.indicator)
        heading, decimals, counts = f"{ind.label(lang)} ({ind.unit(lang)})", ind.decimals, ("numerator", "denominator")
    columns = [
        {"field": "name", "headerName": t("table.name", lang), "filter": "agTextColumnFilter", "flex": 2},
        {"field": "code", "headerName": t("table.code", lang), "filter": "agTextColumnFilter"},
        _number_column("value", heading, lang) | {"flex": 2},
        *[_number_column(column, t(f"table.{column}", lang), lang) for column in counts],
        {"field": "shown", "headerName": t("table.status", lang), "filter": "agTextColumnFilter"},
    ]
    rows = published_rows(rows)
    rows["shown"] = [t(f"table.status.{s}", lang) for s in rows["status"]]
    data = rows[["name", "code", "value", *counts, "shown"]].astype(object)
    data = data.where(data.notna(), None)
    data["value_text"] = [format_number(v, decimals, lang=lang) for v in data["value"]]
    for column in counts:
        data[f"{column}_text"] = [format_count(v, lang=lang) for v in data[column]]
    return data.to_dict("records"), columns


def download_header(warehouse: Warehouse, indicator: str, year: int, *, level: str | None = None,
                    parent: str | None = None, lang: str = "nl", exported: date | None = None,
                    status_words: bool = False, figures: MapFigures | None = None) -> dict[str, str]:
    """The header block of a table download: indicator, unit, year, areas, boundary year,
    sources with their table ids, dataset, attribution, what the statuses mean (the codes, or
    with ``status_words`` the words of a download for people) and the export date, from the
    warehouse's catalog and build metadata, in ``lang``; of the map's own ``figures`` instead of
    the indicator's when the map shows those (:func:`map_figures`)."""
    ind = warehouse.catalog.get(indicator)
    if figures:
        header = {t("download.indicator", lang): f"{figures.label} ({figures.subject})",
                  t("download.unit", lang): figures.unit, t("download.year", lang): str(int(year))}
    else:
        header = {t("download.indicator", lang): f"{ind.label(lang)} ({ind.id})",
                  t("download.unit", lang): ind.unit(lang), t("download.year", lang): str(int(year))}
    if level:
        where = t("level.land", lang) if level == "land" else t(f"levels.{level}", lang)
        if parent and warehouse.has_area(parent):
            where = t("download.areas_in", lang, levels=where, name=warehouse.name(parent), code=parent)
        header[t("download.areas", lang)] = where
    meta = warehouse.meta
    if meta.get("boundary_year"):
        header[t("download.boundary_year", lang)] = str(meta["boundary_year"])
    header[t("download.sources", lang)] = (figures.source if figures else
                                           t("download.source", lang, source=ind.source_name(lang), table=ind.table_id)
                                           if ind.table_id else ind.source_name(lang))
    if meta.get("description"):
        header[t("download.dataset", lang)] = meta["description"]
    if meta.get("attribution"):
        header[t("download.attribution", lang)] = meta["attribution"]
    header[t("download.status", lang)] = (t("download.status_words", lang) if status_words
                                          else t("download.status_text", lang))
    header[t("download.exported", lang)] = (exported or date.today()).isoformat()
    return header


def download(warehouse: Warehouse, state: routes.MapState, fmt: str, scope: Scope) -> tuple[bytes, str, str]:
    """The table of a (resolved) view as a file: (body, media type, file name). Raises
    ``KeyError`` for an unknown format, ``NotFound``/``AccessDenied`` as the warehouse does."""
    media_type = DOWNLOADS[fmt]
    for_people = fmt != "csv-data"
    lang = state.lang if for_people else "en"
    figures = map_figures(warehouse, replace(state, lang=lang), scope)
    if figures:
        rows = figures.rows.assign(level=state.level, year=state.year, indicator=figures.subject)
        rows = rows[["code", "name", "level", "year", "indicator", "value", "status"]]
    else:
        rows = warehouse.table(state.level, state.parent, state.indicator, state.year, scope)
    header = download_header(warehouse, state.indicator, state.year, level=state.level, parent=state.parent,
                             lang=lang, status_words=for_people, figures=figures)
    words = {"titles": {c: t(f"column.{c}", lang) for c in TITLED_COLUMNS},
             "statuses": {s: t(f"table.status.{s}", lang) for s in STATUSES}} if for_people else {}
    if fmt == "xlsx":
        body = table_xlsx(rows, header, **words)
    else:
        body = table_csv(rows, header, decimal="," if for_people and lang == "nl" else ".", bom=for_people,
                         **words)
    extension = "data.csv" if fmt == "csv-data" else fmt
    subject = figures.subject if figures else state.indicator
    return body, media_type, export_filename(subject, state.year, state.level, state.parent, extension)
