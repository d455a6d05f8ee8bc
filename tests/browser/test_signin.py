"""Signing in through the form in a real headless Chromium, and a map outside the user's scope."""

from __future__ import annotations

import re

import pytest

from dashboard.app import create_app
from dashboard.signin import Gate
from data_pipeline.access import AccessFile
from data_pipeline.audit import AuditLog
from tests.browser.conftest import LiveServer
from tests.browser.mapdriver import children, wait_for_codes

pytestmark = pytest.mark.browser
PASSWORD = "correct horse battery"


def test_sign_in_see_the_own_region_and_only_the_gemeenten_elsewhere(browser, demo_warehouse, tmp_path):
    wh = demo_warehouse
    own_gemeente = wh.codes("gemeente", "RE01")[0]
    other_region = next(r for r in wh.codes("regio") if r != "RE01")
    other_gemeente = wh.codes("gemeente", other_region)[0]
    access = AccessFile(tmp_path / "access.json")
    access.add("rik", "riec", PASSWORD, "RE01")
    audit = AuditLog(tmp_path / "access.audit.jsonl")
    with LiveServer(create_app(wh, Gate(access=access, audit=audit))) as server:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        errors = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto(f"{server.url}/kaart/wijk/{own_gemeente}")
        page.wait_for_url(re.compile(r"/login\?next="))
        page.get_by_label("Gebruikersnaam").fill("rik")
        page.get_by_label("Wachtwoord").fill("not the password")
        page.get_by_role("button", name="Aanmelden").click()
        assert "onjuist" in page.get_by_role("alert").inner_text()
        page.get_by_label("Gebruikersnaam").fill("rik")
        page.get_by_label("Wachtwoord").fill(PASSWORD)
        page.get_by_role("button", name="Aanmelden").click()
        page.wait_for_url(re.compile(rf"/kaart/wijk/{own_gemeente}"))
        wait_for_codes(page, children(wh, "wijk", own_gemeente))
        assert page.get_by_role("link", name="Afmelden").is_visible()

        # another region's wijken: the gemeenten of that region instead, and why
        page.goto(f"{server.url}/kaart/wijk/{other_gemeente}")
        wait_for_codes(page, children(wh, "gemeente", other_region))
        assert "buiten uw toegang" in page.locator("#map-notice").inner_text()
        page.wait_for_url(re.compile(rf"/kaart/gemeente/{other_region}"))

        page.get_by_role("link", name="Afmelden").click()
        page.wait_for_url(re.compile(r"/login"))
        context.close()
    # the one failed sign-in answers 401, which the browser logs; nothing else goes wrong
    assert all("status of 401" in e for e in errors), errors
    actions = audit.read(user="rik")
    assert {("signin", "failed"), ("signin", "ok"), ("map", "denied"), ("signout", "ok")} <= set(
        zip(actions["action"], actions["result"]))
