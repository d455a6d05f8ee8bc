"""Comparisons with parent, region, NL and peers; peer group keys."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geodata.hierarchy import with_ancestors
from indicators.compare import comparisons, peer_group_parts, peer_groups

nan = np.nan

# code, level, parent, value. GM0004 is not shown (suppressed or missing); GM0006 shows a real 0.
AREAS = [
    ("NL01", "land", None, 10.0),
    ("RE01", "regio", "NL01", 12.0),
    ("RE02", "regio", "NL01", 8.0),
    ("GM0001", "gemeente", "RE01", 15.0),
    ("GM0002", "gemeente", "RE01", 9.0),
    ("GM0003", "gemeente", "RE01", 15.0),
    ("GM0004", "gemeente", "RE02", nan),
    ("GM0005", "gemeente", "RE02", 6.0),
    ("GM0006", "gemeente", "RE02", 0.0),
    ("WK000101", "wijk", "GM0001", 20.0),
    ("WK000102", "wijk", "GM0001", nan),
    ("BU00010101", "buurt", "WK000101", 25.0),
]


@pytest.fixture
def tree():
    frame = pd.DataFrame(AREAS, columns=["code", "level", "parent_code", "value"])
    return frame[["code", "level", "parent_code"]], frame[["code", "value"]]


def row(out: pd.DataFrame, code: str) -> pd.Series:
    return out.set_index("code").loc[code]


def test_parent_region_and_nl_values(tree):
    areas, values = tree
    out = comparisons(values, areas)
    assert out["code"].tolist() == values["code"].tolist()
    assert row(out, "GM0001")[["parent_value", "regio_value", "nl_value"]].tolist() == [12.0, 12.0, 10.0]
    assert row(out, "GM0004")[["parent_value", "regio_value", "nl_value"]].tolist() == [8.0, 8.0, 10.0]
    assert row(out, "BU00010101")[["parent_value", "regio_value", "nl_value"]].tolist() == [20.0, 12.0, 10.0]
    assert row(out, "RE02")[["parent_value", "regio_value", "nl_value"]].tolist() == [10.0, 8.0, 10.0]
    land = row(out, "NL01")
    assert np.isnan(land["parent_value"]) and np.isnan(land["regio_value"]) and land["nl_value"] == 10.0
    # A value that is not shown stays NaN, never 0.
    assert np.isnan(row(out, "WK000102")["value"])


def test_ancestor_columns_are_used_when_given(tree):
    areas, values = tree
    given = with_ancestors(areas)
    given.loc[given["code"] == "BU00010101", "regio_code"] = "RE02"   # proves they are read
    out = comparisons(values, given)
    assert row(out, "BU00010101")["regio_value"] == 8.0
    assert row(comparisons(values, areas), "BU00010101")["regio_value"] == 12.0


def test_ranks_with_ties_nan_and_zero(tree):
    areas, values = tree
    out = comparisons(values, areas)
    gemeenten = out[out["level"] == "gemeente"].set_index("code")
    # Shown: 15, 9, 15, 6, 0 -> ranks 1, 3, 1, 4, 5; GM0004 is not shown and not ranked.
    assert gemeenten["rank"].drop("GM0004").to_dict() == {
        "GM0001": 1.0, "GM0002": 3.0, "GM0003": 1.0, "GM0005": 4.0, "GM0006": 5.0}
    assert np.isnan(gemeenten.loc["GM0004", "rank"])
    assert (gemeenten["n_ranked"] == 5).all()
    # Share of the 5 shown gemeenten with a value <= own: 15 -> 5/5, 9 -> 3/5, 6 -> 2/5, 0 -> 1/5.
    assert gemeenten["percentile"].drop("GM0004").to_dict() == {
        "GM0001": 100.0, "GM0002": 60.0, "GM0003": 100.0, "GM0005": 40.0, "GM0006": 20.0}
    assert np.isnan(gemeenten.loc["GM0004", "percentile"])
    wijken = out[out["level"] == "wijk"].set_index("code")
    assert wijken.loc["WK000101", ["rank", "n_ranked", "percentile"]].tolist() == [1.0, 1, 100.0]
    assert np.isnan(wijken.loc["WK000102", "rank"]) and wijken.loc["WK000102", "n_ranked"] == 1


def test_peer_median_of_the_others(tree):
    areas, values = tree
    peers = pd.Series({"GM0001": "A", "GM0002": "A", "GM0003": "A", "GM0004": "A", "GM0005": "A",
                       "GM0006": "B", "WK000101": "A"})
    out = comparisons(values, areas, peers).set_index("code")
    # Group A shows 15, 9, 15, 6. Each area is compared with the median of the others.
    assert out.loc["GM0001", "peer_value"] == 9.0     # 9, 15, 6
    assert out.loc["GM0002", "peer_value"] == 15.0    # 15, 15, 6
    assert out.loc["GM0003", "peer_value"] == 9.0     # 15, 9, 6
    assert out.loc["GM0005", "peer_value"] == 15.0    # 15, 9, 15
    assert out.loc["GM0004", "peer_value"] == 12.0    # not shown itself: 15, 9, 15, 6 -> (9 + 15) / 2
    assert np.isnan(out.loc["GM0006", "peer_value"])  # alone in B
    # Peer groups are per level: the wijk with key A has no other wijken in A.
    assert np.isnan(out.loc["WK000101", "peer_value"])
    assert out.loc["GM0001", "peer_group"] == "A"
    assert pd.isna(out.loc["RE01", "peer_group"]) and np.isnan(out.loc["RE01", "peer_value"])


def test_peer_median_needs_three_others(tree):
    areas, values = tree
    peers = pd.Series({"GM0001": "C", "GM0002": "C", "GM0003": "C", "GM0004": "C"})
    out = comparisons(values, areas, peers).set_index("code")
    # Three shown (15, 9, 15): each shown one has only two others; GM0004 (not shown) has three.
    assert out.loc[["GM0001", "GM0002", "GM0003"], "peer_value"].isna().all()
    assert out.loc["GM0004", "peer_value"] == 15.0


def test_without_peers_everything_peer_is_missing(tree):
    areas, values = tree
    out = comparisons(values, areas)
    assert out["peer_group"].isna().all() and out["peer_value"].isna().all()


def test_unknown_codes_are_refused(tree):
    areas, values = tree
    with pytest.raises(ValueError, match="not in areas"):
        comparisons(pd.concat([values, pd.DataFrame({"code": ["GM9999"], "value": [1.0]})]), areas)
    with pytest.raises(ValueError, match="more than once"):
        comparisons(pd.concat([values, values]), areas)


def test_peer_group_bands():
    population = [19_999, 20_000, 49_999, 50_000, 99_999, 100_000, 249_999, 250_000, 900_000]
    gemeenten = pd.DataFrame({"code": [f"GM{i:04d}" for i in range(1, 10)],
                              "urbanity_class": [1, 2, 3, 4, 5, 1, 2, 3, 4], "population": population})
    keys = peer_groups(gemeenten)
    assert keys.name == "peer_group"
    assert keys.tolist() == [
        "u1_0_20000", "u2_20000_50000", "u3_20000_50000", "u4_50000_100000", "u5_50000_100000",
        "u1_100000_250000", "u2_100000_250000", "u3_250000_inf", "u4_250000_inf",
    ]
    assert keys.index.tolist() == gemeenten["code"].tolist()
    assert [peer_group_parts(k) for k in keys[:2]] == [(1, 0.0, 20_000.0), (2, 20_000.0, 50_000.0)]
    assert peer_group_parts(keys.iloc[-1]) == (4, 250_000.0, float("inf"))


def test_peer_group_unknown_parts_and_bad_input():
    gemeenten = pd.DataFrame({"code": ["GM0001", "GM0002", "GM0003"],
                              "urbanity_class": [nan, 3.0, 2.0], "population": [30_000, nan, 0]})
    keys = peer_groups(gemeenten)
    assert keys.isna().tolist() == [True, True, False]
    assert keys["GM0003"] == "u2_0_20000"
    with pytest.raises(ValueError, match="urbanity_class"):
        peer_groups(gemeenten.assign(urbanity_class=[1, 6, 2]))
    with pytest.raises(ValueError, match="negative population"):
        peer_groups(gemeenten.assign(population=[1, -5, 2]))


def test_peer_groups_feed_comparisons(tree):
    areas, values = tree
    attributes = pd.DataFrame({"code": ["GM0001", "GM0002", "GM0003", "GM0004", "GM0005", "GM0006"],
                               "urbanity_class": [2, 2, 2, 2, 2, 5],
                               "population": [60_000, 70_000, 80_000, 90_000, 55_000, 8_000]})
    out = comparisons(values, areas, peer_groups(attributes)).set_index("code")
    assert out.loc["GM0004", "peer_group"] == "u2_50000_100000"
    assert out.loc["GM0004", "peer_value"] == 12.0
    assert np.isnan(out.loc["GM0006", "peer_value"])
