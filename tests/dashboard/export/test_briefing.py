"""The one-page area briefing: its content (no browser) and the PDF (Chromium via kaleido).

The PDF is opened and read (tests/pdfinspect.py): one A4 page, vectors only, and the texts a
reader needs. Browser tests skip locally without Chromium and fail on CI (tests/requirements.py).
"""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from dashboard.export import Renderer, briefing
from dashboard.export.page import drawn_bounds
from dashboard.figures import GEO_CLIP_PAD
from dashboard.formatting import format_count, format_number, missing_text
from data_pipeline.analysis import method_columns
from data_pipeline.warehouse import NotFound, Scope
from geodata.codes import LAND_CODE
from tests import pdfinspect
from tests.dashboard.export.conftest import area_traces
from tests.requirements import export_browser_path as chromium_path

EVERYTHING = Scope.everything()
MARKING = "Vertrouwelijk — alleen voor intern gebruik"
NOW = datetime(2024, 11, 28, 16, 23, tzinfo=timezone.utc)


def flat(text: str) -> str:
    """PDF text with line breaks as spaces (wrapped labels read as one)."""
    return " ".join(text.split())


def published(warehouse, level, code, indicator, year):
    row = warehouse.table(level, code, indicator, year, EVERYTHING).iloc[0]
    return row["value"] if row["status"] == "ok" else None


@pytest.fixture(scope="module")
def gemeente(demo_warehouse):
    """A demo gemeente with several wijken."""
    areas = demo_warehouse.areas_frame()
    wijken = areas[areas["level"] == "wijk"].groupby("parent_code").size()
    return str(wijken[wijken >= 2].index[0])


@pytest.fixture(scope="module")
def renderer():
    r = Renderer(chromium_path())
    yield r
    r.close()


# -- content (no browser) -----------------------------------------------------------------------

def test_unknown_codes_years_and_the_land_are_clear_errors(demo_warehouse):
    with pytest.raises(NotFound, match="Onbekend gebied 'GM9999'"):
        briefing.briefing_data(demo_warehouse, "GM9999", None, scope=EVERYTHING)
    with pytest.raises(NotFound, match="Onbekend gebied 'Amsterdam'"):
        briefing.briefing_pdf(demo_warehouse, "Amsterdam", None, scope=EVERYTHING)
    with pytest.raises(NotFound, match="GM9999"):
        briefing.briefing_filename(demo_warehouse, "GM9999", None)
    with pytest.raises(NotFound, match="Geen gegevens voor 1999"):
        briefing.briefing_data(demo_warehouse, "RE01", 1999, scope=EVERYTHING)
    with pytest.raises(ValueError, match="niet over heel"):
        briefing.briefing_data(demo_warehouse, LAND_CODE, None, scope=EVERYTHING)


def test_table_holds_the_published_values_of_the_area_its_region_and_nl(demo_warehouse, gemeente):
    year = demo_warehouse.years[-1]
    b = briefing.briefing_data(demo_warehouse, gemeente, None, scope=EVERYTHING, now=NOW)
    regio = demo_warehouse.area(gemeente).parent_code
    assert b.code == gemeente and b.level == "gemeente" and b.year == year
    assert b.title == f"Ondermijningsbeeld — {b.name} ({gemeente}), {year}"
    assert b.place == f"gemeente in {demo_warehouse.name(regio)}"
    assert [c.code for c in b.columns] == [gemeente, regio, LAND_CODE]

    order = list(demo_warehouse.catalog.themes)
    rates = sorted((i for i in demo_warehouse.catalog.indicators if not i.is_count), key=lambda i: order.index(i.theme))
    assert len(rates) <= briefing.MAX_ROWS and b.omitted == 0
    assert [r.indicator.id for r in b.rows] == [i.id for i in rates]  # every rate, grouped by theme
    assert [theme for theme, _ in b.groups] == list(dict.fromkeys(
        demo_warehouse.catalog.themes[i.theme]["nl"] for i in rates))
    for row in b.rows:
        ind = row.indicator
        assert row.label == f"{ind.label_nl} ({ind.unit_nl})"
        expected = [published(demo_warehouse, "gemeente", gemeente, ind.id, year),
                    published(demo_warehouse, "regio", regio, ind.id, year),
                    published(demo_warehouse, "land", LAND_CODE, ind.id, year)]
        assert list(row.values) == expected
        assert list(row.cells) == [format_number(v, ind.decimals) for v in expected]
        table = demo_warehouse.table("gemeente", gemeente, ind.id, year, EVERYTHING)
        ranked = method_columns(demo_warehouse, table, "gemeente", ind.id, year).iloc[0]
        assert row.rank == f"{format_count(ranked['rank'])} van {format_count(ranked['n_ranked'])}"
    assert 3 <= len(b.trends) <= briefing.MAX_TRENDS
    for trend in b.trends:
        assert trend.years == tuple(demo_warehouse.years)
        assert trend.nl == tuple(published(demo_warehouse, "land", LAND_CODE, trend.indicator.id, y)
                                 for y in trend.years)
    assert b.state.mode == "score" and b.state.level == "wijk" and b.state.parent == gemeente
    assert "geen bewijs" in b.meta.caveat and b.meta.demo and "gebiedsindeling 2024" in b.meta.sources


def test_a_buurt_gets_its_wijks_sheet_with_a_column_for_the_buurt(demo_warehouse):
    buurt = demo_warehouse.codes("buurt", water=True)[0]
    wijk = demo_warehouse.area(buurt).parent_code
    b = briefing.briefing_data(demo_warehouse, buurt, None, scope=EVERYTHING)
    assert b.code == wijk and b.level == "wijk" and b.requested == buurt
    assert [c.code for c in b.columns][:2] == [buurt, wijk] and b.columns[-1].code == LAND_CODE
    assert buurt in b.requested_line and b.state.level == "buurt" and b.state.parent == wijk
    assert briefing.briefing_filename(demo_warehouse, buurt, None) == briefing.briefing_filename(
        demo_warehouse, wijk, None)
    assert briefing.briefing_filename(demo_warehouse, wijk, 2022).startswith(f"ondermijningsbeeld-{wijk}-")
    assert briefing.briefing_filename(demo_warehouse, wijk, 2022).endswith("-2022.pdf")


def test_hidden_values_read_nb_never_zero(tiny_warehouse):
    # BU00020100: too few inhabitants; BU00010200: no crime figure. Their wijken are published.
    for buurt, wijk in (("BU00020100", "WK000201"), ("BU00010200", "WK000102")):
        b = briefing.briefing_data(tiny_warehouse, buurt, 2024, scope=EVERYTHING)
        (row,) = b.rows  # the tiny catalog has one rate and one count
        assert b.code == wijk and row.indicator.id == "misdrijven_per_1000_inwoners"
        assert row.values[0] is None and row.cells[0] == missing_text()
        assert row.values[1] == published(tiny_warehouse, "wijk", wijk, row.indicator.id, 2024)
        assert "0,0" not in row.cells
    # On the wijk's sheet the map shows both buurten as n.b.
    assert any("n.b." in label for _, label in b.view.legend)


def test_the_map_frame_leaves_room_for_plotlys_clip_pad(tiny_warehouse):
    """plotly.js draws geo ranges less 0.001° per side: without room for that a wijk's buurten are cropped."""
    b = briefing.briefing_data(tiny_warehouse, "WK000101", 2024, scope=EVERYTHING)
    fig = briefing.compose_briefing(b)
    x0, y0, x1, y1 = drawn_bounds(b.geojson, {c for t in area_traces(b.view.figure) for c in t.locations})
    lon, lat = fig.layout.geo.lonaxis.range, fig.layout.geo.lataxis.range
    pad = GEO_CLIP_PAD
    assert lon[0] + pad < x0 and lon[1] - pad > x1 and lat[0] + pad < y0 and lat[1] - pad > y1
    assert fig.layout.width == pytest.approx(793.7, abs=0.1) and fig.layout.height == pytest.approx(1122.5, abs=0.1)


def test_a_value_map_and_english(demo_warehouse, gemeente):
    b = briefing.briefing_data(demo_warehouse, gemeente, 2022, scope=EVERYTHING, lang="en",
                               indicator="misdrijven_per_1000_inwoners")
    assert b.state.mode == "waarde" and b.state.indicator == "misdrijven_per_1000_inwoners" and b.year == 2022
    assert b.trends[0].indicator.id == "misdrijven_per_1000_inwoners"
    assert b.place.startswith("municipality in ") and "not proof" in b.meta.caveat
    assert all(" of " in row.rank or row.rank == missing_text() for row in b.rows)
    assert b.rows[0].label == f"{b.rows[0].indicator.label_en} ({b.rows[0].indicator.unit_en})"
    with pytest.raises(KeyError, match="unknown indicator"):
        briefing.briefing_data(demo_warehouse, gemeente, None, scope=EVERYTHING, indicator="nope")


# -- the PDF --------------------------------------------------------------------------------------

def test_demo_briefing_is_one_vector_a4_page_with_the_figures(renderer, demo_warehouse, gemeente):
    b = briefing.briefing_data(demo_warehouse, gemeente, None, scope=EVERYTHING, marking=MARKING, now=NOW)
    pdf = briefing.briefing_pdf(demo_warehouse, gemeente, None, scope=EVERYTHING, marking=MARKING, now=NOW,
                                renderer_=renderer)
    assert pdf[:5] == b"%PDF-" and pdfinspect.page_count(pdf) == 1
    x0, y0, x1, y1 = pdfinspect.media_box(pdf)
    assert x1 - x0 == pytest.approx(595.3, abs=1.5) and y1 - y0 == pytest.approx(841.9, abs=1.5)  # A4 in points
    assert not pdfinspect.has_raster_images(pdf)
    ops = pdfinspect.path_operators(pdf)
    n_areas = sum(len(t.locations) for t in area_traces(b.view.figure))
    assert ops.get("m", 0) >= n_areas and ops.get("f", 0) >= n_areas  # the map is drawn as paths

    text = pdfinspect.text(pdf)
    lines, words = set(text.splitlines()), flat(text)
    year = str(b.year)
    for needle in (b.title, b.name, year, b.place, "Synthetisch demoland", "DEMO-47018", "gebiedsindeling 2024",
                   "geen bewijs", "Risicosignaal", "28-11-2024 17:23 CET", b.meta.attribution, MARKING,
                   *(label for _, label in b.view.legend)):
        assert needle in words, needle
    assert "synthetische gegevens" in words.lower()
    assert words.count(MARKING) == 2  # top and bottom
    for theme, rows in b.groups:
        assert theme in lines
        for row in rows:
            assert row.label in words, row.label
            assert row.rank in lines, row.rank
            for cell in row.cells:  # this gemeente, its region, NL: each its own text
                assert cell in lines, (row.label, cell)
    regio = demo_warehouse.area(gemeente).parent_code
    ind = b.rows[0].indicator
    for level, code in (("regio", regio), ("land", LAND_CODE)):
        assert format_number(published(demo_warehouse, level, code, ind.id, b.year), ind.decimals) in lines
    for trend in b.trends:
        assert f"{trend.indicator.label_nl} ({trend.indicator.unit_nl})" in words


def test_hidden_values_read_nb_in_the_pdf(renderer, tiny_warehouse):
    pdf = briefing.briefing_pdf(tiny_warehouse, "BU00020100", 2024, scope=EVERYTHING, marking="", renderer_=renderer)
    assert pdfinspect.page_count(pdf) == 1 and not pdfinspect.has_raster_images(pdf)
    text = pdfinspect.text(pdf)
    words, lines = flat(text), set(text.splitlines())
    assert "Ondermijningsbeeld — Wijk 0201 (WK000201), 2024" in words  # the buurt's wijk
    assert "BU00020100" in words and "wijk in gemeente Gemeente 2, Regio Een" in words
    assert missing_text() in lines and "n.b. (onbekend of afgeschermd)" in words
    assert "Testbron (TEST-1)" in words and "Testdata" in words and "geen bewijs" in words
    assert "Synthetische" not in words  # test data, not the demo
