"""The gemeente page in headless Chromium on the demo country (issue 16, item 5): key figures at
a glance, unfavourable standouts first, both maps on one scale, the search for another gemeente,
the way back to the map, an address that names no gemeente, and axe-core in both languages."""

from __future__ import annotations

import re

import pytest

from dashboard.formatting import format_number
from dashboard.gemeente import key_figures
from data_pipeline.warehouse import Scope
from tests.browser.conftest import violations
from tests.browser.mapdriver import children, clickable_child, wait_for_codes
from tests.browser.test_search import plain

pytestmark = pytest.mark.browser

EVERYTHING = Scope.everything()
NO_CLASS = ("n.b. (onbekend of afgeschermd)", "n/a (unknown or withheld)", "Water")


def the_gemeente(wh) -> str:
    return clickable_child(wh, "gemeente", clickable_child(wh, "regio", "NL01"))


def open_page(page, url: str, wh, code: str) -> None:
    """Open a gemeente's page and wait until both its maps are drawn."""
    page.goto(url)
    page.locator("#page-title", has_text=wh.name(code)).wait_for()
    wait_for_codes(page, children(wh, "gemeente", wh.area(code).regio_code), graph="#page-map-region")
    wait_for_codes(page, children(wh, "wijk", code), graph="#page-map-wijken")


def legend_classes(page, graph: str) -> list[list[str]]:
    """[colour, label] of each class in a page map's legend (n.b. and water left out)."""
    return page.locator(f"#{graph}-legend li").evaluate_all(
        """(items, skip) => items.map(li => [li.querySelector('.swatch').style.background, li.innerText.trim()])
            .filter(([, label]) => !skip.includes(label))""", list(NO_CLASS))


def test_tiles_standouts_one_scale_search_and_the_way_back(live_demo, demo_warehouse, recording):
    wh, page = demo_warehouse, recording.page
    gemeente, year = the_gemeente(wh), wh.years[-1]
    open_page(page, f"{live_demo.url}/gemeente/{gemeente}", wh, gemeente)

    # the tiles come first: value and unit, a comparison and the trend in words, the arrow hidden
    figures = key_figures(wh, gemeente, year, EVERYTHING)
    tiles = page.locator("#kerncijfers .tile")
    assert tiles.evaluate_all("els => els.map(e => e.dataset.indicator)") == [f.indicator.id for f in figures]
    for figure, tile in zip(figures, tiles.all()):
        text = tile.inner_text()
        assert f"{format_number(figure.value, figure.indicator.decimals)} {figure.indicator.unit('nl')}" in text
        assert re.search(r"(hoger|lager|keer zo hoog|even hoog) (dan |als )?in (vergelijkbare gemeenten|Nederland)", text)
        assert f"sinds {figure.trend.since}" in text
        assert tile.locator(".arrow").get_attribute("aria-hidden") == "true"
    assert page.locator("#gemeente-page h3").first.inner_text() == f"In één oogopslag, {year}"

    # unfavourable standouts under their own heading, before the favourable ones
    sides = page.locator(".standouts-side")
    assert sides.evaluate_all("els => els.map(e => e.dataset.side)") == ["worse", "better"]
    assert sides.locator("h4").all_inner_texts() == ["Ongunstig", "Gunstig"]
    assert page.locator(".standouts-side.better .tag.worse").count() == 0
    assert page.locator(".standouts-side.worse .tag:not(.worse)").count() == 0

    # both maps on one scale, and their legends say so in words
    region_classes = legend_classes(page, "page-map-region")
    assert region_classes and legend_classes(page, "page-map-wijken") == region_classes
    regio = wh.name(wh.area(gemeente).regio_code)
    assert f"klassen van de gemeenten in {regio}" in page.locator("#page-map-region-legend").inner_text()
    assert f"dezelfde klassen als de kaart van {regio}" in page.locator("#page-map-wijken-legend").inner_text()

    # the search: a few letters of another gemeente's name, its link, its page
    others = wh.areas_frame(["gemeente"]).query("~is_water & code != @gemeente")
    other = others.iloc[len(others) // 2]
    page.get_by_label("Zoek een gemeente (naam of code)").fill(plain(other["name"])[:3])
    page.locator(".page-search-results a", has_text=f"({other['code']})").click()
    page.wait_for_url(re.compile(rf"/gemeente/{other['code']}(\?|$)"))
    page.locator("#page-title", has_text=other["name"]).wait_for()
    assert page.get_by_label("Zoek een gemeente (naam of code)").input_value() == ""   # a fresh page

    # and the way back: the analyst's map of its wijken with its profile open
    page.locator("#page-to-map").click()
    page.wait_for_url(re.compile(rf"/kaart/wijk/{other['code']}\?.*gebied={other['code']}"))
    wait_for_codes(page, children(wh, "wijk", other["code"]))
    assert recording.foreign_requests() == [] and recording.errors == []


def test_an_unknown_code_gets_a_message_suggestions_the_search_and_the_national_map(live_demo, demo_warehouse,
                                                                                     recording):
    wh, page = demo_warehouse, recording.page
    gemeente = the_gemeente(wh)
    typo = gemeente[:-1] + next(d for d in "0123456789" if not wh.has_area(gemeente[:-1] + d))
    page.goto(f"{live_demo.url}/gemeente/{typo}")
    page.locator("#page-title", has_text=f"Er is geen gemeente ‘{typo}’").wait_for()
    assert page.locator("#page-map-region").count() == 0
    page.locator("#page-suggestions a", has_text=f"({gemeente})").click()
    page.wait_for_url(re.compile(rf"/gemeente/{gemeente}(\?|$)"))
    page.locator("#page-title", has_text=wh.name(gemeente)).wait_for()

    page.goto(f"{live_demo.url}/gemeente/xyz?taal=en")
    page.locator("#page-title", has_text="There is no municipality ‘XYZ’").wait_for()
    page.get_by_label("Find a municipality (name or code)").fill(plain(wh.name(gemeente))[:4])
    page.locator(".page-search-results a", has_text=f"({gemeente})").wait_for()
    page.locator("#page-to-map", has_text="To the national map").click()
    page.wait_for_url(re.compile(r"/kaart/regio/NL01\?taal=en$"))
    wait_for_codes(page, children(wh, "regio", "NL01"))
    assert recording.foreign_requests() == [] and recording.errors == []


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_the_page_with_search_results_and_the_unknown_page_break_no_wcag_rule(live_demo, demo_warehouse, recording,
                                                                               lang):
    wh, page = demo_warehouse, recording.page
    gemeente = the_gemeente(wh)
    query = "?taal=en" if lang == "en" else ""
    open_page(page, f"{live_demo.url}/gemeente/{gemeente}{query}", wh, gemeente)
    page.locator(".page-search input").fill(plain(wh.name(gemeente))[:3])
    page.locator(".page-search-results a").first.wait_for()
    report = {"gemeente page": violations(page)}
    page.goto(f"{live_demo.url}/gemeente/GM9999{query}")
    page.locator("#page-title").wait_for()
    report["unknown code"] = violations(page)
    assert not any(report.values()), "\n".join(f"== {k}\n{v}" for k, v in report.items() if v)
