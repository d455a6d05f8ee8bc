"""Comparison of every area with its parent, its region, NL and its peers (PRODUCT.md §4).

Only shown values take part: a value that is not shown (suppressed or missing, NaN here) is
never treated as 0, is not ranked and does not count towards a peer median.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from geodata.hierarchy import with_ancestors

#: A peer value needs the shown values of at least this many other areas.
MIN_PEERS = 3

#: Gemeente size bands for peer groups, by inhabitants: (lower bound inclusive, upper bound exclusive).
SIZE_BANDS: tuple[tuple[float, float], ...] = (
    (0, 20_000), (20_000, 50_000), (50_000, 100_000), (100_000, 250_000), (250_000, np.inf),
)

#: CBS "mate van stedelijkheid": 1 = very strongly urban .. 5 = not urban.
URBANITY_CLASSES = (1, 2, 3, 4, 5)


def comparisons(values: pd.DataFrame, areas: pd.DataFrame,
                peers: pd.Series | None = None) -> pd.DataFrame:
    """Compare each area's value with its parent, region, NL and peer group.

    Parameters
    ----------
    values : pandas.DataFrame
        One indicator in one year: ``code`` and ``value`` (NaN where not shown) for areas
        of all levels.
    areas : pandas.DataFrame
        ``code``, ``level``, ``parent_code``; ``regio_code`` and ``land_code`` are used
        when present and computed with :func:`geodata.hierarchy.with_ancestors` otherwise.
    peers : pandas.Series, optional
        Peer group key per area code (see :func:`peer_groups`), for the areas that have one.

    Returns
    -------
    pandas.DataFrame
        One row per row of `values`, in the same order, with columns

        - ``code``, ``level``, ``value``;
        - ``parent_code``, ``parent_value``: the parent's value;
        - ``regio_value``: the value of the area's RIEC region (a regio's own value;
          NaN for the land);
        - ``nl_value``: the value of NL;
        - ``peer_group``, ``peer_value``: the median of the shown values of the *other*
          areas of the same level in the same peer group; NaN with fewer than
          :data:`MIN_PEERS` of them;
        - ``rank``: 1 = highest value among the shown areas of the same level; ties share
          the lowest rank; NaN when the value is not shown;
        - ``n_ranked``: the number of shown areas of the same level;
        - ``percentile``: 0–100, the share of shown areas of the same level with a value
          at most this one (NaN when not shown);
        - ``n_tied``: the number of shown areas of the same level with exactly this value
          (this one included; NaN when not shown): with ties, ``percentile - n_tied /
          n_ranked * 100`` is the share with a lower value, so a 0 that 82 % of the areas
          share is "0–82", not a high percentile.

    Examples
    --------
    >>> areas = pd.DataFrame({
    ...     "code": ["NL01", "RE01", "GM0001", "GM0002", "GM0003"],
    ...     "level": ["land", "regio", "gemeente", "gemeente", "gemeente"],
    ...     "parent_code": [None, "NL01", "RE01", "RE01", "RE01"]})
    >>> values = pd.DataFrame({"code": areas["code"],
    ...                        "value": [5.0, 5.0, 8.0, np.nan, 2.0]})
    >>> out = comparisons(values, areas)
    >>> out[["code", "parent_value", "rank", "n_ranked", "percentile", "n_tied"]].iloc[2:].values.tolist()
    [['GM0001', 5.0, 1.0, 2, 100.0, 1.0], ['GM0002', 5.0, nan, 2, nan, nan], ['GM0003', 5.0, 2.0, 2, 50.0, 1.0]]
    """
    if values["code"].duplicated().any():
        raise ValueError(f"values lists areas more than once: "
                         f"{values.loc[values['code'].duplicated(), 'code'].tolist()[:10]}")
    tree = areas if {"regio_code", "land_code"} <= set(areas.columns) else with_ancestors(areas)
    tree = tree.set_index("code")
    unknown = ~values["code"].isin(tree.index)
    if unknown.any():
        raise ValueError(f"area codes not in areas: {values.loc[unknown, 'code'].tolist()[:10]}")

    out = pd.DataFrame({"code": values["code"].to_numpy(),
                        "value": values["value"].to_numpy(dtype=float)})
    context = tree.loc[out["code"], ["level", "parent_code", "regio_code", "land_code"]]
    out["level"] = context["level"].to_numpy()
    out["parent_code"] = context["parent_code"].to_numpy()
    value_of = pd.Series(out["value"].to_numpy(), index=out["code"])
    out["parent_value"] = out["parent_code"].map(value_of).astype(float)
    out["regio_value"] = pd.Series(context["regio_code"].to_numpy()).map(value_of).astype(float)
    out["nl_value"] = pd.Series(context["land_code"].to_numpy()).map(value_of).astype(float)

    out["peer_group"] = (out["code"].map(peers) if peers is not None
                         else pd.Series(np.nan, index=out.index, dtype="str"))
    out["peer_value"] = np.nan
    for _, group in out.dropna(subset=["peer_group"]).groupby(["level", "peer_group"]):
        out.loc[group.index, "peer_value"] = _median_of_others(group["value"].to_numpy())

    by_level = out.groupby("level")["value"]
    out["rank"] = by_level.rank(method="min", ascending=False)
    out["n_ranked"] = by_level.transform("count").astype(int)
    out["percentile"] = by_level.rank(method="max", ascending=True) / out["n_ranked"] * 100
    out["n_tied"] = out.groupby(["level", "value"])["value"].transform("size").where(out["value"].notna())
    return out[["code", "level", "value", "parent_code", "parent_value", "regio_value",
                "nl_value", "peer_group", "peer_value", "rank", "n_ranked", "percentile", "n_tied"]]


def peer_groups(areas_with_attributes: pd.DataFrame) -> pd.Series:
    """Peer group key per gemeente: urbanity class and size band.

    The key is an identifier, ``"u<class>_<lower>_<upper>"`` (read it back with
    :func:`peer_group_parts`; the dashboard words it). The class is CBS's "mate van
    stedelijkheid" (1 = very strongly urban .. 5 = not urban). The size bands, by number of
    inhabitants (lower bound inclusive, upper bound exclusive), are

    ========================  ==================
    inhabitants               key part
    ========================  ==================
    fewer than 20,000         ``0_20000``
    20,000 – 49,999           ``20000_50000``
    50,000 – 99,999           ``50000_100000``
    100,000 – 249,999         ``100000_250000``
    250,000 or more           ``250000_inf``
    ========================  ==================

    Parameters
    ----------
    areas_with_attributes : pandas.DataFrame
        One row per gemeente: ``code``, ``urbanity_class`` (1–5, NaN = unknown) and
        ``population`` (NaN = unknown).

    Returns
    -------
    pandas.Series
        Peer group key indexed by ``code``, named ``peer_group``; NaN where the class or the
        population is unknown. Ready to pass as ``peers`` to :func:`comparisons`.

    Raises
    ------
    ValueError
        On an urbanity class outside 1–5 or a negative population.

    Examples
    --------
    >>> gemeenten = pd.DataFrame({"code": ["GM0001", "GM0002", "GM0003"],
    ...     "urbanity_class": [2, 5, np.nan], "population": [75_000, 20_000, 30_000]})
    >>> peer_groups(gemeenten).to_dict()
    {'GM0001': 'u2_50000_100000', 'GM0002': 'u5_20000_50000', 'GM0003': nan}
    """
    urbanity = pd.to_numeric(areas_with_attributes["urbanity_class"]).astype(float)
    population = pd.to_numeric(areas_with_attributes["population"]).astype(float)
    codes = areas_with_attributes["code"]
    bad_class = urbanity.notna() & ~urbanity.isin(URBANITY_CLASSES)
    if bad_class.any():
        raise ValueError(f"urbanity_class must be 1-5, got {urbanity[bad_class].tolist()[:5]} "
                         f"for {codes[bad_class].tolist()[:5]}")
    if (population < 0).any():
        raise ValueError(f"negative population for {codes[population < 0].tolist()[:5]}")

    edges = [lower for lower, _ in SIZE_BANDS] + [np.inf]
    band = pd.cut(population, bins=edges, right=False, labels=[f"{lower:.0f}_{upper:.0f}" for lower, upper in SIZE_BANDS])
    key = "u" + urbanity.astype("Int64").astype("str") + "_" + band.astype("str")
    known = urbanity.notna() & band.notna()
    result = key.where(known).astype("str")
    return pd.Series(result.to_numpy(), index=codes.to_numpy(), name="peer_group", dtype="str")


def peer_group_parts(key: str) -> tuple[int, float, float]:
    """(urbanity class, lower bound, upper bound) of a :func:`peer_groups` key.

    >>> peer_group_parts("u2_50000_100000"), peer_group_parts("u5_250000_inf")
    ((2, 50000.0, 100000.0), (5, 250000.0, inf))
    """
    urbanity, lower, upper = key.removeprefix("u").split("_")
    return int(urbanity), float(lower), float(upper)


def _median_of_others(values: np.ndarray) -> np.ndarray:
    """For each element, the median of the other non-NaN elements (NaN if < MIN_PEERS).

    >>> _median_of_others(np.array([1.0, 2.0, 3.0, 10.0, np.nan]))
    array([3. , 3. , 2. , 2. , 2.5])
    """
    shown = np.sort(values[~np.isnan(values)])
    result = np.full(len(values), np.nan)
    is_shown = ~np.isnan(values)
    if len(shown) >= MIN_PEERS:
        result[~is_shown] = np.median(shown)
    if len(shown) - 1 >= MIN_PEERS:
        # Remove one copy of the area's own value (which copy does not matter), then take
        # the middle element(s) of what is left: index i of the rest is i or i + 1 in `shown`.
        own = np.searchsorted(shown, values[is_shown])
        rest = len(shown) - 1
        low, high = (rest - 1) // 2, rest // 2
        result[is_shown] = (shown[np.where(low < own, low, low + 1)]
                            + shown[np.where(high < own, high, high + 1)]) / 2
    return result
