"""Analyses the dashboard and the CLI ask for, on top of the warehouse's published values.

Everything here reads only published values (suppressed and missing are NaN), so disclosure
control cannot be bypassed, and takes the viewer's scope like every read.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, Sequence, TypeVar

import numpy as np
import pandas as pd
import redis
from cachelib import BaseCache, NullCache, RedisCache

from data_pipeline.warehouse import Scope, Warehouse
from geodata.codes import parent_level as parent_level_of
from indicators.catalog import Catalog
from indicators.composite import CompositeResult, CompositeSpec, composite_scores, eligible_indicators
from indicators.classify import classify
from indicators.compare import comparisons, peer_groups
from indicators.hotspots import hotspots

log = logging.getLogger(__name__)
T = TypeVar("T")

#: Where the costly computations (comparisons per indicator and year, scores per level) are
#: kept for every worker and instance: Redis when :func:`share_computations` was given its URL,
#: nowhere otherwise. In front of it, each process keeps what it used in memory (lru_cache,
#: keyed by the concrete :class:`Warehouse` a live or per-viewer one stands for now, never by
#: the stand-in itself, whose equality would follow whatever it stands for at the next lookup).
_shared: BaseCache = NullCache()
#: Raise the version when a shared value changes shape, so new code never reads old frames.
SHARED_PREFIX = "ondermijningsbeeld:2:"
SHARED_SECONDS = 7 * 24 * 3600


def share_computations(redis_url: str | None) -> None:
    """Share computations through the Redis at ``redis_url`` (``None``: keep them per process).
    Keys name the build, so a rebuilt warehouse starts afresh and old entries expire."""
    global _shared
    if not redis_url:
        _shared = NullCache()
        return
    client = redis.Redis.from_url(redis_url, socket_timeout=2, socket_connect_timeout=2)
    _shared = RedisCache(host=client, key_prefix=SHARED_PREFIX, default_timeout=SHARED_SECONDS)


def _shared_or_computed(warehouse: Warehouse, key: str, compute: Callable[[], T]) -> T:
    """The value another worker or instance computed for this build, else ``compute()`` (and
    stored for the others). Redis being away only costs the computation, never a request."""
    key = f"{warehouse.build_id}:{key}"
    try:
        value = _shared.get(key)
    except redis.RedisError as err:
        log.warning("shared cache unreachable (%s): computing %s here", err, key)
        return compute()
    if value is None:
        value = compute()
        try:
            _shared.set(key, value)
        except redis.RedisError as err:
            log.warning("shared cache unreachable (%s): %s not stored", err, key)
    return value


@lru_cache(maxsize=32)
def _level_published(warehouse: Warehouse, level: str, year: int) -> dict[str, pd.DataFrame]:
    """Shown value, numerator and denominator of every indicator for a level: wide frames."""
    long = warehouse.level_values(level, year)
    return {column: long.pivot(index="code", columns="indicator", values=column)
            for column in ("value", "numerator", "denominator")}


def _level_rates(warehouse: Warehouse, level: str, year: int) -> pd.DataFrame:
    return _level_published(warehouse, level, year)["value"]


def level_rates(warehouse: Warehouse, level: str, year: int) -> pd.DataFrame:
    """Published values of every indicator for every area of a level: index code, one column
    per indicator, NaN where not shown."""
    return _level_rates(warehouse.current(), level, int(year)).copy()


@lru_cache(maxsize=64)
def _composite(warehouse: Warehouse, level: str, year: int, method: str,
               weights: tuple[tuple[str, float], ...], stabilise: bool) -> CompositeResult:
    key = f"composite:{level}:{year}:{method}:{weights}:{stabilise}"
    return _shared_or_computed(warehouse, key,
                               lambda: _composite_computed(warehouse, level, year, method, weights, stabilise))


def _composite_computed(warehouse: Warehouse, level: str, year: int, method: str,
                        weights: tuple[tuple[str, float], ...], stabilise: bool) -> CompositeResult:
    indicators = eligible_indicators(warehouse.catalog.indicators)
    ids = [i.id for i in indicators]
    own = {k: v.reindex(columns=ids) for k, v in _level_published(warehouse, level, year).items()}
    if not indicators:
        return CompositeResult.empty(own["value"].index)
    spec = CompositeSpec(method=method, theme_weights=dict(weights), stabilise=stabilise)
    if not stabilise or level == "land":
        return composite_scores(own["value"], indicators, spec)
    parent_of = pd.Series([warehouse.area(code).parent_code for code in own["value"].index],
                          index=own["value"].index, dtype=object)
    parent_level = parent_level_of(level)
    return composite_scores(own["value"], indicators, spec, numerators=own["numerator"],
                            denominators=own["denominator"],
                            parent_rates=_level_rates(warehouse, parent_level, year).reindex(columns=ids),
                            parent_of=parent_of)


def composite(warehouse: Warehouse, level: str, year: int, method: str = "z",
              weights: tuple[tuple[str, float], ...] = (), stabilise: bool = False) -> CompositeResult:
    """The composite score of every area of ``level``, standardised over that whole level.

    ``weights`` lists the themes whose weight is not 1 (equal weights by default);
    ``stabilise`` shrinks small areas' rates toward their parent's first."""
    return _composite(warehouse.current(), level, int(year), method, tuple(sorted(weights)), bool(stabilise))


def composite_view(warehouse: Warehouse, level: str, parent: str, year: int, method: str,
                   weights: tuple[tuple[str, float], ...], stabilise: bool,
                   scope: Scope) -> tuple[pd.DataFrame, CompositeResult]:
    """The areas of a view with their score (``value``), ``coverage`` and ``status``."""
    frame = warehouse.view_areas(level, parent, scope)
    result = composite(warehouse, level, year, method, weights, stabilise)
    frame["value"] = frame["code"].map(result.score)
    frame["coverage"] = frame["code"].map(result.coverage)
    frame["status"] = frame["value"].notna().map({True: "ok", False: "missing"})
    return frame, result


def hotspot_view(warehouse: Warehouse, level: str, parent: str, indicator: str, year: int, method: str,
                 alpha: float, scope: Scope) -> pd.DataFrame:
    """The areas of a view with their published value and hotspot ``category`` within the view."""
    frame = warehouse.map_values(level, parent, indicator, year, scope)
    values = frame.loc[~frame["is_water"]].set_index("code")["value"]
    result = hotspots(values, warehouse.neighbours(level), method=method, alpha=alpha, correction="fdr")
    return frame.merge(result[["code", "category", "p_value"]], on="code", how="left")


def warm_up(warehouse: Warehouse) -> None:
    """Compute now what the first profile, comparison and score of the latest year need (the
    per-year comparisons of every indicator, the default score per level), so that no user waits
    for it. A server runs this in the background at start and after every rebuild."""
    year = warehouse.years[-1]
    for ind in warehouse.catalog.indicators:
        _indicator_comparisons(warehouse.current(), ind.id, year)
    if eligible_indicators(warehouse.catalog.indicators):
        for level in ("gemeente", "wijk", "buurt"):
            composite(warehouse, level, year)


#: The comparison columns of :func:`indicator_comparisons` that the CLI table and
#: :func:`area_profile` show, in this order.
COMPARISON_COLUMNS = ("parent_value", "regio_value", "nl_value", "peer_group", "peer_value", "rank", "n_ranked",
                      "percentile")


@lru_cache(maxsize=64)  # about 2 MB each for the full country
def _indicator_comparisons(warehouse: Warehouse, indicator: str, year: int) -> pd.DataFrame:
    """The cached frame behind :func:`indicator_comparisons`; shared, so never modify it."""
    warehouse.catalog.get(indicator)   # an unknown indicator is a KeyError, never a cache entry

    def computed() -> pd.DataFrame:
        values = warehouse.indicator_values(indicator, year)
        everything = warehouse.areas_frame()[["code", "level", "parent_code", "regio_code", "land_code"]]
        values = everything.merge(values, on="code", how="left")
        return comparisons(values, everything, peer_groups(warehouse.attributes())).set_index("code")

    return _shared_or_computed(warehouse, f"comparisons:{indicator}:{year}", computed)


def indicator_comparisons(warehouse: Warehouse, indicator: str, year: int) -> pd.DataFrame:
    """Every area of every level compared with its parent, region, NL and peers, for one
    indicator in one year (see :func:`indicators.compare.comparisons`).

    Only shown values (status ``ok``) take part; suppressed and missing values are NaN and are
    never ranked nor counted as 0. The frame is computed once per (warehouse, indicator, year)
    and cached; the CLI ``table`` (:func:`method_columns`) and :func:`area_profile` read the
    same computation, so they always agree.

    Returns
    -------
    pandas.DataFrame
        Indexed by area ``code`` (all areas, water included), with columns ``level``,
        ``value``, ``parent_code``, ``parent_value``, ``regio_value``, ``nl_value``,
        ``peer_group``, ``peer_value``, ``rank``, ``n_ranked``, ``percentile``. A copy: the
        caller may modify it.

    Raises
    ------
    KeyError
        For an indicator that is not in the warehouse's catalog.
    """
    return _indicator_comparisons(warehouse.current(), indicator, int(year)).copy()


def method_columns(warehouse: Warehouse, table: pd.DataFrame, level: str, indicator: str, year: int) -> pd.DataFrame:
    """The method's columns for rows of one level (as from ``Warehouse.table``): comparisons,
    class, hotspot category, composite score and its contributions.

    - ``parent_value``, ``regio_value``, ``nl_value``, ``rank``, ``n_ranked``, ``percentile``:
      against the other areas of the level nationally (only shown values are ranked);
    - ``peer_group``, ``peer_value``: gemeenten of the same urbanity class and size band, and
      the median of their values;
    - ``class``: 1..5, quantiles of the rows' shown values (as the map draws them);
    - ``hotspot``: Getis-Ord Gi* among the rows (FDR, alpha 0.05), for wijken and buurten;
    - ``score``, ``score_coverage``, ``contribution`` (this indicator's part of the score, empty
      when it does not enter the score) and ``theme_<theme>`` per theme.
    """
    out = table.copy()
    compared = _indicator_comparisons(warehouse.current(), indicator, int(year))
    for column in COMPARISON_COLUMNS:
        out[column] = out["code"].map(compared[column])

    shown = out["status"] == "ok"
    classes = classify(out.loc[shown, "value"], "quantiles", 5)
    out["class"] = (classes.class_of(out["value"].where(shown)) + 1).astype("Int64")
    if level in ("wijk", "buurt"):
        spots = hotspots(out.set_index("code")["value"].where(shown.values), warehouse.neighbours(level),
                         method="gi", alpha=0.05, correction="fdr").set_index("code")
        out["hotspot"] = out["code"].map(spots["category"])
    else:
        out["hotspot"] = pd.NA

    result = composite(warehouse, level, year)
    out["score"] = out["code"].map(result.score)
    out["score_coverage"] = out["code"].map(result.coverage)
    out["contribution"] = (out["code"].map(result.contributions[indicator])
                           if indicator in result.contributions else pd.NA)
    for theme in result.theme_scores.columns:
        out[f"theme_{theme}"] = out["code"].map(result.theme_scores[theme])
    return out


# --------------------------------------------------------------------------- one area

#: Columns of :func:`area_profile`, in this order.
#: The comparison columns a profile shows: those of the table, and how many areas share the value.
PROFILE_COMPARISONS = (*COMPARISON_COLUMNS, "n_tied")
PROFILE_COLUMNS = ["indicator", "value", "status", "numerator", "denominator", "parent_code", *PROFILE_COMPARISONS]


def area_profile(warehouse: Warehouse, code: str, year: int, indicators: Sequence[str],
                 scope: Scope) -> pd.DataFrame:
    """One area's published values and comparisons for several indicators in one year.

    The numbers are exactly those of the area's row in the CLI ``table`` for each indicator
    (the same value row as :meth:`Warehouse.table` and the same cached
    :func:`indicator_comparisons`). One query reads the area's own values of all indicators;
    the comparisons are computed once per indicator and year, so the first call for an
    indicator/year is slower than the next ones.

    Parameters
    ----------
    code : str
        The area; checked against ``scope`` (``AccessDenied``) and the tree (``NotFound``).
    indicators : sequence of str
        Indicator ids, in the order of the rows; ``KeyError`` for an id not in the catalog.

    Returns
    -------
    pandas.DataFrame
        One row per indicator (in the given order), columns :data:`PROFILE_COLUMNS`:
        ``indicator``, ``value``, ``status`` (``ok``/``suppressed``/``missing``),
        ``numerator``, ``denominator`` (value, numerator and denominator are NaN unless the
        status is ``ok``), ``parent_code``, ``parent_value``, ``regio_value``, ``nl_value``,
        ``peer_group``, ``peer_value``, ``rank``, ``n_ranked``, ``percentile``, ``n_tied``
        (see :func:`indicators.compare.comparisons`).
    """
    area = warehouse.visible_area(code, scope)
    ids = list(indicators)
    year = int(year)
    own = warehouse.values([code], ids, scope, years=[year]).set_index("indicator").reindex(ids)
    own["status"] = own["status"].fillna("missing")
    shown = (own["status"] == "ok").to_numpy()
    out = pd.DataFrame({"indicator": pd.Series(ids, dtype=object),
                        "status": pd.Series(own["status"].to_numpy(), dtype=object)})
    for column in ("value", "numerator", "denominator"):
        out[column] = np.where(shown, own[column].to_numpy(dtype=float), np.nan)
    out["parent_code"] = area.parent_code
    rows = [_indicator_comparisons(warehouse.current(), indicator, year).loc[code] for indicator in ids]
    for column in PROFILE_COMPARISONS:
        out[column] = pd.Series([row[column] for row in rows], dtype=object)
    out = out[PROFILE_COLUMNS]
    numeric = ["parent_value", "regio_value", "nl_value", "peer_value", "rank", "percentile", "n_tied"]
    out[numeric] = out[numeric].astype(float)
    out["n_ranked"] = out["n_ranked"].astype(int)
    return out


def trends(warehouse: Warehouse, codes: Sequence[str], indicators: Sequence[str], scope: Scope) -> pd.DataFrame:
    """Published values of some areas and indicators over every year of the warehouse.

    One query for everything. Every code is checked against ``scope`` (``AccessDenied``) and
    the tree (``NotFound``); an unknown indicator raises ``KeyError``.

    Returns
    -------
    pandas.DataFrame
        Long: ``code``, ``indicator``, ``year``, ``value``, ``status``; exactly one row per
        code × indicator × year of ``warehouse.years`` (codes and indicators in the given order
        without repeats, years ascending). A combination without a value row has status
        ``missing``; ``value`` is NaN unless the status is ``ok`` (never 0).
    """
    codes = list(dict.fromkeys(codes))
    ids = list(dict.fromkeys(indicators))
    found = warehouse.values(codes, ids, scope)[["code", "indicator", "year", "value", "status"]]
    grid = pd.MultiIndex.from_product([codes, ids, [int(y) for y in warehouse.years]],
                                      names=["code", "indicator", "year"])
    out = found.set_index(["code", "indicator", "year"]).reindex(grid).reset_index()
    out["status"] = out["status"].fillna("missing").astype(object)
    out["value"] = out["value"].astype(float).where(out["status"] == "ok")
    return out[["code", "indicator", "year", "value", "status"]]


def change_view(warehouse: Warehouse, level: str, parent: str, indicator: str, year: int, since: int,
                scope: Scope) -> pd.DataFrame:
    """The areas of a map view with the absolute change of an indicator from ``since`` to ``year``.

    Returns
    -------
    pandas.DataFrame
        The :meth:`Warehouse.map_values` frame of ``year`` (``code``, ``name``, ``is_water``,
        ``numerator``, ``denominator``, ``n_parts``, ``n_parts_with_data`` are those of
        ``year``) with

        - ``value_now``, ``value_since``: the shown values in ``year`` and ``since``;
        - ``value``: ``value_now - value_since``, in the indicator's own unit (e.g. per 1.000
          inhabitants: a change in that rate, not a percentage change);
        - ``status``: ``ok`` only when both years are shown; otherwise ``suppressed`` when
          either year is suppressed, else ``missing``. ``value`` is NaN unless ``ok``;
        - ``status_now``, ``status_since``: the status in each year.

    Raises
    ------
    ValueError
        When ``since`` is not before ``year`` or is not a year of the warehouse.
    """
    year, since = int(year), int(since)
    if since >= year:
        raise ValueError(f"since ({since}) must be before year ({year})")
    if since not in warehouse.years:
        raise ValueError(f"no data for {since}; years: {warehouse.years}")
    now = warehouse.map_values(level, parent, indicator, year, scope)
    then = warehouse.map_values(level, parent, indicator, since, scope).set_index("code")
    out = change_between(now, then["value"], then["status"])
    return out[["code", "name", "is_water", "value", "value_now", "value_since", "numerator", "denominator",
                "status", "status_now", "status_since", "n_parts", "n_parts_with_data"]]


def change_between(now: pd.DataFrame, value_since: pd.Series, status_since: pd.Series) -> pd.DataFrame:
    """``now`` (``code``, ``value``, ``status``, ...) with the change since the values and statuses
    of an earlier year (both indexed by code): the columns :func:`change_view` describes. A change
    is published only where both years are shown, so it can never reveal a hidden value (the
    built-in attacker, :mod:`data_pipeline.attack`, checks that on this function)."""
    out = now.rename(columns={"value": "value_now", "status": "status_now"})
    out["value_since"] = out["code"].map(value_since).astype(float)
    out["status_since"] = out["code"].map(status_since).astype(object).fillna("missing")   # (none: all missing)
    both = (out["status_now"] == "ok") & (out["status_since"] == "ok")
    either_suppressed = (out["status_now"] == "suppressed") | (out["status_since"] == "suppressed")
    out["status"] = np.where(both, "ok", np.where(either_suppressed, "suppressed", "missing"))
    out["value_now"] = out["value_now"].astype(float).where(out["status_now"] == "ok")
    out["value_since"] = out["value_since"].where(out["status_since"] == "ok")
    out["value"] = (out["value_now"] - out["value_since"]).where(both)
    return out


#: Columns of :func:`standouts` and :func:`against_reference`, in this order.
STANDOUT_COLUMNS = ["indicator", "value", "reference_value", "reference", "ratio", "worse"]


def against_reference(catalog: Catalog, profile: pd.DataFrame) -> pd.DataFrame:
    """Rows of :func:`area_profile` set against their reference: the median of the area's peer
    group (``reference`` = ``"peers"``) where the area has a peer value for the indicator
    (gemeenten with a known urbanity class and size), else the NL value (``"nl"``).

    Returns
    -------
    pandas.DataFrame
        One row per profile row, in its order, columns :data:`STANDOUT_COLUMNS`: ``ratio`` is
        value / reference_value (NaN unless the value is shown and the reference is a number
        other than 0); ``worse`` is True when the difference points the bad way (ratio > 1 for
        ``higher_is_worse``, ratio < 1 for ``higher_is_better``; never for ``neutral``).
    """
    peers = profile["peer_value"].notna()
    out = pd.DataFrame({
        "indicator": profile["indicator"].to_numpy(dtype=object),
        "value": profile["value"].to_numpy(dtype=float),
        "reference_value": profile["peer_value"].where(peers, profile["nl_value"]).to_numpy(dtype=float),
        "reference": np.where(peers, "peers", "nl"),
    })
    comparable = ((profile["status"] == "ok").to_numpy() & out["value"].notna() & out["reference_value"].notna()
                  & (out["reference_value"] != 0))
    out["ratio"] = (out["value"] / out["reference_value"]).where(comparable)
    direction = out["indicator"].map({i.id: i.direction for i in catalog.indicators})
    out["worse"] = (((out["ratio"] > 1) & (direction == "higher_is_worse"))
                    | ((out["ratio"] < 1) & (direction == "higher_is_better")))
    return out[STANDOUT_COLUMNS]


def standouts(warehouse: Warehouse, code: str, year: int, scope: Scope, n: int = 5, *,
              per_side: bool = False) -> pd.DataFrame:
    """The indicators on which an area differs most from comparable areas.

    Candidates are the indicators that may enter a composite score
    (:func:`indicators.composite.eligible_indicators`): rates (no counts) with a direction
    (not ``neutral``), and never anything about ethnicity or migration background. Each is set
    against its reference (:func:`against_reference`: the area's peers, else NL). An indicator
    is skipped when the area's value is not shown or the reference is NaN or 0.

    ``per_side`` takes at most ``n`` unfavourable rows (``worse``) and then at most ``n``
    favourable ones (the others, less a ratio of exactly 1), each most striking first: so that
    topics where the area does strikingly well never crowd out those where it does badly.

    Returns
    -------
    pandas.DataFrame
        At most ``n`` rows (``2 * n`` with ``per_side``), columns :data:`STANDOUT_COLUMNS`
        (see :func:`against_reference`), sorted by ``abs(log(ratio))`` descending (a value of 0
        comes after every other; ties keep catalog order); with ``per_side``, the unfavourable
        rows first.
    """
    warehouse.visible_area(code, scope)
    candidates = eligible_indicators(warehouse.catalog.indicators)
    if not candidates or n <= 0:
        return pd.DataFrame(columns=STANDOUT_COLUMNS)
    profile = area_profile(warehouse, code, year, [i.id for i in candidates], scope)
    out = against_reference(warehouse.catalog, profile)
    out = out[out["ratio"].notna()]
    ratio = out["ratio"].to_numpy(dtype=float)
    with np.errstate(divide="ignore"):
        # A value of 0 (often a rare event that did not happen this year) comes last: it is a
        # count too small to say how far the area is from its reference.
        distance = np.where(ratio > 0, np.abs(np.log(np.where(ratio > 0, ratio, 1.0))), -1.0)
    ranked = out.iloc[np.argsort(-distance, kind="stable")]
    if per_side:
        better = ~ranked["worse"] & (ranked["ratio"] != 1)
        return pd.concat([ranked[ranked["worse"]].head(n), ranked[better].head(n)]).reset_index(drop=True)
    return ranked.head(n).reset_index(drop=True)


@dataclass(frozen=True)
class ScoreBreakdown:
    """One area's composite score and how it is made up.

    Attributes
    ----------
    code, level, year : the area, its level (the score is standardised over that level) and year.
    score : float
        The composite score (higher = stronger risk signal; *risk signal, not proof*).
    coverage : float
        Share (0..1) of the total theme weight that had data.
    contributions : pandas.Series
        Indicator id -> its part of ``score`` (they sum to ``score``), indicators without a
        value left out, largest absolute contribution first. Named ``contribution``.
    theme_scores : pandas.Series
        Theme -> the theme's score (NaN for a theme without data).
    """

    code: str
    level: str
    year: int
    score: float
    coverage: float
    contributions: pd.Series
    theme_scores: pd.Series


def composite_breakdown(warehouse: Warehouse, code: str, year: int, method: str = "z",
                        weights: tuple[tuple[str, float], ...] = (), stabilise: bool = False, *,
                        scope: Scope = Scope.everything()) -> ScoreBreakdown | None:
    """The composite score of one area with the contribution of each indicator.

    Uses :func:`composite` at the area's own level (so the same cached computation as the
    score map). ``scope`` is checked (``AccessDenied``, ``NotFound``); pass the viewer's.

    Returns
    -------
    ScoreBreakdown or None
        None when the area has no score (too little data, or water).
    """
    level = warehouse.visible_area(code, scope).level
    result = composite(warehouse, level, year, method, weights, stabilise)
    score = result.score.get(code, np.nan)
    if pd.isna(score):
        return None
    contributions = result.contributions.loc[code].dropna().astype(float)
    contributions = contributions.iloc[np.argsort(-contributions.abs().to_numpy(), kind="stable")]
    return ScoreBreakdown(code=code, level=level, year=int(year), score=float(score),
                          coverage=float(result.coverage.get(code, np.nan)),
                          contributions=contributions.rename("contribution"),
                          theme_scores=result.theme_scores.loc[code].astype(float).rename("theme_score"))
