"""Security headers on every response, and a Server header that names no versions."""

from __future__ import annotations

import re
import threading
import urllib.request

from werkzeug.serving import make_server

from dashboard.app import _QuietHandler, create_app


def test_every_response_carries_the_security_headers(tiny_warehouse):
    client = create_app(tiny_warehouse).server.test_client()
    for url in ("/", "/_dash-layout", "/kaart/wijk/GM0001", "/download/csv/kaart/wijk/GM0001", "/nope"):
        headers = client.get(url).headers
        policy = headers["Content-Security-Policy"]
        assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy, url
        assert "'unsafe-eval'" not in policy and "script-src 'self' 'sha256-" in policy
        assert headers["X-Frame-Options"] == "DENY" and headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "no-referrer"


def test_the_server_header_names_no_software_version(tiny_warehouse):
    server = make_server("127.0.0.1", 0, create_app(tiny_warehouse).server, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.handle_request, daemon=True)
    thread.start()
    with urllib.request.urlopen(f"http://127.0.0.1:{server.server_port}/_dash-layout") as response:
        assert response.headers["Server"] == "ondermijningsbeeld"
    thread.join(5)
    server.server_close()


def test_a_page_loads_the_regenerator_runtime_in_place_of_the_babel_polyfill(tiny_warehouse):
    client = create_app(tiny_warehouse).server.test_client()
    for url in ("/", "/kaart/wijk/GM0001", "/gemeente/GM0001"):
        scripts = re.findall(r'<script src="([^"]+)"', client.get(url).get_data(as_text=True))
        assert not [s for s in scripts if "polyfill" in s], url
        runtime = [s for s in scripts if "/assets/regenerator-runtime-" in s]
        assert len(runtime) == 1 and scripts.index(runtime[0]) < [i for i, s in enumerate(scripts)
                                                                 if "dash_renderer" in s][0], url
    body = client.get(runtime[0]).get_data(as_text=True)
    assert "regeneratorRuntime = runtime" in body


def test_a_page_names_its_language(tiny_warehouse):
    client = create_app(tiny_warehouse).server.test_client()
    for url, lang in (("/", "nl"), ("/kaart/wijk/GM0001?taal=en", "en"), ("/gemeente/GM0001?taal=en", "en"),
                      ("/kaart/wijk/GM0001?taal=xx", "nl")):
        page = client.get(url).get_data(as_text=True)
        assert re.search(r"<html[^>]*>", page).group(0) == f'<html lang="{lang}">', url
