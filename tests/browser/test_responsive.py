"""The dashboard on a phone and on paper (issue 16): at 390 and 360 px wide no page scrolls
sideways and the maps fit the screen; printed, the controls go while the map's heading and
legend stay."""

from __future__ import annotations

import pytest

from tests.browser.conftest import violations
from tests.browser.mapdriver import children, clickable_child, wait_for_codes

pytestmark = pytest.mark.browser

INDICATOR = "misdrijven_per_1000_inwoners"
WIDTHS = (390, 360)   # a common phone, and the narrowest one still in wide use
PAGES = ("national", "wijk-profile", "gemeente")

# The widths that matter: the document's, the window's and the box of each plot on show (the
# analyst's map stays in the page, hidden, under the gemeente page).
WIDTHS_NOW = """() => ({
  document: document.documentElement.scrollWidth, window: window.innerWidth,
  plots: Array.from(document.querySelectorAll('.js-plotly-plot .main-svg:first-of-type'))
    .filter(svg => svg.getClientRects().length > 0)
    .map(svg => { const r = svg.getBoundingClientRect(); return {id: svg.closest('[id]').id, left: r.left,
                                                                  right: r.right, width: r.width}; }),
})"""


class Phone:
    """One browser context at a phone's size, reused by the tests of that width."""

    def __init__(self, browser, width: int):
        self.width = width
        self.context = browser.new_context(viewport={"width": width, "height": 800})
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))


@pytest.fixture(scope="module", params=WIDTHS, ids=lambda w: f"{w}px")
def phone(request, browser):
    phone = Phone(browser, request.param)
    yield phone
    phone.context.close()


@pytest.fixture(scope="module")
def places(demo_warehouse):
    """A gemeente with many buurten and one of its wijken."""
    wh = demo_warehouse
    gemeente = clickable_child(wh, "gemeente", clickable_child(wh, "regio", "NL01"))
    return gemeente, clickable_child(wh, "wijk", gemeente)


def open_page(phone, live_demo, wh, places, name: str) -> None:
    """Go to one of :data:`PAGES` and wait until its maps have painted."""
    page = phone.page
    gemeente, wijk = places
    if name == "national":
        page.goto(f"{live_demo.url}/")
        wait_for_codes(page, children(wh, "regio", "NL01"))
    elif name == "wijk-profile":
        page.goto(f"{live_demo.url}/kaart/wijk/{gemeente}?indicator={INDICATOR}&gebied={wijk}")
        wait_for_codes(page, children(wh, "wijk", gemeente))
        page.locator("#profile-title", has_text=f"({wijk})").wait_for()
        page.locator("#profile-trend .main-svg").first.wait_for()
    else:
        page.goto(f"{live_demo.url}/gemeente/{gemeente}")
        page.locator("#page-to-map").wait_for()
        for graph in ("#page-map-region", "#page-map-wijken"):
            page.locator(f"{graph} path.choroplethlocation").first.wait_for()


@pytest.mark.parametrize("name", PAGES)
def test_no_page_scrolls_sideways_and_its_maps_fit_the_screen(phone, live_demo, demo_warehouse, places, name):
    open_page(phone, live_demo, demo_warehouse, places, name)
    seen = phone.page.evaluate(WIDTHS_NOW)
    assert seen["window"] == phone.width
    assert seen["document"] <= seen["window"], seen
    maps = [p for p in seen["plots"] if p["id"] in ("map", "page-map-region", "page-map-wijken")]
    assert len(maps) == (2 if name == "gemeente" else 1), seen
    for plot in seen["plots"]:   # the maps and the profile's trend chart
        assert plot["left"] >= 0 and plot["right"] <= seen["window"], plot
    for plot in maps:   # a map takes the width of the screen, less the page's margins
        assert plot["width"] >= 0.8 * seen["window"], plot
    assert violations(phone.page) == ""   # WCAG 2.1 AA on a phone too (tables scroll in their box)
    assert phone.errors == []


def test_printed_the_controls_go_and_the_map_heading_and_legend_stay(phone, live_demo, demo_warehouse, places):
    page = phone.page
    open_page(phone, live_demo, demo_warehouse, places, "wijk-profile")
    page.emulate_media(media="print")
    try:
        for gone in ("#indicator", "#search", ".skip-link", "#lang-link", "#map .modebar-container",
                     "#export-png", "#profile-close"):
            assert page.locator(gone).first.is_hidden(), gone
        for kept in ("header h1", "#map-heading", "#legend", "#map .main-svg", "#profile-title",
                     "#profile .profile-table", "#source-line", ".breadcrumbs a"):
            assert page.locator(kept).first.is_visible(), kept
        looks = page.evaluate("""() => ({
            body: getComputedStyle(document.body).backgroundColor,
            swatch: getComputedStyle(document.querySelector('#legend .swatch')).printColorAdjust,
            link: getComputedStyle(document.querySelector('.breadcrumbs a')).textDecorationLine,
        })""")
        assert looks == {"body": "rgba(0, 0, 0, 0)", "swatch": "exact", "link": "none"}
    finally:
        page.emulate_media(media="screen")
    assert page.locator("#indicator").is_visible()
