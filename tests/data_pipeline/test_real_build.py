"""A warehouse built from the real CBS/PDOK/politie files in ../shared/data/real (see its README)."""

from __future__ import annotations


from pathlib import Path

import pandas as pd
import pytest

from data_pipeline.cbs_source import read_join_report
from data_pipeline.cli import join_report_path
from data_pipeline.warehouse import Scope
from tests.realdata import real_data_dir

pytestmark = pytest.mark.realdata
EVERYTHING = Scope.everything()

# From ../shared/data/real/README.md: 2023 gemeente population per RE01..RE10, and gemeenten per unit.
REGION_POPULATION_2023 = [1_757_677, 3_318_041, 2_076_143, 1_584_722, 1_124_101, 1_983_660, 1_821_246,
                          1_541_640, 1_475_694, 1_128_367]
GEMEENTEN_PER_REGION = [40, 76, 38, 32, 6, 27, 23, 37, 32, 31]


def of_level(wh, level):
    return wh.areas_frame([level])


def test_342_gemeenten_each_in_exactly_one_of_10_named_riec_regions(real_warehouse):
    gm = of_level(real_warehouse, "gemeente")
    assert len(gm) == 342 and gm["code"].is_unique
    regions = of_level(real_warehouse, "regio").set_index("code")
    assert list(regions.index) == [f"RE{i:02d}" for i in range(1, 11)]
    assert gm["parent_code"].isin(regions.index).all()
    assert gm.groupby("parent_code").size().tolist() == GEMEENTEN_PER_REGION
    assert regions.at["RE01", "name"] == "RIEC Noord-Nederland"
    assert regions.at["RE05", "name"] == "RIEC Amsterdam-Amstelland"
    assert regions.at["RE10", "name"] == "RIEC Limburg"
    assert real_warehouse.name("GM0363") == "Amsterdam"


def test_region_populations_are_the_sums_in_the_readme(real_warehouse):
    regions = real_warehouse.table("regio", None, "inwoners", 2023, EVERYTHING)
    assert regions["value"].tolist() == REGION_POPULATION_2023
    land = real_warehouse.table("land", None, "inwoners", 2023, EVERYTHING).iloc[0]
    assert land["value"] == sum(REGION_POPULATION_2023) == 17_811_291


def test_2024_population_per_gemeente_is_close_to_the_2023_figure(real_warehouse):
    by_year = {y: real_warehouse.table("gemeente", None, "inwoners", y, EVERYTHING).set_index("code")["value"]
               for y in (2023, 2024)}
    ratio = by_year[2024] / by_year[2023]
    assert ratio.notna().all() and len(ratio) == 342
    assert ratio.between(0.97, 1.05).all(), ratio[~ratio.between(0.97, 1.05)]


def test_every_2024_wijk_has_a_polygon_and_every_gemeente_a_wijk_map(real_warehouse):
    names = pd.read_csv(real_data_dir() / "indicators" / "buurt_2024_codes_names_85984NED.csv")
    wijken_2024 = {"WK" + c[2:8] for c in names["Identifier"].str.strip()}
    wijken = set(of_level(real_warehouse, "wijk")["code"])
    assert wijken_2024 <= wijken
    for gm in of_level(real_warehouse, "gemeente")["code"]:
        assert real_warehouse.view_exists("wijk", gm), gm
    assert real_warehouse.view_exists("gemeente", "RE05") and real_warehouse.view_exists("regio", "NL01")


def test_amsterdam_drills_down_to_its_517_buurten(real_warehouse):
    frame = real_warehouse.map_values("buurt", "GM0363", "inwoners", 2024, EVERYTHING)
    assert len(frame) == 517
    doc = real_warehouse.geometry("buurt", "GM0363", Scope.everything())
    assert sorted(f["properties"]["code"] for f in doc["features"]) == sorted(frame["code"])
    wijken = of_level(real_warehouse, "wijk").query("parent_code == 'GM0363'")
    assert wijken.query("is_water")["code"].tolist() == ["WK036399"]   # Groot water: no buurten
    for wijk in wijken.query("not is_water")["code"]:
        assert real_warehouse.view_exists("buurt", wijk), wijk
    # 476 of the 517 are in the 85984NED subset; the others are n.b., never 0
    shown = frame[frame["status"] == "ok"]
    assert 400 <= len(shown) <= 476 and (shown["value"] > 0).all()
    assert frame.loc[frame["status"] != "ok", "value"].isna().all()


def test_join_report_lists_what_did_not_match(real_warehouse_path, real_warehouse):
    report = read_join_report(join_report_path(real_warehouse_path))
    assert set(report.columns) == {"level", "code", "name", "side", "origin", "reason"}
    no_polygon = report[(report["level"] == "buurt") & (report["reason"] == "no polygon for this code")]
    assert len(no_polygon) > 1000  # the 2019 buurt polygons miss many 2024 codes (README: ~82% join)
    has_map = set()
    for wijk in of_level(real_warehouse, "wijk")["code"]:
        if real_warehouse.view_exists("buurt", wijk):
            doc = real_warehouse.geometry("buurt", wijk, Scope.everything())
            has_map |= {f["properties"]["code"] for f in doc["features"]}
    assert not has_map & set(no_polygon["code"])
    stray = report[report["side"] == "geometry"]
    assert "WK099899" in set(stray["code"])         # Buitenland has no gemeente in a region
    assert "BU00000000" in set(report["code"])       # crime of unknown location is named, not dropped
    assert not set(stray["code"]) & set(real_warehouse.areas_frame()["code"])


def test_crime_is_missing_not_zero_where_a_buurt_has_no_figure(real_warehouse):
    frame = real_warehouse.table("buurt", None, "misdrijven_som_rubrieken_per_1000_inwoners", 2024, EVERYTHING)
    missing = frame[frame["status"] == "missing"]
    assert len(missing) > 0 and missing["value"].isna().all() and missing["numerator"].isna().all()
    sources = real_warehouse.catalog.get("inwoners")
    assert "85984NED (2024)" in sources.table_id and "85618NED (2023)" in sources.table_id


def test_gemeenten_have_cbs_urbanity_classes_and_populations_for_peer_groups(real_warehouse):
    attrs = real_warehouse.attributes().set_index("code")
    assert len(attrs) == 342
    assert attrs["urbanity_class"].value_counts().sort_index().tolist() == [23, 71, 77, 122, 49]
    assert attrs.at["GM0363", "urbanity_class"] == 1 and attrs["population"].gt(0).all()


def test_the_2024_wijk_file_and_the_mapping_alone_make_wijk_figures(tmp_path):
    """The Wijk- en Buurtkaart's own key figures, at wijk level, with no sentinel left."""
    from data_pipeline.cli import build_from_files
    from data_pipeline.warehouse import Warehouse

    real = real_data_dir()
    folder = tmp_path / "in"
    folder.mkdir()
    for part in ("boundaries_wijk_buurt/wijk_2024_cbs_pdok_kwb_simplified_wgs84.geojson",
                 "mappings/gemeente_vr_politie_eenheid_2023.csv"):
        (folder / Path(part).name).symlink_to(real / part)
    path = tmp_path / "wijk.duckdb"
    build_from_files(path, folder)
    with Warehouse(path) as wh:
        assert wh.years == [2024]
        wijken = wh.table("wijk", None, "inwoners", 2024, EVERYTHING)
        assert wijken["value"].sum() == 17_942_715          # ../shared/data/real/README.md
        land = wh.table("land", None, "inwoners", 2024, EVERYTHING).iloc[0]
        assert land["value"] == 17_942_715
        for indicator in (i.id for i in wh.catalog.indicators):
            values = wh.table("wijk", None, indicator, 2024, EVERYTHING)[["value", "numerator", "denominator"]]
            assert not (values <= -99995).any().any(), indicator
        assert "85984NED (2024)" in wh.catalog.get("inwoners").table_id
