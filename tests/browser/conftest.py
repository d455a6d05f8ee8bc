"""A live dashboard on 127.0.0.1 and a headless Chromium page that records every request."""

from __future__ import annotations

import threading
from urllib.parse import urlparse

import pytest
from werkzeug.serving import make_server

from dashboard.app import create_app
from tests.requirements import CHROMIUM_ARGS, chromium_path


#: axe-core's rules for WCAG 2.1 levels A and AA.
WCAG_21_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
              "resultTypes": ["violations"]}


def violations(page, skip: tuple[str, ...] = ()) -> str:
    """axe-core's report of the WCAG 2.1 A/AA rules the page breaks as it is now ('' when none);
    ``skip``: rules left out, each with its reason where it is asked for."""
    from axe_playwright_python.sync_playwright import Axe

    options = {**WCAG_21_AA, "rules": {rule: {"enabled": False} for rule in skip}} if skip else WCAG_21_AA
    results = Axe().run(page, options=options)
    return results.generate_report() if results.violations_count else ""


class LiveServer:
    def __init__(self, app):
        self.server = make_server("127.0.0.1", 0, app.server, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()


@pytest.fixture(scope="session")
def browser():
    executable = chromium_path()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def live_demo(demo_warehouse):
    with LiveServer(create_app(demo_warehouse)) as server:
        yield server


class RecordingPage:
    """A page plus every URL it requested and every console error it logged."""

    def __init__(self, browser):
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        self.page = self.context.new_page()
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    def foreign_requests(self) -> list[str]:
        return [u for u in self.requests if urlparse(u).hostname != "127.0.0.1" and not u.startswith("data:")]


@pytest.fixture
def recording(browser):
    rec = RecordingPage(browser)
    yield rec
    rec.context.close()
