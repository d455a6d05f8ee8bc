"""Aggregation up the area tree in DuckDB SQL: ratio of sums, missing stays missing.

Level by level, buurt -> wijk -> gemeente -> regio -> land. For every indicator and year:

- an area *has data* when both its numerator and denominator are known (an indicator without
  a denominator is a count, e.g. inhabitants, and needs only its numerator);
- where a source publishes the figures of an area itself (e.g. CBS's gemeente figures), the
  published numerator and denominator win; otherwise they are the sums over its children
  *with data*, so the rate is computed over the same children on both sides (ratio of sums,
  never a mean of rates). Both are kept in ``aggregate_checks`` where they differ in origin;
- where only the denominator of a rate is published for an area (its inhabitants, say) and every
  buurt below it has data, the rate divides by that published figure, so the count shown for the
  area and every rate over it agree (origin ``aggregated, published base``); with buurten
  missing, the rate stays over the children with data and ``n_parts_with_data`` says so;
- ``n_parts_with_data`` of ``n_parts`` buurten below an area says how complete an aggregate
  is (a child area without buurten in the tree counts as one part, with data or without, so
  18 gemeenten with figures never pass for a whole region); an area without any buurt with
  data is missing, never 0.

Status per value, decided by :func:`indicators.disclosure.disclose` over the whole tree:

- ``missing``: no data;
- ``suppressed``: a wijk or buurt figure too small to show (denominator below the indicator's
  ``min_denominator`` or a count below ``min_count``), or hidden so that such a figure cannot be
  recovered or narrowed from the shown ones; or a rate over a denominator of 0. Value, numerator
  and denominator are not stored in ``indicator_values`` at all, so no output can show them;
- ``ok``.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from data_pipeline.warehouse import execute, query, registered
from geodata.codes import LEVELS
from indicators.disclosure import PROTECTED_LEVELS, disclose

_PUBLISHED = """
    CREATE TEMP TABLE published AS
    SELECT a.code, a.level, n.year, i.id AS indicator, n.value AS numerator,
           CASE WHEN i.denominator = '' THEN 1.0 ELSE d.value END AS denominator
    FROM indicators i
    JOIN observations n ON n.variable = i.numerator
    JOIN areas a ON a.code = n.code
    LEFT JOIN observations d ON d.code = n.code AND d.year = n.year AND d.variable = i.denominator
    WHERE NOT a.is_water AND n.value IS NOT NULL AND (i.denominator = '' OR d.value IS NOT NULL)"""

_BASES = """
    CREATE TEMP TABLE bases AS
    SELECT a.code, a.level, d.year, i.id AS indicator, d.value AS denominator
    FROM indicators i
    JOIN observations d ON d.variable = i.denominator
    JOIN areas a ON a.code = d.code
    WHERE i.denominator <> '' AND a.level <> 'buurt' AND NOT a.is_water AND d.value IS NOT NULL"""

_BOTTOM = """
    INSERT INTO vals
    SELECT a.code, y.year, i.id, p.numerator, p.denominator, 1, (p.code IS NOT NULL)::INTEGER, 'published'
    FROM areas a CROSS JOIN years y CROSS JOIN indicators i
    LEFT JOIN published p ON p.code = a.code AND p.year = y.year AND p.indicator = i.id
    WHERE a.level = 'buurt' AND NOT a.is_water"""

_LEVEL = """
    INSERT INTO vals
    WITH kids AS (
        SELECT a.parent_code AS code, y.year, i.id AS indicator,
               sum(v.numerator) FILTER (WHERE v.numerator IS NOT NULL) AS numerator,
               sum(v.denominator) FILTER (WHERE v.numerator IS NOT NULL) AS denominator,
               sum(CASE WHEN coalesce(v.n_parts, 0) = 0 THEN 1 ELSE v.n_parts END) AS n_parts,
               sum(CASE WHEN coalesce(v.n_parts, 0) = 0 THEN (v.numerator IS NOT NULL)::INTEGER
                        ELSE v.n_parts_with_data END) AS n_parts_with_data
        FROM areas a CROSS JOIN years y CROSS JOIN indicators i
        LEFT JOIN vals v ON v.code = a.code AND v.year = y.year AND v.indicator = i.id
        WHERE a.level = ? AND NOT a.is_water
        GROUP BY ALL
        HAVING count(v.code) > 0),
    own AS (SELECT * FROM published WHERE level = ?),
    joined AS (
        SELECT coalesce(k.code, p.code) AS code, coalesce(k.year, p.year) AS year,
               coalesce(k.indicator, p.indicator) AS indicator, k.numerator, k.denominator, k.n_parts,
               k.n_parts_with_data, p.code IS NOT NULL AS is_published,
               p.numerator AS p_numerator, p.denominator AS p_denominator
        FROM kids k
        FULL OUTER JOIN own p ON p.code = k.code AND p.year = k.year AND p.indicator = k.indicator)
    SELECT j.code, j.year, j.indicator,
           CASE WHEN j.is_published THEN j.p_numerator ELSE j.numerator END,
           CASE WHEN j.is_published THEN j.p_denominator
                WHEN b.code IS NOT NULL AND j.n_parts_with_data = j.n_parts THEN b.denominator
                ELSE j.denominator END,
           coalesce(j.n_parts, 0),
           CASE WHEN j.is_published THEN coalesce(j.n_parts, 0) ELSE j.n_parts_with_data END,
           CASE WHEN j.is_published THEN 'published'
                WHEN b.code IS NOT NULL AND j.n_parts_with_data = j.n_parts THEN 'aggregated, published base'
                ELSE 'aggregated' END
    FROM joined j
    LEFT JOIN bases b ON b.code = j.code AND b.year = j.year AND b.indicator = j.indicator AND b.level = ?"""

_CHECKS = """
    INSERT INTO aggregate_checks
    SELECT p.code, p.year, p.indicator, p.numerator, p.denominator,
           sum(v.numerator), sum(v.denominator)
    FROM published p JOIN areas a ON a.parent_code = p.code
    JOIN vals v ON v.code = a.code AND v.year = p.year AND v.indicator = p.indicator
    WHERE p.level = ? AND v.numerator IS NOT NULL
    GROUP BY ALL"""


def disclosure_rules(con: duckdb.DuckDBPyConnection) -> tuple[pd.DataFrame, frozenset[str]]:
    """The rules of :func:`indicators.disclosure.disclose` and the open variables, from the catalog tables."""
    rules = query(con, """SELECT id AS indicator, numerator, denominator, min_denominator, min_count
                          FROM indicators ORDER BY position""")
    open_variables = frozenset(query(con, "SELECT variable FROM variables WHERE is_open")["variable"])
    return rules, open_variables


def _disclose_and_store(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Disclosure control over the whole tree, then ``indicator_values`` with only what may be shown."""
    vals = query(con, "SELECT * FROM vals")
    rules, open_variables = disclosure_rules(con)
    areas = query(con, "SELECT code, level, parent_code FROM areas")
    # An area whose denominator is 0 still adds its numerator to its parent: it goes in as "ok"
    # so disclosure control treats it as too small (and protects it), never as missing.
    vals["status"] = vals["numerator"].isna().map({True: "missing", False: "ok"})
    checked = disclose(vals, areas, rules, open_variables)
    checked = checked.merge(query(con, "SELECT id AS indicator, multiplier, denominator = '' AS is_count "
                                       "FROM indicators"), on="indicator")
    ok = checked["status"] == "ok"
    rate = checked["numerator"] / checked["denominator"] * checked["multiplier"]
    checked["value"] = (checked["numerator"] * checked["multiplier"]).where(checked["is_count"], rate).where(ok)
    checked["numerator"] = checked["numerator"].where(ok)
    checked["denominator"] = checked["denominator"].where(ok & ~checked["is_count"])
    columns = ["code", "year", "indicator", "value", "numerator", "denominator", "status",
               "n_parts", "n_parts_with_data", "origin"]
    # Stored in code order: DuckDB's per-row-group min/max then lets a lookup of one area's
    # rows (profile, trends, briefing) skip nearly all of the table instead of scanning it.
    with registered(con, "checked_frame", checked[columns]):
        execute(con, """CREATE TABLE indicator_values AS
                        SELECT code, year::INTEGER AS year, indicator, value, numerator, denominator, status,
                               n_parts::INTEGER AS n_parts, n_parts_with_data::INTEGER AS n_parts_with_data, origin
                        FROM checked_frame ORDER BY code, indicator, year""")
    return protection_summary(checked.merge(areas[["code", "level"]], on="code"))


def protection_summary(checked: pd.DataFrame) -> pd.DataFrame:
    """Per indicator and protected level: values with data, and the share shown before and after
    protection (primary suppression only, then all of it)."""
    rows = checked[checked["level"].isin(PROTECTED_LEVELS) & checked["status"].ne("missing")]
    out = rows.groupby(["indicator", "level"], sort=True).agg(
        with_data=("status", "size"),
        shown_primary=("reason", lambda r: int((r.ne("small denominator") & r.ne("small count")).sum())),
        shown=("status", lambda s: int(s.eq("ok").sum()))).reset_index()
    out["shown_primary_pct"] = 100.0 * out["shown_primary"] / out["with_data"]
    out["shown_pct"] = 100.0 * out["shown"] / out["with_data"]
    return out


def aggregate_indicator_values(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Create ``indicator_values`` (and ``aggregate_checks``) from areas, indicators, variables and
    observations; return the :func:`protection_summary`."""
    execute(con, "CREATE TEMP TABLE years AS SELECT DISTINCT year FROM observations")
    execute(con, _PUBLISHED)
    execute(con, _BASES)
    execute(con, """CREATE TEMP TABLE vals (code VARCHAR, year INTEGER, indicator VARCHAR, numerator DOUBLE,
                   denominator DOUBLE, n_parts INTEGER, n_parts_with_data INTEGER, origin VARCHAR)""")
    execute(con, """CREATE TABLE aggregate_checks (code VARCHAR, year INTEGER, indicator VARCHAR,
                   published_numerator DOUBLE, published_denominator DOUBLE,
                   children_numerator DOUBLE, children_denominator DOUBLE)""")
    execute(con, _BOTTOM)
    for child, level in zip(LEVELS[:0:-1], LEVELS[-2::-1]):   # (buurt, wijk), (wijk, gemeente), ...
        execute(con, _CHECKS, [level])
        execute(con, _LEVEL, [child, level, level])
    summary = _disclose_and_store(con)
    for table in ("vals", "published", "bases", "years"):
        execute(con, f"DROP TABLE {table}")  # a fixed name, never user text
    return summary
