"""The table of the areas on a map: for the page (a DataTable) and as CSV or XLSX download.

Both carry the numbers of :meth:`data_pipeline.warehouse.Warehouse.table`, the same rows the
map and the CLI ``table`` show, with the same n.b. marks; the download writers are
:mod:`data_pipeline.downloads`.
"""

from __future__ import annotations

from datetime import date

from dash.dash_table.Format import Format, Group, Scheme

from dashboard import routes
from dashboard.i18n import t
from data_pipeline.downloads import export_filename, table_csv, table_xlsx
from data_pipeline.warehouse import NotFound, Scope, Warehouse

#: The download formats: writer and media type.
DOWNLOADS = {"csv": (table_csv, "text/csv"),
             "xlsx": (table_xlsx, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")}


def table_rows(warehouse: Warehouse, state: routes.MapState, scope: Scope) -> tuple[list[dict], list[dict]]:
    """The areas of the view as table data and columns: the same values and n.b. marks as the map
    (none for a view that does not exist; ``AccessDenied`` outside the viewer's scope)."""
    try:
        rows = warehouse.table(state.level, state.parent, state.indicator, state.year, scope)
    except NotFound:
        return [], []
    ind = warehouse.catalog.get(state.indicator)
    lang = state.lang
    number = Format(precision=ind.decimals, scheme=Scheme.fixed, group=Group.yes)
    count = Format(precision=0, scheme=Scheme.fixed, group=Group.yes)
    columns = [
        {"id": "name", "name": t("table.name", lang)}, {"id": "code", "name": t("table.code", lang)},
        {"id": "value", "name": f"{ind.label(lang)} ({ind.unit(lang)})", "type": "numeric", "format": number},
        {"id": "numerator", "name": t("table.numerator", lang), "type": "numeric", "format": count},
        {"id": "denominator", "name": t("table.denominator", lang), "type": "numeric", "format": count},
        {"id": "shown", "name": t("table.status", lang)},
    ]
    rows["shown"] = [t(f"table.status.{s}", lang) for s in rows["status"]]
    data = rows[["name", "code", "value", "numerator", "denominator", "shown"]].astype(object)
    data = data.where(data.notna(), None)
    return data.to_dict("records"), columns


def download_header(warehouse: Warehouse, indicator: str, year: int, *, level: str | None = None,
                    parent: str | None = None, lang: str = "nl", exported: date | None = None) -> dict[str, str]:
    """The header block of a table download: indicator, unit, year, areas, boundary year,
    sources with their table ids, dataset, attribution, what the statuses mean and the export
    date, from the warehouse's catalog and build metadata, in ``lang``."""
    ind = warehouse.catalog.get(indicator)
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
    header[t("download.sources", lang)] = (t("download.source", lang, source=ind.source, table=ind.table_id)
                                           if ind.table_id else ind.source)
    if meta.get("description"):
        header[t("download.dataset", lang)] = meta["description"]
    if meta.get("attribution"):
        header[t("download.attribution", lang)] = meta["attribution"]
    header[t("download.status", lang)] = t("download.status_text", lang)
    header[t("download.exported", lang)] = (exported or date.today()).isoformat()
    return header


def download(warehouse: Warehouse, state: routes.MapState, fmt: str, scope: Scope) -> tuple[bytes, str, str]:
    """The table of a (resolved) view as a file: (body, media type, file name). Raises
    ``KeyError`` for an unknown format, ``NotFound``/``AccessDenied`` as the warehouse does."""
    write, media_type = DOWNLOADS[fmt]
    rows = warehouse.table(state.level, state.parent, state.indicator, state.year, scope)
    header = download_header(warehouse, state.indicator, state.year, level=state.level, parent=state.parent,
                             lang=state.lang)
    name = export_filename(state.indicator, state.year, state.level, state.parent, fmt)
    return write(rows, header), media_type, name
