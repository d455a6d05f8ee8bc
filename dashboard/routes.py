"""The URL holds the view. Every link in the app is built here.

A map view is ``/kaart/<niveau>/<code>?indicator=<id>&jaar=<year>[&taal=en]``: the areas of
level ``niveau`` inside area ``code``.

>>> state = parse("/kaart/wijk/GM0363", "?indicator=x&jaar=2023&taal=en")
>>> state.level, state.parent, state.indicator, state.year, state.lang
('wijk', 'GM0363', 'x', 2023, 'en')
>>> href(state)
'/kaart/wijk/GM0363?indicator=x&jaar=2023&taal=en'
>>> href(drill_down(state, "WK036301"))
'/kaart/buurt/WK036301?indicator=x&jaar=2023&taal=en'
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from urllib.parse import parse_qs, urlencode

from geodata.codes import LAND_CODE, level_of

from dashboard.i18n import DEFAULT_LANGUAGE, language

#: Which map opens when an area of a level is clicked: the level below it, inside it.
DRILL = {"regio": "gemeente", "gemeente": "wijk", "wijk": "buurt"}
DEFAULT_LEVEL = "regio"


@dataclass(frozen=True)
class MapState:
    level: str = DEFAULT_LEVEL
    parent: str = LAND_CODE
    indicator: str | None = None
    year: int | None = None
    lang: str = DEFAULT_LANGUAGE


def parse(pathname: str | None, search: str | None) -> MapState:
    """Read a state from a URL; unknown parts fall back to defaults (validated later)."""
    parts = [p for p in (pathname or "").split("/") if p]
    level, parent = DEFAULT_LEVEL, LAND_CODE
    if len(parts) == 3 and parts[0] == "kaart":
        level, parent = parts[1], parts[2].upper()
    query = parse_qs((search or "").lstrip("?"))
    year = query.get("jaar", [None])[0]
    return MapState(
        level=level,
        parent=parent,
        indicator=query.get("indicator", [None])[0],
        year=int(year) if year and year.isdigit() else None,
        lang=language(query.get("taal", [DEFAULT_LANGUAGE])[0]),
    )


def path(state: MapState) -> str:
    return f"/kaart/{state.level}/{state.parent}"


def search(state: MapState) -> str:
    query = {"indicator": state.indicator, "jaar": state.year}
    if state.lang != DEFAULT_LANGUAGE:
        query["taal"] = state.lang
    return "?" + urlencode({k: v for k, v in query.items() if v is not None})


def href(state: MapState) -> str:
    return path(state) + search(state)


def drill_down(state: MapState, code: str) -> MapState | None:
    """The view that opens when ``code`` is clicked, or ``None`` at the bottom of the tree."""
    below = DRILL.get(level_of(code))
    return replace(state, level=below, parent=code) if below else None


def view_of_area(state: MapState, code: str) -> MapState:
    """The map a breadcrumb for ``code`` opens: its children (the land keeps its division)."""
    if code == LAND_CODE:
        level = state.level if state.parent == LAND_CODE else DEFAULT_LEVEL
        return replace(state, level=level, parent=code)
    return replace(state, level=DRILL[level_of(code)], parent=code)


def geometry_url(build_id: str, level: str, parent: str) -> str:
    return f"/geo/{build_id}/{level}/{parent}.json"


TOPOJSON_URL = "/topojson/"
