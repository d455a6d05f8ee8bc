"""The URL holds the whole view: parsing, writing and moving between maps."""

from __future__ import annotations

import pytest

from dashboard import routes
from dashboard.callbacks.map import on_screen, state_after
from dashboard.views import ui_revision

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


def test_moving_to_another_map_drops_the_extent_and_staying_keeps_it():
    assert routes.drill_down(ZOOMED, "WK000101").extent == ()
    assert routes.view_of_area(ZOOMED, "RE01").extent == ()
    assert routes.view_showing(ZOOMED, "BU00010101").extent == ()
    assert routes.moved(ZOOMED, "wijk", "GM0001") is ZOOMED


def test_a_reported_extent_counts_only_for_the_map_it_was_made_on(tiny_warehouse):
    state = routes.MapState(level="wijk", parent="GM0001", indicator="x", year=2024)
    seen = {"view": ui_revision(state), "extent": [5.1, 52.0, 5.2, 52.1]}
    after = state_after(tiny_warehouse, state, "map-extent", {"extent": seen}, [])
    assert after.extent == (5.1, 52.0, 5.2, 52.1) and on_screen(after, seen)
    other_map = {"view": "buurt/WK000101", "extent": [5.1, 52.0, 5.2, 52.1]}
    assert state_after(tiny_warehouse, state, "map-extent", {"extent": other_map}, []) is None
    # a URL with an extent on a freshly opened page: nothing reported yet, so the map must draw it
    assert not on_screen(after, None)
    assert state_after(tiny_warehouse, after, "map-extent", {"extent": seen}, []) is None  # no change
