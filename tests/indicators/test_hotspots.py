"""Contiguity and local hotspot statistics (indicators.hotspots)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from indicators.hotspots import (
    NOTE_ISLAND,
    NOTE_NO_VALUE,
    NOTE_NO_VARIATION,
    NOTE_TOO_FEW,
    _adjust,
    contiguity,
    hotspots,
)

SIDE = 20


def square_grid(side: int) -> gpd.GeoDataFrame:
    """Unit squares, code "xx-yy", row by row from the bottom left."""
    return gpd.GeoDataFrame(
        {"code": [f"{x:02d}-{y:02d}" for y in range(side) for x in range(side)]},
        geometry=[shapely.box(x, y, x + 1, y + 1) for y in range(side) for x in range(side)],
    )


@pytest.fixture(scope="module")
def grid() -> gpd.GeoDataFrame:
    return square_grid(SIDE)


@pytest.fixture(scope="module")
def pairs(grid) -> pd.DataFrame:
    return contiguity(grid)


X = np.tile(np.arange(SIDE), SIDE)
Y = np.repeat(np.arange(SIDE), SIDE)


def square(x0: int, y0: int, size: int) -> np.ndarray:
    return (X >= x0) & (X < x0 + size) & (Y >= y0) & (Y < y0 + size)


CLUSTER = square(8, 8, 4)  # the planted 4 x 4 cluster
CORE = square(9, 9, 2)  # its cells whose whole neighbourhood is in the cluster
NEAR = square(7, 7, 6)  # the cluster and the cells touching it


def planted_cluster(grid: gpd.GeoDataFrame, seed: int) -> pd.Series:
    noise = np.random.default_rng(seed).normal(10, 1, SIDE * SIDE)
    return pd.Series(noise + np.where(CLUSTER, 4, 0), index=grid["code"])


# --- contiguity ---------------------------------------------------------------------------


def test_queen_contiguity_of_a_3_by_3_grid():
    pairs = contiguity(square_grid(3))
    counts = pairs.groupby("code").size()
    assert counts["00-00"] == counts["02-00"] == counts["00-02"] == counts["02-02"] == 3
    assert counts["01-00"] == counts["00-01"] == counts["02-01"] == counts["01-02"] == 5
    assert counts["01-01"] == 8
    assert len(pairs) == 40
    assert (pairs["code"] != pairs["neighbour"]).all()
    both_ways = set(zip(pairs["code"], pairs["neighbour"]))
    assert all((b, a) in both_ways for a, b in both_ways)


def test_contiguity_counts_a_shared_part_of_an_edge_and_a_corner():
    frame = gpd.GeoDataFrame(
        {"code": ["big", "half", "corner", "apart"]},
        geometry=[
            shapely.box(0, 0, 4, 1),
            shapely.box(1, 1, 2, 2),  # shares part of big's top edge, no vertex of big
            shapely.box(4, 1, 5, 2),  # touches big's top right corner only
            shapely.box(10, 10, 11, 11),
        ],
    )
    pairs = contiguity(frame)
    assert set(zip(pairs["code"], pairs["neighbour"])) == {
        ("big", "half"), ("half", "big"), ("big", "corner"), ("corner", "big"),
    }


def test_contiguity_tolerance_bridges_small_gaps_and_missing_geometry_has_no_neighbours():
    frame = gpd.GeoDataFrame(
        {"code": [1, 2, 3]},
        geometry=[shapely.box(0, 0, 1, 1), shapely.box(1.01, 0, 2, 1), None],
    )
    assert contiguity(frame).empty
    assert contiguity(frame, tolerance=0.05).values.tolist() == [[1, 2], [2, 1]]


def test_contiguity_needs_unique_codes():
    frame = gpd.GeoDataFrame({"code": ["a", "a"]}, geometry=[shapely.box(0, 0, 1, 1)] * 2)
    with pytest.raises(ValueError, match="unique"):
        contiguity(frame)


# --- Getis-Ord Gi* ------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(5))
def test_gi_star_finds_the_planted_cluster_and_little_else(grid, pairs, seed):
    result = hotspots(planted_cluster(grid, seed), pairs)
    assert (result["category"][CORE] == "hot").all()
    assert (result["category"][CLUSTER] == "hot").sum() >= 12
    assert (result["significant"] & ~NEAR).sum() <= 2  # false positives away from it
    assert list(result.columns) == [
        "code", "statistic", "z", "p_value", "p_adjusted", "significant", "category", "note",
    ]
    assert result["code"].tolist() == grid["code"].tolist()
    assert result[["statistic", "z", "p_value", "p_adjusted"]].dtypes.eq("float64").all()


def test_gi_star_finds_a_cold_spot(grid, pairs):
    values = 20 - planted_cluster(grid, 0)
    result = hotspots(values, pairs)
    assert (result["category"][CORE] == "cold").all()
    assert (result["z"][CORE] < 0).all()


@pytest.mark.parametrize("method", ["gi", "moran"])
def test_random_values_give_about_alpha_before_and_at_most_alpha_after_fdr(grid, pairs, method):
    kwargs = {"method": method, "permutations": 999}
    uncorrected, corrected = [], []
    for seed in range(20):
        values = pd.Series(np.random.default_rng(100 + seed).normal(size=SIDE * SIDE), index=grid["code"])
        uncorrected.append(hotspots(values, pairs, correction="none", seed=seed, **kwargs)["significant"].mean())
        corrected.append(hotspots(values, pairs, correction="fdr", seed=seed, **kwargs)["significant"].mean())
    assert 0.03 <= np.mean(uncorrected) <= 0.07  # the p-values are calibrated
    assert np.mean(corrected) <= 0.05
    assert np.mean(corrected) < np.mean(uncorrected)


def test_gi_star_z_is_the_getis_ord_z_and_ignores_a_shift_of_the_values(grid, pairs):
    values = planted_cluster(grid, 1)
    result = hotspots(values, pairs)
    # Getis & Ord (1995) with binary weights including the area itself
    weights = np.eye(SIDE * SIDE)
    position = {code: i for i, code in enumerate(grid["code"])}
    weights[pairs["code"].map(position), pairs["neighbour"].map(position)] = 1
    y = values.to_numpy()
    n, mean, sd = y.size, y.mean(), y.std()
    w_sum, w_squares = weights.sum(axis=1), (weights**2).sum(axis=1)
    z = (weights @ y - mean * w_sum) / (sd * np.sqrt((n * w_squares - w_sum**2) / (n - 1)))
    np.testing.assert_allclose(result["z"], z)

    shifted = hotspots(values - 100, pairs)  # negative values
    np.testing.assert_allclose(shifted["z"], result["z"])
    assert shifted["category"].tolist() == result["category"].tolist()


# --- local Moran's I ----------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(3))
def test_local_moran_marks_the_planted_cluster_high_high(grid, pairs, seed):
    result = hotspots(planted_cluster(grid, seed), pairs, method="moran")
    assert (result["category"][CORE] == "high-high").all()
    assert (result["category"][CLUSTER] == "high-high").sum() >= 10
    assert (result["significant"] & ~NEAR).sum() <= 3
    assert set(result["category"]) <= {"high-high", "low-low", "high-low", "low-high", "not significant"}


def test_local_moran_outliers(grid, pairs):
    values = pd.Series(np.random.default_rng(5).normal(10, 1, SIDE * SIDE), index=grid["code"])
    values[square(3, 3, 3)] = 2.0  # a low block ...
    values["04-04"] = 30.0  # ... with a high area in its middle
    values[square(13, 13, 3)] = 18.0  # a high block ...
    values["14-14"] = 2.0  # ... with a low area in its middle
    result = hotspots(values, pairs, method="moran", correction="none").set_index("code")
    assert result.loc["04-04", "category"] == "high-low"
    assert result.loc["14-14", "category"] == "low-high"


def test_local_moran_is_reproducible_and_leaves_the_global_generator_alone(grid, pairs):
    values = planted_cluster(grid, 2)
    np.random.seed(7)
    first = hotspots(values, pairs, method="moran", permutations=499, seed=1)
    drawn_after = np.random.random()
    np.random.seed(7)
    assert np.random.random() == drawn_after
    again = hotspots(values, pairs, method="moran", permutations=499, seed=1)
    other_seed = hotspots(values, pairs, method="moran", permutations=499, seed=2)
    pd.testing.assert_frame_equal(first, again)
    assert not np.array_equal(first["p_value"], other_seed["p_value"])
    assert first["p_value"].min() >= 2 / 500  # doubled permutation p-value: floor 2 / (P + 1)


# --- missing values, islands, degenerate input --------------------------------------------


@pytest.mark.parametrize("method", ["gi", "moran"])
def test_missing_values_and_islands_are_reported_not_tested(method):
    frame = square_grid(5)
    frame.loc[len(frame)] = ["island", shapely.box(50, 50, 51, 51)]
    values = pd.Series(np.arange(26, dtype=float), index=frame["code"])
    values["02-02"] = np.nan  # no data
    values[["00-01", "01-00", "01-01"]] = np.nan  # "00-00" keeps no neighbour with a value
    values["unknown"] = 3.0  # not in the contiguity at all
    result = hotspots(values, contiguity(frame), method=method).set_index("code")

    assert result.loc["02-02", "category"] == "no data" and result.loc["02-02", "note"] == NOTE_NO_VALUE
    for island in ["island", "00-00", "unknown"]:
        assert result.loc[island, "category"] == "not significant"
        assert result.loc[island, "note"] == NOTE_ISLAND
        assert not result.loc[island, "significant"] and np.isnan(result.loc[island, "p_value"])
    tested = result[result["note"] == ""]
    assert len(tested) == 27 - 4 - 3  # 25 grid cells + island + unknown, minus the above
    assert tested["p_value"].notna().all() and tested["statistic"].notna().all()


def test_without_any_neighbours_nothing_is_tested():
    values = pd.Series([1.0, 2.0, np.nan], index=["a", "b", "c"])
    result = hotspots(values, pd.DataFrame({"code": [], "neighbour": []}))
    assert result["category"].tolist() == ["not significant", "not significant", "no data"]
    assert result["note"].tolist() == [NOTE_ISLAND, NOTE_ISLAND, NOTE_NO_VALUE]


@pytest.mark.parametrize("method", ["gi", "moran"])
def test_too_few_areas_or_equal_values_are_not_tested(method):
    pairs = pd.DataFrame({"code": ["a", "b"], "neighbour": ["b", "c"]})  # one direction is enough
    result = hotspots(pd.Series([1.0, 2.0, 3.0], index=["a", "b", "c"]), pairs.iloc[:1], method=method)
    assert result["note"].tolist() == [NOTE_TOO_FEW, NOTE_TOO_FEW, NOTE_ISLAND]
    result = hotspots(pd.Series([4.0, 4.0, 4.0], index=["a", "b", "c"]), pairs, method=method)
    assert result["note"].tolist() == [NOTE_NO_VARIATION] * 3
    assert (result["category"] == "not significant").all()


def test_an_area_next_to_all_others_gets_z_zero_not_nan():
    # "hub" borders every other area: its neighbourhood is the whole map
    pairs = pd.DataFrame({"code": ["hub"] * 4 + ["a", "b", "c"], "neighbour": ["a", "b", "c", "d", "b", "c", "d"]})
    values = pd.Series([5.0, 1.0, 2.0, 3.0, 9.0], index=["hub", "a", "b", "c", "d"])
    result = hotspots(values, pairs).set_index("code")
    assert result.loc["hub", "z"] == 0 and result.loc["hub", "p_value"] == 1
    assert result["z"].notna().all()


# --- corrections and arguments ------------------------------------------------------------


def test_corrections():
    p = np.array([0.01, 0.04, 0.03, 0.5])
    np.testing.assert_allclose(_adjust(p, "none"), p)
    np.testing.assert_allclose(_adjust(p, "bonferroni"), [0.04, 0.16, 0.12, 1.0])
    # Benjamini-Hochberg: p * m / rank, then the running minimum from the largest p down
    np.testing.assert_allclose(_adjust(p, "fdr"), [0.04, 0.04 * 4 / 3, 0.04 * 4 / 3, 0.5])


@pytest.mark.parametrize("correction", ["none", "bonferroni", "fdr"])
def test_a_p_value_that_is_nan_stays_nan_and_is_not_counted_as_a_test(correction):
    p = np.array([0.01, 0.04, 0.03, 0.5])
    with_gaps = np.array([np.nan, 0.01, 0.04, np.nan, 0.03, 0.5])
    adjusted = _adjust(with_gaps, correction)
    assert np.isnan(adjusted[[0, 3]]).all()
    np.testing.assert_allclose(adjusted[[1, 2, 4, 5]], _adjust(p, correction))   # m = 4, not 6
    assert _adjust(np.array([np.nan, np.nan]), correction).shape == (2,)


def test_untested_areas_are_left_out_of_the_correction():
    frame = square_grid(5)
    values = pd.Series(np.random.default_rng(3).normal(size=25), index=frame["code"])
    values[["00-00", "04-04"]] = np.nan
    values["island"] = 1.0                   # a value, but no neighbours: not tested
    result = hotspots(values, contiguity(frame), correction="bonferroni")
    tested = result["note"] == ""
    assert tested.sum() == 23 and result.loc[~tested, "p_adjusted"].isna().all()
    np.testing.assert_allclose(result.loc[tested, "p_adjusted"],
                               np.minimum(1, result.loc[tested, "p_value"] * 23))


def test_bonferroni_is_stricter_than_fdr(grid, pairs):
    values = planted_cluster(grid, 3)
    fdr = hotspots(values, pairs, correction="fdr")["significant"].sum()
    bonferroni = hotspots(values, pairs, correction="bonferroni")["significant"].sum()
    none = hotspots(values, pairs, correction="none")["significant"].sum()
    assert 0 < bonferroni <= fdr <= none


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"method": "lisa"}, "unknown hotspot method"),
        ({"correction": "holm"}, "unknown correction"),
        ({"alpha": 0}, "alpha"),
        ({"alpha": 1.5}, "alpha"),
        ({"permutations": 0}, "permutations"),
        ({"permutations": 9.5}, "permutations"),
    ],
)
def test_arguments_are_checked(grid, pairs, kwargs, message):
    with pytest.raises(ValueError, match=message):
        hotspots(planted_cluster(grid, 0), pairs, **kwargs)


def test_input_is_checked(pairs):
    with pytest.raises(ValueError, match="unique"):
        hotspots(pd.Series([1.0, 2.0], index=["a", "a"]), pairs)
    with pytest.raises(ValueError, match="'code' and 'neighbour'"):
        hotspots(pd.Series([1.0], index=["a"]), pd.DataFrame({"from": [], "to": []}))
