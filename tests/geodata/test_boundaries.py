"""Boundary layers from official files: level, codes, names, year, CRS, sentinels, repair."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

from geodata.boundaries import BoundaryLayer, read_boundary_file, read_problem, recognised_layers
from tests.realdata import real_data_dir

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "cbs"
GPKG = FIXTURES / "wijkenbuurten_2023_mini.gpkg"
GEOJSON = FIXTURES / "gemeente_2023_gegeneraliseerd_mini.geojson"
TOPOJSON = FIXTURES / "gm_vr_2023_mini.topojson"

#: RD New bounds of the Netherlands (x min, y min, x max, y max), generously.
NL_RD = (0, 300_000, 290_000, 630_000)
NL_LONLAT = (3.0, 50.6, 7.5, 53.7)


def by_level(layers: list[BoundaryLayer]) -> dict[str, BoundaryLayer]:
    return {layer.level: layer for layer in layers}


def inside(bounds, box) -> bool:
    xmin, ymin, xmax, ymax = bounds
    return box[0] <= xmin and xmax <= box[2] and box[1] <= ymin and ymax <= box[3]


def write_geojson(path: Path, features: list[tuple[dict, list]]) -> Path:
    """A GeoJSON FeatureCollection of polygons given as (properties, lon/lat ring)."""
    collection = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": props, "geometry": {"type": "Polygon", "coordinates": [ring]}}
        for props, ring in features]}
    path.write_text(json.dumps(collection), encoding="utf-8")
    return path


SQUARE_GRONINGEN = [[6.55, 53.21], [6.58, 53.21], [6.58, 53.23], [6.55, 53.23], [6.55, 53.21]]


# -- the CBS/PDOK GeoPackage --------------------------------------------------------------------

def test_geopackage_gives_one_layer_per_level_in_rd_new():
    layers = by_level(read_boundary_file(GPKG))
    assert set(layers) == {"gemeente", "wijk", "buurt"}
    for level, layer in layers.items():
        assert layer.year == 2023
        assert layer.frame.crs.to_epsg() == 28992
        assert list(layer.frame.columns) == ["code", "name", "is_water", "geometry"]
        assert layer.origin.startswith(str(GPKG) + ":")
        assert inside(layer.frame.total_bounds, NL_RD)
    assert layers["buurt"].frame["code"].tolist() == [
        "BU00140000", "BU00140001", "BU00149999", "BU0363AA01", "BU0363AA02", "BU0363AB01"]
    assert layers["wijk"].frame.loc[layers["wijk"].frame["code"] == "WK0363AA", "name"].item() == "Centrum-West"


def test_sentinels_become_nan_and_never_numbers():
    buurten = by_level(read_boundary_file(GPKG))["buurt"].attributes.set_index("code")
    assert np.isnan(buurten.at["BU00140001", "aantal_inwoners"])          # -99997 in the file
    assert np.isnan(buurten.at["BU00140001", "percentage_personen_0_tot_15_jaar"])  # -99995
    assert np.isnan(buurten.at["BU00149999", "aantal_huishoudens"])
    assert buurten.at["BU00140000", "aantal_inwoners"] == 5250
    assert buurten.at["BU00140000", "oppervlakte_water_in_ha"] == 0      # a real zero stays 0
    assert not (buurten.select_dtypes("number") <= -99995).any().any()
    assert "jaar" not in buurten.columns                                 # the year is layer.year


def test_water_flag_read_from_published_ja_nee():
    layers = by_level(read_boundary_file(GPKG))
    water = {level: set(layer.frame.loc[layer.frame["is_water"], "code"]) for level, layer in layers.items()}
    assert water == {"gemeente": set(), "wijk": {"WK001499"}, "buurt": {"BU00149999"}}
    assert layers["buurt"].frame["is_water"].dtype == bool


def test_invalid_polygon_is_repaired_keeping_its_area():
    raw = gpd.read_file(GPKG, layer="buurten").set_index("buurtcode")
    assert not raw.at["BU00140001", "geometry"].is_valid                 # a bowtie in the file
    buurten = by_level(read_boundary_file(GPKG))["buurt"].frame.set_index("code")
    repaired = buurten.at["BU00140001", "geometry"]
    assert repaired.is_valid and repaired.geom_type in ("Polygon", "MultiPolygon")
    assert repaired.area == pytest.approx(2_000_000)                     # two 1 km x 2 km triangles
    assert buurten.geometry.is_valid.all()


def test_geopackage_recognised_by_content_not_name(tmp_path):
    copy = tmp_path / "upload.dat"
    shutil.copy(GPKG, copy)
    assert {layer.level: len(layer.frame) for layer in read_boundary_file(copy)} == {
        "gemeente": 2, "wijk": 4, "buurt": 6}


# -- GeoJSON and TopoJSON in WGS84 --------------------------------------------------------------

def test_geojson_lon_lat_lands_on_rd_new_coordinates():
    [layer] = read_boundary_file(GEOJSON)
    assert (layer.level, layer.year, layer.origin) == ("gemeente", 2023, str(GEOJSON))
    rd = by_level(read_boundary_file(GPKG))["gemeente"].frame.set_index("code")
    for code, geometry in layer.frame.set_index("code").geometry.items():
        difference = geometry.symmetric_difference(rd.at[code, "geometry"]).area
        assert difference < 0.001 * geometry.area, code                  # same place in RD New
    centroid = layer.frame.set_index("code").at["GM0363", "geometry"].centroid
    assert centroid.x == pytest.approx(122_000, abs=5) and centroid.y == pytest.approx(487_000, abs=5)


def test_rd_new_to_wgs84_and_back_keeps_axis_order(tmp_path):
    rd = by_level(read_boundary_file(GPKG))["buurt"].frame
    wgs84 = rd.to_crs(4326)
    assert inside(wgs84.total_bounds, NL_LONLAT)                         # lon first, lat second
    path = tmp_path / "buurten.geojson"
    wgs84.rename(columns={"code": "buurtcode", "name": "buurtnaam"}).to_file(path, driver="GeoJSON")
    [back] = read_boundary_file(path)
    for original, returned in zip(rd.geometry, back.frame.geometry):
        assert shapely.hausdorff_distance(original, returned) < 0.01


def test_swapped_lat_lon_is_refused(tmp_path):
    swapped = [[lat, lon] for lon, lat in SQUARE_GRONINGEN]
    path = write_geojson(tmp_path / "swapped.geojson", [({"statcode": "GM0014"}, swapped)])
    with pytest.raises(ValueError, match="outside the Netherlands"):
        read_boundary_file(path)


def test_topojson_keeps_only_gemeente_layer_and_assumes_wgs84():
    layers = read_boundary_file(TOPOJSON)
    assert [(layer.level, layer.origin) for layer in layers] == [("gemeente", f"{TOPOJSON}:gm_features")]
    frame = layers[0].frame.set_index("code")
    assert frame.crs.to_epsg() == 28992
    rd = by_level(read_boundary_file(GPKG))["gemeente"].frame.set_index("code")
    for code in ("GM0014", "GM0363"):
        assert shapely.hausdorff_distance(frame.at[code, "geometry"], rd.at[code, "geometry"]) < 2


def test_code_and_name_columns_found_by_content_and_stripped(tmp_path):
    path = write_geojson(tmp_path / "anything.json", [
        ({"code": "AA01", "cbsCode": " BU0363AA01 ", "naam": "  Planciusbuurt-Noord ", "gemeentenaam": "Amsterdam"},
         [[4.88, 52.38], [4.89, 52.38], [4.89, 52.39], [4.88, 52.39], [4.88, 52.38]]),
    ])
    [layer] = read_boundary_file(path)
    assert layer.level == "buurt" and layer.year is None
    assert layer.frame[["code", "name"]].values.tolist() == [["BU0363AA01", "Planciusbuurt-Noord"]]
    assert layer.attributes.empty


def test_file_without_area_codes_raises_naming_file_and_what_was_sought(tmp_path):
    path = write_geojson(tmp_path / "regions.geojson", [({"code": "VR01"}, SQUARE_GRONINGEN)])
    with pytest.raises(ValueError, match=r"regions\.geojson.*(gemeente|buurtcode)"):
        read_boundary_file(path)
    csv = tmp_path / "table.csv"
    csv.write_text("statcode,statnaam\nGM0014,Groningen\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"table\.csv"):
        read_boundary_file(csv)


# -- the year from a GeoJSON's metadata -----------------------------------------------------------

def write_collection(path: Path, members: dict, properties: dict) -> Path:
    """A one-feature GeoJSON FeatureCollection with extra top-level ``members`` first."""
    feature = {"type": "Feature", "properties": properties,
               "geometry": {"type": "Polygon", "coordinates": [SQUARE_GRONINGEN]}}
    path.write_text(json.dumps({"type": "FeatureCollection", **members, "features": [feature]}),
                    encoding="utf-8")
    return path


def test_year_from_top_level_metadata_when_features_do_not_say(tmp_path):
    path = write_collection(tmp_path / "wijken_2019.geojson",
                            {"metadata": {"type": "wijken", "year": 2024, "count": 1}},
                            {"wijkcode": "WK001400"})
    [layer] = read_boundary_file(path)
    assert layer.year == 2024                                            # not 2019 from the name


def test_features_year_wins_over_metadata_and_nested_metadata_is_ignored(tmp_path):
    stated = write_collection(tmp_path / "a.geojson", {"metadata": {"year": 2024}},
                              {"wijkcode": "WK001400", "jaar": 2023})
    assert read_boundary_file(stated)[0].year == 2023
    nested = write_collection(tmp_path / "b.geojson", {},
                              {"wijkcode": "WK001400", "metadata": '{"year": 2024}'})
    assert read_boundary_file(nested)[0].year is None


# -- files GDAL cannot read -------------------------------------------------------------------------

@pytest.mark.parametrize("fixture", [GEOJSON, TOPOJSON], ids=["geojson", "topojson"])
def test_truncated_file_raises_with_path_and_gdal_message(tmp_path, fixture):
    cut = tmp_path / f"cut{fixture.suffix}"
    cut.write_bytes(fixture.read_bytes()[: fixture.stat().st_size // 2])
    with pytest.raises(ValueError) as raised:
        read_boundary_file(cut)
    message = str(raised.value)
    assert str(cut) in message
    assert "Failed to read" in message                                    # GDAL's own words
    assert recognised_layers(cut) == {}
    assert read_problem(cut) == message


def test_truncated_geojson_names_line_and_character(tmp_path):
    text = GEOJSON.read_text(encoding="utf-8")
    cut = tmp_path / "cut.geojson"
    cut.write_text(text[: text.index('"statnaam"') + 5], encoding="utf-8")  # inside a string
    problem = read_problem(cut)
    assert problem is not None and str(cut) in problem
    assert "line" in problem.lower() and "character" in problem.lower()


def test_read_problem_is_none_for_readable_and_non_geographic_files(tmp_path):
    assert read_problem(GEOJSON) is None and read_problem(GPKG) is None
    csv = tmp_path / "table.csv"
    csv.write_text("statcode,statnaam\nGM0014,Groningen\n", encoding="utf-8")
    assert read_problem(csv) is None
    other = tmp_path / "other.json"
    other.write_text('{"value": [1, 2', encoding="utf-8")               # broken, but not geographic
    assert read_problem(other) is None


# -- real files ----------------------------------------------------------------------------------

#: file -> (level, features kept, boundary year read from the content)
REAL_BOUNDARIES = {
    "boundaries/gemeente_2023_cbs_generalised_wgs84.geojson": [("gemeente", 342, 2023)],
    "boundaries/gemeente_veiligheidsregio_2023_wgs84.topojson": [("gemeente", 342, None)],
    # no jaar per feature; the year comes from the file's top-level "metadata": {"year": 2024}
    "boundaries_wijk_buurt/wijk_2024_cbs_pdok_kwb_simplified_wgs84.geojson": [("wijk", 3475, 2024)],
    "boundaries_wijk_buurt/buurt_2019_cbs_generalised_wgs84.topojson": [("buurt", 13594, 2019)],
    "boundaries_wijk_buurt/buurt_amsterdam_2022indeling_gemeente_api_wgs84.geojson": [("buurt", 518, None)],
    "boundaries_wijk_buurt/buurt_sample317_cas_buurtdashboard_wgs84.topojson": [("buurt", 317, None)],
    "indicators/gemeente_2023_kwb_pdok_wgs84.geojson": [("gemeente", 343, 2023)],
    "legacy/gemeente_2015_cbs_q1e3_wgs84.topojson": [("gemeente", 393, None)],
}


@pytest.mark.realdata
@pytest.mark.parametrize("relative", sorted(REAL_BOUNDARIES))
def test_real_boundary_files(relative):
    layers = read_boundary_file(real_data_dir() / relative)
    assert [(layer.level, len(layer.frame), layer.year) for layer in layers] == REAL_BOUNDARIES[relative]
    for layer in layers:
        frame = layer.frame
        assert frame.crs.to_epsg() == 28992
        assert frame.geometry.is_valid.all() and not frame.geometry.is_empty.any()
        assert set(frame.geom_type) <= {"Polygon", "MultiPolygon"}
        assert inside(frame.total_bounds, NL_RD)
        assert frame["code"].is_unique


@pytest.mark.realdata
def test_real_pdok_key_figures_keep_published_columns_and_missing():
    [layer] = read_boundary_file(real_data_dir() / "indicators/gemeente_2023_kwb_pdok_wgs84.geojson")
    attributes = layer.attributes.set_index("code")
    assert attributes["aantalInwoners"].drop("GM0998").sum() == 17_811_291
    assert np.isnan(attributes.at["GM0998", "aantalInwoners"])          # Buitenland: no figures
    assert "oppervlakteLandInHa" in attributes.columns


@pytest.mark.realdata
def test_real_wijk_file_keeps_groot_water_without_figures():
    [layer] = read_boundary_file(real_data_dir() / "boundaries_wijk_buurt/wijk_2024_cbs_pdok_kwb_simplified_wgs84.geojson")
    attributes = layer.attributes.set_index("code")
    groot_water = layer.frame.loc[layer.frame["name"] == "Groot water", "code"]
    assert len(groot_water) == 81 and groot_water.str.endswith("99").all()
    assert attributes.loc[groot_water, "aantal_inwoners"].isna().all()
    assert attributes["aantal_inwoners"].sum() == 17_942_715


@pytest.mark.realdata
def test_real_quantised_legacy_buurten_are_repaired():
    [layer] = read_boundary_file(real_data_dir() / "legacy/buurt_2014_cbs_q1e3_wgs84.topojson")
    assert layer.level == "buurt"
    assert 10_000 < len(layer.frame) <= 11_691        # polygons collapsed by the ~300 m grid are dropped
    assert layer.frame.geometry.is_valid.all()
