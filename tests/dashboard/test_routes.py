"""The URL holds the whole view: parsing, writing and moving between maps."""

from __future__ import annotations

from dataclasses import replace

import pytest

from dashboard import routes
from dashboard.routes import on_screen, state_after
from dashboard.views import ui_revision

ANY_AREA = bool   # every non-empty code is an area
ZOOMED = routes.MapState(level="wijk", parent="GM0001", indicator="x", year=2024,
                         extent=(5.90845, 51.4632, 5.99302, 51.51586))


def test_an_extent_round_trips_through_the_url():
    text = routes.href(ZOOMED)
    assert "uitsnede=5.90845,51.46320,5.99302,51.51586" in text
    path, _, query = text.partition("?")
    assert routes.parse(path, "?" + query) == ZOOMED


@pytest.mark.parametrize("bad", ["1,2,3", "5,52,4,53", "5,53,6,52", "a,b,c,d", "5,52,200,53"])
def test_an_extent_that_is_not_a_box_is_ignored(bad):
    assert routes.parse("/kaart/wijk/GM0001", f"?uitsnede={bad}").extent == ()


def test_moving_to_another_map_drops_the_extent_and_selection_and_staying_keeps_them():
    selected = replace(ZOOMED, area="WK000101", compare=("WK000101", "WK000102"))
    assert routes.drill_down(selected, "WK000101").area is None
    assert routes.drill_down(selected, "WK000101").compare == selected.compare
    assert routes.drill_down(ZOOMED, "WK000101").extent == ()
    assert routes.view_of_area(ZOOMED, "RE01").extent == ()
    assert routes.view_showing(ZOOMED, "BU00010101").extent == ()
    assert routes.moved(ZOOMED, "wijk", "GM0001") is ZOOMED
    assert routes.moved(selected, "wijk", "GM0001") is selected


def test_a_reported_extent_counts_only_for_the_map_it_was_made_on():
    state = routes.MapState(level="wijk", parent="GM0001", indicator="x", year=2024)
    seen = {"view": ui_revision(state), "extent": [5.1, 52.0, 5.2, 52.1]}
    after = state_after(state, "map-extent", {"extent": seen}, [], ANY_AREA)
    assert after.extent == (5.1, 52.0, 5.2, 52.1) and on_screen(after, seen)
    other_map = {"view": "buurt/WK000101", "extent": [5.1, 52.0, 5.2, 52.1]}
    assert state_after(state, "map-extent", {"extent": other_map}, [], ANY_AREA) is None
    # a URL with an extent on a freshly opened page: nothing reported yet, so the map must draw it
    assert not on_screen(after, None)
    assert state_after(after, "map-extent", {"extent": seen}, [], ANY_AREA) is None  # no change


def test_selection_comparison_and_since_round_trip_through_the_url():
    state = routes.MapState(level="gemeente", parent="RE01", indicator="x", year=2024, mode="verandering",
                            since=2020, area="GM0001", compare=("GM0001", "GM0002", "GM0003"))
    text = routes.href(state)
    assert "gebied=GM0001" in text and "vergelijk=GM0001;GM0002;GM0003" in text and "sinds=2020" in text
    path, _, query = text.partition("?")
    assert routes.parse(path, "?" + query) == state
    assert routes.parse("/kaart/gemeente/RE01", "?vergelijk=gm1;gm2;gm1;;gm3;gm4;gm5").compare == (
        "GM1", "GM2", "GM3", "GM4")   # upper case, no repeats, at most four


def test_the_gemeente_page_has_its_own_stable_path():
    state = routes.parse("/gemeente/GM0363", "?jaar=2023&taal=en")
    assert (state.page, state.level, state.parent, state.year, state.lang) == ("gemeente", "wijk", "GM0363", 2023, "en")
    assert routes.path(state) == "/gemeente/GM0363"
    on_map = routes.map_of(state)
    assert routes.path(on_map) == "/kaart/wijk/GM0363" and on_map.area == "GM0363"
    assert routes.export_url(state, "png").startswith("/export/png/kaart/wijk/GM0363?")
    assert routes.path(routes.gemeente_page(ZOOMED, "GM0001")) == "/gemeente/GM0001"


def test_a_first_click_selects_and_a_second_drills_in():
    state = routes.MapState(level="gemeente", parent="RE01", indicator="x", year=2024)
    once = routes.selected(state, "GM0001")
    assert (once.level, once.parent, once.area) == ("gemeente", "RE01", "GM0001")
    twice = routes.selected(once, "GM0001")
    assert (twice.level, twice.parent) == ("wijk", "GM0001")
    assert routes.selected(once, "GM0002").area == "GM0002"


def test_compared_areas_are_of_one_level_and_at_most_four():
    state = routes.MapState()
    for code in ("GM0001", "GM0002", "GM0003", "GM0004", "GM0005"):
        state = routes.with_compared(state, code)
    assert state.compare == ("GM0002", "GM0003", "GM0004", "GM0005")
    assert routes.with_compared(state, "GM0003").compare == ("GM0002", "GM0004", "GM0005", "GM0003")
    assert routes.with_compared(state, "WK000101").compare == ("WK000101",)
    assert routes.without_compared(state, "GM0003").compare == ("GM0002", "GM0004", "GM0005")


def test_clicks_search_and_controls_move_the_state():
    state = routes.MapState(level="gemeente", parent="RE01", indicator="x", year=2024)
    land = {"GM0001", "WK000101"}.__contains__
    click = {"points": [{"location": "GM0001"}]}
    selected = state_after(state, "map", {"click": click}, [], land)
    assert selected.area == "GM0001"
    assert state_after(selected, "map", {"click": click}, [], land).level == "wijk"   # a second click drills in
    assert state_after(state, "map", {"click": {"points": [{"location": "GM0999"}]}}, [], land) is None
    found = state_after(state, "search", {"search": "WK000101"}, [], land)
    assert (found.level, found.parent, found.area) == ("buurt", "WK000101", "WK000101")
    assert state_after(state, "search", {"search": None}, [], land) is None
    assert state_after(state, "indicator", {"indicator": "theme:drugs"}, [], land) is None   # a theme heading
    manual = state_after(state, "class-breaks", {"class-breaks": "10; 2,5"}, [], land)
    assert manual.breaks == (2.5, 10.0) and manual.classes == "handmatig"
    assert routes.control_value(manual, "breaks") == "2,5; 10"
    weighted = state_after(state, {"type": "weight", "theme": "drugs"}, {"weights": [2, 1, None]},
                           ["drugs", "vastgoed", "economie"], land)
    assert weighted.weights == (("drugs", 2.0),)
