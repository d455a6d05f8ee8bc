"""The government look (issue 16, item 9): NL Design System component CSS, vendored and served
by our own host, under a page header that names the product and, when configured, the
organisation that runs the server."""

from __future__ import annotations

import re
from urllib.parse import urlparse

import pytest

from dashboard.app import ORGANISATION_ENV, create_app
from dashboard.look import SIGNIN_COMPONENTS, SIGNIN_ONLY
from dashboard.signin import Gate
from data_pipeline.access import AccessFile
from data_pipeline.audit import AuditLog
from tests.browser.conftest import LiveServer
from tests.browser.mapdriver import children, wait_for_codes

pytestmark = pytest.mark.browser

PAGE_COMPONENTS = ("button", "form-label", "heading-1", "heading-2", "heading-3", "link", "page-header", "status-badge", "table")
ORGANISATION = "RIEC Noord-Nederland"
PASSWORD = "correct horse battery"
STYLESHEETS = "() => Array.from(document.styleSheets, s => s.href).filter(Boolean)"
LOOKS = """() => {
  const style = (selector) => getComputedStyle(document.querySelector(selector));
  return {header: style('header.utrecht-page-header').backgroundColor, title: style('header h1').color,
          link: style('#lang-link').color, label: style('.control .utrecht-form-label').fontWeight};
}"""


def vendored(urls: list[str]) -> list[str]:
    """The NL Design System components of the vendored stylesheets among ``urls``."""
    return sorted(m.group(1) for u in urls if (m := re.search(r"/assets/nlds-utrecht-([a-z0-9-]+)-css-[^/]+\.css", u)))


def test_the_look_comes_from_our_own_host_and_the_header_names_the_product(live_demo, demo_warehouse, recording):
    page = recording.page
    page.goto(live_demo.url + "/")
    wait_for_codes(page, children(demo_warehouse, "regio", "NL01"))
    assert recording.foreign_requests() == [] and recording.errors == []
    assert vendored(recording.requests) == sorted(PAGE_COMPONENTS)   # the sign-in form's own ones stay out
    sheets = [urlparse(href).path for href in page.evaluate(STYLESHEETS)]
    ours = sheets.index("/assets/style.css")
    assert len(vendored(sheets[:ours])) == len(PAGE_COMPONENTS)   # the theme in style.css comes after them
    header = page.locator("header.utrecht-page-header")
    assert header.locator("h1").inner_text() == "Ondermijningsbeeld"
    assert "risicosignaal" in header.locator(".subtitle").inner_text()
    assert header.locator("#organisation").count() == 0   # none configured: no empty slot either
    assert header.locator("#lang-link").inner_text() == "English"
    assert header.locator(".utrecht-status-badge").first.inner_text().startswith("Demoland")
    looks = page.evaluate(LOOKS)
    assert looks == {"header": "rgb(21, 66, 115)", "title": "rgb(255, 255, 255)", "link": "rgb(255, 255, 255)",
                     "label": "600"}
    page.emulate_media(media="print")   # on paper: dark text on white, not white on nothing
    try:
        assert page.evaluate("""() => [getComputedStyle(document.querySelector('header')).backgroundColor,
            getComputedStyle(document.querySelector('header h1')).color,
            getComputedStyle(document.querySelector('header .subtitle')).color]""") == [
            "rgba(0, 0, 0, 0)", "rgb(21, 66, 115)", "rgb(27, 27, 27)"]
    finally:
        page.emulate_media(media="screen")
    page.locator("#lang-link").click()
    page.wait_for_function("() => document.querySelector('header .subtitle').innerText.includes('risk signal')")


def test_the_organisation_from_the_environment_heads_the_sign_in_form_and_every_page(
        browser, demo_warehouse, tmp_path, monkeypatch):
    monkeypatch.setenv(ORGANISATION_ENV, f"  {ORGANISATION} ")
    access = AccessFile(tmp_path / "access.json")
    access.add("rik", "riec", PASSWORD, "RE01")
    gate = Gate(access=access, audit=AuditLog(tmp_path / "audit.jsonl"))
    with LiveServer(create_app(demo_warehouse, gate)) as server:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        requests: list[str] = []
        context.on("request", lambda r: requests.append(r.url))
        try:
            page = context.new_page()
            page.goto(f"{server.url}/login")
            header = page.locator("header.utrecht-page-header")
            assert header.locator(".organisation").inner_text() == ORGANISATION
            assert header.locator("h1").inner_text() == "Ondermijningsbeeld"
            assert vendored(requests) == sorted(SIGNIN_COMPONENTS)
            assert page.get_by_role("button", name="Aanmelden").evaluate(
                "b => getComputedStyle(b).backgroundColor") == "rgb(21, 66, 115)"

            page.get_by_label("Gebruikersnaam").fill("rik")
            page.get_by_label("Wachtwoord").fill(PASSWORD)
            page.get_by_role("button", name="Aanmelden").click()
            page.wait_for_url(f"{server.url}/")
            wait_for_codes(page, children(demo_warehouse, "regio", "NL01"))
            assert header.locator("#organisation").inner_text() == ORGANISATION
            assert header.locator("h1").inner_text() == "Ondermijningsbeeld"
            assert header.get_by_role("link", name="Afmelden").is_visible()
            assert not set(SIGNIN_ONLY) & set(vendored(requests[requests.index(f"{server.url}/"):]))
            assert [u for u in requests if urlparse(u).hostname != "127.0.0.1"] == []
        finally:
            context.close()
