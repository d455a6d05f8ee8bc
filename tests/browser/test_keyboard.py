"""The map behaves (issue 16): the wheel scrolls the page and Ctrl+wheel zooms the map, an
opened profile is in view, Escape closes it, and a skip link leads past the header to the map."""

from __future__ import annotations

import re

import pytest

from tests.browser.mapdriver import children, clickable_child, select_area, wait_for_codes

pytestmark = pytest.mark.browser

INDICATOR = "misdrijven_per_1000_inwoners"
SCALE = "() => document.querySelector('#map .js-plotly-plot')._fullLayout.geo.projection.scale"


def test_the_wheel_scrolls_the_page_over_the_map_and_ctrl_wheel_zooms_it(live_demo, demo_warehouse, browser):
    wh = demo_warehouse
    gemeente = clickable_child(wh, "gemeente", clickable_child(wh, "regio", "NL01"))
    context = browser.new_context(viewport={"width": 1280, "height": 600})
    page = context.new_page()
    try:
        page.goto(f"{live_demo.url}/kaart/wijk/{gemeente}?indicator={INDICATOR}")
        wait_for_codes(page, children(wh, "wijk", gemeente))

        def over_map():   # the mouse on the part of the map that is in view
            box = page.locator("#map .geo").first.bounding_box()
            top, bottom = max(box["y"], 0), min(box["y"] + box["height"], 600)
            page.mouse.move(box["x"] + box["width"] / 2, (top + bottom) / 2)
        scale = page.evaluate(SCALE)   # None while plotly fits the map to its areas
        over_map()
        page.mouse.wheel(0, 300)
        page.wait_for_function("() => window.scrollY > 0")           # the page scrolled
        assert page.evaluate(SCALE) == scale and "uitsnede=" not in page.url   # the map did not zoom
        over_map()
        page.keyboard.down("Control")
        page.mouse.wheel(0, -200)
        page.keyboard.up("Control")
        page.wait_for_function(f"() => ({SCALE})() > 0")                 # plotly zoomed in
        page.wait_for_url(re.compile(r"uitsnede="))                    # and the zoomed view is in the URL
        zoomed = page.evaluate(SCALE)
        over_map()
        page.keyboard.down("Control")
        page.mouse.wheel(0, 200)
        page.keyboard.up("Control")
        page.wait_for_function(f"(zoomed) => ({SCALE})() < zoomed", arg=zoomed)   # and out again
        assert page.locator('#map .modebar-btn[data-title="Share chart..."]').count() == 0   # no upload
    finally:
        context.close()


def test_a_clicked_area_opens_its_profile_in_view_and_escape_closes_it(live_demo, demo_warehouse, browser):
    wh = demo_warehouse
    region = clickable_child(wh, "regio", "NL01")
    gemeente = clickable_child(wh, "gemeente", region)
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    try:
        page.goto(f"{live_demo.url}/kaart/gemeente/{region}?indicator={INDICATOR}")
        wait_for_codes(page, children(wh, "gemeente", region))
        select_area(page, gemeente)
        page.wait_for_function("""() => { const r = document.getElementById('profile').getBoundingClientRect();
            return r.top >= 0 && r.top < window.innerHeight - 80; }""")   # its heading is on screen
        profile, shown = page.locator("#profile").bounding_box(), page.locator("#map").bounding_box()
        assert profile["x"] >= shown["x"] + shown["width"]       # a side panel beside the map on a wide screen
        assert profile["x"] + profile["width"] <= 1440
        page.locator("body").press("Escape")
        page.wait_for_url(lambda url: "gebied=" not in url)
        page.locator("#profile").wait_for(state="hidden")
    finally:
        context.close()


def test_the_skip_link_is_the_first_stop_and_leads_to_the_map(live_demo, demo_warehouse, recording):
    page = recording.page
    page.goto(f"{live_demo.url}/kaart/gemeente/NL01?indicator={INDICATOR}")
    wait_for_codes(page, children(demo_warehouse, "gemeente", "NL01"))
    page.keyboard.press("Tab")
    focused = page.evaluate("() => [document.activeElement.className, document.activeElement.innerText]")
    assert focused == ["skip-link", "Naar de kaart"]
    assert page.locator(".skip-link").bounding_box()["x"] >= 0         # visible once focused
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.activeElement.id === 'map-heading'")
    assert recording.foreign_requests() == [] and recording.errors == []


def tab_to(page, selector: str, limit: int = 150) -> None:
    """Press Tab (keyboard only) until the focus is on ``selector``; fail when it never gets there."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def test_national_to_a_buurt_and_its_profile_by_keyboard_only(live_demo, demo_warehouse, recording):
    """The list beside the map holds every area of the map with its value and two links: its
    map below and its profile; the focus follows where a link leads."""
    wh, page = demo_warehouse, recording.page
    region = clickable_child(wh, "regio", "NL01")
    gemeente = clickable_child(wh, "gemeente", region)
    wijk = clickable_child(wh, "wijk", gemeente)
    buurt = children(wh, "buurt", wijk)[0]
    page.goto(f"{live_demo.url}/?indicator={INDICATOR}")
    wait_for_codes(page, children(wh, "regio", "NL01"))
    page.locator("#area-list-body li").first.wait_for()
    listed = page.locator("#area-list-body li").evaluate_all("items => items.map(li => li.dataset.code)")
    assert sorted(listed) == sorted(children(wh, "regio", "NL01"))        # every area of the map
    for code, level in ((region, "gemeente"), (gemeente, "wijk"), (wijk, "buurt")):
        tab_to(page, f"#area-list-body li[data-code='{code}'] a[data-then='map']")
        page.keyboard.press("Enter")
        wait_for_codes(page, children(wh, level, code))
        page.wait_for_function("() => document.activeElement.id === 'map-heading'")   # the focus went along
        page.locator(f"#area-list-body li[data-code='{children(wh, level, code)[0]}']").wait_for()
    tab_to(page, f"#area-list-body li[data-code='{buurt}'] a[data-then='profile']")
    assert page.evaluate("() => document.activeElement.textContent") == f"Profiel van {wh.name(buurt)}"
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.activeElement.id === 'profile-title'")
    assert f"({buurt})" in page.locator("#profile-title").inner_text()
    assert f"gebied={buurt}" in page.url
    page.keyboard.press("Escape")                                          # and Escape closes it
    page.locator("#profile").wait_for(state="hidden")
    assert recording.foreign_requests() == [] and recording.errors == []


def test_the_list_shows_the_maps_values_in_the_chosen_order(live_demo, demo_warehouse, recording):
    from data_pipeline.warehouse import Scope
    from dashboard.formatting import format_number

    wh, page = demo_warehouse, recording.page
    gemeente = clickable_child(wh, "gemeente", clickable_child(wh, "regio", "NL01"))
    page.goto(f"{live_demo.url}/kaart/buurt/{gemeente}?indicator={INDICATOR}")
    wait_for_codes(page, children(wh, "buurt", gemeente))
    rows = wh.table("buurt", gemeente, INDICATOR, wh.years[-1], Scope())
    decimals = wh.catalog.get(INDICATOR).decimals
    shown = rows[rows["status"] == "ok"].sort_values(["value", "name"], ascending=[False, True])
    items = page.locator("#area-list-body li")
    items.first.wait_for()
    texts = items.evaluate_all("lis => lis.map(li => [li.dataset.code, li.querySelector('.bar-value').innerText])")
    # highest first, each with the value the map shows; the areas without one after them
    assert texts[:len(shown)] == [[c, format_number(v, decimals)] for c, v in zip(shown["code"], shown["value"])]
    for code in rows.loc[rows["status"] == "suppressed", "code"]:   # hidden stays hidden
        assert dict(texts)[code].startswith("n.b.")
    page.get_by_label("Op naam").check()
    page.wait_for_function("(first) => document.querySelector('#area-list-body li').dataset.code === first",
                           arg=rows.sort_values(["name", "code"])["code"].iloc[0])
