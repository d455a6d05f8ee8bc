"""What the served warehouse holds and what leaves it: no number of a hidden value, anywhere,
and the built-in attacker (``check-disclosure``) finds nothing in a build, and finds what a
tampered file reveals."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import struct

import duckdb
import pandas as pd
import pytest

import data_pipeline.aggregate as aggregate
from app import main
from dashboard import routes
from dashboard.views import map_view, resolve_state
from data_pipeline.attack import DisclosureError
from data_pipeline.build import SERVED_TABLES, build_warehouse
from data_pipeline.warehouse import OutdatedWarehouse, Scope, Warehouse
from indicators.disclosure import primary_suppression
from tests.factories import tiny_observations, tiny_source

IND = "misdrijven_per_1000_inwoners"
TOO_SMALL = "BU00020100"   # 40 inhabitants, 2 crimes: below the minimum of 100 inhabitants
SIBLING = "BU00020101"     # its only sibling: 960 inhabitants, 48 crimes
PLANTED = 7919.0           # a distinctive count planted in the small buurt


def stored(path) -> pd.DataFrame:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute("SELECT v.*, a.parent_code FROM indicator_values v JOIN areas a USING (code)").df()


def check(path, capsys, *args) -> tuple[int, str]:
    code = main(["--warehouse", str(path), "check-disclosure", *args])
    return code, capsys.readouterr().out


@pytest.fixture(scope="module")
def planted_path(tmp_path_factory):
    obs = tiny_observations()
    obs.loc[(obs["code"] == TOO_SMALL) & (obs["variable"] == "misdrijven") & (obs["year"] == 2024), "value"] = PLANTED
    path = tmp_path_factory.mktemp("planted") / "planted.duckdb"
    build_warehouse(tiny_source(obs), path)
    return path


def test_the_small_buurt_and_its_only_sibling_are_hidden_and_the_wijk_is_shown(tiny_warehouse_path):
    rows = stored(tiny_warehouse_path)
    rows = rows[(rows["indicator"] == IND) & (rows["year"] == 2024)].set_index("code")
    assert rows.loc[[TOO_SMALL, SIBLING], "status"].eq("suppressed").all()
    assert rows.at["WK000201", "status"] == "ok" and rows.at["WK000201", "numerator"] == 50
    # the attacker: the two hidden buurten share 50 crimes, each anywhere from 0 to 50
    assert "reason" not in rows.columns   # not even why a value is hidden is served


def test_the_served_file_holds_only_the_served_tables(tiny_warehouse_path):
    with duckdb.connect(str(tiny_warehouse_path), read_only=True) as con:
        tables = {t for (t,) in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    assert tables == set(SERVED_TABLES)
    assert "observations" not in tables and "aggregate_checks" not in tables


def test_a_planted_hidden_count_is_nowhere_in_the_served_file(planted_path):
    rows = stored(planted_path)
    hidden = rows[(rows["code"] == TOO_SMALL) & (rows["indicator"] == IND) & (rows["year"] == 2024)]
    assert hidden["status"].tolist() == ["suppressed"]
    shown_wijk = rows[(rows["code"] == "WK000201") & (rows["indicator"] == IND) & (rows["year"] == 2024)]
    assert shown_wijk["numerator"].tolist() == [PLANTED + 48]   # the count is in the sums, as it should be
    raw = planted_path.read_bytes()
    for encoding in (b"7919", struct.pack("<d", PLANTED), struct.pack("<f", PLANTED),
                     struct.pack("<i", int(PLANTED)), struct.pack("<q", int(PLANTED))):
        assert encoding not in raw
    # and no table, no column holds it (nor the rate it would make)
    with duckdb.connect(str(planted_path), read_only=True) as con:
        for table in SERVED_TABLES:
            frame = con.execute(f"SELECT * FROM {table}").df()
            for column in frame.columns:
                text = frame[column].astype(str)
                assert not text.str.contains(r"\b7919(?:\.0)?\b|197975").any(), (table, column)


def test_no_stored_number_for_any_hidden_value(demo_warehouse_path):
    rows = stored(demo_warehouse_path)
    hidden = rows[rows["status"] != "ok"]
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
    texts = {code: text for trace in view.figure.data if trace.type == "choropleth"
             for code, text in zip(trace.locations, trace.text)}
    for code in (TOO_SMALL, SIBLING):
        assert "n.b." in texts[code]
        assert re.findall(r"\d", texts[code].split("<br>", 1)[1]) == []   # no digit after name and code
    classed = [list(t.locations) for t in view.figure.data if t.type == "choropleth" and t.zmax > 0.5]
    assert not any(TOO_SMALL in locs or SIBLING in locs for locs in classed)
    # the numbers behind the hidden buurten (2 and 48 crimes, 40 and 960 inhabitants) appear nowhere
    carried = json.dumps([[t.text, getattr(t, "z", None), t.customdata] for t in view.figure.data], default=list)
    assert not re.search(r"\b(48|960|40)\b", carried.replace("020100", "").replace("020101", ""))


# --- the built-in attacker ---------------------------------------------------------------------

def test_check_disclosure_finds_nothing_in_a_build(capsys, tiny_warehouse_path, demo_warehouse_path):
    for path in (tiny_warehouse_path, demo_warehouse_path):
        code, out = check(path, capsys)
        assert code == 0 and "0 hidden figures pinned down" in out
    code, out = check(demo_warehouse_path, capsys, "--year", "2023")
    assert code == 0 and "(2023)" in out
    assert main(["--warehouse", str(demo_warehouse_path), "check-disclosure", "--year", "1999"]) == 2


def test_check_disclosure_finds_what_a_tampered_file_reveals(capsys, tiny_warehouse_path, tmp_path):
    tampered = tmp_path / "tampered.duckdb"
    shutil.copy(tiny_warehouse_path, tampered)
    with duckdb.connect(str(tampered)) as con:
        # show the sibling again: the wijk minus it gives the small buurt's 2 crimes
        con.execute("UPDATE indicator_values SET status = 'ok', numerator = 48, denominator = 960, value = 50 "
                    "WHERE code = ? AND indicator = ? AND year = 2024", [SIBLING, IND])
        con.execute("CREATE TABLE aggregate_checks AS SELECT 1 AS x")
    code, out = check(tampered, capsys)
    assert code == 1
    assert "Tables the server must not read: aggregate_checks" in out
    assert re.search(rf"{IND}\s+buurt\s+single hidden child\s+1\s+e\.g\. {TOO_SMALL}", out)
    assert f"{TOO_SMALL} 2024 {IND}: single hidden child (between 2 and 2; needs a range of 3)" in out


def test_a_build_that_fails_the_check_is_refused_and_leaves_the_warehouse_byte_identical(
        tmp_path, monkeypatch, capsys):
    path = tmp_path / "w.duckdb"
    build_warehouse(tiny_source(), path)
    before = path.read_bytes()

    def primary_only(values, areas, rules, open_variables):   # no protection: the attacker must notice
        level = areas.set_index("code")["level"].reindex(values["code"]).to_numpy()
        return primary_suppression(values.assign(level=level), rules, open_variables).drop(columns="level")

    monkeypatch.setattr(aggregate, "disclose", primary_only)
    with pytest.raises(DisclosureError, match=f"{TOO_SMALL} 2024 {IND}: single hidden child"):
        build_warehouse(tiny_source(), path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix == ".tmp") == []
    # through the command line: a message, exit 1, the old warehouse kept
    assert main(["--warehouse", str(path), "build", "--demo", "--scale", "0.02"]) == 1
    assert "disclosure check failed" in capsys.readouterr().err
    assert path.read_bytes() == before


def test_a_warehouse_with_raw_counts_is_not_served(tiny_warehouse_path, tmp_path):
    old = tmp_path / "old.duckdb"
    shutil.copy(tiny_warehouse_path, old)
    with duckdb.connect(str(old)) as con:
        con.execute("CREATE TABLE observations (code VARCHAR, year INTEGER, variable VARCHAR, value DOUBLE)")
    with pytest.raises(OutdatedWarehouse, match="rebuild"):
        Warehouse(old)


def test_the_full_demo_passes_the_check_in_every_year(tmp_path, capsys):
    path = tmp_path / "full.duckdb"
    assert main(["--warehouse", str(path), "build", "--demo"]) == 0   # the build itself runs the check
    assert "-> " in capsys.readouterr().out                           # and reports the shown shares
    code, out = check(path, capsys)
    assert code == 0 and "(2020, 2021, 2022, 2023, 2024)" in out and "0 hidden figures pinned down" in out


@pytest.mark.realdata
def test_the_real_build_passes_the_check(capsys, real_warehouse_path):
    code, out = check(real_warehouse_path, capsys)
    assert code == 0 and "0 hidden figures pinned down" in out, out
