"""Coverage-preserving simplification: no gaps or overlaps appear between neighbours."""

import geopandas as gpd
import pytest
import shapely

from geodata.coverage import RD_NEW, check_coverage, clean_coverage, dissolve, simplify_coverage, to_display


@pytest.fixture(scope="module")
def buurten(demo_source_small):
    return demo_source_small.geometry["buurt"]


def test_demo_coverage_has_no_gaps_or_overlaps(demo_source_small):
    for level in ("buurt", "wijk", "gemeente", "regio"):
        geo = demo_source_small.geometry[level]
        total = geo.area.sum()
        check = check_coverage(geo.geometry, outline=demo_source_small.geometry["land"].geometry.iloc[0])
        assert check.valid, level
        assert check.ok(tolerance_area=1e-6 * total), (level, check)


def test_simplifying_the_coverage_keeps_it_a_coverage_while_per_polygon_simplify_does_not(buurten):
    total = buurten.area.sum()
    simplified = simplify_coverage(buurten, 150.0)
    assert shapely.get_num_coordinates(simplified.geometry.values).sum() < \
        shapely.get_num_coordinates(buurten.geometry.values).sum()
    assert check_coverage(simplified.geometry).ok(tolerance_area=1e-6 * total)
    naive = buurten.geometry.simplify(150.0)
    naive_check = check_coverage(naive)
    assert not naive_check.ok(tolerance_area=1e-6 * total)  # the failure mode we guard against


def test_display_geometry_is_wgs84_rounded_and_still_tiles_the_country(buurten):
    display = to_display(buurten, "buurt")
    assert display.crs.to_epsg() == 4326
    exteriors = [p.exterior for g in display.geometry for p in getattr(g, "geoms", [g])]
    assert not any(ring.is_ccw for ring in exteriors)  # d3-geo's winding, else plotly fills the world
    coords = shapely.get_coordinates(display.geometry.values)
    assert ((coords * 1e5).round(6) % 1 == 0).all()  # 5 decimals
    back = display.to_crs(RD_NEW)
    check = check_coverage(back.geometry)
    total = buurten.area.sum()
    assert check.overlap_area < 1e-4 * total and check.gap_area < 1e-4 * total


def test_dissolve_unions_parts_per_code():
    parts = gpd.GeoDataFrame({"wijk": ["A", "A", "B"]},
                             geometry=[shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1), shapely.box(2, 0, 3, 1)],
                             crs=RD_NEW)
    out = dissolve(parts, "wijk").set_index("code")
    assert out.loc["A", "geometry"].geom_type == "Polygon"
    assert out.loc["A", "geometry"].symmetric_difference(shapely.box(0, 0, 2, 1)).area == 0
    assert out.loc["B", "geometry"].area == pytest.approx(1.0)


def test_polygons_simplified_one_by_one_are_cleaned_back_into_a_coverage(buurten):
    """Like official files generalised per polygon: overlaps and slivers between neighbours."""
    total = buurten.area.sum()
    broken = buurten.set_geometry(buurten.geometry.simplify(150.0))
    assert not check_coverage(broken.geometry).ok(tolerance_area=1e-6 * total)
    cleaned = clean_coverage(broken, gap_width=150.0)
    check = check_coverage(cleaned.geometry)
    assert check.valid and check.overlap_area < 1e-6 * total
    assert list(cleaned["code"]) == list(buurten["code"])
    assert clean_coverage(buurten, gap_width=150.0) is buurten
