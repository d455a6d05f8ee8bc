"""Polygon coverages: dissolving up the tree, checking, simplifying and GeoJSON output.

A coverage is a set of polygons that share edges exactly and neither overlap nor leave gaps.
Simplifying polygon by polygon opens slivers between neighbours, so simplification always
runs on the whole coverage of a level at once (``shapely.coverage_simplify``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import shapely.geometry
import shapely.ops

RD_NEW = "EPSG:28992"
WGS84 = "EPSG:4326"

#: Simplification tolerance in metres (RD New) per level shown, and decimals kept in WGS84
#: (5 decimals is about 1 m).
SIMPLIFY_TOLERANCE_M = {"regio": 250.0, "gemeente": 80.0, "wijk": 20.0, "buurt": 6.0}
COORDINATE_DECIMALS = 5


def dissolve(parts: gpd.GeoDataFrame, by: str) -> gpd.GeoDataFrame:
    """Union the polygons of ``parts`` per value of column ``by``.

    A valid coverage takes the fast coverage union; anything else a full union.
    Returns a frame with columns ``code`` and ``geometry``.
    """
    valid = bool(shapely.coverage_is_valid(np.asarray(parts.geometry.values)))
    merged = parts[[by, "geometry"]].dissolve(by=by, method="coverage" if valid else "unary")
    out = merged.reset_index().rename(columns={by: "code"})
    return gpd.GeoDataFrame(out[["code", "geometry"]], geometry="geometry", crs=parts.crs)


@dataclass(frozen=True)
class CoverageCheck:
    valid: bool
    overlap_area: float
    gap_area: float

    def ok(self, tolerance_area: float) -> bool:
        return self.overlap_area <= tolerance_area and self.gap_area <= tolerance_area


def check_coverage(geoms: gpd.GeoSeries, outline=None) -> CoverageCheck:
    """Measure overlaps (sum of areas minus area of union) and gaps (outline minus union).

    ``outline`` defaults to the union itself with its interior holes filled, so holes inside
    the coverage count as gaps.
    """
    arr = np.asarray(geoms.values)
    union = shapely.union_all(arr)
    overlap = float(shapely.area(arr).sum() - union.area)
    if outline is None:
        polys = getattr(union, "geoms", [union])
        outline = shapely.union_all([shapely.Polygon(p.exterior) for p in polys])
    gap = float(shapely.difference(outline, union).area)
    return CoverageCheck(bool(shapely.coverage_is_valid(arr)), max(overlap, 0.0), gap)


def clean_coverage(frame: gpd.GeoDataFrame, gap_width: float) -> gpd.GeoDataFrame:
    """Make polygons that should tile the land an exact coverage: overlaps are resolved,
    gaps narrower than ``gap_width`` closed and shared edges made identical
    (``shapely.coverage_clean``). Frames that already are a coverage come back as they are.

    Official files that were generalised polygon by polygon need this before they can be
    simplified as a coverage.
    """
    geoms = np.asarray(frame.geometry.values)
    if shapely.coverage_is_valid(geoms):
        return frame
    cleaned = shapely.coverage_clean(geoms, gap_width=gap_width)
    return frame.set_geometry(gpd.GeoSeries(cleaned, index=frame.index, crs=frame.crs))


def simplify_coverage(frame: gpd.GeoDataFrame, tolerance: float) -> gpd.GeoDataFrame:
    """Simplify all polygons of one level together so shared edges stay shared."""
    simplified = shapely.coverage_simplify(np.asarray(frame.geometry.values), tolerance)
    return frame.set_geometry(gpd.GeoSeries(simplified, index=frame.index, crs=frame.crs))


def to_display(frame: gpd.GeoDataFrame, level: str) -> gpd.GeoDataFrame:
    """Simplify a level's coverage in RD New, then reproject to WGS84, quantise and orient."""
    rd = frame.to_crs(RD_NEW) if frame.crs is not None and frame.crs != RD_NEW else frame
    tolerance = SIMPLIFY_TOLERANCE_M[level]
    simplified = simplify_coverage(clean_coverage(rd, gap_width=tolerance), tolerance).to_crs(WGS84)
    rounded = shapely.transform(np.asarray(simplified.geometry.values),
                                lambda xy: np.round(xy, COORDINATE_DECIMALS))
    # plotly's geo (d3-geo) reads a counter-clockwise exterior ring as "everything except this
    # polygon" and paints the whole map; give every exterior ring the clockwise winding d3 wants.
    oriented = shapely.orient_polygons(rounded, exterior_cw=True)
    return simplified.set_geometry(gpd.GeoSeries(oriented, index=simplified.index, crs=WGS84))


def feature_collection(frame: gpd.GeoDataFrame, generated_by: str) -> str:
    """GeoJSON text with one feature per row, ``properties.code`` as the join key.

    Geometry goes through ``shapely.to_geojson`` (compact, no per-feature Python dicts).
    """
    geoms = shapely.to_geojson(np.asarray(frame.geometry.values))
    features = ",".join(
        f'{{"type":"Feature","properties":{{"code":{json.dumps(code)}}},"geometry":{geom}}}'
        for code, geom in zip(frame["code"], geoms)
    )
    header = json.dumps({"generated": generated_by})[1:-1]
    return f'{{"type":"FeatureCollection",{header},"features":[{features}]}}'


def label_points(geojson: dict) -> pd.DataFrame:
    """Where an area's name goes on a map: per feature (``properties.code``) a point well
    inside its largest polygon (the pole of inaccessibility, so a crescent's label is not in
    the bay) and that polygon's box (west, south, east, north), all in degrees.

    >>> square = {"type": "Polygon", "coordinates": [[[5, 52], [5, 54], [7, 54], [7, 52], [5, 52]]]}
    >>> label_points({"features": [{"properties": {"code": "GM0001"}, "geometry": square}]}).to_dict("records")
    [{'code': 'GM0001', 'lon': 6.0, 'lat': 53.0, 'west': 5.0, 'south': 52.0, 'east': 7.0, 'north': 54.0}]
    """
    rows = []
    for feature in geojson.get("features", []):
        geometry = shapely.geometry.shape(feature["geometry"])
        parts = getattr(geometry, "geoms", [geometry])
        largest = max(parts, key=lambda part: part.area)
        if largest.is_empty:
            continue
        point = shapely.ops.polylabel(largest, tolerance=max(largest.length, 1e-9) / 200)
        rows.append((feature["properties"]["code"], point.x, point.y, *largest.bounds))
    return pd.DataFrame(rows, columns=["code", "lon", "lat", "west", "south", "east", "north"])
