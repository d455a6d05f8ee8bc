"""The warehouse build: tree, ratio of sums, missing and suppressed values, atomic swap."""

from __future__ import annotations

import hashlib
from dataclasses import replace

import duckdb
import numpy as np
import pandas as pd
import pytest

from data_pipeline.validation import ValidationError
from data_pipeline.build import build_warehouse
from app import main
from data_pipeline.build import BuildLocked, build_lock
from data_pipeline.warehouse import AccessDenied, Scope, Warehouse
from geodata.hierarchy import MAP_VIEWS
from tests.factories import TINY_COUNTS, tiny_observations, tiny_source

EVERYTHING = Scope.everything()
IND = "misdrijven_per_1000_inwoners"


def values(path, sql, params=()):
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql, params).df()


def test_every_area_rolls_up_to_exactly_one_parent_one_level_up(demo_warehouse):
    areas = demo_warehouse.areas_frame()
    levels = dict(zip(areas["code"], areas["level"]))
    above = {"regio": "land", "gemeente": "regio", "wijk": "gemeente", "buurt": "wijk"}
    for code, level, parent in areas[["code", "level", "parent_code"]].itertuples(index=False):
        if level == "land":
            assert parent is None or pd.isna(parent)
        else:
            assert levels[parent] == above[level], code
    assert areas["code"].is_unique


def test_parents_are_ratio_of_sums_of_their_buurten(demo_warehouse_path, demo_source_small):
    obs = demo_source_small.observations
    ind = demo_source_small.catalog.get("misdrijven_per_1000_inwoners")
    wide = obs[obs["variable"].isin([ind.numerator, ind.denominator])].pivot_table(
        index=["code", "year"], columns="variable", values="value", dropna=False).reset_index()
    wide = wide.dropna(subset=[ind.numerator, ind.denominator])
    wh = Warehouse(demo_warehouse_path)
    tree = wh.areas_frame()
    wide = wide.merge(tree[["code", "wijk_code", "gemeente_code", "regio_code", "land_code"]], on="code")
    stored = values(demo_warehouse_path, "SELECT code, year, numerator, denominator, value, status "
                    "FROM indicator_values WHERE indicator = ?", [ind.id]).set_index(["code", "year"])
    checked = 0
    for column in ("gemeente_code", "regio_code", "land_code"):
        sums = wide.groupby([column, "year"])[[ind.numerator, ind.denominator]].sum()
        for (code, year), row in sums.iterrows():
            got = stored.loc[(code, year)]
            if got["status"] != "ok":
                continue
            assert got["numerator"] == row[ind.numerator]
            assert got["denominator"] == row[ind.denominator]
            expected = row[ind.numerator] / row[ind.denominator] * ind.multiplier
            assert got["value"] == pytest.approx(expected, rel=1e-12)
            checked += 1
    assert checked > 10
    # and never the mean of child rates
    gm = stored.loc[tree.loc[tree["level"] == "gemeente", "code"].iloc[0]]
    assert not gm["value"].isna().all()


def test_hand_computed_tiny_values(tiny_warehouse):
    t = tiny_warehouse.table("gemeente", None, IND, 2024, EVERYTHING).set_index("code")
    # GM0001: buurten 1000/10, 3000/60, (500 missing crime), 1500/15 -> 85 / 5500
    assert t.at["GM0001", "numerator"] == 85
    assert t.at["GM0001", "denominator"] == 5500
    assert t.at["GM0001", "value"] == pytest.approx(85 / 5500 * 1000)
    assert (t.at["GM0001", "n_parts"], t.at["GM0001", "n_parts_with_data"]) == (4, 3)
    land = tiny_warehouse.table("land", None, IND, 2024, EVERYTHING).iloc[0]
    known = [(i, m) for i, m in TINY_COUNTS.values() if m is not None]
    assert land["value"] == pytest.approx(sum(m for _, m in known) / sum(i for i, _ in known) * 1000)


def test_count_indicators_sum_their_buurten(tiny_warehouse):
    g = tiny_warehouse.table("gemeente", None, "inwoners", 2024, EVERYTHING).set_index("code")
    assert g.at["GM0001", "value"] == 1000 + 3000 + 500 + 1500
    assert g.at["GM0002", "value"] == 40 + 960 and pd.isna(g.at["GM0002", "denominator"])


def test_missing_stays_missing_and_small_areas_are_suppressed(tiny_warehouse):
    b = tiny_warehouse.table("buurt", None, IND, 2024, EVERYTHING).set_index("code")
    assert b.at["BU00010200", "status"] == "missing"
    assert pd.isna(b.at["BU00010200", "value"]) and pd.isna(b.at["BU00010200", "numerator"])
    assert b.at["BU00020100", "status"] == "suppressed"
    assert b[["value", "numerator", "denominator"]].loc["BU00020100"].isna().all()
    assert b.at["BU00029900", "status"] == "missing"  # water: no figures at all
    assert (b.loc[b["status"] != "ok", "value"].isna()).all()


def test_a_parent_without_any_data_is_missing_not_zero(tmp_path):
    obs = tiny_observations()
    obs.loc[obs["code"].str.startswith("BU0003") & (obs["variable"] == "misdrijven"), "value"] = np.nan
    path = tmp_path / "w.duckdb"
    build_warehouse(tiny_source(obs), path)
    wh = Warehouse(path)
    row = wh.table("gemeente", "GM0003", IND, 2024, EVERYTHING).iloc[0]
    assert row["status"] == "missing" and pd.isna(row["value"])
    regio = wh.table("regio", "RE02", IND, 2024, EVERYTHING).iloc[0]
    assert regio["status"] == "missing"


def test_a_published_count_and_every_rate_over_it_agree(tmp_path):
    """WK000101 publishes 4,005 inhabitants (its buurten sum to 4,000): the count shows 4,005 and
    the crime rate divides by it; WK000102 lacks one buurt's crime, so its rate stays over the
    buurten with data (1,500) and says 1 of 2."""
    obs = tiny_observations()
    published = pd.DataFrame({"code": ["WK000101", "WK000102"], "year": 2024, "variable": "inwoners",
                              "value": [4005.0, 2010.0]})
    path = tmp_path / "w.duckdb"
    build_warehouse(tiny_source(pd.concat([obs, published], ignore_index=True)), path)
    with Warehouse(path) as wh:
        count = wh.table("wijk", "GM0001", "inwoners", 2024, EVERYTHING).set_index("code")
        rate = wh.table("wijk", "GM0001", IND, 2024, EVERYTHING).set_index("code")
        gemeente = wh.table("gemeente", None, IND, 2024, EVERYTHING).set_index("code")
    assert count.at["WK000101", "value"] == 4005 == rate.at["WK000101", "denominator"]
    assert rate.at["WK000101", "value"] == pytest.approx(70 / 4005 * 1000)
    assert count.at["WK000102", "value"] == 2010
    assert rate.at["WK000102", "denominator"] == 1500
    assert (rate.at["WK000102", "n_parts"], rate.at["WK000102", "n_parts_with_data"]) == (2, 1)
    assert gemeente.at["GM0001", "denominator"] == 4005 + 1500


def _without_buurten_of(source, gemeente: str):
    """The tiny country with ``gemeente`` left as an area without wijken or buurten (a build
    whose figures cover only part of the country, such as one province's Kerncijfers)."""
    inside = source.areas["code"].str.startswith(("WK" + gemeente[2:], "BU" + gemeente[2:]))
    geometry = {lvl: geo[~geo["code"].isin(set(source.areas.loc[inside, "code"]))] for lvl, geo in source.geometry.items()}
    obs = source.observations[~source.observations["code"].isin(set(source.areas.loc[inside, "code"]))]
    return replace(source, areas=source.areas[~inside].reset_index(drop=True), geometry=geometry, observations=obs)


def test_a_gemeente_without_figures_or_buurten_makes_its_region_and_land_incomplete(tmp_path):
    """GM0003 has no buurt in the tree and no figure: Regio Twee is missing (never 0), and the
    land's sum over GM0001 and GM0002 says it covers 7 of 8 parts; with a published figure for
    GM0003 the land is whole again."""
    source = _without_buurten_of(tiny_source(), "GM0003")
    path = tmp_path / "w.duckdb"
    build_warehouse(source, path)
    with Warehouse(path) as wh:
        land = wh.table("land", None, "inwoners", 2024, EVERYTHING).iloc[0]
        regio = wh.table("regio", None, "inwoners", 2024, EVERYTHING).set_index("code")
    assert (land["n_parts"], land["n_parts_with_data"]) == (7, 6)
    assert regio.at["RE02", "status"] == "missing" and pd.isna(regio.at["RE02", "value"])
    published = pd.DataFrame({"code": ["GM0003"], "year": [2024], "variable": ["inwoners"], "value": [2000.0]})
    build_warehouse(replace(source, observations=pd.concat([source.observations, published])), path)
    with Warehouse(path) as wh:
        land = wh.table("land", None, "inwoners", 2024, EVERYTHING).iloc[0]
    assert (land["n_parts"], land["n_parts_with_data"], land["value"]) == (7, 7, 7000 + 2000)


def test_map_values_cover_every_child_area(demo_warehouse):
    wh = demo_warehouse
    gm = wh.codes("gemeente", water=True)[0]
    frame = wh.map_values("wijk", gm, IND, wh.years[-1], EVERYTHING)
    tree = wh.areas_frame()
    expected = tree[(tree["level"] == "wijk") & (tree["parent_code"] == gm)]["code"]
    assert sorted(frame["code"]) == sorted(expected)
    assert set(frame["status"]) <= {"ok", "missing", "suppressed"}


def test_map_values_kept_per_view_are_a_fresh_copy_and_still_checked_against_the_scope(demo_warehouse):
    wh = demo_warehouse
    gm = wh.codes("gemeente")[0]
    first = wh.map_values("wijk", gm, IND, wh.years[-1], EVERYTHING)
    expected = first.copy()
    first["value"] = -1.0   # what a caller does to its frame (adds classes, hover texts) stays its own
    first["klass"] = 0
    again = wh.map_values("wijk", gm, IND, wh.years[-1], EVERYTHING)
    pd.testing.assert_frame_equal(again, expected)
    assert again is not first
    elsewhere = next(code for code in wh.codes("gemeente") if wh.area(code).regio_code != wh.area(gm).regio_code)
    with pytest.raises(AccessDenied):   # read before by another viewer: refused all the same
        wh.map_values("wijk", gm, IND, wh.years[-1], Scope.inside(elsewhere))


def test_indicator_values_are_stored_in_code_order(demo_warehouse_path):
    # so that looking up one area's rows skips the row groups of all others
    stored = values(demo_warehouse_path, "SELECT code, indicator, year FROM indicator_values ORDER BY rowid")
    assert len(stored) > 0
    assert stored.equals(stored.sort_values(["code", "indicator", "year"]).reset_index(drop=True))


def test_geometry_file_per_view_holds_exactly_the_view_areas(demo_warehouse):
    wh = demo_warehouse
    for level, parent_level in MAP_VIEWS:
        parent = wh.codes(parent_level, water=True)[-1]
        doc = wh.geometry(level, parent, Scope.everything())
        codes = sorted(f["properties"]["code"] for f in doc["features"])
        column = f"{parent_level}_code"
        tree = wh.areas_frame()
        expected = sorted(tree[(tree["level"] == level) & (tree[column] == parent)]["code"])
        assert codes == expected, (level, parent)
        lon, lat = doc["features"][0]["geometry"]["coordinates"][0][0][:2] if doc["features"][0]["geometry"]["type"] == "Polygon" \
            else doc["features"][0]["geometry"]["coordinates"][0][0][0][:2]
        assert 2.5 < lon < 8 and 50 < lat < 54  # WGS84 lon/lat over the Netherlands


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_failed_build_leaves_previous_warehouse_readable_and_unchanged(tmp_path):
    path = tmp_path / "w.duckdb"
    build_warehouse(tiny_source(), path)
    before = _digest(path)

    broken = tiny_observations()
    broken.loc[3, "value"] = -5.0          # a negative count
    broken.loc[5, "code"] = "BU9999999"     # not a buurt code
    with pytest.raises(ValidationError) as err:
        build_warehouse(tiny_source(broken), path)
    text = str(err.value)
    assert "tiny test source, row 3, column 'value'" in text
    assert "row 5, column 'code'" in text

    assert _digest(path) == before
    assert not list(tmp_path.glob(".*.tmp*"))
    wh = Warehouse(path)
    assert wh.table("land", None, IND, 2024, EVERYTHING).iloc[0]["status"] == "ok"


def test_failure_after_validation_also_leaves_warehouse_intact(tmp_path, monkeypatch):
    path = tmp_path / "w.duckdb"
    build_warehouse(tiny_source(), path)
    before = _digest(path)

    def explode(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr("data_pipeline.build.geometry_frame", explode)
    with pytest.raises(RuntimeError):
        build_warehouse(tiny_source(), path)
    assert _digest(path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w.duckdb", "w.duckdb.lock"]   # one file is one build


# --------------------------------------------------------------------------- rebuilds beside a server


def test_a_second_build_of_the_same_warehouse_refuses_while_one_runs(tmp_path, capsys):
    path = tmp_path / "w.duckdb"
    with build_lock(path):
        with pytest.raises(BuildLocked, match=f"another build of {path} is running"):
            build_warehouse(tiny_source(), path)
        assert main(["--warehouse", str(path), "build", "--demo", "--scale", "0.02"]) == 1
        assert "another build" in capsys.readouterr().err
    assert not path.exists()
    build_warehouse(tiny_source(), path)    # the lock ends with the build that held it
    assert path.exists()


def test_the_next_build_removes_what_a_killed_build_left(tmp_path):
    path = tmp_path / "w.duckdb"
    debris = [tmp_path / ".w.duckdb.20261202T010203-abcdef.tmp", tmp_path / ".w.duckdb.20261202T010203-abcdef.tmp.wal"]
    for file in debris:
        file.write_bytes(b"x" * 1000)
    report = build_warehouse(tiny_source(), path)
    assert not any(file.exists() for file in debris)
    assert any("removed .w.duckdb.20261202T010203-abcdef.tmp (1,000 bytes)" in note for note in report.notes)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w.duckdb", "w.duckdb.lock"]


def test_a_server_keeps_its_build_while_a_rebuild_swaps_a_new_one_in(tmp_path):
    path = tmp_path / "w.duckdb"
    build_warehouse(tiny_source(), path)
    serving = Warehouse(path)
    first = serving.build_id
    polygons = serving.geometry_gzip("wijk", "GM0001", EVERYTHING)
    for _ in range(2):   # two rebuilds used to delete the polygons of the first
        build_warehouse(tiny_source(), path)
    assert serving.build_id == first and serving.geometry_gzip("wijk", "GM0001", EVERYTHING) == polygons
    assert serving.table("land", None, IND, 2024, EVERYTHING).iloc[0]["status"] == "ok"
    fresh = Warehouse(path)
    assert fresh.build_id != first and fresh.geometry("wijk", "GM0001", EVERYTHING)["features"]


@pytest.mark.parametrize("content", [b"", b"not a database at all\n" * 100, b"DUCK" + bytes(5000)])
def test_a_corrupt_or_empty_warehouse_gives_one_clear_line(tmp_path, capsys, content):
    path = tmp_path / "w.duckdb"
    path.write_bytes(content)
    assert main(["--warehouse", str(path), "table", "--level", "land", "--indicator", IND]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error: {path}") and "build" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_a_warehouse_path_with_a_typo_is_an_error_never_a_fresh_demo(tmp_path, capsys):
    typo = tmp_path / "warehuose.duckdb"
    assert main(["--warehouse", str(typo), "serve"]) == 1
    assert f"no warehouse at {typo}" in capsys.readouterr().err
    assert not typo.exists()
