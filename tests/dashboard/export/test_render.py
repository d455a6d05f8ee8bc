"""The renderer: one persistent Chromium through kaleido's sync server, offline, bounded in time.

What a caller must be able to count on: the first export starts the browser and later ones reuse
it; nothing leaves the machine (the page is held to local URLs, Chromium's own traffic goes to a
proxy on loopback: here a recording one); and a browser that is missing, does not start, exits
or hangs gives an :class:`ExportError` within a bounded time, leaves no process behind and is
started afresh by the next export. Browser tests skip locally without Chromium and fail on CI.
"""

from __future__ import annotations

import os
import signal
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import plotly.graph_objects as go
import pytest

from dashboard.export import FORMATS, ExportError, Renderer, export_figure, renderer as default_renderer
from dashboard.export import render
from dashboard.figures import EMPTY_TOPOLOGY
from tests import pdfinspect
from tests.requirements import export_browser_path as chromium_path

SVG = "{http://www.w3.org/2000/svg}"
SQUARE = go.Figure(go.Choropleth(
    geojson={"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"code": "A"},
             "geometry": {"type": "Polygon", "coordinates": [[[5, 52], [6, 52], [6, 53], [5, 52]]]}}]},
    featureidkey="properties.code", locations=["A"], z=[1]))


#: kaleido's server thread ends with the browser's failure to open, and says so on its way out.
THREAD_DIES = pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")


def alive(pid: int) -> bool:
    return render._alive(pid)


def kill_browser(pid: int) -> None:
    """End a browser from outside, as a crash would, and wait until it is gone."""
    os.killpg(os.getpgid(pid), signal.SIGKILL)
    deadline = time.monotonic() + 5
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)


def fake_browser(tmp_path, name: str, body: str):
    """A 'browser' that records its process id and then does ``body``."""
    path = tmp_path / name
    path.write_text(f"#!/bin/sh\necho $$ > {tmp_path / (name + '.pid')}\n{body}\n")
    path.chmod(0o755)
    return path, tmp_path / (name + ".pid")


@pytest.fixture
def silent_server():
    """A loopback port that accepts connections and never answers (a render that hangs)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}/"
    sock.close()


# -- persistent --------------------------------------------------------------------------------------

def test_exports_from_several_threads_share_one_browser(renderer, gm1):
    view, geojson, meta = gm1
    renderer.start()
    browser = renderer.browser_pid
    assert browser is not None and renderer.running
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda fmt: (fmt, export_figure(view, geojson, fmt=fmt, meta=meta, dpi=96,
                                                                 renderer_=renderer)),
                                ["png", "svg", "pdf", "png", "svg", "pdf"]))
    for fmt, data in results:
        if fmt == "png":
            assert data[:8] == b"\x89PNG\r\n\x1a\n"
        elif fmt == "svg":
            assert data.count(b"choroplethlocation") == 4
        else:
            assert pdfinspect.page_count(data) == 1
    assert renderer.browser_pid == browser  # no restart


def test_default_renderer_starts_lazily_and_stays(gm1):
    chromium_path()
    view, geojson, meta = gm1
    shared = default_renderer()
    assert default_renderer() is shared and not shared.running
    try:
        export_figure(view, geojson, fmt="svg", meta=meta)
        browser = shared.browser_pid
        assert shared.running and browser and shared.proxy_server is None  # Chromium's traffic to a closed port
        export_figure(view, geojson, fmt="pdf", meta=meta)
        assert shared.browser_pid == browser
    finally:
        shared.close()
    assert not alive(browser) and not shared.running


def test_a_browser_that_died_while_idle_is_started_again(renderer, gm1):
    view, geojson, meta = gm1
    renderer.start()
    first = renderer.browser_pid
    kill_browser(first)
    assert export_figure(view, geojson, fmt="svg", meta=meta, renderer_=renderer).startswith(b"<svg")
    assert renderer.browser_pid not in (None, first)


# -- offline -----------------------------------------------------------------------------------------

def test_no_request_leaves_the_machine(renderer, proxy, gm1, monkeypatch):
    """The page may load local files only; Chromium's own traffic goes to the (recording) proxy."""
    connected = []
    real_connect = socket.socket.connect

    def guarded(sock, address):
        if sock.family in (socket.AF_INET, socket.AF_INET6) and address[0] not in ("127.0.0.1", "::1", "localhost"):
            connected.append(address)
            raise OSError(f"test guard: no connection to {address}")
        return real_connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)
    view, geojson, meta = gm1
    for fmt in FORMATS:
        export_figure(view, geojson, fmt=fmt, meta=meta, renderer_=renderer)
    assert connected == []  # nor does the Python side connect anywhere
    asked = " ".join(proxy.requests)
    for host in ("plot.ly", "mathjax", "cdnjs", "jsdelivr", "unpkg", "/geo/", "topojson"):
        assert host not in asked
    print("Chromium's own requests, caught by the proxy:", sorted({r.split()[1].split("/")[2 if "//" in r else 0]
                                                                   for r in proxy.requests}))


def test_plotly_takes_its_topojson_from_the_local_directory(proxy, tmp_path):
    """Without the files plotly asks for, the render fails: so it reads them from where we say."""
    empty = tmp_path / "empty"
    empty.mkdir()
    r = Renderer(chromium_path(), proxy_server=proxy.url, topojson_url=empty.as_uri() + "/")
    try:
        with pytest.raises(ExportError, match="topojson"):
            r.render(SQUARE, fmt="svg", width=300, height=300)
        full = tmp_path / "full"
        full.mkdir()
        for name in render.TOPOJSON_NAMES:
            (full / f"{name}.json").write_text(EMPTY_TOPOLOGY)
        r.topojson_url = full.as_uri() + "/"
        assert r.render(SQUARE, fmt="svg", width=300, height=300).count(b"choroplethlocation") == 1
    finally:
        r.close()


def test_the_page_policy_stops_a_remote_topojson_before_the_network(proxy):
    """Negative control: point plotly at the CDN; the page's policy blocks it, without it the proxy sees it."""
    blocked = Renderer(chromium_path(), proxy_server=proxy.url, topojson_url="https://cdn.plot.ly/")
    try:
        with pytest.raises(ExportError, match="topojson file at https://cdn.plot.ly/world_110m.json"):
            blocked.render(SQUARE, fmt="svg", width=300, height=300)
        assert blocked.running  # a figure that fails is not a browser that fails
    finally:
        blocked.close()
    assert not any("cdn.plot.ly" in r for r in proxy.requests)  # blocked in the page, never sent
    unblocked = Renderer(chromium_path(), proxy_server=proxy.url, topojson_url="https://cdn.plot.ly/",
                         block_page_requests=False)
    try:
        with pytest.raises(ExportError):
            unblocked.render(SQUARE, fmt="svg", width=300, height=300)
    finally:
        unblocked.close()
    assert any(r.startswith("CONNECT cdn.plot.ly:443") for r in proxy.requests)  # went to the proxy, not out


# -- failures are bounded -----------------------------------------------------------------------------

def test_no_browser_is_a_clear_error_not_a_hang(tmp_path, gm1):
    view, geojson, meta = gm1
    started = time.monotonic()
    with pytest.raises(ExportError, match=r"No Chromium found at .*apt-get install -y chromium"):
        export_figure(view, geojson, fmt="png", meta=meta, renderer_=Renderer(tmp_path / "chromium"))
    assert time.monotonic() - started < 3


@THREAD_DIES
@pytest.mark.parametrize("body, start_timeout, message, within", [
    # it starts but never speaks the DevTools protocol: kaleido's open() would wait for ever
    ("exec sleep 60", 2, "did not start within 2 s", 10),
    # it exits at once: kaleido's server thread dies, and calls into it would wait for ever
    ("exit 3", 15, "exited while starting", 8),
], ids=["silent", "exits-at-once"])
def test_a_browser_that_fails_to_start_is_a_bounded_error_and_leaves_nothing(tmp_path, gm1, renderer, body,
                                                                           start_timeout, message, within):
    view, geojson, meta = gm1
    fake, pid_file = fake_browser(tmp_path, "fake-browser", body)
    r = Renderer(fake, start_timeout=start_timeout)
    started = time.monotonic()
    with pytest.raises(ExportError, match=message):
        export_figure(view, geojson, fmt="svg", meta=meta, renderer_=r)
    assert time.monotonic() - started < within
    assert not r.running and not alive(int(pid_file.read_text()))  # no process left behind
    r.close()
    assert renderer.render(SQUARE, fmt="svg", width=300, height=300).startswith(b"<svg")  # kaleido's server is free


def test_a_render_that_hangs_ends_the_browser_and_the_next_export_starts_another(proxy, silent_server, gm1):
    """plotly waits for ever for a topojson from a server that never answers: kaleido's own
    render timeout ends it, the stuck browser is ended and the next render starts a new one."""
    view, geojson, meta = gm1
    r = Renderer(chromium_path(), proxy_server=proxy.url, topojson_url=silent_server, block_page_requests=False,
                 render_timeout=2)
    try:
        r.start()
        first = r.browser_pid
        started = time.monotonic()
        with pytest.raises(ExportError, match="Rendering the SVG took longer than 2 s"):
            r.render(SQUARE, fmt="svg", width=300, height=300)
        assert time.monotonic() - started < 2 + render.GRACE + 5
        assert not r.running and not alive(first)
        r.topojson_url = None  # and a figure that needs no topojson renders on a new browser
        assert r.render({"data": [], "layout": {}}, fmt="svg", width=100, height=100).startswith(b"<svg")
        assert r.browser_pid not in (None, first)
    finally:
        r.close()


def test_our_own_timeout_ends_a_render_kaleido_would_wait_for(proxy, silent_server, monkeypatch):
    """kaleido's timeout is set when the browser starts; when it is longer than ours (here: 60 s
    against 1 + 0.5 s), our wait ends the render, kills the browser and stops kaleido's server."""
    r = Renderer(chromium_path(), proxy_server=proxy.url, topojson_url=silent_server, block_page_requests=False,
                 render_timeout=60)
    try:
        r.start()
        first = r.browser_pid
        r.render_timeout = 1
        monkeypatch.setattr(render, "GRACE", 0.5)
        threads = threading.active_count()
        started = time.monotonic()
        with pytest.raises(ExportError, match="took longer than 1.5 s"):
            r.render(SQUARE, fmt="svg", width=300, height=300)
        assert time.monotonic() - started < 1.5 + 2 * 0.5 + 5
        assert not r.running and not alive(first)
        deadline = time.monotonic() + 5  # the helper threads finish once the browser is gone
        while threading.active_count() > threads and time.monotonic() < deadline:
            time.sleep(0.05)
        assert threading.active_count() <= threads
    finally:
        r.close()


def test_closing_ends_every_process_of_the_browser(proxy):
    r = Renderer(chromium_path(), proxy_server=proxy.url)
    r.start()
    pid = r.browser_pid
    group = os.getpgid(pid)
    r.close()
    assert not alive(pid) and not r.running
    members = [p for p in os.listdir("/proc") if p.isdigit() and _group_of(int(p)) == group]
    assert [p for p in members if alive(int(p))] == []


def _group_of(pid: int) -> int | None:
    try:
        return os.getpgid(pid)
    except ProcessLookupError:
        return None


def test_a_kaleido_server_that_does_not_stop_is_left_behind_and_a_new_one_serves(proxy, monkeypatch):
    """kaleido's stop_sync_server joins its thread, which can wait for ever; after GRACE we give
    up on that server, and the next export starts a fresh one."""
    import kaleido

    r = Renderer(chromium_path(), proxy_server=proxy.url)
    try:
        r.start()
        first, stuck = r.browser_pid, kaleido._global_server
        monkeypatch.setattr(kaleido, "stop_sync_server", lambda **kw: threading.Event().wait())  # never returns
        monkeypatch.setattr(render, "GRACE", 0.5)
        kill_browser(first)
        started = time.monotonic()
        assert r.render(SQUARE, fmt="svg", width=300, height=300).startswith(b"<svg")
        assert time.monotonic() - started < 0.5 + render.START_TIMEOUT
        assert kaleido._global_server is not stuck and not stuck.is_running()  # its atexit hook returns at once
        assert r.browser_pid not in (None, first)
        monkeypatch.undo()
    finally:
        r.close()
    assert not r.running
