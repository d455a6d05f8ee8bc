"""The export links download exactly the view on screen (issue 6), in headless Chromium."""

from __future__ import annotations

import re

import pytest

from tests.browser.mapdriver import children, wait_for_codes

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("fmt, magic", [("pdf", b"%PDF"), ("png", b"\x89PNG"), ("svg", b"<svg")])
def test_the_export_link_downloads_the_current_view(live_demo, demo_warehouse, recording, tmp_path, fmt, magic):
    wh, page = demo_warehouse, recording.page
    page.goto(f"{live_demo.url}/kaart/gemeente/NL01?indicator=misdrijven_per_1000_inwoners&klassen=gelijk")
    wait_for_codes(page, children(wh, "gemeente", "NL01"))
    link = page.locator(f"#export-{fmt}")
    assert "klassen=gelijk" in link.get_attribute("href")   # the link follows the view
    with page.expect_download(timeout=60_000) as info:
        link.click()
    target = tmp_path / info.value.suggested_filename
    info.value.save_as(target)
    data = target.read_bytes()
    assert magic in data[:200] and target.suffix == f".{fmt}"
    # named after what it shows, as the table downloads are
    assert target.name == f"ondermijningsbeeld_misdrijven_per_1000_inwoners_{wh.years[-1]}_gemeente_NL01.{fmt}"
    assert recording.foreign_requests() == []


VISIBLE_EXTENT = """() => { const gd = document.querySelector('#map .js-plotly-plot');
  const s = gd._fullLayout.geo._subplot, x = s.xaxis, y = s.yaxis;
  const nw = s.projection.invert([x._offset, y._offset]);
  const se = s.projection.invert([x._offset + x._length, y._offset + y._length]);
  return [nw[0], se[1], se[0], nw[1]]; }"""


# Whether the page's address (or the export link's) holds the visible extent (to 5 decimals).
SHOWS_THE_VIEW = f"""(link) => {{ const address = link ? document.querySelector(link).href : location.href;
  const m = address.match(/uitsnede=([^&]+)/);
  if (!m) return false;
  const held = decodeURIComponent(m[1]).split(",").map(Number), seen = ({VISIBLE_EXTENT})();
  return held.length === 4 && held.every((v, i) => Math.abs(v - seen[i]) <= 2e-5); }}"""


def test_a_zoomed_view_goes_into_the_url_and_the_export_and_a_shared_link_restores_it(
        live_demo, demo_warehouse, recording, browser):
    wh, page = demo_warehouse, recording.page
    gemeente = wh.codes("gemeente", water=True)[0]
    page.goto(f"{live_demo.url}/kaart/wijk/{gemeente}?indicator=misdrijven_per_1000_inwoners")
    wait_for_codes(page, children(wh, "wijk", gemeente))
    fitted = page.evaluate(VISIBLE_EXTENT)
    box = page.locator("#map .geo").first.bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.4, box["y"] + box["height"] * 0.4)
    zoomed_in = f"(width) => {{ const e = ({VISIBLE_EXTENT})(); return e[2] - e[0] < 0.99 * width; }}"
    page.keyboard.down("Control")   # the wheel alone scrolls the page (tests/browser/test_keyboard.py)
    for _ in range(2):  # each wheel step has zoomed the map before the next one
        before = page.evaluate(VISIBLE_EXTENT)
        page.mouse.wheel(0, -300)
        page.wait_for_function(zoomed_in, arg=before[2] - before[0])
    page.keyboard.up("Control")
    # the URL and the export link follow each step: wait for the last one, not the first
    page.wait_for_function(SHOWS_THE_VIEW, arg=None)
    page.wait_for_function(SHOWS_THE_VIEW, arg="#export-pdf")
    zoomed = page.evaluate(VISIBLE_EXTENT)
    assert zoomed[2] - zoomed[0] < 0.8 * (fitted[2] - fitted[0])      # it really zoomed in
    in_url = [float(v) for v in re.search(r"uitsnede=([^&]+)", page.url).group(1).split(",")]
    assert in_url == pytest.approx(zoomed, abs=2e-5)
    assert re.search(r"uitsnede=([^&]+)", page.get_attribute("#export-pdf", "href")).group(1) == \
        re.search(r"uitsnede=([^&]+)", page.url).group(1)

    shared = browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        shared.goto(page.url)
        wait_for_codes(shared, children(wh, "wijk", gemeente))
        assert shared.evaluate(VISIBLE_EXTENT) == pytest.approx(zoomed, abs=2e-5)
    finally:
        shared.close()
    assert recording.foreign_requests() == [] and recording.errors == []
