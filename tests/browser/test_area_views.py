"""The analyst's and the policymaker's views (issue 5) in headless Chromium on the demo country:
the profile panel against the CLI table, a comparison of three areas and its shared link, the
gemeente page, the change map mode, and the English toggle."""

from __future__ import annotations

import csv
import io
import re

import pytest

from dashboard.formatting import format_count, format_number
from dashboard.gemeente import N_STANDOUTS
from dashboard.panels import theme_indicators
from app import main as cli
from data_pipeline.warehouse import Scope
from tests.browser.mapdriver import children, click_area, clickable_child, select_area, wait_for_codes

pytestmark = pytest.mark.browser

INDICATOR = "misdrijven_per_1000_inwoners"


def cli_table(capsys, path, level: str, parent: str, indicator: str, year: int) -> dict[str, dict]:
    """``ondermijningsbeeld table`` as the analyst runs it: rows by area code."""
    capsys.readouterr()
    assert cli(["--warehouse", str(path), "table", "--level", level, "--parent", parent, "--indicator", indicator,
                "--year", str(year)]) == 0
    return {row["code"]: row for row in csv.DictReader(io.StringIO(capsys.readouterr().out))}


def number(text: str, decimals: int) -> str:
    return format_number(float(text), decimals) if text else "n.b."


def test_the_profile_panel_shows_the_numbers_of_the_cli_table(live_demo, demo_warehouse, demo_warehouse_path,
                                                               recording, capsys):
    wh, page = demo_warehouse, recording.page
    year = wh.years[-1]
    page.goto(f"{live_demo.url}/kaart/gemeente/NL01?indicator={INDICATOR}&jaar={year}")
    wait_for_codes(page, children(wh, "gemeente", "NL01"))
    gemeente = clickable_child(wh, "gemeente", clickable_child(wh, "regio", "NL01"))
    select_area(page, gemeente)
    assert wh.name(gemeente) in page.locator("#profile-title").inner_text()

    indicators = theme_indicators(wh, INDICATOR)
    assert len(indicators) > 1
    for ind in indicators:
        row = cli_table(capsys, demo_warehouse_path, "gemeente", "NL01", ind.id, year)[gemeente]
        shown = page.locator(f"#profile tr[data-indicator='{ind.id}']")
        cell = lambda column: shown.locator(f"td.col-{column}").inner_text()  # noqa: E731
        expected_value = number(row["value"], ind.decimals) if row["status"] == "ok" else "n.b."
        assert cell("value").startswith(expected_value), (ind.id, cell("value"), row)
        assert cell("regio_value") == number(row["regio_value"], ind.decimals)
        assert cell("nl_value") == number(row["nl_value"], ind.decimals)
        if row["peer_value"]:
            assert cell("peer_value") == number(row["peer_value"], ind.decimals)
        rank = f"{format_count(float(row['rank']))} van {format_count(float(row['n_ranked']))}" if row["rank"] else "n.b."
        assert cell("rank") == rank
        assert cell("percentile") == (number(row["percentile"], 0) if row["percentile"] else "n.b.")

    # the trend has the area, its parent and NL over every year; the score breakdown lists indicators
    trend = page.locator("#profile-trend")
    assert trend.locator("g.trace.scatter").count() == 3
    assert page.locator("#profile .bars li").count() >= 1
    # the selected area is outlined on the map, and a second click on it opens its wijken
    click_area(page, gemeente)
    page.wait_for_url(re.compile(rf"/kaart/wijk/{gemeente}\?"))
    wait_for_codes(page, children(wh, "wijk", gemeente))
    assert recording.foreign_requests() == [] and recording.errors == []


def compare_texts(page) -> list[str]:
    return page.locator("#compare-table tbody tr").all_inner_texts()


def test_compare_three_areas_and_a_shared_link_restores_the_view(live_demo, demo_warehouse, recording, browser):
    wh, page = demo_warehouse, recording.page
    year = wh.years[-1]
    gemeenten = wh.areas_frame(["gemeente"]).query("~is_water")
    region = gemeenten.groupby("parent_code").size().idxmax()
    picked = sorted(gemeenten.loc[gemeenten["parent_code"] == region, "code"])[:3]
    assert len(picked) == 3
    page.goto(f"{live_demo.url}/kaart/gemeente/{region}?indicator={INDICATOR}&jaar={year}")
    wait_for_codes(page, children(wh, "gemeente", region))
    for i, code in enumerate(picked):
        select_area(page, code)
        page.locator("#profile-compare").click()
        page.wait_for_url(re.compile("vergelijk=" + ";".join(picked[:i + 1]) + "(&|$)"))
    page.wait_for_function("(n) => document.querySelectorAll('#compare-table thead th[data-code]').length === n",
                           arg=len(picked))
    headers = page.locator("#compare-table thead th[data-code]").evaluate_all("els => els.map(e => e.dataset.code)")
    assert headers == picked
    assert page.locator("#compare-table tbody tr[data-indicator]").count() == len(wh.catalog.indicators)
    ind = wh.catalog.get(INDICATOR)
    for code in picked:   # each column holds that area's shown value, n.b. where it is not shown
        row = wh.table("gemeente", code, INDICATOR, year, Scope.everything()).iloc[0]
        text = page.locator(f"#compare-table tr[data-indicator='{INDICATOR}'] td[data-code='{code}']").inner_text()
        assert text == (format_number(row["value"], ind.decimals) if row["status"] == "ok" else
                        ("n.b. (afgeschermd)" if row["status"] == "suppressed" else "n.b. (geen gegevens)"))
    assert page.locator("#compare-trend g.trace.scatter").count() == 4   # three areas and NL
    shared_url, shown = page.url, compare_texts(page)
    selected = re.search(r"gebied=(\w+)", shared_url).group(1)

    other = browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        other.goto(shared_url)
        other.locator("#compare-table").wait_for()
        wait_for_codes(other, children(wh, "gemeente", region))
        assert compare_texts(other) == shown
        assert other.locator("#compare-table thead th[data-code]").evaluate_all(
            "els => els.map(e => e.dataset.code)") == picked
        assert f"({selected})" in other.locator("#profile-title").inner_text()
        assert other.locator("#map-heading").inner_text() == page.locator("#map-heading").inner_text()
        assert other.url == shared_url
    finally:
        other.close()

    # removing one area from the comparison is a link too
    page.locator(f"#compare .chip[data-code='{picked[0]}'] a").click()
    page.wait_for_function("(code) => !document.querySelector(`#compare-table th[data-code='${code}']`)",
                           arg=picked[0])
    assert picked[0] not in re.search(r"vergelijk=([^&]+)", page.url).group(1)
    assert recording.foreign_requests() == [] and recording.errors == []


def test_the_gemeente_page_at_its_url(live_demo, demo_warehouse, recording):
    wh, page = demo_warehouse, recording.page
    gemeente = clickable_child(wh, "gemeente", clickable_child(wh, "regio", "NL01"))
    page.goto(f"{live_demo.url}/gemeente/{gemeente}")
    title = page.locator("#page-title")
    title.wait_for()
    assert title.inner_text() == wh.name(gemeente)
    assert page.locator("#map-page").is_hidden()          # no analyst controls on this page
    standouts = page.locator(".standouts li")
    assert 1 <= standouts.count() <= 2 * N_STANDOUTS   # unfavourable ones, then favourable ones
    first = standouts.first.get_attribute("data-indicator")
    assert wh.catalog.get(first).explanation("nl") in standouts.first.inner_text()
    # both maps are drawn: the gemeente among its region's gemeenten, and its own wijken
    regio = wh.area(gemeente).regio_code
    for graph, level, parent in (("#page-map-region", "gemeente", regio), ("#page-map-wijken", "wijk", gemeente)):
        wait_for_codes(page, children(wh, level, parent), graph=graph)
    # every indicator that can signal anything is explained in plain words
    assert page.locator(".topic").count() >= len([i for i in wh.catalog.indicators
                                                  if i.direction != "neutral" and not i.is_count]) - 1
    # choosing another year is a link; the page URL stays stable
    earlier = wh.years[0]
    page.locator("#page-years a", has_text=str(earlier)).click()
    page.wait_for_url(re.compile(rf"/gemeente/{gemeente}\?.*jaar={earlier}"))
    page.locator("#page-years .current", has_text=str(earlier)).wait_for()
    # and the page leads to the analyst's map with the gemeente's profile open
    page.locator("#page-to-map").click()
    page.wait_for_url(re.compile(rf"/kaart/wijk/{gemeente}\?.*gebied={gemeente}"))
    wait_for_codes(page, children(wh, "wijk", gemeente))
    assert recording.foreign_requests() == [] and recording.errors == []


def test_change_since_a_year_is_a_map_mode_with_a_diverging_legend(live_demo, demo_warehouse, recording):
    wh, page = demo_warehouse, recording.page
    page.goto(f"{live_demo.url}/kaart/gemeente/NL01?indicator={INDICATOR}")
    wait_for_codes(page, children(wh, "gemeente", "NL01"))
    page.locator("#mode").get_by_text("Verandering").click()
    page.wait_for_url(re.compile(rf"modus=verandering&sinds={wh.years[0]}"))
    page.wait_for_function("() => document.querySelector('#map-heading').innerText.startsWith('Verandering')")
    legend = page.locator("#legend li").all_inner_texts()
    assert any(text.startswith("-") for text in legend) and any("+" in text for text in legend)
    assert f"{wh.years[0]}–{wh.years[-1]}" in page.locator("#map-heading").inner_text()
    assert recording.foreign_requests() == [] and recording.errors == []


def test_english_and_back_with_profile_and_comparison_open(live_demo, demo_warehouse, recording):
    wh, page = demo_warehouse, recording.page
    region = clickable_child(wh, "regio", "NL01")
    kids = sorted(c for c in children(wh, "gemeente", region) if not wh.area(c).is_water)
    page.goto(f"{live_demo.url}/kaart/gemeente/{region}?indicator={INDICATOR}&gebied={kids[0]}"
              f"&vergelijk={kids[0]};{kids[1]}")
    page.locator("#compare-table").wait_for()
    assert page.locator("#profile th.col-indicator").inner_text() == "Indicator (eenheid)"
    assert page.evaluate("document.documentElement.lang") == "nl"
    assert page.locator('#map .modebar-btn[data-val="in"]').get_attribute("data-title") == "Inzoomen"
    page.locator("#lang-link").click()
    page.wait_for_url(re.compile(r"taal=en"))
    page.wait_for_function("() => document.documentElement.lang === 'en'")   # screen readers switch too
    page.wait_for_function("""() => document.querySelector('#map .modebar-btn[data-val="in"]')
        .getAttribute('data-title') === 'Zoom in'""")                        # and the map's buttons
    page.wait_for_function("() => document.querySelector('#profile th.col-indicator').innerText === 'Indicator (unit)'")
    page.locator("#compare-title", has_text="Comparison").wait_for()
    assert page.locator("#lang-link").inner_text() == "Nederlands"
    assert page.locator("#map-heading").inner_text().startswith(wh.catalog.get(INDICATOR).label("en"))
    page.locator("#lang-link").click()
    page.wait_for_url(lambda url: "taal=en" not in url)
    page.wait_for_function("() => document.querySelector('#profile th.col-indicator').innerText === 'Indicator (eenheid)'")
    page.locator("#compare-title", has_text="Vergelijking").wait_for()
    assert page.evaluate("document.documentElement.lang") == "nl"
    page.wait_for_function("""() => document.querySelector('#map .modebar-btn[data-attr="zoom"][data-val="out"]')
        .getAttribute('data-title') === 'Uitzoomen'""")
    assert recording.foreign_requests() == [] and recording.errors == []


def test_a_name_on_the_map_reads_there_and_a_click_on_it_opens_its_area(live_demo, demo_warehouse, recording):
    wh, page = demo_warehouse, recording.page
    region = wh.areas_frame(["gemeente"]).groupby("parent_code").size().idxmax()
    page.goto(f"{live_demo.url}/kaart/gemeente/{region}?indicator={INDICATOR}")
    wait_for_codes(page, children(wh, "gemeente", region))
    names = page.locator("#map .geo text[data-unformatted]")
    names.first.wait_for()
    by_name = {wh.name(code): code for code in children(wh, "gemeente", region)}
    shown = names.evaluate_all("texts => texts.map(t => t.textContent)")
    assert shown and set(shown) <= set(by_name)
    box = names.first.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)   # the name takes no click
    page.locator("#profile-title", has_text=f"({by_name[shown[0]]})").wait_for()
    assert recording.errors == []
