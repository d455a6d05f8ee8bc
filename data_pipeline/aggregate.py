"""Aggregation up the area tree in DuckDB SQL: ratio of sums, missing stays missing.

For every indicator and year, a buurt has data when both its numerator and denominator are
known. An indicator without a denominator is a count (e.g. inhabitants): its value is the sum. A parent's numerator and denominator are the sums over its buurten *with data* (so the
rate is computed over the same buurten on both sides), and ``n_parts_with_data`` against
``n_parts`` says how complete that is. A parent without any buurt with data is missing, never 0.

Status per value:

- ``missing``: no data, or a denominator of 0;
- ``suppressed``: denominator below the indicator's ``min_denominator`` (value, numerator and
  denominator are not stored in ``indicator_values`` at all, so no output can show them);
- ``ok``.
"""

from __future__ import annotations

import duckdb

from geodata.hierarchy import ANCESTOR_COLUMNS

_LEVEL_SUMS = """
    SELECT {column} AS code, year, indicator,
           sum(numerator) FILTER (WHERE has_data) AS numerator,
           sum(denominator) FILTER (WHERE has_data) AS denominator,
           count(*) AS n_parts,
           count(*) FILTER (WHERE has_data) AS n_parts_with_data
    FROM parts GROUP BY ALL"""


def aggregate_indicator_values(con: duckdb.DuckDBPyConnection) -> None:
    """Create ``indicator_values`` from ``areas``, ``indicators`` and ``observations``."""
    con.execute("""
        CREATE TEMP TABLE parts AS
        WITH years AS (SELECT DISTINCT year FROM observations)
        SELECT a.code, y.year, i.id AS indicator,
               n.value AS numerator,
               CASE WHEN i.denominator = '' THEN 1.0 ELSE d.value END AS denominator,
               (n.value IS NOT NULL AND (i.denominator = '' OR d.value IS NOT NULL)) AS has_data,
               a.land_code, a.regio_code, a.gemeente_code, a.wijk_code
        FROM areas a CROSS JOIN years y CROSS JOIN indicators i
        LEFT JOIN observations n ON n.code = a.code AND n.year = y.year AND n.variable = i.numerator
        LEFT JOIN observations d ON d.code = a.code AND d.year = y.year AND d.variable = i.denominator
        WHERE a.level = 'buurt' AND NOT a.is_water""")
    buurt_rows = """
        SELECT code, year, indicator,
               CASE WHEN has_data THEN numerator END AS numerator,
               CASE WHEN has_data THEN denominator END AS denominator,
               1 AS n_parts, has_data::INTEGER AS n_parts_with_data
        FROM parts"""
    levels = " UNION ALL ".join(_LEVEL_SUMS.format(column=col) for col in ANCESTOR_COLUMNS.values())
    con.execute(f"""
        CREATE TABLE indicator_values AS
        WITH sums AS ({buurt_rows} UNION ALL {levels}),
        rated AS (
            SELECT s.*, i.multiplier, i.denominator = '' AS is_count,
                   CASE WHEN s.n_parts_with_data = 0 OR s.denominator IS NULL OR s.denominator <= 0
                             THEN 'missing'
                        WHEN s.denominator < i.min_denominator THEN 'suppressed'
                        ELSE 'ok' END AS status
            FROM sums s JOIN indicators i ON i.id = s.indicator)
        SELECT code, year, indicator,
               CASE WHEN status <> 'ok' THEN NULL
                    WHEN is_count THEN numerator * multiplier
                    ELSE numerator / denominator * multiplier END AS value,
               CASE WHEN status = 'ok' THEN numerator END AS numerator,
               CASE WHEN status = 'ok' AND NOT is_count THEN denominator END AS denominator,
               status, n_parts::INTEGER AS n_parts, n_parts_with_data::INTEGER AS n_parts_with_data
        FROM rated
        ORDER BY indicator, year, code""")
    con.execute("DROP TABLE parts")
