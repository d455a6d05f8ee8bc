"""Pure figure functions: data in, ``go.Figure`` out. No Dash, no I/O.

The map is a ``go.Choropleth`` on an invisible geo (no base map, no tiles) whose geometry
is a URL: the browser fetches and caches each GeoJSON once, so a callback carries values only.
Areas are split over three traces so that "n.b." and water have their own colour and their
own legend entry, and never borrow a colour from the value scale.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from dashboard.formatting import format_value
from dashboard.i18n import t

#: Colour-blind-safe sequential scale (ColorBrewer YlOrRd), light = low.
SEQUENTIAL = "YlOrRd"
NO_DATA_COLOUR = "#bdbdbd"
WATER_COLOUR = "#dbe8f3"
BORDER_COLOUR = "#ffffff"


def hover_texts(frame: pd.DataFrame, unit: str, lang: str, decimals: int = 1) -> list[str]:
    """One hover label per area: name, code and the value with its unit, or why there is none."""
    texts = []
    for row in frame.itertuples(index=False):
        if row.is_water:
            value = t("map.water", lang)
        elif row.status == "ok":
            value = format_value(row.value, unit, decimals)
            if row.n_parts_with_data < row.n_parts:
                value += "<br>" + t("hover.incomplete", lang, n=int(row.n_parts_with_data), total=int(row.n_parts))
        else:
            value = t(f"hover.{'suppressed' if row.status == 'suppressed' else 'missing'}", lang)
        texts.append(f"<b>{row.name}</b> ({row.code})<br>{value}")
    return texts


def _significant(value: float, digits: int = 6) -> float:
    """Fewer bytes on the wire; the colour does not change at 6 significant digits."""
    return float(f"{value:.{digits}g}")


def _trace(frame: pd.DataFrame, texts: pd.Series, geojson_url: str, **style) -> go.Choropleth:
    return go.Choropleth(
        geojson=geojson_url,
        featureidkey="properties.code",
        locations=frame["code"].tolist(),
        text=texts.loc[frame.index].tolist(),
        hovertemplate="%{text}<extra></extra>",
        marker_line_color=BORDER_COLOUR,
        marker_line_width=0.6,
        **style,
    )


def choropleth_figure(frame: pd.DataFrame, geojson_url: str, *, unit: str, lang: str = "nl", decimals: int = 1,
                      title: str = "", uirevision: str = "") -> go.Figure:
    """A choropleth of ``frame`` (columns code, name, is_water, value, status, n_parts,
    n_parts_with_data) drawn on the polygons at ``geojson_url``."""
    texts = pd.Series(hover_texts(frame, unit, lang, decimals), index=frame.index)
    water = frame["is_water"].astype(bool)
    has_value = ~water & (frame["status"] == "ok")
    no_data = ~water & ~has_value
    traces = []
    if has_value.any():
        shown = frame[has_value]
        traces.append(_trace(
            shown, texts, geojson_url, name=unit, z=shown["value"].map(_significant).tolist(),
            colorscale=SEQUENTIAL, showscale=True,
            colorbar=dict(title=dict(text=unit, side="right"), thickness=14, len=0.75,
                          tickformat=f",.{decimals}f"),
        ))
    for mask, colour, label in ((no_data, NO_DATA_COLOUR, t("map.nodata", lang)),
                                (water, WATER_COLOUR, t("map.water", lang))):
        if mask.any():
            part = frame[mask]
            traces.append(_trace(part, texts, geojson_url, name=label, z=[0] * len(part),
                                 colorscale=[[0, colour], [1, colour]], showscale=False,
                                 showlegend=True))
    fig = go.Figure(traces)
    fig.update_layout(
        title=dict(text=title, x=0.01, font=dict(size=15)),
        geo=dict(visible=False, fitbounds="locations", projection_type="mercator",
                 bgcolor="rgba(0,0,0,0)"),
        margin=dict(l=0, r=0, t=40 if title else 0, b=0),
        separators=",.",
        legend=dict(orientation="h", x=0.01, y=0.01, bgcolor="rgba(255,255,255,0.7)"),
        uirevision=uirevision,
        paper_bgcolor="white",
        font=dict(family="DejaVu Sans, Arial, sans-serif", size=12, color="#1b1b1b"),
        template="none",  # plotly's default template would add ~6 KB to every callback
        height=620,
    )
    return fig


def empty_figure(message: str) -> go.Figure:
    fig = go.Figure()
    fig.update_layout(
        annotations=[dict(text=message, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper")],
        xaxis_visible=False, yaxis_visible=False, height=620, paper_bgcolor="white",
    )
    return fig
