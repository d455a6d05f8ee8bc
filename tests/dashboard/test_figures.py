"""The map figure and legend as data: a handful of polygons, no browser."""

import pandas as pd
import plotly.graph_objects as go

from dashboard.figures import (GEO_CLIP_PAD, NO_DATA_COLOUR, WATER_COLOUR, choropleth_figure, class_bounds_labels,
                               hover_texts, legend_entries)

FRAME = pd.DataFrame({
    "code": ["GM0001", "GM0005", "GM0002", "GM0003", "GM0004"],
    "name": ["Aa", "Ee", "Bee", "Cee", "Dee"],
    "is_water": [False, False, False, False, True],
    "value": [1234.56, 2.0, None, None, None],
    "status": ["ok", "ok", "suppressed", "missing", "missing"],
    "n_parts": [10, 4, 1, 3, None],
    "n_parts_with_data": [9, 4, 1, 0, None],
})
COLOURS = ["#fff5eb", "#fd8d3c", "#7f2704"]


def classed(frame):
    out = frame.copy()
    out["klass"] = pd.array([2, 0, None, None, None], dtype="Int64")
    out["hover"] = hover_texts(frame, "per 1.000 inwoners", "nl")
    return out


def test_classes_nodata_and_water_are_separate_traces_on_the_geometry_url():
    fig = choropleth_figure(classed(FRAME), "/geo/b1/gemeente/RE01.json", COLOURS)
    values, nodata, water = fig.data
    assert list(values.locations) == ["GM0001", "GM0005"] and list(values.z) == [2, 0]
    # class i is drawn in exactly colours[i]: the stepped scale maps (i + 0.5) / k to it
    scale = dict((round(stop, 6), colour) for stop, colour in values.colorscale)
    assert scale[0.0] == COLOURS[0] and scale[1.0] == COLOURS[2]
    assert (values.zmin, values.zmax) == (-0.5, 2.5)
    assert list(nodata.locations) == ["GM0002", "GM0003"] and nodata.colorscale[0][1] == NO_DATA_COLOUR
    assert list(water.locations) == ["GM0004"] and water.colorscale[0][1] == WATER_COLOUR
    assert all(t.geojson == "/geo/b1/gemeente/RE01.json" and t.featureidkey == "properties.code" for t in fig.data)
    assert fig.layout.separators == ",." and fig.layout.geo.visible is False


def test_hover_shows_dutch_numbers_and_nb_never_a_value_for_hidden_areas():
    texts = hover_texts(FRAME, "per 1.000 inwoners", "nl")
    assert "1.234,6 per 1.000 inwoners" in texts[0]
    assert "9 van 10 buurten" in texts[0] and "van" not in texts[1].split("<br>")[-1]
    assert texts[2].endswith("n.b. (afgeschermd: te klein of ter bescherming)") and "n.b." in texts[3]
    assert "water" in texts[4]
    english = hover_texts(FRAME, "per 1,000 inhabitants", "en")
    assert "n/a" in english[2] and "9 of 10" in english[0]


def test_one_list_of_colours_feeds_map_and_legend_with_nb_and_water_entries():
    labels = class_bounds_labels([0.0, 2.5, 10.0, 1234.5], 1)
    assert labels == ["0,0 – 2,5", "2,5 – 10,0", "10,0 – 1.234,5"]
    entries = legend_entries(COLOURS, labels, FRAME, "nl")
    assert entries[:3] == list(zip(COLOURS, labels))
    assert entries[3] == (NO_DATA_COLOUR, "n.b. (onbekend of afgeschermd)") and entries[4][0] == WATER_COLOUR
    no_hidden = FRAME[FRAME["status"] == "ok"]
    assert legend_entries(COLOURS, labels, no_hidden, "nl") == list(zip(COLOURS, labels))


def test_the_unchecked_figure_is_one_plotly_accepts_property_by_property():
    frame = classed(FRAME)
    for kwargs in ({}, {"extent": (4.0, 51.0, 6.0, 53.0), "highlight": "GM0001"}):
        fig = choropleth_figure(frame, "/geo/b1/gemeente/RE01.json", COLOURS, uirevision="x", **kwargs)
        checked = go.Figure(fig.to_plotly_json())   # validated: raises on any unknown property or value
        assert checked.to_plotly_json() == fig.to_plotly_json()
    assert fig.data[-1].marker.line.width == 3 and fig.data[-1].hoverinfo == "skip"
    assert list(fig.layout.geo.lonaxis.range) == [4.0 - GEO_CLIP_PAD, 6.0 + GEO_CLIP_PAD]


def test_names_go_where_they_fit_and_read_against_their_fill(demo_warehouse):
    from dashboard import routes
    from dashboard.views import map_view, resolve_state
    from data_pipeline.warehouse import Scope

    wh = demo_warehouse
    region = wh.areas_frame(["gemeente"]).groupby("parent_code").size().idxmax()
    state = resolve_state(wh, routes.parse(f"/kaart/gemeente/{region}", "indicator=misdrijven_per_1000_inwoners"))
    view = map_view(wh, state, Scope.everything())
    names = [trace for trace in view.figure.data if trace.type == "scattergeo"]
    assert len(names) == 1 and names[0].mode == "text" and names[0].hoverinfo == "skip"
    shown = dict(zip(names[0].text, names[0].textfont.color))
    areas = view.areas.set_index("name")
    assert 0 < len(shown) < len(areas) and set(shown) <= set(areas.index)   # some names, not all
    for name, colour in shown.items():   # WCAG's 4.5:1 against the area's own fill
        assert contrast(colour, areas.loc[name, "colour"]) >= 4.5, (name, colour)
    # zoomed in to one area's box, its name fits
    area = wh.label_points(state.level, state.parent, Scope.everything()).iloc[0]
    zoomed = routes.MapState(**{**vars(state), "extent": (area.west, area.south, area.east, area.north)})
    assert wh.name(area.code) in next(t for t in map_view(wh, zoomed, Scope.everything()).figure.data
                                      if t.type == "scattergeo").text


def contrast(one: str, other: str) -> float:
    def luminance(colour):
        c = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
        c = [v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4 for v in c]
        return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]
    high, low = sorted((luminance(one), luminance(other)), reverse=True)
    return (high + 0.05) / (low + 0.05)
