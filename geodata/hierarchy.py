"""The area tree: ancestors per area, consistency checks and the map views.

An areas frame has one row per area with columns ``code, level, name, parent_code``.
"""

from __future__ import annotations

import pandas as pd

from geodata.codes import CODE_PATTERNS, LAND_CODE, LEVELS, gemeente_of, parent_level, wijk_of

#: Ancestor columns added by :func:`with_ancestors`, one per level above buurt.
ANCESTOR_COLUMNS = {level: f"{level}_code" for level in LEVELS[:-1]}

#: The maps we draw: (level shown, level of the area whose children are shown).
MAP_VIEWS: tuple[tuple[str, str], ...] = (
    ("regio", "land"),
    ("gemeente", "land"),
    ("gemeente", "regio"),
    ("wijk", "gemeente"),
    ("buurt", "gemeente"),
    ("buurt", "wijk"),
)


def with_ancestors(areas: pd.DataFrame) -> pd.DataFrame:
    """Add ``land_code``, ``regio_code``, ``gemeente_code``, ``wijk_code`` to each area.

    An area's own level column holds its own code; levels below it are empty.

    >>> areas = pd.DataFrame({
    ...     "code": ["NL01", "RE01", "GM0001", "WK000100", "BU00010000"],
    ...     "level": ["land", "regio", "gemeente", "wijk", "buurt"],
    ...     "parent_code": [None, "NL01", "RE01", "GM0001", "WK000100"]})
    >>> with_ancestors(areas).loc[4, ["regio_code", "gemeente_code", "wijk_code"]].tolist()
    ['RE01', 'GM0001', 'WK000100']
    """
    out = areas.copy()
    parent = dict(zip(areas["code"], areas["parent_code"]))
    level = dict(zip(areas["code"], areas["level"]))
    rows: dict[str, list[object]] = {col: [] for col in ANCESTOR_COLUMNS.values()}
    for code in areas["code"]:
        chain: dict[str, str] = {}
        current: object = code
        while isinstance(current, str):
            chain[level[current]] = current
            current = parent.get(current)
        for lvl, col in ANCESTOR_COLUMNS.items():
            rows[col].append(chain.get(lvl))
    for col, values in rows.items():
        out[col] = values
    return out


def hierarchy_problems(areas: pd.DataFrame) -> list[str]:
    """Describe every way in which ``areas`` is not one clean tree (empty list: clean).

    Checks: unique codes, codes valid for their level, exactly one land ``NL01``, every other
    area has exactly one parent that exists at the level directly above, and gemeente/wijk/buurt
    codes nest by their CBS prefixes.
    """
    problems: list[str] = []
    dupes = areas["code"][areas["code"].duplicated()].unique().tolist()
    if dupes:
        problems.append(f"duplicate area codes: {dupes[:10]}")
    level_of = dict(zip(areas["code"], areas["level"]))
    lands = areas.loc[areas["level"] == "land", "code"].tolist()
    if lands != [LAND_CODE]:
        problems.append(f"expected exactly one land area {LAND_CODE}, found {lands}")
    for code, level, parent in areas[["code", "level", "parent_code"]].itertuples(index=False):
        if level not in CODE_PATTERNS:
            problems.append(f"{code}: unknown level {level!r}")
            continue
        if not CODE_PATTERNS[level].match(str(code)):
            problems.append(f"{code}: not a valid {level} code")
            continue
        if level == "land":
            continue
        expected = parent_level(level)
        if not isinstance(parent, str) or parent not in level_of:
            problems.append(f"{code}: parent {parent!r} does not exist")
        elif level_of[parent] != expected:
            problems.append(f"{code}: parent {parent} is a {level_of[parent]}, expected a {expected}")
        elif level == "wijk" and parent != gemeente_of(code):
            problems.append(f"{code}: parent {parent} does not match its code prefix")
        elif level == "buurt" and parent != wijk_of(code):
            problems.append(f"{code}: parent {parent} does not match its code prefix")
    return problems
