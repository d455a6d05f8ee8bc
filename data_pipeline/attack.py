"""The built-in attacker: what can be learnt about hidden figures from what the product publishes.

Everything the product shows (maps, tables, CSV/XLSX, images, briefings, profiles, comparisons,
composite scores, hotspots) is computed from the served warehouse, in which a hidden value has
no number. So the attacker reads exactly that: the shown figures of every level, indicator and
year, the area tree and the catalog, and

- derives the range of every hidden cell (:func:`indicators.disclosure.intervals`): a single
  hidden child, a zero or narrow remainder, a hidden parent whose children are all shown, a
  variable hidden under one indicator but shown under another;
- applies every published change between two years (:func:`data_pipeline.analysis.change_between`,
  the function the change map uses) to a year that is shown, looking for the other year;
- checks that no hidden value has a number stored, and (for a warehouse file) that the file
  holds no table beyond the served ones.

``ondermijningsbeeld check-disclosure`` prints what it finds; a build runs it before the swap
and is refused on any finding (:class:`DisclosureError`).
"""

from __future__ import annotations

import itertools

import duckdb
import numpy as np
import pandas as pd

from data_pipeline.aggregate import disclosure_rules
from data_pipeline.analysis import change_between
from data_pipeline.warehouse import query
from indicators.disclosure import exposures

#: Columns of :func:`find_exposures`.
EXPOSURE_COLUMNS = ["code", "level", "year", "indicator", "attack", "low", "high", "required"]


class DisclosureError(RuntimeError):
    """What would be published reveals hidden figures; ``found`` lists them."""

    def __init__(self, found: pd.DataFrame):
        self.found = found
        super().__init__(f"disclosure check failed: {len(found)} hidden figures can be pinned down or "
                         f"narrowed, e.g. {describe(found.head(3))}; nothing was written")


def find_exposures(con: duckdb.DuckDBPyConnection, years: list[int] | None = None) -> pd.DataFrame:
    """Every hidden figure the attacks pin down or narrow below its protection width.

    ``years`` limits the cells looked at (all years by default); changes are always taken
    between every pair of years, since they may reach into a year outside ``years``.
    """
    values = query(con, """SELECT code, year, indicator, value, numerator, denominator, status
                           FROM indicator_values""")
    areas = query(con, "SELECT code, level, parent_code FROM areas")
    rules, open_variables = disclosure_rules(con)
    found = exposures(values, areas, rules, open_variables, published_changes(values))
    stored = values[values["status"].ne("ok")
                    & values[["value", "numerator", "denominator"]].notna().any(axis=1)]
    if len(stored):
        found = pd.concat([found, stored[["code", "year", "indicator"]].merge(areas[["code", "level"]], on="code")
                          .assign(attack="number stored for a hidden value")], ignore_index=True)
    if years is not None:
        found = found[found["year"].isin(years)]
    return found[EXPOSURE_COLUMNS].reset_index(drop=True)


def published_changes(values: pd.DataFrame) -> pd.DataFrame:
    """The changes the product publishes between any two years, where one of them is hidden
    (the only ones that could tell anything about a hidden value)."""
    years = sorted(values["year"].unique())
    wide = values.pivot(index=["code", "indicator"], columns="year", values=["value", "status"])
    frames = []
    for since, year in itertools.combinations(years, 2):
        status_now, status_then = wide[("status", year)], wide[("status", since)]
        one_hidden = (status_now == "suppressed") ^ (status_then == "suppressed")
        rows = wide.index[one_hidden.to_numpy()]
        if not len(rows):
            continue
        keys = pd.Series([f"{c}|{i}" for c, i in rows])   # one code per (area, indicator)
        now = pd.DataFrame({"code": keys, "value": wide.loc[rows, ("value", year)].to_numpy(),
                            "status": status_now.loc[rows].to_numpy()})
        change = change_between(now, pd.Series(wide.loc[rows, ("value", since)].to_numpy(), index=keys),
                                pd.Series(status_then.loc[rows].to_numpy(), index=keys))
        frames.append(pd.DataFrame({"code": rows.get_level_values("code"), "indicator": rows.get_level_values("indicator"),
                                    "year": year, "since": since, "value": change["value"].to_numpy()}))
    columns = ["code", "indicator", "year", "since", "value"]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)


def check_published(con: duckdb.DuckDBPyConnection) -> None:
    """Raise :class:`DisclosureError` when :func:`find_exposures` finds anything."""
    found = find_exposures(con)
    if len(found):
        raise DisclosureError(found)


def unserved_tables(con: duckdb.DuckDBPyConnection, served: tuple[str, ...]) -> list[str]:
    """Tables in a warehouse file that the server is not meant to read (e.g. raw observations)."""
    tables = query(con, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'")
    return sorted(set(tables["table_name"]) - set(served))


def summary(found: pd.DataFrame) -> pd.DataFrame:
    """Findings per indicator, level and attack: how many, and up to three example codes."""
    if not len(found):
        return pd.DataFrame(columns=["indicator", "level", "attack", "cells", "examples"])
    return (found.groupby(["indicator", "level", "attack"], sort=True)
            .agg(cells=("code", "size"), examples=("code", lambda c: ", ".join(sorted(set(c))[:3])))
            .reset_index())


def describe(found: pd.DataFrame) -> str:
    """One line per finding: area, year, indicator, attack and the range the attacker derives."""
    def one(row) -> str:
        span = "" if np.isnan(row.low) else f" (between {row.low:g} and {row.high:g}; needs a range of {row.required:g})"
        return f"{row.code} {row.year} {row.indicator}: {row.attack}{span}"
    return "; ".join(one(row) for row in found.itertuples())
