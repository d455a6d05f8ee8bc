"""Pure figure functions: data in, ``go.Figure`` or legend entries out. No Dash, no I/O.

The map is a ``go.Choropleth`` on an invisible geo (no base map, no tiles) whose geometry
is a URL: the browser fetches and caches each GeoJSON once, so a callback carries values only.
Every map is drawn in classes: one list of colours feeds both the map and the legend
(:func:`legend_entries`). "n.b." and water have their own colour and legend entry and never
borrow a colour from the classes.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from dashboard.formatting import format_number, format_value, plotly_separators, signed
from dashboard.i18n import DEFAULT_LANGUAGE, t

#: Degrees by which plotly.js's geo draws lon/lat ranges narrower on each side (its clipPad).
GEO_CLIP_PAD = 0.001


NO_DATA_COLOUR = "#bdbdbd"
WATER_COLOUR = "#dbe8f3"
BORDER_COLOUR = "#ffffff"
HIGHLIGHT_COLOUR = "#1b1b1b"

#: A world topology with every layer plotly.js's geo reads, all empty. plotly asks for one
#: (``<scope>_<resolution>m.json``) even when nothing of it is drawn: the app serves this at
#: ``/topojson/`` and the image export hands it to kaleido, so plotly never asks a CDN.
EMPTY_TOPOLOGY = json.dumps({
    "type": "Topology",
    "objects": {name: {"type": "GeometryCollection", "geometries": []}
                for name in ("land", "ocean", "lakes", "rivers", "coastlines", "countries", "subunits")},
    "arcs": [],
    "transform": {"scale": [1, 1], "translate": [0, 0]},
})

#: Hotspot categories and their colours (red/blue, never red/green).
CATEGORY_COLOURS = {
    "hot": "#d7301f", "high-high": "#d7301f", "high-low": "#fc9272",
    "cold": "#2166ac", "low-low": "#2166ac", "low-high": "#92c5de",
    "not significant": "#f0f0f0",
}


def no_value_text(status: str, lang: str) -> str:
    """Why an area has no value on the map: too small to show, or no data."""
    return t("hover.suppressed", lang) if status == "suppressed" else t("hover.missing", lang)


def hover_texts(frame: pd.DataFrame, unit: str, lang: str, decimals: int = 1) -> list[str]:
    """One hover label per area: name, code and the value with its unit, or why there is none."""
    texts = []
    for row in frame.itertuples(index=False):
        if row.is_water:
            value = t("map.water", lang)
        elif row.status == "ok":
            value = format_value(row.value, unit, decimals, lang=lang)
            if pd.notna(row.n_parts) and row.n_parts_with_data < row.n_parts:
                value += "<br>" + t("hover.incomplete", lang, n=int(row.n_parts_with_data), total=int(row.n_parts))
        else:
            value = no_value_text(row.status, lang)
        texts.append(f"<b>{row.name}</b> ({row.code})<br>{value}")
    return texts


def class_bounds_labels(bounds: Sequence[float], decimals: int, lang: str = DEFAULT_LANGUAGE,
                        zero: str | None = None, signs: bool = False) -> list[str]:
    """Legend labels for classes given by ``bounds`` (lower bound, then each upper bound).

    A class of one value (its bounds print the same) reads as that value, and 0 says what it
    means (``zero``; by default "0 (geen)", for changes "0 (geen verandering)"). The class after
    a one-value class holds only values above it, and says so. ``signs`` prints + and -.

    >>> class_bounds_labels([0, 2.5, 10, 1234.5], 1)
    ['0,0 – 2,5', '2,5 – 10,0', '10,0 – 1.234,5']
    >>> class_bounds_labels([0, 0, 18.3, 40], 1)
    ['0 (geen)', '> 0,0 – 18,3', '18,3 – 40,0']
    >>> class_bounds_labels([-3, -5e-324, 0, 2], 1, "en", "0 (no change)", signs=True)
    ['-3.0 – 0.0', '0 (no change)', '> 0.0 – +2.0']
    """
    def number(value: float) -> str:
        return signed(value, decimals, lang) if signs else format_number(value, decimals, lang=lang)

    labels, single_before = [], False
    for lo, hi in zip(bounds, bounds[1:]):
        low, high = number(lo), number(hi)
        if low == high:
            labels.append(high if low.strip("-+0,.") else zero or t("legend.zero", lang))
        else:
            labels.append(f"> {low} – {high}" if single_before else f"{low} – {high}")
        single_before = low == high
    return labels


def legend_entries(colours: Sequence[str], labels: Sequence[str], frame: pd.DataFrame, lang: str) -> list[tuple[str, str]]:
    """(colour, label) per class, then "n.b." and water when the map has such areas."""
    entries = list(zip(colours, labels))
    if ((frame["status"] != "ok") & ~frame["is_water"]).any():
        entries.append((NO_DATA_COLOUR, t("legend.nodata", lang)))
    if frame["is_water"].any():
        entries.append((WATER_COLOUR, t("legend.water", lang)))
    return entries


def _stepped_colorscale(colours: Sequence[str]) -> list[list]:
    """A colour scale that maps class index i (0..k-1) to exactly ``colours[i]``."""
    k = len(colours)
    scale = []
    for i, colour in enumerate(colours):
        scale += [[i / k, colour], [(i + 1) / k, colour]]
    return scale


def _trace(frame: pd.DataFrame, geojson_url: str, z: list, colorscale: list, zmax: float,
           line_colour: str = BORDER_COLOUR, line_width: float = 0.6) -> dict:
    return {
        "type": "choropleth", "geojson": geojson_url, "featureidkey": "properties.code",
        "locations": frame["code"].tolist(), "z": z, "zmin": -0.5, "zmax": zmax, "colorscale": colorscale,
        "showscale": False, "text": frame["hover"].tolist(), "hovertemplate": "%{text}<extra></extra>",
        "marker": {"line": {"color": line_colour, "width": line_width}},
    }


def _figure(traces: list[dict], layout: dict) -> go.Figure:
    """A figure of plain dicts, not checked property by property: plotly's checks cost a map
    callback more than everything else it does (the dicts are written for plotly 7.1, which
    pyproject pins; tests/dashboard/test_figures.py checks they are what plotly expects)."""
    return go.Figure(data=traces, layout=layout, _validate=False)


def mercator_middle(south: float, north: float) -> float:
    """The latitude halfway between two others on a Mercator map (plotly centres a map there).

    >>> round(mercator_middle(50.0, 54.0), 4)
    52.0447
    """
    merc = math.log(math.tan(math.pi / 4 + math.radians(south) / 2)) / 2 + \
        math.log(math.tan(math.pi / 4 + math.radians(north) / 2)) / 2
    return math.degrees(2 * math.atan(math.exp(merc)) - math.pi / 2)


#: The map's height (px); the part of it plotly fills with a map fitted to its areas, and the
#: width that has on a common screen (measured, rounded down: a name that fits there fits).
MAP_HEIGHT = 620
FITTED_HEIGHT, FITTED_WIDTH = 430, 680
LABEL_SIZE, LABEL_CHAR_WIDTH = 11, 6.6
#: How far a degree of latitude stretches against one of longitude on a Mercator map of NL.
MERCATOR_NL = 1.63


def fitting_labels(labels: pd.DataFrame, names: pd.Series, extent: Sequence[float] = ()) -> pd.DataFrame:
    """The areas whose name fits well inside their own polygon on the map as drawn (fitted to
    its areas, or zoomed to ``extent``) without touching another name, larger areas first,
    from :meth:`Warehouse.label_points` and the areas' names (indexed by code): code, lon, lat
    and name.

    >>> labels = pd.DataFrame({"code": ["A", "B", "C"], "lon": [5.0, 5.9, 5.02], "lat": [52.0, 52.0, 52.0],
    ...                        "west": [4.0, 5.88, 4.5], "south": [51.5, 51.9, 51.6],
    ...                        "east": [5.8, 5.93, 5.5], "north": [52.5, 52.1, 52.4]})
    >>> fitting_labels(labels, pd.Series({"A": "Grootstad", "B": "Dorp", "C": "Buurstad"}))["code"].tolist()
    ['A']
    """
    if labels.empty:
        return labels.assign(name=pd.Series(dtype=object))[["code", "lon", "lat", "name"]]
    if extent:
        west, south, east, north = extent
    else:
        west, south, east, north = labels["west"].min(), labels["south"].min(), labels["east"].max(), labels["north"].max()
    ppd = min(FITTED_WIDTH / max(east - west, 1e-9), FITTED_HEIGHT / max((north - south) * MERCATOR_NL, 1e-9))
    named = labels.assign(name=labels["code"].map(names)).dropna(subset=["name"])
    text_width = named["name"].str.len() * LABEL_CHAR_WIDTH
    width, height = (named["east"] - named["west"]) * ppd, (named["north"] - named["south"]) * MERCATOR_NL * ppd
    roomy = named[(width >= 1.5 * text_width + 8) & (height >= 2.5 * LABEL_SIZE)]
    placed, boxes = [], []
    order = (width * height)[roomy.index].sort_values(ascending=False).index
    for index, lon, lat, name in zip(order, roomy.loc[order, "lon"], roomy.loc[order, "lat"], roomy.loc[order, "name"]):
        x, y, half = (lon - west) * ppd, (north - lat) * MERCATOR_NL * ppd, len(name) * LABEL_CHAR_WIDTH / 2
        box = (x - half - 4, y - LABEL_SIZE, x + half + 4, y + LABEL_SIZE)
        if all(box[2] < b[0] or box[0] > b[2] or box[3] < b[1] or box[1] > b[3] for b in boxes):
            placed.append(index)
            boxes.append(box)
    return named.loc[placed, ["code", "lon", "lat", "name"]]


def area_fills(frame: pd.DataFrame, colours: Sequence[str]) -> pd.Series:
    """Each area's fill on the map, by code (``frame`` as :func:`choropleth_figure` takes it):
    its class colour, else the colour of water or of n.b."""
    water = frame["is_water"].astype(bool)
    return pd.Series([WATER_COLOUR if w else NO_DATA_COLOUR if pd.isna(k) else colours[int(k)]
                      for k, w in zip(frame["klass"], water)], index=frame["code"].to_numpy())


def _label_trace(labels: pd.DataFrame, fills: pd.Series) -> dict:
    """The names on the map: dark on light fills, white on dark ones (``fills``: each area's
    colour, by code); they take no hover or click, which go to the area beneath."""
    colours = ["#ffffff" if _is_dark(fills.get(code, NO_DATA_COLOUR)) else "#1b1b1b" for code in labels["code"]]
    return {"type": "scattergeo", "mode": "text", "lon": labels["lon"].round(5).tolist(),
            "lat": labels["lat"].round(5).tolist(), "text": labels["name"].tolist(), "hoverinfo": "skip",
            "textfont": {"size": LABEL_SIZE, "color": colours, "family": "DejaVu Sans, Arial, sans-serif"},
            "showlegend": False}


def _is_dark(colour: str) -> bool:
    """Whether white text reads better than dark on ``colour`` (#rrggbb), by WCAG's luminance."""
    channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    return (1.05 / (luminance + 0.05)) > ((luminance + 0.05) / 0.05)


def choropleth_figure(frame: pd.DataFrame, geojson_url: str, colours: Sequence[str], *,
                      uirevision: str = "", extent: Sequence[float] = (), highlight: str | None = None,
                      lang: str = DEFAULT_LANGUAGE, labels: pd.DataFrame | None = None) -> go.Figure:
    """A choropleth of ``frame`` on the polygons at ``geojson_url``.

    The map is fitted to the areas, or shows ``extent`` (west, south, east, north in degrees)
    when given: the view a user panned or zoomed to. ``highlight`` (an area code of the map)
    gets a dark outline: the area whose profile is open. ``labels`` (:func:`fitting_labels`)
    puts those areas' names on the map.

    ``frame`` has columns code, is_water, status, klass (class index 0..k-1 into ``colours``,
    <NA> where there is none) and hover (the hover text). Areas with a class are drawn in their
    class colour; water and areas without a class (n.b.) in their own colours.
    """
    water = frame["is_water"].astype(bool)
    classed = ~water & frame["klass"].notna()
    traces = []
    if classed.any():
        shown = frame[classed]
        traces.append(_trace(shown, geojson_url, shown["klass"].astype(int).tolist(),
                             _stepped_colorscale(colours), len(colours) - 0.5))
    for mask, colour in ((~water & ~classed, NO_DATA_COLOUR), (water, WATER_COLOUR)):
        if mask.any():
            part = frame[mask]
            traces.append(_trace(part, geojson_url, [0] * len(part), [[0, colour], [1, colour]], 0.5))
    if highlight is not None and (frame["code"] == highlight).any():
        clear = [[0, "rgba(0,0,0,0)"], [1, "rgba(0,0,0,0)"]]
        outline = _trace(frame[frame["code"] == highlight], geojson_url, [0], clear, 0.5,
                         line_colour=HIGHLIGHT_COLOUR, line_width=3)
        outline.update(hoverinfo="skip")
        del outline["hovertemplate"]
        traces.append(outline)
    if labels is not None and not labels.empty:
        traces.append(_label_trace(labels, area_fills(frame, colours)))
    geo = {"visible": False, "fitbounds": "locations", "projection": {"type": "mercator"},
           "bgcolor": "rgba(0,0,0,0)"}
    if extent:
        west, south, east, north = extent
        pad = GEO_CLIP_PAD  # so that exactly the extent is drawn
        geo.update(fitbounds=False, lonaxis={"range": [west - pad, east + pad]},
                   lataxis={"range": [south - pad, north + pad]},
                   center={"lon": (west + east) / 2, "lat": mercator_middle(south, north)})
    return _figure(traces, {
        "geo": geo, "margin": {"l": 0, "r": 0, "t": 0, "b": 0}, "separators": plotly_separators(lang), "showlegend": False,
        "uirevision": uirevision, "paper_bgcolor": "white",
        "font": {"family": "DejaVu Sans, Arial, sans-serif", "size": 12, "color": "#1b1b1b"},
        # plotly's "none" template, as a checked figure carries it (the default adds ~6 KB to a callback)
        "template": pio.templates["none"].to_plotly_json(),
        "height": MAP_HEIGHT,
    })


def empty_figure(message: str) -> go.Figure:
    fig = go.Figure()
    fig.update_layout(
        annotations=[dict(text=message, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper")],
        xaxis_visible=False, yaxis_visible=False, height=620, paper_bgcolor="white", template="none",
    )
    return fig
