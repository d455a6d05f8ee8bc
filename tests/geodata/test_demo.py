"""Tests for the synthetic demo country (geodata.demo)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shapely
from geopandas.testing import assert_geodataframe_equal

from geodata.codes import CODE_PATTERNS, LAND_CODE, LEVELS, parent_level
from geodata.demo import DEMO_BOUNDARY_YEAR, DemoCountry, _k_nearest, _voronoi_coverage, build_demo_country

SMALL_SCALE = 0.05


@pytest.fixture(scope="module")
def full() -> DemoCountry:
    return build_demo_country()


@pytest.fixture(scope="module")
def small() -> DemoCountry:
    return build_demo_country(seed=11, scale=SMALL_SCALE)


@pytest.fixture(scope="module", params=["full", "small"])
def country(request) -> DemoCountry:
    """Structural tests run at Dutch scale and at a small browser-test scale."""
    return request.getfixturevalue(request.param)


def level(country: DemoCountry, name: str) -> pd.DataFrame:
    return country.areas[country.areas["level"] == name]


# --------------------------------------------------------------------------- determinism


def test_same_seed_gives_identical_frames(small):
    again = build_demo_country(seed=11, scale=SMALL_SCALE)
    pd.testing.assert_frame_equal(small.areas, again.areas)
    assert_geodataframe_equal(small.buurten, again.buurten)


def test_different_seed_gives_a_different_country(small):
    other = build_demo_country(seed=12, scale=SMALL_SCALE)
    assert set(other.areas["code"]) != set(small.areas["code"])
    assert not np.allclose(other.buurten.total_bounds, small.buurten.total_bounds)


def test_frame_shapes_and_types(country):
    assert country.boundary_year == DEMO_BOUNDARY_YEAR
    assert list(country.areas.columns) == ["code", "level", "name", "parent_code"]
    assert list(country.buurten.columns) == ["code", "is_water", "urbanity", "geometry"]
    assert country.buurten.crs.to_epsg() == 28992
    assert country.buurten["is_water"].dtype == bool
    assert country.buurten["urbanity"].between(0, 1).all()
    assert country.areas["name"].str.len().gt(0).all()


def test_scale_must_be_positive():
    with pytest.raises(ValueError):
        build_demo_country(scale=0)


# --------------------------------------------------------------------------- counts


def test_counts_at_full_scale(full):
    counts = full.areas["level"].value_counts()
    assert counts["land"] == 1
    assert counts["regio"] == 10
    assert 300 <= counts["gemeente"] <= 380
    assert 3_000 <= counts["wijk"] <= 3_800
    assert 13_000 <= counts["buurt"] <= 15_000
    assert len(full.buurten) == counts["buurt"]


def test_small_scale_still_has_every_level(small):
    counts = small.areas["level"].value_counts()
    assert counts["regio"] == 10
    assert counts["gemeente"] >= 10
    assert counts["wijk"] >= counts["gemeente"]
    assert counts["buurt"] >= counts["wijk"]


# --------------------------------------------------------------------------- codes and tree


def test_codes_are_unique_and_match_their_level(country):
    areas = country.areas
    assert areas["code"].is_unique
    for name in LEVELS:
        codes = level(country, name)["code"]
        assert codes.map(lambda c, p=CODE_PATTERNS[name]: bool(p.match(c))).all(), name


def test_parents_exist_one_level_up_and_follow_the_prefix_rules(country):
    areas = country.areas
    level_of = dict(zip(areas["code"], areas["level"]))
    land = level(country, "land")
    assert land["code"].tolist() == [LAND_CODE]
    assert land["parent_code"].isna().all()
    rest = areas[areas["level"] != "land"]
    assert rest["parent_code"].notna().all()
    assert (rest["parent_code"].map(level_of) == rest["level"].map(parent_level)).all()
    wijken, buurten = level(country, "wijk"), level(country, "buurt")
    assert (wijken["parent_code"] == "GM" + wijken["code"].str[2:6]).all()
    assert (buurten["parent_code"] == "WK" + buurten["code"].str[2:8]).all()


def test_every_area_above_buurt_has_children(country):
    areas = country.areas
    for name in LEVELS[:-1]:
        codes = set(level(country, name)["code"])
        assert codes == set(areas.loc[areas["parent_code"].isin(codes), "parent_code"]), name


def test_gemeente_numbers_are_scattered(full):
    numbers = level(full, "gemeente")["code"].str[2:].astype(int)
    assert numbers.is_unique
    assert numbers.max() - numbers.min() > 3 * len(numbers)  # not 0001..0342 in order


def test_buurt_geometries_belong_to_the_buurt_codes(country):
    assert set(country.buurten["code"]) == set(level(country, "buurt")["code"])


# --------------------------------------------------------------------------- geometry


def test_buurten_form_one_valid_coverage(country):
    geoms = country.buurten.geometry.to_numpy()
    assert (shapely.get_type_id(geoms) == shapely.GeometryType.POLYGON).all()
    assert shapely.is_valid(geoms).all()
    assert shapely.coverage_is_valid(geoms)


def test_union_of_buurten_is_the_country_without_gaps(country):
    geoms = country.buurten.geometry.to_numpy()
    union = shapely.coverage_union_all(geoms)
    assert union.geom_type == "Polygon"
    assert len(union.interiors) == 0  # no holes: no gaps between buurten
    assert abs(union.area - shapely.area(geoms).sum()) / union.area < 1e-6  # no overlaps


def test_country_is_netherlands_sized_in_rd_new(full):
    x0, y0, x1, y1 = full.buurten.total_bounds
    assert 13_000 <= x0 and x1 <= 278_000 and 306_000 <= y0 and y1 <= 620_000
    assert 30_000 <= full.buurten.area.sum() / 1e6 <= 45_000


def test_city_buurten_are_small_and_country_buurten_large(full):
    buurten = full.buurten[~full.buurten["is_water"]]
    urban = buurten.loc[buurten["urbanity"] > 0.7].area.median()
    rural = buurten.loc[buurten["urbanity"] < 0.1].area.median()
    assert urban * 5 < rural


def test_voronoi_cells_cut_in_two_by_the_coast_stay_single_polygons():
    # A U-shaped country: the cell of the point on the left arm reaches across the notch
    # into the right arm, where the piece has no point of its own.
    outline = shapely.box(0, 0, 10, 10).difference(shapely.box(3, 3, 7, 11))
    xy = np.array([[2.9, 8.0], [9.5, 1.0], [5.0, 1.0], [1.0, 1.0]])
    cells = _voronoi_coverage(outline, xy)
    assert (shapely.get_type_id(cells) == shapely.GeometryType.POLYGON).all()
    assert shapely.coverage_is_valid(cells)
    assert shapely.contains_xy(cells, xy[:, 0], xy[:, 1]).all()
    assert shapely.area(cells).sum() == pytest.approx(outline.area, rel=1e-9)
    assert cells[0].bounds[2] <= 3.0  # the piece across the notch went to a neighbour


# --------------------------------------------------------------------------- water


def test_some_buurten_are_water(full):
    share = full.buurten["is_water"].mean()
    assert 0.005 <= share <= 0.03


def test_water_buurten_sit_in_groot_water_wijken(country):
    buurten = country.buurten
    water = buurten.loc[buurten["is_water"], "code"]
    assert len(water) > 0
    assert (water.str[6:8] == "99").all()
    assert not (buurten.loc[~buurten["is_water"], "code"].str[6:8] == "99").any()
    wijken = level(country, "wijk")
    water_wijken = wijken[wijken["code"].str[6:8] == "99"]
    assert set(water_wijken["code"]) == set("WK" + water.str[2:8])
    assert (water_wijken["name"] == "Groot water").all()


def test_k_nearest_gives_the_nearest_points_first_with_their_distances():
    xy = np.array([[0.0, 0.0], [1.0, 0.0], [3.0, 0.0], [7.0, 0.0]])
    nearest, dist = _k_nearest(xy, np.array([[2.2, 0.0], [6.0, 0.0]]), 3)
    assert nearest.tolist() == [[2, 1, 0], [3, 2, 1]]
    np.testing.assert_allclose(dist, [[0.8, 1.2, 2.2], [1.0, 3.0, 5.0]])
    nearest, dist = _k_nearest(xy, np.array([[2.2, 0.0]]), 1)   # one neighbour: still a table
    assert nearest.tolist() == [[2]] and dist.shape == (1, 1)


def test_water_areas_are_named_as_water(country):
    names = country.areas.set_index("code")["name"]
    water = country.buurten.loc[country.buurten["is_water"], "code"]
    assert names[water].str.lower().str.contains("water").all()


# --------------------------------------------------------------------------- names


def test_gemeente_names_are_unique(country):
    assert level(country, "gemeente")["name"].is_unique


@pytest.mark.parametrize("name", ["wijk", "buurt"])
def test_names_are_unique_within_their_gemeente(country, name):
    frame = level(country, name)
    assert not frame.assign(gm=frame["code"].str[2:6]).duplicated(["gm", "name"]).any()


def test_regions_are_named_as_synthetic(country):
    assert level(country, "regio")["name"].str.startswith("Demoregio ").all()
    assert level(country, "land")["name"].item() == "Demoland (synthetisch)"
