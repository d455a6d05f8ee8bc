"""The URL holds the view. Every link in the app is built here.

A map view is ``/kaart/<niveau>/<code>?indicator=<id>&jaar=<year>[&...]``: the areas of level
``niveau`` inside area ``code``. Optional query keys (left out while at their default):
``taal`` (en), ``modus`` (waarde | score | hotspots), ``klassen`` (kwantielen | gelijk |
natuurlijk | handmatig), ``k`` (3..9), ``grenzen`` (manual upper bounds, ``;``-separated),
``gewichten`` (theme weights, ``drugs:2,economie:0``), ``score`` (z | percentiel),
``hotspot`` (gi | moran), ``alfa`` (significance level), ``stabiliseer`` (ja: shrink small
areas toward their parent in the composite score), ``uitsnede`` (the visible map extent after
panning or zooming: west,south,east,north in degrees), ``gebied`` (the area whose profile is
open), ``vergelijk`` (2-4 areas of one level side by side, ``;``-separated) and ``sinds`` (the
first year of the ``verandering`` mode: the change since that year).

The gemeente page for policymakers is ``/gemeente/<code>?jaar=<year>[&indicator=<id>][&taal=en]``;
the page where signed-in users add their organisation's own data is ``/eigen-gegevens[?taal=en]``.

>>> state = parse("/kaart/wijk/GM0363", "?indicator=x&jaar=2023&taal=en")
>>> state.level, state.parent, state.indicator, state.year, state.lang
('wijk', 'GM0363', 'x', 2023, 'en')
>>> href(state)
'/kaart/wijk/GM0363?indicator=x&jaar=2023&taal=en'
>>> href(drill_down(state, "WK036301"))
'/kaart/buurt/WK036301?indicator=x&jaar=2023&taal=en'
>>> custom = parse("/kaart/wijk/GM0363", "?modus=score&gewichten=drugs:2,economie:0&k=7&grenzen=1.5;3")
>>> custom.mode, custom.weights, custom.k, custom.breaks
('score', (('drugs', 2.0), ('economie', 0.0)), 7, (1.5, 3.0))
>>> parse(path(custom), search(custom)) == custom
True
>>> page = parse("/gemeente/gm0363", "?jaar=2023")
>>> page.page, page.level, page.parent, href(page)
('gemeente', 'wijk', 'GM0363', '/gemeente/GM0363?jaar=2023')
>>> own = parse("/eigen-gegevens", "?taal=en")
>>> own.page, href(own)
('eigen', '/eigen-gegevens?taal=en')
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from urllib.parse import parse_qs, urlencode

from geodata.codes import LAND_CODE, level_of, wijk_of

from dashboard.formatting import format_decimal_input, parse_decimal_input
from dashboard.i18n import DEFAULT_LANGUAGE, language

#: Which map opens when an area of a level is clicked: the level below it, inside it.
DRILL = {"regio": "gemeente", "gemeente": "wijk", "wijk": "buurt"}
DEFAULT_LEVEL = "regio"


MODES = ("waarde", "score", "hotspots", "verandering")
PAGES = ("kaart", "gemeente", "eigen")
#: The path of the own-data page (page "eigen").
OWN_PATH = "/eigen-gegevens"
MAX_COMPARED = 4
#: What the national map can be divided into.
DIVISIONS = ("regio", "gemeente")
CLASS_METHODS = ("kwantielen", "gelijk", "natuurlijk", "handmatig")
SCORE_METHODS = ("z", "percentiel")
HOTSPOT_METHODS = ("gi", "moran")
ALPHAS = (0.01, 0.05, 0.1)


@dataclass(frozen=True)
class MapState:
    level: str = DEFAULT_LEVEL
    parent: str = LAND_CODE
    indicator: str | None = None
    year: int | None = None
    lang: str = DEFAULT_LANGUAGE
    mode: str = "waarde"
    classes: str = "kwantielen"
    k: int = 5
    breaks: tuple[float, ...] = ()
    weights: tuple[tuple[str, float], ...] = ()   # themes whose weight differs from 1
    score_method: str = "z"
    hotspot: str = "gi"
    alpha: float = 0.05
    stabilise: bool = False
    extent: tuple[float, ...] = ()   # (west, south, east, north) the user panned/zoomed to
    area: str | None = None          # the area whose profile is open
    compare: tuple[str, ...] = ()    # areas of one level, side by side
    since: int | None = None         # "verandering" mode: the change since this year
    page: str = "kaart"              # "kaart" (the map) or "gemeente" (the page for one gemeente)

    def weight(self, theme: str) -> float:
        return dict(self.weights).get(theme, 1.0)


def _choice(options):
    return lambda text: text if text in options else None


_INTEGER = re.compile(r"[0-9]{1,4}")
_CODE = re.compile(r"[A-Z0-9]{2,12}")
_THEME = re.compile(r"[a-z_]{1,32}")
_INDICATOR = re.compile(r"[a-z0-9_]{1,64}")
MAX_BREAKS = 9          # manual upper bounds: at most one per class
MAX_WEIGHT = 10.0
MAX_TEXT = 64           # an indicator id, a number
#: Extents the map may be panned to: the Netherlands (west, south, east, north) with a margin.
NL_BOUNDS = (2.0, 50.0, 8.5, 54.5)


def _number(text: str) -> float | None:
    """A finite number, or None (never NaN or infinity; short text only)."""
    if len(text) > MAX_TEXT:
        return None
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _k(text: str) -> int | None:
    return int(text) if _INTEGER.fullmatch(text) and 3 <= int(text) <= 9 else None


def parse_breaks(text: str) -> tuple[float, ...] | None:
    """Manual class bounds, ``;``-separated: at most :data:`MAX_BREAKS` finite numbers."""
    parts = [part for part in text.split(";", MAX_BREAKS + 1) if part]
    values = [_number(part) for part in parts]
    return tuple(sorted(values)) if values and len(values) <= MAX_BREAKS and None not in values else None


def parse_extent(text: str) -> tuple[float, ...] | None:
    """``west,south,east,north`` in degrees inside :data:`NL_BOUNDS`, or None when it is not."""
    values = [_number(part) for part in text.split(",", 4)]
    if len(values) != 4 or None in values:
        return None
    west, south, east, north = values
    min_west, min_south, max_east, max_north = NL_BOUNDS
    ok = min_west <= west < east <= max_east and min_south <= south < north <= max_north
    return tuple(values) if ok else None


def _code(text: str) -> str | None:
    text = text.strip().upper()
    return text if _CODE.fullmatch(text) else None


def _codes(text: str) -> tuple[str, ...] | None:
    codes = [_code(part) for part in text.split(";", MAX_COMPARED * 4)[:MAX_COMPARED * 4] if part.strip()]
    codes = tuple(dict.fromkeys(c for c in codes if c))[:MAX_COMPARED]
    return codes or None


def _indicator(text: object) -> str | None:
    return text if isinstance(text, str) and _INDICATOR.fullmatch(text) else None


def _year(text: str) -> int | None:
    return int(text) if _INTEGER.fullmatch(text) and len(text) == 4 else None


def _weights(text: str) -> tuple[tuple[str, float], ...] | None:
    """``theme:weight,...``: known-looking theme names, finite weights from 0 to 10."""
    pairs = []
    for item in text.split(",", 32)[:32]:
        theme, _, value = item.partition(":")
        weight = _number(value)
        if not _THEME.fullmatch(theme) or weight is None or not 0 <= weight <= MAX_WEIGHT:
            return None
        pairs.append((theme, weight))
    return tuple(pairs)


def _fmt_number(value: float) -> str:
    return f"{value:g}"


#: Optional query keys: state field -> (url key, parse text -> value or None, value -> text).
OPTIONAL = {
    "lang": ("taal", language, str),
    "mode": ("modus", _choice(MODES), str),
    "classes": ("klassen", _choice(CLASS_METHODS), str),
    "k": ("k", _k, str),
    "breaks": ("grenzen", parse_breaks, lambda v: ";".join(map(_fmt_number, v))),
    "weights": ("gewichten", _weights, lambda v: ",".join(f"{t}:{_fmt_number(w)}" for t, w in v)),
    "score_method": ("score", _choice(SCORE_METHODS), str),
    "hotspot": ("hotspot", _choice(HOTSPOT_METHODS), str),
    "alpha": ("alfa", lambda text: _number(text) if _number(text) in ALPHAS else None, _fmt_number),
    "stabilise": ("stabiliseer", lambda text: True if text == "ja" else None, lambda v: "ja"),
    "extent": ("uitsnede", parse_extent, lambda v: ",".join(f"{x:.5f}" for x in v)),
    "area": ("gebied", _code, str),
    "compare": ("vergelijk", _codes, ";".join),
    "since": ("sinds", _year, str),
}


def parse(pathname: str | None, search: str | None) -> MapState:
    """Read a state from a URL; unknown parts fall back to defaults (validated later)."""
    parts = [p for p in (pathname or "").split("/") if p]
    level, parent, page = DEFAULT_LEVEL, LAND_CODE, "kaart"
    if len(parts) == 3 and parts[0] == "kaart":
        level, parent = parts[1][:MAX_TEXT], _code(parts[2]) or "?"   # "?": no such area
    elif len(parts) == 2 and parts[0] == "gemeente":
        level, parent, page = "wijk", _code(parts[1]) or "?", "gemeente"
    elif len(parts) == 1 and "/" + parts[0] == OWN_PATH:
        page = "eigen"
    query = parse_qs("&".join((search or "").lstrip("?").split("&", 64)[:64]))   # a bounded number of keys
    year = query.get("jaar", [None])[0]
    indicator = query.get("indicator", [None])[0]
    optional = {}
    for name, (key, read, _) in OPTIONAL.items():
        if key in query:
            value = read(query[key][0])
            if value is not None:
                optional[name] = value
    return MapState(level=level, parent=parent,
                    indicator=_indicator(indicator),
                    year=_year(year) if year else None, page=page, **optional)


def path(state: MapState) -> str:
    if state.page == "gemeente":
        return f"/gemeente/{state.parent}"
    if state.page == "eigen":
        return OWN_PATH
    return f"/kaart/{state.level}/{state.parent}"


def url(state: MapState) -> str:
    """The address of a view: its path and query string."""
    return path(state) + search(state)


def search(state: MapState) -> str:
    query = {"indicator": state.indicator, "jaar": state.year}
    defaults = MapState()
    for name, (key, _, write) in OPTIONAL.items():
        value = getattr(state, name)
        if value != getattr(defaults, name):
            query[key] = write(value)
    return "?" + urlencode({k: v for k, v in query.items() if v is not None}, safe=":;,")


def href(state: MapState) -> str:
    return path(state) + search(state)


def moved(state: MapState, level: str, parent: str) -> MapState:
    """The state showing another map: a pan/zoom extent and a selected area belong to the map
    they were made on (a comparison stays)."""
    if (level, parent) == (state.level, state.parent):
        return state
    return replace(state, level=level, parent=parent, extent=(), area=None)


def drill_down(state: MapState, code: str) -> MapState | None:
    """The view that opens when ``code`` is clicked, or ``None`` at the bottom of the tree."""
    below = DRILL.get(level_of(code))
    return moved(state, below, code) if below else None


def view_of_area(state: MapState, code: str) -> MapState:
    """The map a breadcrumb for ``code`` opens: its children (the land keeps its division)."""
    if code == LAND_CODE:
        level = state.level if state.parent == LAND_CODE else DEFAULT_LEVEL
        return moved(state, level, code)
    return moved(state, DRILL[level_of(code)], code)


def view_showing(state: MapState, code: str) -> MapState:
    """The map a search result opens: the area's children, or a buurt among its wijk's buurten.

    >>> view_showing(MapState(), "BU03630001").level, view_showing(MapState(), "BU03630001").parent
    ('buurt', 'WK036300')
    """
    if level_of(code) == "buurt":
        return moved(state, "buurt", wijk_of(code))
    return view_of_area(state, code)


def selected(state: MapState, code: str) -> MapState:
    """A click on an area: the first click opens its profile, a click on the open one drills in.

    >>> s = MapState(level="wijk", parent="GM0363")
    >>> drilled = selected(selected(s, "WK036301"), "WK036301")
    >>> selected(s, "WK036301").area, drilled.level, drilled.area
    ('WK036301', 'buurt', None)
    """
    if state.area == code:
        return drill_down(state, code) or state
    return replace(state, area=code)


def with_compared(state: MapState, code: str) -> MapState:
    """``code`` added to the comparison: areas of one level, at most :data:`MAX_COMPARED`
    (the oldest goes); an area of another level starts a new comparison.

    >>> with_compared(MapState(compare=("GM0001", "GM0002")), "WK000101").compare
    ('WK000101',)
    >>> with_compared(MapState(compare=("GM0001", "GM0002", "GM0003", "GM0004")), "GM0005").compare
    ('GM0002', 'GM0003', 'GM0004', 'GM0005')
    """
    kept = [c for c in state.compare if level_of(c) == level_of(code) and c != code]
    return replace(state, compare=tuple([*kept, code][-MAX_COMPARED:]))


def without_compared(state: MapState, code: str) -> MapState:
    return replace(state, compare=tuple(c for c in state.compare if c != code))


def gemeente_page(state: MapState, code: str) -> MapState:
    """The policymaker's page of a gemeente, in the same language and year."""
    return MapState(level="wijk", parent=code, indicator=state.indicator, year=state.year, lang=state.lang,
                    page="gemeente")


def map_of(state: MapState) -> MapState:
    """The analyst's map for what a page shows (the gemeente's wijken, with its profile open)."""
    return replace(state, page="kaart", area=state.area or state.parent) if state.page != "kaart" else state


def geometry_url(build_id: str, level: str, parent: str) -> str:
    return f"/geo/{build_id}/{level}/{parent}.json"


TOPOJSON_URL = "/topojson/"
EXPORT_PREFIX = "/export/"


DOWNLOAD_PREFIX = "/download/"


def download_url(state: MapState, fmt: str) -> str:
    """The table of the current view as CSV or XLSX: ``/download/<fmt>/kaart/...?...``."""
    return f"{DOWNLOAD_PREFIX}{fmt}{href(replace(state, page='kaart'))}"


def export_url(state: MapState, fmt: str) -> str:
    """The download of the current view as an image: ``/export/<fmt>/kaart/...?...``.

    >>> export_url(MapState(level="wijk", parent="GM0363", indicator="x", year=2024), "pdf")
    '/export/pdf/kaart/wijk/GM0363?indicator=x&jaar=2024'
    """
    return f"{EXPORT_PREFIX}{fmt}{href(replace(state, page='kaart'))}"


REPORT_PREFIX = "/rapport/"
REPORT_FORMATS = ("pdf", "docx")


def report_url(code: str, fmt: str, year: int | None = None, lang: str = DEFAULT_LANGUAGE) -> str:
    """The report (ondermijningsbeeld) of a gemeente or region as PDF or Word: ``/rapport/<fmt>/<code>?...``.

    >>> report_url("GM0363", "docx", 2024, "en")
    '/rapport/docx/GM0363?jaar=2024&taal=en'
    """
    query = {"jaar": year, "taal": lang if lang != DEFAULT_LANGUAGE else None}
    return f"{REPORT_PREFIX}{fmt}/{code}?" + urlencode({k: v for k, v in query.items() if v is not None})


def parse_report(code: str, query: str) -> tuple[str | None, int | None, int | None, str]:
    """(code, year, since, language) of a report URL, validated and bounded (``None``: not given
    or not valid; the year and first year are checked against the warehouse by the report).

    >>> parse_report("gm0363", "jaar=2024&sinds=20x&taal=en"), parse_report("<x>", "")
    (('GM0363', 2024, None, 'en'), (None, None, None, 'nl'))
    """
    asked = parse_qs("&".join((query or "").lstrip("?").split("&", 8)[:8]))

    def first(key: str) -> str:
        return asked.get(key, [""])[0][:MAX_TEXT]

    return (_code(code[:MAX_TEXT]), _year(first("jaar")), _year(first("sinds")), language(first("taal")))


# --------------------------------------------------------------------------- the state machine

#: Controls whose value is one field of the state: component id -> MapState field.
CONTROLS = {
    "indicator": "indicator", "year": "year", "mode": "mode", "class-method": "classes", "class-k": "k",
    "class-breaks": "breaks", "score-method": "score_method", "hotspot-method": "hotspot",
    "hotspot-alpha": "alpha", "stabilise": "stabilise", "since": "since",
}


def clicked_code(click: dict | None) -> str | None:
    """The area code a map click hit (``clickData`` of the map), if any.

    >>> clicked_code({"points": [{"location": "GM0363"}]}), clicked_code(None), clicked_code({"points": []})
    ('GM0363', None, None)
    """
    points = (click.get("points") if isinstance(click, dict) else None) or [{}]
    code = points[0].get("location") if isinstance(points, list) and isinstance(points[0], dict) else None
    return code if isinstance(code, str) else None


def state_after(state: MapState, trigger, inputs: dict, themes: list[str], is_area) -> MapState | None:
    """The state after the control or click that fired; ``None`` when nothing should change.

    ``trigger`` is the id of what fired (``None``/``"url"``: the URL itself; ``"map"``: a click;
    a control id of :data:`CONTROLS`; a theme weight slider's id dict; ``"map-extent"``,
    ``"search"``, ``"division"``); ``inputs`` holds the values of all of them;
    ``is_area(code)`` tells whether a code is a land area of the warehouse.

    >>> s = MapState(level="wijk", parent="GM0363", indicator="x", year=2024)
    >>> state_after(s, "map", {"click": {"points": [{"location": "WK036301"}]}}, [], lambda c: True).area
    'WK036301'
    >>> state_after(s, "map", {"click": {"points": [{"location": "WK036399"}]}}, [], lambda c: False) is None
    True
    >>> state_after(s, "class-breaks", {"class-breaks": "10; 2,5"}, [], bool).breaks
    (2.5, 10.0)
    """
    if trigger in (None, "url"):
        return state
    if trigger == "map":
        code = clicked_code(inputs["click"])
        return selected(state, code) if code and is_area(code) else None
    if isinstance(trigger, dict):  # a theme weight slider; sliders are laid out in `themes` order
        values = [_number(str(w)) if w is not None else 1.0 for w in (inputs["weights"] or [])]
        if len(values) != len(themes) or any(w is None or not 0 <= w <= MAX_WEIGHT for w in values):
            return None
        return replace(state, weights=tuple((th, w) for th, w in zip(themes, values) if w != 1))
    if trigger == "map-extent":  # the user panned or zoomed: keep the extent, for links and exports
        seen = inputs["extent"] if isinstance(inputs["extent"], dict) else {}
        moved_to = replace(state, extent=parse_extent(",".join(map(str, seen.get("extent") or ()))) or ())
        return moved_to if on_screen(moved_to, seen) and moved_to != state else None
    if trigger == "search":
        code = inputs["search"]
        return replace(view_showing(state, code), area=code) if isinstance(code, str) and is_area(code) else None
    if trigger == "division":
        division = inputs["division"]
        return moved(state, division, state.parent) if state.parent == LAND_CODE and division in DIVISIONS else None
    if trigger not in CONTROLS:
        return None
    value = inputs[trigger]
    if value is None or (trigger == "indicator" and str(value).startswith("theme:")):
        return None
    if trigger == "stabilise":
        return replace(state, stabilise=isinstance(value, list) and "ja" in value)
    if trigger == "class-breaks":
        value = parse_breaks(parse_decimal_input(str(value)[:MAX_TEXT * 4])) or ()
        return replace(state, breaks=value, classes="handmatig" if value else state.classes)
    # A control's value, read as the same field of a URL would be (a forged value changes nothing).
    field = CONTROLS[trigger]
    if field == "indicator":
        value = _indicator(value)
    else:
        value = (_year if field in ("year", "since") else OPTIONAL[field][1])(str(value)[:MAX_TEXT])
    return replace(state, **{field: value}) if value is not None else None


def drawn_key(state: MapState) -> str:
    """What the map draws for a state: everything in its URL but the compared areas."""
    return href(replace(state, compare=()))


def on_screen(state: MapState, seen: dict | None) -> bool:
    """Whether the map's last reported pan/zoom extent is the state's extent, on the same map."""
    seen = seen or {}
    return (bool(state.extent) and str(seen.get("view", "")).split("@")[0] == f"{state.level}/{state.parent}"
            and parse_extent(",".join(map(str, seen.get("extent") or ()))) == state.extent)


def control_value(state: MapState, field: str):
    """The value a control shows for one field of the state."""
    value = getattr(state, field)
    if field == "stabilise":
        return ["ja"] if value else []
    if field == "breaks":
        return "; ".join(format_decimal_input(b) for b in value)
    return value
