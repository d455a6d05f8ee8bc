"""The table of the areas on a map: for the page (a DataTable) and as CSV or XLSX download.

Both carry the numbers of :meth:`data_pipeline.warehouse.Warehouse.table`, the same rows the
map and the CLI ``table`` show, with the same n.b. marks; the download writers are
:mod:`data_pipeline.downloads`.
"""

from __future__ import annotations

from dash.dash_table.Format import Format, Group, Scheme

from dashboard import routes
from dashboard.i18n import t
from data_pipeline.warehouse import AccessDenied, NotFound, Scope, Warehouse


def table_rows(warehouse: Warehouse, state: routes.MapState, scope: Scope) -> tuple[list[dict], list[dict]]:
    """The areas of the view as table data and columns: the same values and n.b. marks as the map."""
    try:
        rows = warehouse.table(state.level, state.parent, state.indicator, state.year, scope)
    except (NotFound, AccessDenied):
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
