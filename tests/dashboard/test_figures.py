"""The map figure as data: three polygons, no browser."""

import pandas as pd

from dashboard.figures import NO_DATA_COLOUR, WATER_COLOUR, choropleth_figure, hover_texts

FRAME = pd.DataFrame({
    "code": ["GM0001", "GM0002", "GM0003", "GM0004"],
    "name": ["Aa", "Bee", "Cee", "Dee"],
    "is_water": [False, False, False, True],
    "value": [1234.56, None, None, None],
    "status": ["ok", "suppressed", "missing", "missing"],
    "n_parts": [10, 1, 3, None],
    "n_parts_with_data": [9, 1, 0, None],
})


def test_values_nodata_and_water_are_separate_traces_on_the_geometry_url():
    fig = choropleth_figure(FRAME, "/geo/b1/gemeente/RE01.json", unit="per 1.000 inwoners")
    values, nodata, water = fig.data
    assert list(values.locations) == ["GM0001"] and list(values.z) == [1234.56]
    assert list(nodata.locations) == ["GM0002", "GM0003"]
    assert nodata.colorscale[0][1] == NO_DATA_COLOUR and nodata.name == "n.b."
    assert list(water.locations) == ["GM0004"] and water.colorscale[0][1] == WATER_COLOUR
    assert all(t.geojson == "/geo/b1/gemeente/RE01.json" for t in fig.data)
    assert all(t.featureidkey == "properties.code" for t in fig.data)
    assert fig.layout.separators == ",." and fig.layout.geo.visible is False


def test_hover_shows_dutch_numbers_and_nb_never_a_value_for_hidden_areas():
    texts = hover_texts(FRAME, "per 1.000 inwoners", "nl")
    assert "1.234,6 per 1.000 inwoners" in texts[0]
    assert "9 van 10 buurten" in texts[0]
    assert "n.b." in texts[1] and "n.b." in texts[2]
    assert "water" in texts[3]
    english = hover_texts(FRAME, "per 1,000 inhabitants", "en")
    assert "n/a" in english[1] and "9 of 10" in english[0]
