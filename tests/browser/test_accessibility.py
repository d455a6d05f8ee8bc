"""WCAG 2.1 A and AA rules of axe-core on every page, in both languages (issue 16)."""

from __future__ import annotations

import pytest

from dashboard.app import create_app
from dashboard.signin import Gate
from data_pipeline.access import AccessFile
from data_pipeline.audit import AuditLog
from tests.browser.conftest import LiveServer, violations
from tests.browser.mapdriver import children, clickable_child, wait_for_codes

pytestmark = pytest.mark.browser
INDICATOR = "misdrijven_per_1000_inwoners"


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_pages_break_no_wcag_rule(live_demo, demo_warehouse, recording, lang):
    wh, page = demo_warehouse, recording.page
    region = clickable_child(wh, "regio", "NL01")
    gemeente = clickable_child(wh, "gemeente", region)
    buurten = children(wh, "buurt", gemeente)
    taal = "&taal=en" if lang == "en" else ""
    compared = ";".join(children(wh, "gemeente", region)[:3])
    pages = {
        "national": (f"/?indicator={INDICATOR}{taal}", children(wh, "regio", "NL01")),
        "buurten with profile and table": (f"/kaart/buurt/{gemeente}?indicator={INDICATOR}&gebied={buurten[0]}{taal}", buurten),
        "comparison": (f"/kaart/gemeente/{region}?indicator={INDICATOR}&vergelijk={compared}{taal}",
                       children(wh, "gemeente", region)),
        "risk signal": (f"/kaart/gemeente/{region}?modus=score{taal}", children(wh, "gemeente", region)),
    }
    report = {}
    for name, (path, codes) in pages.items():
        page.goto(live_demo.url + path)
        wait_for_codes(page, codes)
        if "table" in name:
            page.locator(".table-box summary").click()
            page.locator("#area-table .ag-row").first.wait_for()
        if name == "comparison":
            page.locator("#compare-trend .js-plotly-plot").wait_for()
        if name == "risk signal":   # its weight sliders
            page.locator("#score-box [role=slider]").first.wait_for()
        report[name] = violations(page)
        if name == "risk signal":
            # An open dropdown's list is named by its control's label. Dash 4 draws a radio button
            # inside each of its options (a <label>): nested-interactive, Dash's own markup. Made
            # inert or disabled, that button would take the label's click with it.
            page.locator("#indicator").click()
            page.locator(".dash-dropdown-content [role=listbox]").wait_for()
            report["open dropdown"] = violations(page, skip=("nested-interactive",))
            page.keyboard.press("Escape")
    page.goto(f"{live_demo.url}/gemeente/{gemeente}?{taal[1:]}")
    page.locator("#page-to-map").wait_for()
    report["gemeente page"] = violations(page)
    assert not any(report.values()), "\n".join(f"== {k}\n{v}" for k, v in report.items() if v)


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_the_sign_in_page_breaks_no_wcag_rule(browser, demo_warehouse, tmp_path, lang):
    access = AccessFile(tmp_path / "access.json")
    access.add("rik", "riec", "correct horse battery", "RE01")
    gate = Gate(access=access, audit=AuditLog(tmp_path / "audit.jsonl"))
    with LiveServer(create_app(demo_warehouse, gate)) as server:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        try:
            page = context.new_page()
            page.goto(f"{server.url}/login" + ("?taal=en" if lang == "en" else ""))
            page.get_by_role("button").wait_for()
            before = violations(page)
            page.locator("input[name=username]").fill("rik")   # a failed sign-in shows its message
            page.locator("input[type=password]").fill("wrong")
            page.get_by_role("button").click()
            page.get_by_role("alert").wait_for()
            assert (before, violations(page)) == ("", "")
        finally:
            context.close()
