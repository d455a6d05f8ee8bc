"""Analyses the dashboard and the CLI ask for, on top of the warehouse's published values.

Everything here reads only published values (suppressed and missing are NaN), so disclosure
control cannot be bypassed, and takes the viewer's scope like every read.
"""

from __future__ import annotations

from functools import lru_cache

import pandas as pd

from data_pipeline.warehouse import Scope, Warehouse, query
from indicators.composite import CompositeResult, CompositeSpec, composite_scores, eligible_indicators
from indicators.classify import classify
from indicators.compare import comparisons, peer_groups
from indicators.hotspots import hotspots


@lru_cache(maxsize=32)
def _level_published(warehouse: Warehouse, level: str, year: int) -> dict[str, pd.DataFrame]:
    """Shown value, numerator and denominator of every indicator for a level: wide frames."""
    with warehouse.cursor() as con:
        long = query(con, """
            SELECT v.code, v.indicator, v.value, v.numerator, v.denominator
            FROM indicator_values v JOIN areas a ON a.code = v.code
            WHERE a.level = ? AND v.year = ? AND v.status = 'ok'""", [level, int(year)])
    return {column: long.pivot(index="code", columns="indicator", values=column)
            for column in ("value", "numerator", "denominator")}


def _level_rates(warehouse: Warehouse, level: str, year: int) -> pd.DataFrame:
    return _level_published(warehouse, level, year)["value"]


def level_rates(warehouse: Warehouse, level: str, year: int) -> pd.DataFrame:
    """Published values of every indicator for every area of a level: index code, one column
    per indicator, NaN where not shown."""
    return _level_rates(warehouse, level, int(year)).copy()


@lru_cache(maxsize=64)
def _composite(warehouse: Warehouse, level: str, year: int, method: str,
               weights: tuple[tuple[str, float], ...], stabilise: bool) -> CompositeResult:
    indicators = eligible_indicators(warehouse.catalog.indicators)
    ids = [i.id for i in indicators]
    own = {k: v.reindex(columns=ids) for k, v in _level_published(warehouse, level, year).items()}
    spec = CompositeSpec(method=method, theme_weights=dict(weights), stabilise=stabilise)
    if not stabilise or level == "land":
        return composite_scores(own["value"], indicators, spec)
    parent_level = warehouse.areas.loc[own["value"].index, "parent_code"].map(warehouse.areas["level"]).iloc[0]
    return composite_scores(own["value"], indicators, spec, numerators=own["numerator"],
                            denominators=own["denominator"],
                            parent_rates=_level_rates(warehouse, parent_level, year).reindex(columns=ids),
                            parent_of=warehouse.areas.loc[own["value"].index, "parent_code"])


def composite(warehouse: Warehouse, level: str, year: int, method: str = "z",
              weights: tuple[tuple[str, float], ...] = (), stabilise: bool = False) -> CompositeResult:
    """The composite score of every area of ``level``, standardised over that whole level.

    ``weights`` lists the themes whose weight is not 1 (equal weights by default);
    ``stabilise`` shrinks small areas' rates toward their parent's first."""
    return _composite(warehouse, level, int(year), method, tuple(sorted(weights)), bool(stabilise))


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
    with warehouse.cursor() as con:
        values = query(con, "SELECT code, value FROM indicator_values WHERE indicator = ? AND year = ?",
                       [indicator, int(year)])
    everything = warehouse.areas[["code", "level", "parent_code", "regio_code", "land_code"]].reset_index(drop=True)
    values = everything.merge(values, on="code", how="left")
    compared = comparisons(values, everything, peer_groups(warehouse.attributes())).set_index("code")
    for column in ("parent_value", "regio_value", "nl_value", "peer_group", "peer_value", "rank", "n_ranked",
                   "percentile"):
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
