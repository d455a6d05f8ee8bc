"""Composite weights, class legend and hotspots in a real headless Chromium (demo country)."""

from __future__ import annotations

import re

import pytest

from dashboard.figures import class_bounds_labels
from dashboard.layout import score_themes
from data_pipeline.analysis import composite
from indicators.classify import classify
from tests.browser.mapdriver import children, clickable_child, wait_for_codes

pytestmark = pytest.mark.browser

FILLS = """() => Object.fromEntries(Array.from(document.querySelectorAll('#map path.choroplethlocation'))
    .map(p => [p.__data__.loc, getComputedStyle(p).fill]))"""


def legend_labels(page) -> list[str]:
    return page.locator("#legend li").all_inner_texts()


def score_classes(wh, year, weights=()):
    score = composite(wh, "gemeente", year, "z", weights).score
    classes = classify(score, "symmetric", 5)   # a risk signal is classed around 0, the average
    return classes, classes.class_of(score)


def test_theme_weights_recolour_the_composite_map_and_the_legend_shows_bounds(live_demo, demo_warehouse, recording):
    wh, page = demo_warehouse, recording.page
    year = wh.years[-1]
    page.goto(f"{live_demo.url}/kaart/gemeente/NL01?modus=score&jaar={year}")
    wait_for_codes(page, children(wh, "gemeente", "NL01"))
    page.get_by_text("Het samengestelde risicosignaal").wait_for()   # the caveat is on screen
    expected, classes_before = score_classes(wh, year)
    labels = class_bounds_labels(expected.bounds, 2, "nl", "0 (gemiddeld)", signs=True)
    assert labels[0].startswith("-") and labels[-1].startswith("+")
    page.wait_for_function("(n) => document.querySelectorAll('#legend li').length >= n", arg=len(labels))
    assert legend_labels(page)[:len(labels)] == labels
    before = page.evaluate(FILLS)

    # the theme whose weight 0 moves most areas to another class; set it with the keyboard
    moved = {t: (score_classes(wh, year, ((t, 0.0),))[1] != classes_before).sum() for t in score_themes(wh.catalog)}
    theme = max(moved, key=moved.get)
    assert moved[theme] > 0
    label = wh.catalog.themes[theme]["nl"]
    slider = page.locator("#score-box .control.weight", has_text=label).locator("[role=slider]").first
    slider.focus()
    page.keyboard.press("Home")   # weight 0
    page.wait_for_url(re.compile(rf"gewichten={theme}:0"))
    reweighted, classes_after = score_classes(wh, year, ((theme, 0.0),))
    first = class_bounds_labels(reweighted.bounds, 2, "nl", "0 (gemiddeld)", signs=True)[0]
    page.wait_for_function("(first) => document.querySelector('#legend li').innerText === first", arg=first)
    after = page.evaluate(FILLS)
    changed = classes_after[classes_after != classes_before].index
    assert all(after[code] != before[code] for code in changed)
    assert recording.foreign_requests() == [] and recording.errors == []


def test_hotspot_view_marks_categories_and_refuses_levels_above_wijk(live_demo, demo_warehouse, recording):
    wh, page = demo_warehouse, recording.page
    gemeente = clickable_child(wh, "gemeente", clickable_child(wh, "regio", "NL01"))
    page.goto(f"{live_demo.url}/kaart/buurt/{gemeente}?modus=hotspots&indicator=misdrijven_per_1000_inwoners")
    wait_for_codes(page, children(wh, "buurt", gemeente))
    assert "Hotspots van" in page.locator("#map-heading").inner_text()
    assert legend_labels(page)[:3] == ["Coldspot (laag cluster)", "Niet significant", "Hotspot (hoog cluster)"]
    page.get_by_text("Lokale Moran's I").click()
    page.wait_for_url(re.compile(r"hotspot=moran"))
    page.wait_for_function("() => document.querySelector('#legend').innerText.includes('Hoog omringd door hoog')")

    page.goto(f"{live_demo.url}/kaart/gemeente/NL01?modus=hotspots")
    page.get_by_text("Hotspots worden berekend voor wijken en buurten").wait_for()
    assert recording.foreign_requests() == [] and recording.errors == []


def test_manual_class_breaks_from_the_url_drive_the_legend(live_demo, demo_warehouse, recording):
    wh, page = demo_warehouse, recording.page
    page.goto(f"{live_demo.url}/kaart/gemeente/NL01?indicator=misdrijven_per_1000_inwoners&klassen=handmatig&grenzen=40;60")
    wait_for_codes(page, children(wh, "gemeente", "NL01"))
    labels = legend_labels(page)
    assert labels[0].endswith("– 40,0") and labels[1] == "40,0 – 60,0" and labels[2].startswith("60,0 –")
    assert page.locator("#class-breaks").input_value() == "40; 60"
    assert recording.errors == []
