"""No suppressed value leaves the data layer: table CSV, map (hover and classes), and no
differencing of a shown parent against its shown children gives one back."""

from __future__ import annotations

import csv
import io
import json
import re

import duckdb
import pandas as pd

from dashboard import routes
from dashboard.views import map_view, resolve_state
from app import main
from data_pipeline.warehouse import Scope
from indicators.disclosure import recoverable

IND = "misdrijven_per_1000_inwoners"
TOO_SMALL = "BU00020100"   # 40 inhabitants, 2 crimes: below the minimum of 100 inhabitants
SIBLING = "BU00020101"     # its only sibling: 960 inhabitants, 48 crimes


def published(path) -> pd.DataFrame:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute("SELECT v.*, a.parent_code FROM indicator_values v JOIN areas a USING (code)").df()


def test_the_sibling_of_a_small_buurt_is_hidden_too_so_the_wijk_cannot_be_differenced(tiny_warehouse_path):
    values = published(tiny_warehouse_path)
    rows = values[(values["indicator"] == IND) & (values["year"] == 2024)].set_index("code")
    assert rows.at[TOO_SMALL, "status"] == "suppressed" and rows.at[TOO_SMALL, "reason"] == "small denominator"
    assert rows.at[SIBLING, "status"] == "suppressed" and rows.at[SIBLING, "reason"] == "complementary"
    # the attack itself: the shown wijk minus its shown buurten
    wijk = rows.loc["WK000201"]
    shown_children = rows[(rows["parent_code"] == "WK000201") & (rows["status"] == "ok")]
    assert wijk["status"] == "ok" and shown_children.empty
    attempt = wijk["numerator"] - shown_children["numerator"].sum()
    assert attempt != 2   # would be the small buurt's count if its sibling were shown
    # and nothing anywhere in the tree can be recovered that way
    stored = values.rename(columns={})[["code", "year", "indicator", "numerator", "denominator", "status"]]
    areas = values[["code", "parent_code"]].drop_duplicates("code")
    assert recoverable(stored, areas).empty


def test_no_stored_number_for_any_hidden_value(tiny_warehouse_path):
    values = published(tiny_warehouse_path)
    hidden = values[values["status"] != "ok"]
    assert len(hidden) > 0
    assert hidden[["value", "numerator", "denominator"]].isna().all().all()


def test_table_csv_leaves_hidden_values_blank(capsys, tiny_warehouse_path):
    assert main(["--warehouse", str(tiny_warehouse_path), "table", "--level", "buurt", "--parent", "GM0002",
                 "--indicator", IND, "--year", "2024"]) == 0
    rows = {r["code"]: r for r in csv.DictReader(io.StringIO(capsys.readouterr().out))}
    for code in (TOO_SMALL, SIBLING):
        row = rows[code]
        assert row["status"] == "suppressed"
        assert row["value"] == row["numerator"] == row["denominator"] == row["rank"] == row["class"] == ""


def test_the_map_shows_nb_and_no_number_for_hidden_areas(tiny_warehouse):
    state = resolve_state(tiny_warehouse, routes.MapState(level="buurt", parent="WK000201"))
    view = map_view(tiny_warehouse, state, Scope.everything())
    texts = {code: text for trace in view.figure.data for code, text in zip(trace.locations, trace.text)}
    for code in (TOO_SMALL, SIBLING):
        assert "n.b." in texts[code]
        assert re.findall(r"\d", texts[code].split("<br>", 1)[1]) == []   # no digit after name and code
    classed = [list(t.locations) for t in view.figure.data if t.zmax > 0.5]
    assert not any(TOO_SMALL in locs or SIBLING in locs for locs in classed)
    # the numbers behind the hidden buurten (2 and 48 crimes, 40 and 960 inhabitants) appear nowhere
    carried = json.dumps([[t.text, t.z, t.customdata] for t in view.figure.data], default=list)
    assert not re.search(r"\b(48|960|40)\b", carried.replace("020100", "").replace("020101", ""))
