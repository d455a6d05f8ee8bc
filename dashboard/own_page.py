"""The own-data page, ``/eigen-gegevens``: a signed-in analyst puts the figures of their own
organisation beside the open data.

From the top: the file (dragged onto the page or chosen; CSV, a StatLine download or XLSX,
read by :mod:`data_pipeline.own_files`) with a preview of its first rows; the choices (which
column holds the areas and which the year; per value column what it is: a count made into a
rate per so many inhabitants, dwellings, ... of the warehouse, a count as such, a ready value,
or not used; its name, theme, direction, and the smallest denominator and count shown); the join report (what
joined, what did not and why) before anything is stored; "Toevoegen"; and the organisation's
layers with remove and restore. Nothing is stored until "Toevoegen", and then through
:class:`data_pipeline.own.OwnStore`, which keeps each organisation's layers apart.

The file stays in the browser (the upload component's ``contents``) and is sent with each
step, so no worker holds a half-finished upload. The organisation is always the signed-in
user's, read on the server; nothing the browser sends can name another.
"""

from __future__ import annotations

import base64
import binascii
import logging
import math
from pathlib import Path

import pandas as pd
from dash import ALL, Input, Output, State, ctx, dcc, html, no_update

from dashboard import routes
from dashboard.formatting import format_number, format_percent
from dashboard.i18n import t
from dashboard.layout import HIDDEN, OWN_MAX_NAME as MAX_NAME, OWN_YEARS, dropdown_labels, own_drop_text
from dashboard.look import BUTTON, LABEL, LINK, TABLE
from dashboard.panels import scroll_box
from dashboard.signin import Gate
from data_pipeline.own import (KINDS, OWN_THEME, OWN_THEME_LABELS, ColumnSpec, LayerSpec, OwnError, OwnStore, base_word,
                               denominators, propose)
from data_pipeline.own_files import MAX_BYTES, OwnInputError, OwnTable, read_upload
from geodata.codes import LAND_CODE
from indicators.catalog import DIRECTIONS

log = logging.getLogger(__name__)

#: What a value column can be: the kinds of :data:`data_pipeline.own.KINDS`, or not used.
USES = (*KINDS, "skip")
PER_UNITS = (1, 100, 1000, 10000)
PREVIEW_ROWS = 8
REPORT_ROWS = 50
MAX_MIN_DENOMINATOR = 1e9
MAX_FILE_NAME = 255
#: The upload's ``contents``: a data URL, base64 of at most :data:`MAX_BYTES` plus its header.
MAX_CONTENTS = 4 * (MAX_BYTES // 3 + 1) + 200
#: One choice per value column and field (pattern-matching ids: the columns come with the file).
CHOICE = "own-choice"


# --------------------------------------------------------------------------- the page


class Refused(Exception):
    """A step of the page that cannot be taken: the i18n key ``own.refused.<key>`` says why."""

    def __init__(self, key: str, **values):
        super().__init__(key)
        self.key, self.values = key, values

    def message(self, lang: str) -> str:
        return t(f"own.refused.{self.key}", lang, **self.values)


def decode_upload(contents: object, file_name: object) -> tuple[str, bytes]:
    """The file name and bytes of the upload component's data URL (:class:`Refused` for a value
    that is not one, or one larger than :data:`MAX_BYTES`).

    >>> decode_upload("data:text/csv;base64,YSxiCjEsMgo=", "x.csv")
    ('x.csv', b'a,b\\n1,2\\n')
    """
    name = file_name if isinstance(file_name, str) and 0 < len(file_name) <= MAX_FILE_NAME else "upload"
    if not isinstance(contents, str) or "," not in contents[:200]:
        raise Refused("no_file")
    if len(contents) > MAX_CONTENTS:
        raise Refused("too_large", file=name, limit=format_number(MAX_BYTES / 1e6, 0))
    try:
        data = base64.b64decode(contents.split(",", 1)[1], validate=True)
    except (binascii.Error, ValueError):
        raise Refused("no_file") from None
    return name, data


def _cell_table(frame: pd.DataFrame, caption: str, first_column: str, caption_id: str) -> html.Div:
    """``frame`` as a table (its index the first column), scrolling in a box of its own."""
    header = html.Tr([html.Th(first_column, scope="col"), *[html.Th(c, scope="col") for c in frame.columns]])
    body = [html.Tr([html.Th(str(index), scope="row"), *[html.Td(str(v)) for v in row]])
            for index, row in zip(frame.index, frame.itertuples(index=False))]
    return scroll_box(html.Table([html.Caption(caption, id=caption_id), html.Thead(header), html.Tbody(body)],
                                 className=TABLE), caption_id)


def file_panel(table: OwnTable, lang: str) -> list:
    """What was read: the file and its first rows, each numbered as in the file."""
    return [html.P(t("own.read", lang, file=table.file_name, rows=format_number(len(table.cells), 0, lang=lang),
                     columns=format_number(len(table.columns), 0, lang=lang))),
            _cell_table(table.preview(PREVIEW_ROWS).set_index("row"), t("own.preview", lang, n=PREVIEW_ROWS),
                        t("own.row", lang), "own-preview-title")]


def _choice_id(field: str, index: int) -> dict:
    return {"type": CHOICE, "field": field, "column": index}


def _field(label_key: str, component, lang: str, wide: bool = False) -> html.Label:
    """A control of a column's choices (made by a callback, so in the language of that moment)."""
    return html.Label([html.Span(t(label_key, lang), className=LABEL), component],
                      htmlFor=component.id if isinstance(component.id, str) else None,
                      className="control wide" if wide else "control")


def column_choices(index: int, column: str, spec: ColumnSpec | None, bases: list[str], themes: dict,
                   others: list[str], lang: str) -> html.Fieldset:
    """The choices of one value column: what it is, its name, and how to show it (``others``:
    the file's other value columns, which can weigh a ready value)."""
    drop = {"clearable": False, "searchable": False, "labels": dropdown_labels(lang)}
    return html.Fieldset(className="own-column", children=[
        html.Legend(t("own.column", lang, column=column), className=LABEL),
        dcc.RadioItems(id=_choice_id("use", index), value=spec.kind if spec else "skip", inline=True,
                       options=[{"label": t(f"own.use.{u}", lang), "value": u} for u in USES
                                if u != "rate" or bases]),
        html.Div(className="controls", children=[
            _field("own.label", dcc.Input(id=_choice_id("label", index), type="text", maxLength=MAX_NAME,
                                          value=(spec.label if spec else column)[:MAX_NAME]), lang, wide=True),
            *([_field("own.denominator", dcc.Dropdown(
                id=_choice_id("denominator", index), **drop,
                value=spec.denominator if spec and spec.denominator in bases else bases[0],
                options=[{"label": base_word(b, lang), "value": b} for b in bases]), lang),
               _field("own.per", dcc.Dropdown(
                   id=_choice_id("per", index), **drop, value=int(spec.per) if spec and spec.per in PER_UNITS else 1000,
                   options=[{"label": format_number(p, 0, lang=lang), "value": p} for p in PER_UNITS]), lang)]
              if bases else [html.P(t("own.refused.no_bases", lang), className="own-hint")]),
            _field("own.theme", dcc.Dropdown(
                id=_choice_id("theme", index), **drop, value=spec.theme if spec else OWN_THEME,
                options=[{"label": labels["en" if lang == "en" else "nl"], "value": theme}
                         for theme, labels in themes.items()]), lang),
            _field("own.direction", dcc.Dropdown(
                id=_choice_id("direction", index), **drop, value=spec.direction if spec else DIRECTIONS[0],
                options=[{"label": t(f"own.direction.{d}", lang), "value": d} for d in DIRECTIONS]), lang),
            _field("own.weight_column", dcc.Dropdown(
                id=_choice_id("weight_column", index), **drop, value=(spec.weight_column if spec else None) or "",
                options=[{"label": t("own.no_weight", lang), "value": ""},
                         *[{"label": c, "value": c} for c in others]]), lang),
            _field("own.min_denominator", dcc.Input(
                id=_choice_id("min_denominator", index), type="number", min=0, max=MAX_MIN_DENOMINATOR,
                value=spec.min_denominator if spec else None), lang),
            _field("own.min_count", dcc.Input(
                id=_choice_id("min_count", index), type="number", min=0, max=MAX_MIN_DENOMINATOR,
                value=spec.min_count if spec else None), lang),
        ]),
        dcc.Checklist(id=_choice_id("in_composite", index), value=["ja"] if spec and spec.in_composite else [],
                      options=[{"label": t("own.in_composite", lang), "value": "ja"}]),
    ])


def _number(value: object, low: float, high: float) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value) if low <= value <= high else None


def _one_of(value, options, default):
    return value if isinstance(value, (str, int, float)) and value in options else default


def _text(value: object, default: str) -> str:
    return " ".join(value.split())[:MAX_NAME] if isinstance(value, str) and value.strip() else default


def spec_from_choices(table: OwnTable, proposed: LayerSpec, fixed: dict, choices: dict[tuple[str, int], object],
                      bases: list[str], themes: dict) -> LayerSpec:
    """The layer spec of the page's choices. Everything the browser sent is checked against the
    file and the warehouse: what is not one of the values offered falls back to the proposal."""
    columns = list(table.columns)
    area_column = _one_of(fixed.get("area_column"), columns, proposed.area_column)
    year_column = _one_of(fixed.get("year_column"), columns, None)
    year = _number(fixed.get("year"), *OWN_YEARS)
    by_column = {c.column: c for c in proposed.columns}
    specs = []
    for index, column in enumerate(columns):
        use = choices.get(("use", index))
        if column in (area_column, year_column) or use not in KINDS:
            continue
        if use == "rate" and not bases:
            raise Refused("no_bases")
        direction = _one_of(choices.get(("direction", index)), DIRECTIONS, DIRECTIONS[0])
        in_composite = choices.get(("in_composite", index)) == ["ja"]
        if in_composite and (use == "count" or direction == "neutral"):
            raise Refused("composite", column=column)
        base = by_column.get(column)
        minimum = _number(choices.get(("min_denominator", index)), 0, MAX_MIN_DENOMINATOR)
        smallest = _number(choices.get(("min_count", index)), 0, MAX_MIN_DENOMINATOR)
        weights = [c for c in columns if c not in (column, area_column, year_column)] if use == "value" else []
        specs.append(ColumnSpec(
            column=column, kind=use, label=_text(choices.get(("label", index)), column),
            denominator=_one_of(choices.get(("denominator", index)), bases, bases[0]) if use == "rate" else None,
            per=float(_one_of(choices.get(("per", index)), PER_UNITS, 1000)),
            theme=_one_of(choices.get(("theme", index)), list(themes), OWN_THEME), direction=direction,
            in_composite=in_composite, weight_column=_one_of(choices.get(("weight_column", index)), weights, None),
            min_denominator=minimum if minimum is not None else (base.min_denominator if base else None),
            min_count=smallest if smallest is not None else (base.min_count if base else None)))
    if not specs:
        raise Refused("no_columns")
    if year_column is None and not year:
        raise Refused("no_year")
    return LayerSpec(name=_text(fixed.get("name"), proposed.name), area_column=area_column, columns=tuple(specs),
                     year_column=year_column, year=int(year) if year_column is None and year else None,
                     sheet=table.sheet, shared_with_liec=fixed.get("share") == ["ja"])


def report_panel(joined, lang: str) -> list:
    """The join report: what joined per level, and every row that did not, with the reason."""
    children = [html.P(line) for line in joined.summary(lang, rows=False)]   # the rows: in the table below
    report = joined.report
    if len(report):
        reason = "reason_nl" if lang == "nl" and "reason_nl" in report else "reason"
        shown = report.head(REPORT_ROWS).set_index("row")[["key", "level", reason]]
        shown.columns = [t("own.report.key", lang), t("own.report.level", lang), t("own.report.reason", lang)]
        children.append(_cell_table(shown, t("own.report.unmatched", lang, n=format_number(len(report), 0, lang=lang)),
                                    t("own.row", lang), "own-report-title"))
        if len(report) > REPORT_ROWS:
            children.append(html.P(t("own.report.more", lang, n=format_number(len(report) - REPORT_ROWS, 0, lang=lang))))
    return children


def _map_href(layer, lang: str) -> str:
    """The national map of the layer's first indicator in its latest year."""
    state = routes.MapState(level="gemeente", parent=LAND_CODE, indicator=layer.indicators[0],
                            year=max(layer.years) if layer.years else None, lang=lang)
    return routes.href(state)


def layers_panel(layers: list, organisation: str, lang: str) -> list:
    """The organisation's layers: what each is, where it came from, and remove or restore."""
    if not layers:
        return [html.P(t("own.no_layers", lang, organisation=organisation))]
    header = [t(f"own.layer.{c}", lang) for c in ("name", "file", "uploader", "date", "rows", "matched", "years",
                                                   "status", "action")]
    rows = []
    for layer in layers:
        removed = layer.removed_at is not None
        actions = [("own-restore", "own.restore")] if removed else [("own-remove", "own.remove")] + (
            [("own-restore", "own.restore_previous")] if layer.version > 1 else [])
        action = [html.Button(t(key, lang), id={"type": kind, "layer": layer.id}, n_clicks=0,
                              className=f"{BUTTON} {BUTTON}--secondary-action") for kind, key in actions]
        name = (html.Span(layer.name) if removed or not layer.indicators else
                html.A(layer.name, href=_map_href(layer, lang), className=LINK))
        rows.append(html.Tr([
            html.Th(name, scope="row"), html.Td(layer.file_name), html.Td(layer.uploader),
            html.Td(layer.uploaded_at[:10]), html.Td(format_number(layer.rows, 0, lang=lang)),
            html.Td(format_percent(layer.match_rate, 0, lang=lang)),
            html.Td(", ".join(str(y) for y in layer.years)),
            html.Td(t("own.status.removed" if removed else "own.status.active", lang,
                      date=(layer.removed_at or "")[:10])),
            html.Td(action)]))
    return [html.P(t("own.layers_of", lang, organisation=organisation), id="own-layers-title"),
            scroll_box(html.Table([html.Thead(html.Tr([html.Th(h, scope="col") for h in header])), html.Tbody(rows)],
                                  className=TABLE), "own-layers-title")]


# --------------------------------------------------------------------------- callbacks

#: What a step can be refused with: the page's own checks, the file, the store.
REFUSALS = (Refused, OwnInputError, OwnError)


def register(app, warehouse, gate: Gate, own_data: Path) -> None:
    """The page's callbacks on the layers kept in ``own_data``. Each asks the gate for the
    signed-in user and refuses without one."""

    def viewer():
        user = gate.user()
        if user is None or not user.organisation:
            raise Refused("signin")
        return user

    def store_of(user) -> OwnStore:
        return OwnStore(own_data, user.organisation)

    def read(contents, file_name, sheet) -> OwnTable:
        name, data = decode_upload(contents, file_name)
        return read_upload(name, data, sheet=sheet if isinstance(sheet, str) and sheet else None)

    def themes() -> dict:
        return {**warehouse.catalog.themes, OWN_THEME: OWN_THEME_LABELS}

    def message(err: Exception, lang: str) -> html.P:
        if isinstance(err, OwnError):   # what the page's own checks leave: a race, or forged values
            log.info("own data refused: %s", err)
            err = Refused("other")
        return html.P(err.message(lang), className="notice own-error", role="alert")

    @app.callback(Output("own-intro", "children"), Output("own-work", "style"), Output("own-upload", "children"),
                  Input("url", "pathname"), Input("url", "search"))
    def intro(pathname, search):
        state = routes.parse(pathname, search)
        if state.page != "eigen":
            return no_update, no_update, no_update
        try:
            user = viewer()
        except Refused as err:
            return err.message(state.lang), HIDDEN, no_update
        return t("own.intro", state.lang, organisation=user.organisation), {}, own_drop_text(state.lang)

    nothing_read = {"file": [], "sheet_box": HIDDEN, "choices": HIDDEN, "report_section": HIDDEN, "add": True,
                    "report": [], "columns": [], "sheets": [], "sheet": None, "name": None,
                    "area_columns": [], "area_column": None, "year_columns": [], "year_column": None, "year": None,
                    "share": []}

    @app.callback(
        output={"file": Output("own-file", "children"), "sheet_box": Output("own-sheet-box", "style"),
                "sheets": Output("own-sheet", "options"), "sheet": Output("own-sheet", "value"),
                "choices": Output("own-choices", "style"), "columns": Output("own-columns", "children"),
                "name": Output("own-name", "value"),
                "area_columns": Output("own-area-column", "options"), "area_column": Output("own-area-column", "value"),
                "year_columns": Output("own-year-column", "options"), "year_column": Output("own-year-column", "value"),
                "year": Output("own-year", "value"), "share": Output("own-share", "value"),
                "report_section": Output("own-report-section", "style", allow_duplicate=True),
                "report": Output("own-report", "children", allow_duplicate=True),
                "add": Output("own-add", "disabled", allow_duplicate=True)},
        inputs={"contents": Input("own-upload", "contents"), "sheet": Input("own-sheet", "value"),
                "file_name": State("own-upload", "filename"), "search": State("url", "search")},
        prevent_initial_call=True)
    def uploaded(contents, sheet, file_name, search):
        """A file dropped or chosen (or another sheet of it): what was read, and the choices."""
        lang = routes.parse(None, search).lang
        if ctx.triggered_id == "own-upload":
            sheet = None   # a new file: its first sheet, or the question which
        try:
            viewer()
            table = read(contents, file_name, sheet)
            spec = propose(table, warehouse)
        except REFUSALS as err:
            sheets = getattr(err, "sheets", ())   # a workbook of several sheets: which one?
            return {**nothing_read, "file": message(err, lang), "sheet_box": {} if sheets else HIDDEN,
                    "sheets": [{"label": s, "value": s} for s in sheets]}
        bases = denominators(warehouse)
        columns = [{"label": c, "value": c} for c in table.columns]
        values = [c for c in table.columns if c not in (spec.area_column, spec.year_column)]
        by_column = {c.column: c for c in spec.columns}
        return {**nothing_read, "file": file_panel(table, lang),
                "sheet_box": {} if len(table.sheets) > 1 else HIDDEN,
                "sheets": [{"label": s, "value": s} for s in table.sheets], "sheet": table.sheet,
                "choices": {}, "name": spec.name, "area_columns": columns, "area_column": spec.area_column,
                "year_columns": [{"label": t("own.no_year_column", lang), "value": ""}, *columns],
                "year_column": spec.year_column or "", "year": spec.year,
                "share": ["ja"] if spec.shared_with_liec else [],
                "columns": [column_choices(i, c, by_column.get(c), bases, themes(), [o for o in values if o != c], lang)
                            for i, c in enumerate(table.columns) if c in values]}

    states = [State("own-upload", "contents"), State("own-upload", "filename"), State("own-sheet", "value"),
              State("own-name", "value"), State("own-area-column", "value"), State("own-year-column", "value"),
              State("own-year", "value"), State("own-share", "value"), State("url", "search"),
              State({"type": CHOICE, "field": ALL, "column": ALL}, "value")]

    def chosen(contents, file_name, sheet, name, area_column, year_column, year, share):
        """The user, the file and the spec of the choices (nothing stored)."""
        user = viewer()
        table = read(contents, file_name, sheet)
        choices = {(item["id"]["field"], item["id"]["column"]): item.get("value")
                   for group in ctx.args_grouping if isinstance(group, list)   # the columns' choices (ALL)
                   for item in group if isinstance(item.get("id"), dict)}
        fixed = {"name": name, "area_column": area_column, "year_column": year_column or None, "year": year,
                 "share": share}
        spec = spec_from_choices(table, propose(table, warehouse), fixed, choices, denominators(warehouse), themes())
        return user, table, spec

    @app.callback(Output("own-report", "children", allow_duplicate=True),
                  Output("own-add", "disabled", allow_duplicate=True),
                  Output("own-report-section", "style", allow_duplicate=True),
                  Input("own-check", "n_clicks"), *states, prevent_initial_call=True)
    def check(_clicks, contents, file_name, sheet, name, area_column, year_column, year, share, search, _choices):
        """The join report of the choices: what would join, and what not and why."""
        lang = routes.parse(None, search).lang
        try:
            user, table, spec = chosen(contents, file_name, sheet, name, area_column, year_column, year, share)
            joined = store_of(user).preview_join(table, spec, warehouse)
        except REFUSALS as err:
            return [message(err, lang)], True, {}
        return report_panel(joined, lang), False, {}

    @app.callback(Output("own-added", "children"), Output("own-version", "data"),
                  Output("own-add", "disabled", allow_duplicate=True),
                  Input("own-add", "n_clicks"), *states, State("own-version", "data"), State("own-replace", "value"),
                  prevent_initial_call=True)
    def add(_clicks, contents, file_name, sheet, name, area_column, year_column, year, share, search, _choices,
            version, replacing):
        """The layer stored (all or nothing; as a new version of one of the organisation's layers,
        which keeps the one before), audited, with a link to its map."""
        lang = routes.parse(None, search).lang
        try:
            user, table, spec = chosen(contents, file_name, sheet, name, area_column, year_column, year, share)
            store = store_of(user)
            replaced = _one_of(replacing, [layer.id for layer in store.layers()], None)
            layer = store.add(table, spec, warehouse, uploader=user.name, replace=replaced)
        except REFUSALS as err:
            gate.record("own.import", _text(file_name, "-"), "failed")
            return [message(err, lang)], no_update, True
        gate.record("own.import", f"{layer.organisation} layer {layer.id} v{layer.version} {layer.file_name}")
        return [html.P(t("own.added", lang, name=layer.name)),
                html.A(t("own.added_link", lang), href=_map_href(layer, lang), className=LINK)], (version or 0) + 1, True

    @app.callback(Output("own-layers", "children"), Output("own-replace", "options"),
                  Input("url", "pathname"), Input("url", "search"),
                  Input("own-version", "data"), Input({"type": "own-remove", "layer": ALL}, "n_clicks"),
                  Input({"type": "own-restore", "layer": ALL}, "n_clicks"))
    def layers(pathname, search, _version, _removed, _restored):
        """The organisation's layers (and those a new file may replace); a remove or restore
        button first does what it says."""
        state = routes.parse(pathname, search)
        if state.page != "eigen":
            return no_update, no_update
        try:
            user = viewer()
        except Refused:
            return [], []
        store = store_of(user)
        trigger, notes = ctx.triggered_id, []
        pressed = any(isinstance(item.get("value"), int) and item["value"] > 0 for item in ctx.triggered)
        if isinstance(trigger, dict) and trigger.get("type") in ("own-remove", "own-restore") and pressed:
            layer_id, action = str(trigger.get("layer"))[:16], trigger["type"].removeprefix("own-")
            try:
                (store.remove if action == "remove" else store.restore)(layer_id, by=user.name)
            except KeyError:
                gate.record(f"own.{action}", f"{user.organisation} layer {layer_id}", "denied")
                notes.append(message(Refused("no_such_layer", layer=layer_id), state.lang))
            except REFUSALS as err:
                gate.record(f"own.{action}", f"{user.organisation} layer {layer_id}", "failed")
                notes.append(message(err, state.lang))
            else:
                gate.record(f"own.{action}", f"{user.organisation} layer {layer_id}")
                notes.append(html.P(t(f"own.{action}d", state.lang), role="status"))
        listed = store.layers(include_removed=True)
        replaceable = [{"label": t("own.replace_none", state.lang), "value": ""}] + [
            {"label": t("own.replace_layer", state.lang, name=layer.name, file=layer.file_name), "value": layer.id}
            for layer in listed if not layer.is_removed]
        return notes + layers_panel(listed, user.organisation, state.lang), replaceable
