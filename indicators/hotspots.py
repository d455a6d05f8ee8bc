"""Hotspots: where high (or low) values of an indicator cluster on the map.

:func:`contiguity` finds the neighbours of each area from its polygon (at build time);
:func:`hotspots` tests every area against its neighbours with Getis-Ord Gi* or local
Moran's I and corrects for testing many areas at once.

>>> import shapely
>>> grid = gpd.GeoDataFrame(
...     {"code": ["a", "b", "c", "d"]},
...     geometry=[shapely.box(x, y, x + 1, y + 1) for y in (0, 1) for x in (0, 1)],
... )
>>> pairs = contiguity(grid)
>>> pairs.groupby("code").size().tolist()
[3, 3, 3, 3]
>>> hotspots(pd.Series([1.0, 2.0, None, 4.0], index=["a", "b", "c", "d"]), pairs)[
...     ["code", "category"]
... ].values.tolist()
[['a', 'not significant'], ['b', 'not significant'], ['c', 'no data'], ['d', 'not significant']]

A hotspot is a statistical signal that values are high *together*, not proof of
anything in a particular area.
"""

from __future__ import annotations

import warnings

import esda
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from libpysal.weights import W
from scipy import stats

from indicators.classify import _seeded_global_rng

METHODS = ("gi", "moran")
CORRECTIONS = ("fdr", "bonferroni", "none")

#: Categories per method, besides "not significant" and "no data".
GI_CATEGORIES = ("hot", "cold")
MORAN_CATEGORIES = ("high-high", "low-low", "high-low", "low-high")
NOT_SIGNIFICANT, NO_DATA = "not significant", "no data"

#: Notes for areas that were not tested.
NOTE_NO_VALUE = "no value"
NOTE_ISLAND = "no neighbours with a value"
NOTE_TOO_FEW = "fewer than 3 areas with neighbours: not tested"
NOTE_NO_VARIATION = "all values are equal: not tested"

#: Default permutations for local Moran's I, see :func:`hotspots`.
PERMUTATIONS = 9999

_COLUMNS = ["code", "statistic", "z", "p_value", "p_adjusted", "significant", "category", "note"]


def contiguity(frame: gpd.GeoDataFrame, tolerance: float = 0.0) -> pd.DataFrame:
    """Queen contiguity: pairs of areas whose polygons share an edge or a corner.

    Parameters
    ----------
    frame : geopandas.GeoDataFrame
        Columns ``code`` (unique) and the geometry. Areas without a geometry have no
        neighbours.
    tolerance : float
        Also count polygons at most this far apart (in the units of the CRS) as
        neighbours, for boundaries with small gaps. 0 means they must touch.

    Returns
    -------
    pandas.DataFrame
        Columns ``code`` and ``neighbour``, each pair in both directions, in the order
        of `frame`.

    Notes
    -----
    Two polygons are neighbours when they intersect (shapely ``STRtree`` query), so
    touching at a single corner counts, as in queen contiguity, and so does sharing
    only part of an edge, where vertex-based queen contiguity can miss a pair.

    Examples
    --------
    >>> import shapely
    >>> frame = gpd.GeoDataFrame(
    ...     {"code": ["west", "east", "far"]},
    ...     geometry=[shapely.box(0, 0, 1, 1), shapely.box(1, 0.5, 2, 2), shapely.box(5, 5, 6, 6)],
    ... )
    >>> contiguity(frame).values.tolist()
    [['west', 'east'], ['east', 'west']]
    """
    if "code" not in frame.columns:
        raise ValueError("contiguity needs a 'code' column")
    if frame["code"].duplicated().any():
        repeated = frame.loc[frame["code"].duplicated(), "code"].unique()[:5].tolist()
        raise ValueError(f"codes must be unique; repeated: {repeated}")
    if tolerance < 0:
        raise ValueError(f"tolerance must be 0 or more, got {tolerance!r}")

    geometries = frame.geometry.to_numpy()
    usable = ~(shapely.is_missing(geometries) | shapely.is_empty(geometries))
    codes = frame["code"].to_numpy()[usable]
    geometries = geometries[usable]

    tree = shapely.STRtree(geometries)
    if tolerance > 0:
        left, right = tree.query(geometries, predicate="dwithin", distance=tolerance)
    else:
        left, right = tree.query(geometries, predicate="intersects")
    order = np.lexsort((right, left))
    left, right = left[order], right[order]
    different = left != right
    return pd.DataFrame({"code": codes[left[different]], "neighbour": codes[right[different]]})


def hotspots(
    values: pd.Series,
    pairs: pd.DataFrame,
    method: str = "gi",
    alpha: float = 0.05,
    correction: str = "fdr",
    permutations: int = PERMUTATIONS,
    seed: int = 12345,
) -> pd.DataFrame:
    """Local hot- and coldspots (Gi*) or clusters and outliers (local Moran's I).

    Parameters
    ----------
    values : pandas.Series
        Index: area code; values: the indicator, NaN or ``<NA>`` for no value. Areas
        without a value are left out of the analysis and reported as ``"no data"``.
    pairs : pandas.DataFrame
        The contiguity of the areas (:func:`contiguity`): columns ``code`` and
        ``neighbour``. Pairs are used in both directions; pairs with an area that is
        not in `values`, or has no value, are ignored.
    method : str
        ``"gi"``: Getis-Ord Gi* (``esda.G_Local`` with ``star=True``), categories
        ``"hot"`` (significant, z > 0) and ``"cold"`` (significant, z < 0).
        ``"moran"``: local Moran's I (``esda.Moran_Local``), categories ``"high-high"``
        and ``"low-low"`` (clusters), ``"high-low"`` and ``"low-high"`` (an area unlike
        its neighbours: first its own value, then that of its neighbours).
    alpha : float
        Significance level after correction, between 0 and 1.
    correction : str
        ``"fdr"`` (Benjamini-Hochberg: at most `alpha` of the significant areas are
        expected to be false discoveries), ``"bonferroni"`` (chance of even one false
        positive at most `alpha`; strict) or ``"none"`` (each area at `alpha`: with
        many areas, many false positives).
    permutations : int
        Conditional permutations for local Moran's I; not used by Gi*.
    seed : int
        Seed of the permutations (Moran): the same input gives the same result.

    Returns
    -------
    pandas.DataFrame
        One row per entry of `values`, in order, with columns ``code``; ``statistic``
        (G*_i or I_i); ``z`` (Gi*: the z-score the p-value comes from; Moran:
        descriptive z from the conditional-randomisation moments); ``p_value``
        (two-sided, per area); ``p_adjusted`` (after `correction`); ``significant``
        (``p_adjusted <= alpha``); ``category``; ``note`` (why an area was not tested,
        else ``""``). Untested areas have NaN statistics.

    Notes
    -----
    *Neighbours.* The pairs between areas that both have a value. An area without such
    a neighbour (an island) cannot be compared with its surroundings: it is left out of
    the test and of the correction, and reported ``"not significant"`` with a note.

    *Weights.* Local Moran's I uses row-standardised weights (the mean of the
    neighbours). Gi* uses binary weights with the area itself included: a Gi* z-score
    does not change when a row of weights is multiplied by a constant, so this gives
    the same z as row-standardised weights, and esda's analytical Gi* variance is only
    right for binary weights (with ``transform="R"`` it overstates the variance, which
    shrinks z by about the square root of the number of neighbours).

    *p-values of Gi-star.* Two-sided normal p-values of the Getis-Ord (1995) z-score,
    whose mean and variance are exact under random relabelling of the values. They need
    no simulation and have no floor, which the correction needs: with 3,500 areas
    Bonferroni asks for p < 0.000014, which 999 permutations can never give (their
    smallest p is 0.001). G needs values of 0 or more, so negative values are first
    shifted to start at 0; z does not change with a shift.

    *p-values of local Moran's I.* Its distribution is skewed, so it is tested by
    conditional permutation (esda, seeded with `seed`). esda's ``p_sim`` is one-sided
    in the observed direction; it is doubled to a two-sided p-value (what esda's
    coming ``alternative="two-sided"`` does). The smallest possible p is therefore
    ``2 / (permutations + 1)``, and FDR finds nothing unless about
    ``2 * m / (alpha * (permutations + 1))`` of the m tested areas reach it: 16 of 400
    with 999 permutations, 2 with 9,999. Hence the default of 9,999 permutations:
    about 1 s for 3,500 areas and 4 s for 14,000 on one core (999: 0.2 s and 1 s).

    Examples
    --------
    >>> import shapely
    >>> grid = gpd.GeoDataFrame(
    ...     {"code": [f"{x}-{y}" for y in range(9) for x in range(9)]},
    ...     geometry=[shapely.box(x, y, x + 1, y + 1) for y in range(9) for x in range(9)],
    ... )
    >>> in_block = grid.geometry.centroid.x.between(3, 6) & grid.geometry.centroid.y.between(3, 6)
    >>> values = pd.Series(np.where(in_block, 10.0, 1.0), index=grid.code)
    >>> result = hotspots(values, contiguity(grid)).set_index("code")
    >>> result.loc[["4-4", "0-0"], ["category", "significant"]].values.tolist()
    [['hot', True], ['not significant', False]]
    """
    if method not in METHODS:
        raise ValueError(f"unknown hotspot method {method!r}; use one of {METHODS}")
    if correction not in CORRECTIONS:
        raise ValueError(f"unknown correction {correction!r}; use one of {CORRECTIONS}")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be between 0 and 1, got {alpha!r}")
    if isinstance(permutations, bool) or not isinstance(permutations, (int, np.integer)) or permutations < 1:
        raise ValueError(f"permutations must be a whole number of at least 1, got {permutations!r}")
    if values.index.has_duplicates:
        repeated = values.index[values.index.duplicated()].unique()[:5].tolist()
        raise ValueError(f"area codes must be unique; repeated: {repeated}")
    if not {"code", "neighbour"} <= set(pairs.columns):
        raise ValueError("pairs needs columns 'code' and 'neighbour'")

    y = pd.to_numeric(pd.Series(values)).to_numpy(dtype=float, na_value=np.nan)
    has_value = ~np.isnan(y)
    area, neighbour = _links(values.index, has_value, pairs)
    tested = np.zeros(y.size, dtype=bool)
    tested[area] = True

    result = pd.DataFrame(
        {
            "code": values.index.to_numpy(),
            "statistic": np.full(y.size, np.nan),
            "z": np.full(y.size, np.nan),
            "p_value": np.full(y.size, np.nan),
            "p_adjusted": np.full(y.size, np.nan),
            "significant": np.zeros(y.size, dtype=bool),
            "category": np.where(has_value, NOT_SIGNIFICANT, NO_DATA),
            "note": np.where(has_value, NOTE_ISLAND, NOTE_NO_VALUE),
        },
        columns=_COLUMNS,
    )
    result.loc[tested, "note"] = ""

    y_tested = y[tested]
    if y_tested.size < 3 or np.ptp(y_tested) == 0:
        result.loc[tested, "note"] = NOTE_TOO_FEW if y_tested.size < 3 else NOTE_NO_VARIATION
        return result

    # renumber the tested areas 0..n-1, in their order in `values`
    renumber = np.cumsum(tested) - 1
    area, neighbour = renumber[area], renumber[neighbour]
    if method == "gi":
        weights = _weights(area, neighbour, with_self=True)
        statistic, z, p_value, category = _getis_ord(y_tested, weights)
    else:
        weights = _weights(area, neighbour, with_self=False)
        statistic, z, p_value, category = _local_moran(y_tested, weights, permutations, seed)
    p_adjusted = _adjust(p_value, correction)
    significant = p_adjusted <= alpha

    result.loc[tested, "statistic"] = statistic
    result.loc[tested, "z"] = z
    result.loc[tested, "p_value"] = p_value
    result.loc[tested, "p_adjusted"] = p_adjusted
    result.loc[tested, "significant"] = significant
    result.loc[tested, "category"] = np.where(significant, category, NOT_SIGNIFICANT)
    return result


def _links(codes: pd.Index, has_value: np.ndarray, pairs: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Neighbour links between areas with a value, as positions in `codes`.

    Both directions, no self-links, no repeats, sorted by area and then neighbour.
    """
    area = codes.get_indexer(pairs["code"])
    neighbour = codes.get_indexer(pairs["neighbour"])
    known = (area >= 0) & (neighbour >= 0)
    area, neighbour = area[known], neighbour[known]
    keep = has_value[area] & has_value[neighbour] & (area != neighbour)
    area, neighbour = area[keep], neighbour[keep]
    links = np.unique(np.concatenate([np.c_[area, neighbour], np.c_[neighbour, area]]), axis=0)
    return links[:, 0], links[:, 1]


def _weights(area: np.ndarray, neighbour: np.ndarray, with_self: bool) -> W:
    """Binary libpysal weights from sorted links in which every area 0..n-1 occurs."""
    groups = np.split(neighbour, np.flatnonzero(np.diff(area)) + 1)
    neighbours = {i: ([i] if with_self else []) + group.tolist() for i, group in enumerate(groups)}
    return W(neighbours, id_order=list(range(len(groups))), silence_warnings=True)


def _getis_ord(y: np.ndarray, weights: W) -> tuple[np.ndarray, ...]:
    """Gi* statistic, z, two-sided normal p-value and hot/cold per area."""
    shifted = y - y.min() if y.min() < 0 else y
    with np.errstate(divide="ignore", invalid="ignore"):
        gi = esda.G_Local(shifted, weights, transform="B", star=True, permutations=0)
    # An area whose neighbourhood is the whole map has variance 0: nothing to compare.
    z = np.where(gi.VGs > 0, gi.Zs, 0.0)
    p_value = 2 * stats.norm.sf(np.abs(z))
    category = np.where(z > 0, "hot", "cold")
    return np.asarray(gi.Gs, dtype=float), z, p_value, category


def _local_moran(y: np.ndarray, weights: W, permutations: int, seed: int) -> tuple[np.ndarray, ...]:
    """Local Moran's I, descriptive z, two-sided permutation p-value and quadrant per area."""
    with _seeded_global_rng(seed), warnings.catch_warnings():
        # esda seeds numpy's global generator itself; _seeded_global_rng restores it.
        # It also warns that its default alternative will change: we double p_sim.
        warnings.simplefilter("ignore", DeprecationWarning)
        lisa = esda.Moran_Local(
            y, weights, transformation="r", permutations=permutations,
            keep_simulations=False, n_jobs=1, seed=seed,
        )
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(lisa.VIc > 0, (lisa.Is - lisa.EIc) / np.sqrt(lisa.VIc), 0.0)
    p_value = np.minimum(1.0, 2 * lisa.p_sim)
    # esda quadrants: 1 high-high, 2 low-high, 3 low-low, 4 high-low
    quadrant = {1: "high-high", 2: "low-high", 3: "low-low", 4: "high-low"}
    category = np.array([quadrant[q] for q in lisa.q])
    return np.asarray(lisa.Is, dtype=float), z, p_value, category


def _adjust(p_value: np.ndarray, correction: str) -> np.ndarray:
    """p-values adjusted for testing all areas at once (Benjamini-Hochberg, Bonferroni).

    A NaN p-value (an area that was not tested) stays NaN and is not counted as a test, as
    :func:`hotspots` leaves untested areas out of the correction.

    >>> _adjust(np.array([0.01, 0.04, 0.03, 0.5]), "fdr").round(3).tolist()
    [0.04, 0.053, 0.053, 0.5]
    >>> _adjust(np.array([0.01, np.nan, 0.04, 0.03, 0.5]), "bonferroni").round(3).tolist()
    [0.04, nan, 0.16, 0.12, 1.0]
    """
    tested = ~np.isnan(p_value)
    p = p_value[tested]
    adjusted = np.full(p_value.shape, np.nan)
    if correction == "none":
        adjusted[tested] = p
    elif correction == "bonferroni":
        adjusted[tested] = np.minimum(1.0, p * p.size)
    else:
        adjusted[tested] = stats.false_discovery_control(p, method="bh")
    return adjusted
