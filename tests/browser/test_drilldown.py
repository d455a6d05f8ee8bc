"""The foundation walk-through in a real headless Chromium, on the demo country."""

from __future__ import annotations

import re

import pytest

from dashboard.formatting import format_number
from data_pipeline.warehouse import Scope
from tests.browser.mapdriver import (children, click_area, clickable_child, drill_into, hover_text, painted_codes,
                                     wait_for_codes)

pytestmark = pytest.mark.browser


def test_drill_down_breadcrumbs_history_and_shared_url_stay_on_localhost(live_demo, demo_warehouse, recording):
    wh, page = demo_warehouse, recording.page
    page.goto(live_demo.url + "/")
    page.wait_for_url(re.compile(r"/kaart/regio/NL01\?indicator=\w+&jaar=\d{4}$"))
    wait_for_codes(page, children(wh, "regio", "NL01"))

    region = clickable_child(wh, "regio", "NL01")
    drill_into(page, region)
    page.wait_for_url(re.compile(rf"/kaart/gemeente/{region}\?"))
    wait_for_codes(page, children(wh, "gemeente", region))

    gemeente = clickable_child(wh, "gemeente", region)
    drill_into(page, gemeente)
    page.wait_for_url(re.compile(rf"/kaart/wijk/{gemeente}\?"))
    wait_for_codes(page, children(wh, "wijk", gemeente))

    wijk = clickable_child(wh, "wijk", gemeente)
    drill_into(page, wijk)
    page.wait_for_url(re.compile(rf"/kaart/buurt/{wijk}\?"))
    wait_for_codes(page, children(wh, "buurt", wijk))
    crumbs = page.locator("#breadcrumbs")
    for code in (region, gemeente, wijk):
        assert wh.name(code) in crumbs.inner_text()
    shared_url = page.url

    # a buurt is the bottom: the map stays and says so
    buurt = next(c for c in children(wh, "buurt", wijk) if not wh.area(c).is_water)
    drill_into(page, buurt)
    page.wait_for_function("(name) => document.querySelector('#map-notice').innerText.includes(name)",
                           arg=wh.name(buurt))
    assert page.url.split("?")[0] == shared_url.split("?")[0]
    wait_for_codes(page, children(wh, "buurt", wijk))
    bottom_url = page.url   # the buurt map with the buurt's profile open

    # a breadcrumb goes back up to the region's gemeenten
    crumbs.get_by_role("link", name=wh.name(region), exact=True).click()
    page.wait_for_url(re.compile(rf"/kaart/gemeente/{region}\?"))
    wait_for_codes(page, children(wh, "gemeente", region))

    # browser back and forward follow the URL
    page.go_back()
    page.wait_for_url(bottom_url)
    wait_for_codes(page, children(wh, "buurt", wijk))
    page.go_forward()
    page.wait_for_url(re.compile(rf"/kaart/gemeente/{region}\?"))
    wait_for_codes(page, children(wh, "gemeente", region))

    # a copied link opens the same view in a fresh page
    other = page.context.new_page()
    other.goto(shared_url)
    wait_for_codes(other, children(wh, "buurt", wijk))
    heading = other.locator("#map-heading").inner_text()
    assert wh.name(wijk) in heading and shared_url.split("jaar=")[1][:4] in heading

    assert recording.foreign_requests() == []
    assert recording.errors == []


def test_indicator_and_year_change_the_url_and_the_values(live_demo, demo_warehouse, recording):
    wh, page = demo_warehouse, recording.page
    page.goto(live_demo.url + "/kaart/gemeente/NL01")
    wait_for_codes(page, children(wh, "gemeente", "NL01"))
    first_year = wh.years[0]
    page.locator("#year").click()
    page.get_by_role("option", name=str(first_year), exact=True).click()
    page.wait_for_url(re.compile(rf"jaar={first_year}"))
    assert str(first_year) in page.locator("#map-heading").inner_text()
    second = wh.catalog.indicators[1]
    page.locator("#indicator").click()
    page.get_by_role("option", name=second.label_nl).click()
    page.wait_for_url(re.compile(rf"indicator={second.id}"))
    page.wait_for_function("(label) => document.querySelector('#map-heading').innerText.startsWith(label)",
                           arg=second.label_nl)
    assert painted_codes(page) == children(wh, "gemeente", "NL01")
    assert recording.foreign_requests() == [] and recording.errors == []


def test_hover_shows_name_code_and_dutch_value_or_nb(live_demo, demo_warehouse, recording):
    wh, page = demo_warehouse, recording.page
    gemeente = clickable_child(wh, "gemeente", clickable_child(wh, "regio", "NL01"))
    ind = wh.catalog.get("misdrijven_per_1000_inwoners")
    year = wh.years[-1]
    page.goto(f"{live_demo.url}/kaart/buurt/{gemeente}?indicator={ind.id}&jaar={year}")
    frame = wh.map_values("buurt", gemeente, ind.id, year, Scope.everything())
    wait_for_codes(page, frame["code"])
    shown = frame[frame["status"] == "ok"].sort_values("value").iloc[-1]
    text = hover_text(page, shown["code"])
    assert shown["name"] in text and shown["code"] in text
    assert f"{format_number(shown['value'])} {ind.unit_nl}" in text
    hidden = frame[(frame["status"] != "ok") & ~frame["is_water"]]
    if len(hidden):
        page.mouse.move(0, 0)
        assert "n.b." in hover_text(page, hidden.iloc[0]["code"])


def test_english_toggle_and_back(live_demo, demo_warehouse, recording):
    page = recording.page
    page.goto(live_demo.url + "/kaart/regio/NL01")
    wait_for_codes(page, children(demo_warehouse, "regio", "NL01"))
    year_label = page.locator("label", has=page.locator("#year")).locator("span").first
    assert year_label.inner_text() == "Jaar"
    page.get_by_role("link", name="English").click()
    page.wait_for_url(re.compile(r"taal=en"))
    page.get_by_text("Number of classes", exact=True).wait_for()
    assert year_label.inner_text() == "Year"
    assert "RIEC regions" in page.locator("#map-heading").inner_text()
    page.get_by_role("link", name="Nederlands").click()
    page.get_by_text("Aantal klassen", exact=True).wait_for()
    assert year_label.inner_text() == "Jaar" and "taal=" not in page.url
    assert recording.errors == []


def test_the_map_below_a_selected_area_is_fetched_ahead_and_drawn_on_the_click(live_demo, demo_warehouse,
                                                                               recording, caplog):
    caplog.set_level("INFO", logger="werkzeug")   # the live server's request lines
    wh, page = demo_warehouse, recording.page
    gemeente = clickable_child(wh, "gemeente", clickable_child(wh, "regio", "NL01"))
    wijk = clickable_child(wh, "wijk", gemeente)
    with page.expect_response(lambda r: "map-ahead.data" in (r.request.post_data or "")):
        page.goto(f"{live_demo.url}/kaart/wijk/{gemeente}?gebied={wijk}")
        wait_for_codes(page, children(wh, "wijk", gemeente))
    below = f"/geo/{wh.build_id}/buurt/{wijk}.json"
    assert any(url.endswith(below) for url in recording.requests)   # fetched without any click
    heading = page.locator("#map-heading").inner_text()

    # the server's answer to the click is held back: the buurten are drawn from what came ahead
    held = []
    page.route("**/_dash-update-component*",
               lambda route: held.append(route) if "map.figure" in (route.request.post_data or "")
               else route.continue_())
    click_area(page, wijk)   # selected already: this click opens its buurten
    wait_for_codes(page, children(wh, "buurt", wijk), timeout=5_000)
    assert len(held) == 1 and page.locator("#map-heading").inner_text() == heading
    held[0].continue_()
    page.unroute("**/_dash-update-component*")
    page.wait_for_url(re.compile(rf"/kaart/buurt/{wijk}\?"))
    page.wait_for_function("(old) => document.querySelector('#map-heading').innerText !== old", arg=heading)
    assert wh.name(wijk) in page.locator("#map-heading").inner_text()
    wait_for_codes(page, children(wh, "buurt", wijk))
    served = [r.getMessage() for r in caplog.records if r.name == "werkzeug" and f"GET {below}" in r.getMessage()]
    assert len(served) == 1, served   # the polygons were fetched once
    assert recording.errors == []
