"""A synthetic demo country at real Dutch scale, deterministic from a seed.

The demo country ("Demoland") lets the dashboard, the pipeline and the tests run without
any real data. It mimics the CBS geography: one land, 10 regions, ~340 gemeenten,
~3,400 wijken and ~14,000 buurten at ``scale=1``, in RD New (EPSG:28992) coordinates.

How it is built
---------------
1. A smooth, irregular country outline and a few lakes and sea inlets (water).
2. Random buurt points: dense city clusters, a sparse countryside and some points on
   water. Their Voronoi cells, clipped to the outline, are the buurten. The cells are cut
   out of one noded planar graph, so they form one exact coverage (no gaps, no overlaps).
3. The hierarchy is built bottom-up, so nesting is exact: wijk seeds are a subset of the
   land buurt points and every land buurt joins its nearest wijk seed; gemeente seeds are a
   subset of the wijk seeds; region seeds a spread-out subset of the gemeente seeds.
4. Buurten whose representative point lies on water are water-only. The water buurten of a
   gemeente form its wijk ``WKgggg99`` "Groot water", like CBS.
5. Codes and Dutch-sounding names are generated from the same random generator.

>>> country = build_demo_country(seed=7, scale=0.02)
>>> sorted(country.areas["level"].unique())
['buurt', 'gemeente', 'land', 'regio', 'wijk']
>>> int((country.areas["level"] == "regio").sum())
10
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import shapely.affinity
from scipy.spatial import cKDTree
from shapely.geometry import Polygon

from geodata.codes import LAND_CODE
from geodata.demo_names import assign_names, water_body_names

DEMO_BOUNDARY_YEAR = 2024
DEMO_CRS = "EPSG:28992"
LAND_NAME = "Demoland (synthetisch)"
WATER_WIJK_NUMBER = 99
WATER_WIJK_NAME = "Groot water"
N_REGIONS = 10

# Counts at scale 1, close to the Netherlands.
_BUURTEN_AT_SCALE_1 = 14_000
_WIJKEN_AT_SCALE_1 = 3_400
_GEMEENTEN_AT_SCALE_1 = 342
_WATER_SHARE = 0.015          # share of buurt points placed on water
_COUNTRYSIDE_SHARE = 0.45     # share of land buurt points outside city clusters
_MAX_SCALE = 5.0              # beyond this the 4-digit gemeente numbers run out

# Where the country lies in RD New (x_min, y_min, x_max, y_max), with a margin inside.
_RD_BOX = (13_000.0, 306_000.0, 278_000.0, 620_000.0)
_MAX_BUURTEN_PER_WIJK = 100   # buurt numbers 00..99
_MAX_WIJKEN_PER_GEMEENTE = 99  # wijk numbers 00..98; 99 is "Groot water"


@dataclass(frozen=True)
class DemoCountry:
    """The synthetic demo country.

    Attributes
    ----------
    seed, boundary_year : int
        The seed it was built from and the boundary year its codes belong to.
    areas : pandas.DataFrame
        One row per area at every level, with columns ``code``, ``level``, ``name`` and
        ``parent_code`` (missing for the land).
    buurten : geopandas.GeoDataFrame
        One row per buurt with ``code``, ``is_water`` (bool), ``urbanity`` (0..1) and a
        ``geometry`` Polygon, in EPSG:28992. Together the polygons form one coverage.
    """

    seed: int
    boundary_year: int
    areas: pd.DataFrame
    buurten: gpd.GeoDataFrame


@dataclass(frozen=True)
class _Sizes:
    n_land: int      # land buurt points
    n_water: int     # water buurt points
    n_wijk: int      # land wijken (before splitting over-full ones)
    n_gemeente: int
    n_city: int      # city clusters


def build_demo_country(seed: int = 2024, scale: float = 1.0) -> DemoCountry:
    """Build the demo country.

    Parameters
    ----------
    seed : int
        Seed for :func:`numpy.random.default_rng`; the same seed and scale give identical
        frames.
    scale : float
        Multiplies the number of buurten, wijken and gemeenten (1.0 is Dutch scale). The
        land always has 10 regions and at least 10 gemeenten.

    Returns
    -------
    DemoCountry
    """
    sizes = _target_sizes(scale)
    rng = np.random.default_rng(seed)
    outline = _make_outline(rng)
    bodies = _make_water_bodies(rng, outline)
    water = shapely.union_all([geom for _, geom in bodies])
    xy, urbanity = _sample_points(rng, outline, water, sizes, scale)
    cells = _voronoi_coverage(outline, xy)
    rep = shapely.point_on_surface(cells)
    rep_xy = shapely.get_coordinates(rep)
    is_water = shapely.contains_xy(water, rep_xy[:, 0], rep_xy[:, 1])
    urbanity = np.where(is_water, 0.0, urbanity)
    tree = _build_tree(rng, xy, is_water, shapely.area(cells), sizes)
    coded = _assign_codes(rng, tree, xy, urbanity, is_water)
    names = assign_names(rng, coded, xy, rep_xy, urbanity, bodies)
    areas = _areas_frame(coded, names)
    buurten = gpd.GeoDataFrame(
        {"code": coded["buurt_code"], "is_water": is_water, "urbanity": urbanity},
        geometry=cells, crs=DEMO_CRS,
    ).sort_values("code", ignore_index=True)
    return DemoCountry(seed=seed, boundary_year=DEMO_BOUNDARY_YEAR, areas=areas, buurten=buurten)


def _target_sizes(scale: float) -> _Sizes:
    """Numbers of areas for a scale, with the minimums every level needs."""
    if not (0 < scale <= _MAX_SCALE):
        raise ValueError(f"scale must be in (0, {_MAX_SCALE}], got {scale!r}")
    n_gemeente = max(N_REGIONS, round(_GEMEENTEN_AT_SCALE_1 * scale))
    n_wijk = max(2 * n_gemeente, round(_WIJKEN_AT_SCALE_1 * scale))
    n_total = round(_BUURTEN_AT_SCALE_1 * scale)
    n_water = max(3, round(_WATER_SHARE * n_total))
    n_land = max(3 * n_wijk, n_total - n_water)
    n_city = int(np.clip(round(70 * np.sqrt(scale)), 4, 150))
    return _Sizes(n_land, n_water, n_wijk, n_gemeente, n_city)


# --------------------------------------------------------------------------- geometry


def _blob(rng: np.random.Generator, cx: float, cy: float, rx: float, ry: float,
          n_vertices: int, roughness: float, max_harmonic: int) -> Polygon:
    """A smooth star-shaped polygon: an ellipse with random low harmonics on its radius.

    Star-shaped around its centre with a positive radius, so always a simple polygon.
    """
    theta = np.linspace(0.0, 2 * np.pi, n_vertices, endpoint=False)
    radius = np.ones_like(theta)
    for k in range(2, max_harmonic + 1):
        amplitude = rng.normal() * roughness * k ** -1.6
        radius += amplitude * np.cos(k * theta + rng.uniform(0, 2 * np.pi))
    radius = np.maximum(radius, 0.35)
    return Polygon(np.c_[cx + rx * radius * np.cos(theta), cy + ry * radius * np.sin(theta)])


def _make_outline(rng: np.random.Generator) -> Polygon:
    """A Netherlands-sized country outline fitted into the RD New box."""
    x0, y0, x1, y1 = _RD_BOX
    outline = _blob(rng, (x0 + x1) / 2, (y0 + y1) / 2, 92_000.0, 132_000.0,
                    n_vertices=2400, roughness=0.35, max_harmonic=40)
    bx0, by0, bx1, by1 = outline.bounds
    margin = 3_000.0
    factor = min(1.0, (x1 - x0 - 2 * margin) / (bx1 - bx0), (y1 - y0 - 2 * margin) / (by1 - by0))
    outline = shapely.affinity.scale(outline, factor, factor, origin=outline.centroid)
    bx0, by0, bx1, by1 = outline.bounds
    dx = (x0 + x1) / 2 - (bx0 + bx1) / 2
    dy = (y0 + y1) / 2 - (by0 + by1) / 2
    return shapely.affinity.translate(outline, dx, dy)


def _make_water_bodies(rng: np.random.Generator, outline: Polygon) -> list[tuple[str, Polygon]]:
    """A few lakes inside the country and sea inlets on its coast, with names."""
    bodies: list[Polygon] = []
    kinds: list[str] = []
    for radius in (14_000.0, 7_000.0, 5_000.0, 3_500.0):
        centre = _point_away_from(rng, outline, bodies, 1.5 * radius)
        bodies.append(_blob(rng, *centre, radius, radius * rng.uniform(0.6, 1.0), 240, 0.3, 6))
        kinds.append("lake")
    ring = outline.exterior
    for _ in range(2):
        radius = rng.uniform(8_000.0, 11_000.0)
        point = ring.interpolate(rng.uniform(0, 1), normalized=True)
        inlet = _blob(rng, point.x, point.y, radius, radius, 240, 0.3, 6).intersection(outline)
        bodies.append(_largest_polygon(inlet))
        kinds.append("inlet")
    names = water_body_names(rng, kinds)
    return list(zip(names, bodies))


def _point_away_from(rng: np.random.Generator, outline: Polygon, others: list[Polygon],
                     distance: float) -> tuple[float, float]:
    """A random point inside the outline, ``distance`` from its edge and from ``others``."""
    inner = outline.buffer(-distance)
    for other in others:
        inner = inner.difference(other.buffer(distance))
    (x, y), = _uniform_in(rng, inner, 1)
    return float(x), float(y)


def _largest_polygon(geom) -> Polygon:
    parts = shapely.get_parts(geom)
    return parts[np.argmax(shapely.area(parts))]


def _uniform_in(rng: np.random.Generator, geom, n: int) -> np.ndarray:
    """``n`` uniform random points inside ``geom`` (rejection from its bounding box)."""
    shapely.prepare(geom)
    x0, y0, x1, y1 = geom.bounds
    fill = geom.area / ((x1 - x0) * (y1 - y0))
    chunks, got = [], 0
    while got < n:
        m = max(64, int(1.3 * (n - got) / fill))
        x, y = rng.uniform(x0, x1, m), rng.uniform(y0, y1, m)
        keep = shapely.contains_xy(geom, x, y)
        chunks.append(np.c_[x[keep], y[keep]])
        got += int(keep.sum())
    return np.concatenate(chunks)[:n]


def _gaussian_in(rng: np.random.Generator, geom, n: int, centre: np.ndarray, sigma: float) -> np.ndarray:
    """``n`` points from a round Gaussian around ``centre``, kept only inside ``geom``."""
    chunks, got = [], 0
    for _ in range(50):
        m = max(16, 2 * (n - got))
        pts = centre + rng.normal(0.0, sigma, (m, 2))
        pts = pts[shapely.contains_xy(geom, pts[:, 0], pts[:, 1])]
        chunks.append(pts)
        got += len(pts)
        if got >= n:
            return np.concatenate(chunks)[:n]
    # A cluster almost entirely outside the land: top up with countryside points.
    return np.concatenate(chunks + [_uniform_in(rng, geom, n - got)])[:n]


@dataclass(frozen=True)
class _Cities:
    centres: np.ndarray   # (k, 2)
    sigmas: np.ndarray    # (k,)
    counts: np.ndarray    # (k,) buurt points per city


def _make_cities(rng: np.random.Generator, land, sizes: _Sizes, scale: float) -> _Cities:
    """City clusters with Zipf-like sizes; a city's spread grows with its size."""
    k = sizes.n_city
    n_city_points = sizes.n_land - round(_COUNTRYSIDE_SHARE * sizes.n_land)
    weights = np.arange(1, k + 1) ** -0.6 * rng.lognormal(0.0, 0.3, k)
    counts = rng.multinomial(n_city_points, weights / weights.sum())
    counts = np.sort(counts)[::-1]
    # Peak density is the same for every city: about one buurt per 0.18 km2 at scale 1.
    s0 = 170.0 / np.sqrt(scale) * rng.lognormal(0.0, 0.12, k)
    sigmas = s0 * np.sqrt(np.maximum(counts, 1))
    centres = np.empty((k, 2))
    for i in range(k):
        centres[i] = _city_centre(rng, land, centres[:i], sigmas[:i], sigmas[i])
    return _Cities(centres, sigmas, counts)


def _city_centre(rng: np.random.Generator, land, previous: np.ndarray, prev_sigmas: np.ndarray,
                 sigma: float) -> np.ndarray:
    """A city centre on land, not too close to the (bigger) cities placed before it."""
    candidates = _uniform_in(rng, land, 40)
    if len(previous) == 0:
        return candidates[0]
    gap = np.linalg.norm(candidates[:, None, :] - previous[None, :, :], axis=2)
    slack = gap / (2.5 * (prev_sigmas[None, :] + sigma))
    return candidates[np.argmax(slack.min(axis=1))]


def _city_density(xy: np.ndarray, cities: _Cities) -> np.ndarray:
    """Expected city points per m2 at each of ``xy``."""
    d2 = ((xy[:, None, :] - cities.centres[None, :, :]) ** 2).sum(axis=2)
    peak = cities.counts / (2 * np.pi * cities.sigmas ** 2)
    return (peak[None, :] * np.exp(-d2 / (2 * cities.sigmas[None, :] ** 2))).sum(axis=1)


def _sample_points(rng: np.random.Generator, outline: Polygon, water, sizes: _Sizes,
                   scale: float) -> tuple[np.ndarray, np.ndarray]:
    """Buurt points (land first, then water) and the urbanity (0..1) of each point."""
    land = outline.difference(water)
    water_in = water.intersection(outline)
    shapely.prepare(land)
    shapely.prepare(water_in)
    cities = _make_cities(rng, land, sizes, scale)
    n_countryside = sizes.n_land - int(cities.counts.sum())
    background = n_countryside / land.area
    component = np.concatenate([np.repeat(np.arange(len(cities.counts)), cities.counts),
                                np.full(n_countryside, -1), np.full(sizes.n_water, -2)])
    xy = np.empty((len(component), 2))
    for comp in np.unique(component):
        idx = np.flatnonzero(component == comp)
        xy[idx] = _draw(rng, comp, len(idx), cities, land, water_in)
    density = np.where(component == -2, sizes.n_water / water_in.area,
                       background + _city_density(xy, cities))
    xy = _thin(rng, xy, component, density, cities, land, water_in)
    density = background + _city_density(xy, cities)
    peak = background + (cities.counts / (2 * np.pi * cities.sigmas ** 2)).max()
    urbanity = np.log(density / background) / np.log(peak / background)
    urbanity = np.clip(urbanity + rng.normal(0.0, 0.03, len(urbanity)), 0.0, 1.0)
    return xy, np.where(component == -2, 0.0, urbanity)


def _draw(rng, comp: int, n: int, cities: _Cities, land, water_in) -> np.ndarray:
    """``n`` points of one component: a city (>= 0), the countryside (-1) or water (-2)."""
    if comp == -1:
        return _uniform_in(rng, land, n)
    if comp == -2:
        return _uniform_in(rng, water_in, n)
    return _gaussian_in(rng, land, n, cities.centres[comp], cities.sigmas[comp])


def _thin(rng, xy: np.ndarray, component: np.ndarray, density: np.ndarray, cities: _Cities,
          land, water_in, rounds: int = 4) -> np.ndarray:
    """Redraw points that sit much closer to a neighbour than the local spacing.

    This avoids sliver buurten without making the pattern regular.
    """
    xy = xy.copy()
    min_gap = 0.35 / np.sqrt(density)
    for _ in range(rounds):
        points = shapely.points(xy)
        (i, j), dist = shapely.STRtree(points).query_nearest(
            points, exclusive=True, return_distance=True, all_matches=False)
        bad = np.zeros(len(xy), dtype=bool)
        bad[i] = (dist < min_gap[i]) & (i > j)
        if not bad.any():
            break
        for comp in np.unique(component[bad]):
            idx = np.flatnonzero(bad & (component == comp))
            xy[idx] = _draw(rng, comp, len(idx), cities, land, water_in)
    return xy


def _voronoi_coverage(outline: Polygon, xy: np.ndarray) -> np.ndarray:
    """Voronoi cells of ``xy`` clipped to ``outline``, as one exact coverage.

    The Voronoi edges (each edge once) and the outline are noded into one planar graph and
    polygonized, so neighbouring cells share exactly the same vertices. Returns one simple
    Polygon per point, in the order of ``xy``.
    """
    x0, y0, x1, y1 = outline.bounds
    frame = shapely.box(x0 - 20_000, y0 - 20_000, x1 + 20_000, y1 + 20_000)
    edges = shapely.voronoi_polygons(shapely.multipoints(xy), extend_to=frame, only_edges=True)
    noded = shapely.unary_union([edges, outline.exterior])
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(noded)))
    inner = shapely.get_coordinates(shapely.point_on_surface(faces))
    shapely.prepare(outline)
    faces = faces[shapely.contains_xy(outline, inner[:, 0], inner[:, 1])]
    return _faces_to_cells(faces, xy)


def _faces_to_cells(faces: np.ndarray, xy: np.ndarray) -> np.ndarray:
    """Give each point the face it lies in; merge faces without a point into a neighbour.

    Clipping can cut a Voronoi cell in two; the piece without its point is merged into the
    neighbour with which it shares the longest edge, so every buurt stays a single Polygon.
    """
    tree = shapely.STRtree(faces)
    point_idx, face_idx = tree.query(shapely.points(xy), predicate="within")
    if len(np.unique(point_idx)) != len(xy) or len(np.unique(face_idx)) != len(face_idx):
        raise RuntimeError("demo geometry: a buurt point does not lie in exactly one face")
    cells = np.empty(len(xy), dtype=object)
    cells[point_idx] = faces[face_idx]
    owner = np.full(len(faces), -1)
    owner[face_idx] = point_idx
    orphans = list(np.flatnonzero(owner < 0))
    patience = len(orphans) + 1
    while orphans:
        orphan = orphans.pop(0)
        target = _best_owned_neighbour(tree, faces, owner, orphan)
        if target < 0:  # only orphans around it so far: retry once they are merged
            orphans.append(orphan)
            patience -= 1
            if patience < 0:
                raise RuntimeError("demo geometry: a clipped piece has no neighbouring buurt")
            continue
        merged = shapely.coverage_union_all([cells[target], faces[orphan]])
        if merged.geom_type != "Polygon":
            raise RuntimeError("demo geometry: merging a clipped piece did not give a Polygon")
        cells[target] = merged
        owner[orphan] = target
        patience = len(orphans) + 1
    return cells


def _best_owned_neighbour(tree: shapely.STRtree, faces: np.ndarray, owner: np.ndarray, face: int) -> int:
    """The owner of the owned face sharing the longest edge with ``face``, or -1."""
    neighbours = [j for j in tree.query(faces[face], predicate="touches") if owner[j] >= 0]
    shared = [shapely.intersection(faces[face].boundary, faces[j].boundary).length for j in neighbours]
    if not neighbours or max(shared) <= 0:
        return -1
    return int(owner[neighbours[int(np.argmax(shared))]])


# --------------------------------------------------------------------------- hierarchy


@dataclass(frozen=True)
class _Tree:
    wijk_of: np.ndarray      # per buurt: land wijk index, -1 for water buurten
    gemeente_of: np.ndarray  # per buurt: gemeente index
    wijk_gemeente: np.ndarray  # per land wijk: gemeente index
    region_of: np.ndarray    # per gemeente: region index 0..9
    region_xy: np.ndarray    # per region: seed position


def _nearest(seeds_xy: np.ndarray, xy: np.ndarray) -> np.ndarray:
    """Index of the nearest seed for each point of ``xy``."""
    tree = shapely.STRtree(shapely.points(seeds_xy))
    i, j = tree.query_nearest(shapely.points(xy), all_matches=False)
    nearest = np.empty(len(xy), dtype=int)
    nearest[i] = j
    return nearest


def _assign_with_cap(xy: np.ndarray, seeds: np.ndarray, cap: int) -> tuple[np.ndarray, np.ndarray]:
    """Assign every point of ``xy`` to its nearest seed (indices into ``xy``).

    A seed that gets more than ``cap`` points is split: its farthest member becomes a new
    seed. Every seed is its own nearest seed, so no group is empty.
    """
    seeds = np.asarray(seeds)
    while True:
        labels = _nearest(xy[seeds], xy)
        counts = np.bincount(labels, minlength=len(seeds))
        over = np.flatnonzero(counts > cap)
        if over.size == 0:
            return seeds, labels
        extra = []
        for s in over:
            members = np.flatnonzero(labels == s)
            dist = np.linalg.norm(xy[members] - xy[seeds[s]], axis=1)
            extra.append(members[np.argmax(dist)])
        seeds = np.concatenate([seeds, extra])


def _build_tree(rng: np.random.Generator, xy: np.ndarray, is_water: np.ndarray,
                cell_area: np.ndarray, sizes: _Sizes) -> _Tree:
    """Nest buurten in wijken, wijken in gemeenten and gemeenten in regions."""
    land = np.flatnonzero(~is_water)
    n_wijk = min(sizes.n_wijk, len(land))
    wijk_seeds = rng.choice(len(land), n_wijk, replace=False)
    wijk_seeds, land_wijk = _assign_with_cap(xy[land], wijk_seeds, _MAX_BUURTEN_PER_WIJK)
    wijk_xy = xy[land][wijk_seeds]
    # Gemeenten cover similar areas more than similar numbers of wijken: a big city is
    # one gemeente with many wijken, the countryside has large gemeenten with few.
    wijk_area = np.bincount(land_wijk, weights=cell_area[land], minlength=len(wijk_seeds))
    p = wijk_area ** 0.7 / (wijk_area ** 0.7).sum()
    n_gemeente = min(sizes.n_gemeente, len(wijk_seeds))
    gem_seeds = rng.choice(len(wijk_seeds), n_gemeente, replace=False, p=p)
    gem_seeds, wijk_gemeente = _assign_with_cap(wijk_xy, gem_seeds, _MAX_WIJKEN_PER_GEMEENTE)
    gem_xy = wijk_xy[gem_seeds]
    gem_weight = np.bincount(wijk_gemeente[land_wijk], minlength=len(gem_seeds))
    region_seeds = _spread_seeds(rng, gem_xy, gem_weight, N_REGIONS)
    region_of = _nearest(gem_xy[region_seeds], gem_xy)

    wijk_of = np.full(len(xy), -1)
    wijk_of[land] = land_wijk
    gemeente_of = np.empty(len(xy), dtype=int)
    gemeente_of[land] = wijk_gemeente[land_wijk]
    water = np.flatnonzero(is_water)
    if water.size:
        gemeente_of[water] = _water_gemeenten(xy[land], gemeente_of[land], xy[water])
    return _Tree(wijk_of, gemeente_of, wijk_gemeente, region_of, gem_xy[region_seeds])


def _water_gemeenten(land_xy: np.ndarray, land_gemeente: np.ndarray, water_xy: np.ndarray) -> np.ndarray:
    """The gemeente of each water buurt: that of the nearest land buurt with room left.

    A gemeente numbers its water buurten 00..99 in wijk 99, so it takes at most 100; the
    water buurten nearest to the shore choose first.
    """
    nearest, dist = _k_nearest(land_xy, water_xy, min(64, len(land_xy)))
    room: dict[int, int] = {}
    result = np.empty(len(water_xy), dtype=int)
    for i in np.argsort(dist[:, 0], kind="stable"):
        for g in land_gemeente[nearest[i]]:
            if room.setdefault(int(g), _MAX_BUURTEN_PER_WIJK) > 0:
                room[int(g)] -= 1
                result[i] = g
                break
        else:
            raise RuntimeError("demo geometry: no gemeente near enough for a water buurt")
    return result


def _k_nearest(xy: np.ndarray, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices into ``xy`` of the ``k`` nearest points to each query, nearest first, and
    their distances (two arrays of shape ``(len(queries), k)``)."""
    dist, nearest = cKDTree(xy).query(queries, k)
    return nearest.reshape(len(queries), k), dist.reshape(len(queries), k)


def _spread_seeds(rng: np.random.Generator, xy: np.ndarray, weight: np.ndarray, k: int) -> np.ndarray:
    """``k`` distinct, spread-out indices into ``xy``: weighted k-means snapped to points.

    Starts from farthest-point sampling, then moves each centre to the weighted mean of
    its members and snaps it to the nearest unused point.
    """
    chosen = [int(rng.integers(len(xy)))]
    dist = np.linalg.norm(xy - xy[chosen[0]], axis=1)
    while len(chosen) < k:
        chosen.append(int(np.argmax(dist)))
        dist = np.minimum(dist, np.linalg.norm(xy - xy[chosen[-1]], axis=1))
    seeds = np.array(chosen)
    w = weight.astype(float) + 1.0
    for _ in range(10):
        labels = _nearest(xy[seeds], xy)
        means = np.array([np.average(xy[labels == j], axis=0, weights=w[labels == j]) for j in range(k)])
        seeds = _snap_distinct(xy, means)
    return seeds


def _snap_distinct(xy: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """For each target the nearest point of ``xy`` not already taken by an earlier one."""
    taken: list[int] = []
    for target in targets:
        order = np.argsort(np.linalg.norm(xy - target, axis=1))
        taken.append(int(next(i for i in order if i not in taken)))
    return np.array(taken)


# --------------------------------------------------------------------------- codes


def _rank_within(groups: np.ndarray, key: np.ndarray) -> np.ndarray:
    """0-based rank of each element within its group, ordered by ``key`` ascending (ties: in
    the order given).

    >>> _rank_within(np.array([1, 0, 1, 0, 1]), np.array([5.0, 2.0, 1.0, 2.0, 3.0])).tolist()
    [2, 0, 0, 1, 1]
    """
    rank = pd.Series(key).groupby(groups).rank(method="first")
    return rank.to_numpy(dtype=int) - 1


def _assign_codes(rng: np.random.Generator, tree: _Tree, xy: np.ndarray, urbanity: np.ndarray,
                  is_water: np.ndarray) -> dict[str, np.ndarray]:
    """CBS-style codes for every area.

    Gemeente numbers are scattered unique 4-digit numbers. Within a gemeente, wijk 00 is
    the most urban wijk; within a wijk, buurt 00 the most urban buurt. The water buurten of
    a gemeente are numbered ``BUgggg99bb`` in wijk ``WKgggg99``.
    """
    n_gem = len(tree.region_of)
    pool = np.setdiff1d(np.arange(3, 2000), [998, 999])  # 0998 is "Buitenland" at CBS
    gem_number = rng.choice(pool, n_gem, replace=False)
    # Regions numbered north to south, like RE01 Noord-Nederland .. RE10 Limburg.
    region_rank = np.argsort(np.argsort(-tree.region_xy[:, 1]))

    land = ~is_water
    n_wijk = len(tree.wijk_gemeente)
    wijk_urb = np.bincount(tree.wijk_of[land], weights=urbanity[land], minlength=n_wijk)
    wijk_urb /= np.bincount(tree.wijk_of[land], minlength=n_wijk)
    wijk_number = _rank_within(tree.wijk_gemeente, -wijk_urb)

    buurt_wijk_number = np.full(len(xy), WATER_WIJK_NUMBER)
    buurt_wijk_number[land] = wijk_number[tree.wijk_of[land]]
    group = np.where(land, tree.wijk_of, n_wijk + tree.gemeente_of)
    key = np.where(land, -urbanity, -xy[:, 1])  # water: north to south
    buurt_number = _rank_within(group, key)
    if buurt_number.max() >= _MAX_BUURTEN_PER_WIJK:  # guarded against while building the tree
        raise RuntimeError("demo geometry: more than 100 buurten in one wijk")

    gem_digits = np.char.zfill(gem_number.astype(str), 4)
    b_gem = gem_digits[tree.gemeente_of]
    return {
        "region_code": np.array([f"RE{r + 1:02d}" for r in region_rank]),
        "gemeente_code": np.char.add("GM", gem_digits),
        "gemeente_region": tree.region_of,
        "wijk_code": np.char.add(np.char.add("WK", gem_digits[tree.wijk_gemeente]),
                                 np.char.zfill(wijk_number.astype(str), 2)),
        "wijk_gemeente": tree.wijk_gemeente,
        "buurt_code": np.char.add(np.char.add(np.char.add("BU", b_gem),
                                              np.char.zfill(buurt_wijk_number.astype(str), 2)),
                                  np.char.zfill(buurt_number.astype(str), 2)),
        "buurt_gemeente": tree.gemeente_of,
        "buurt_wijk": tree.wijk_of,
        "is_water": is_water,
        "region_xy": tree.region_xy,
    }


def _areas_frame(coded: dict[str, np.ndarray], names: dict[str, np.ndarray]) -> pd.DataFrame:
    """One row per area, land first, then regions, gemeenten, wijken and buurten by code."""
    gem_codes = coded["gemeente_code"]
    buurt_codes = coded["buurt_code"].astype(str)
    water_gems = np.unique(coded["buurt_gemeente"][coded["is_water"]])
    water_wijk_codes = np.array([f"WK{gem_codes[g][2:]}{WATER_WIJK_NUMBER}" for g in water_gems], dtype=str)
    frames = [
        pd.DataFrame({"code": [LAND_CODE], "level": "land", "name": [LAND_NAME], "parent_code": [None]}),
        pd.DataFrame({"code": coded["region_code"], "level": "regio", "name": names["region"],
                      "parent_code": LAND_CODE}),
        pd.DataFrame({"code": gem_codes, "level": "gemeente", "name": names["gemeente"],
                      "parent_code": coded["region_code"][coded["gemeente_region"]]}),
        pd.DataFrame({"code": np.r_[coded["wijk_code"], water_wijk_codes], "level": "wijk",
                      "name": np.r_[names["wijk"], np.full(len(water_gems), WATER_WIJK_NAME)],
                      "parent_code": gem_codes[np.r_[coded["wijk_gemeente"], water_gems]]}),
        pd.DataFrame({"code": buurt_codes, "level": "buurt", "name": names["buurt"],
                      "parent_code": ["WK" + code[2:8] for code in buurt_codes]}),
    ]
    ordered = [f.sort_values("code") for f in frames]
    areas = pd.concat(ordered, ignore_index=True)
    return areas.astype({"code": "str", "level": "str", "name": "str", "parent_code": "str"})
