"""Fetching the official files for a year, against recorded responses only.

No test reaches CBS, politie or PDOK: an autouse fixture makes every name lookup of a
non-loopback host fail (and the test fail), recorded answers come from
``tests/fixtures/download`` through an adapter mounted on the session or a local
``http.server`` on 127.0.0.1, and the tests of the default session point the real hostnames
at loopback.
"""

from __future__ import annotations

import argparse
import http.server
import io
import json
import socket
import threading
import time
import urllib.parse
from pathlib import Path

import pytest
import requests

from data_pipeline import cbs_download, http_client
from tests.network import closed_port, hosts_point_to
from data_pipeline.cbs_files import read_region_mapping
from data_pipeline.cbs_download import (CRIME_CODES, SUPPORTED_YEARS, FetchError, add_arguments,
                                        GEBIEDEN_TABLES, crime_filter, downloads_for_year, fetch_year,
                                        page_filename)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "download"
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
KWB, CRIME, GPKG, GEBIEDEN = downloads_for_year(2024)
KWB_PAGE2 = "https://opendata.cbs.nl/ODataFeed/OData/85984NED/TypedDataSet?$format=json&$skip=10000"
ROUTES_2024 = {
    KWB.url: "odata_85984NED_page1.json",
    KWB_PAGE2: "odata_85984NED_page2.json",
    CRIME.url: "odata_47018NED_2024.json",
    GPKG.url: "wijkenbuurten_2024.gpkg",
    GEBIEDEN.url: "odata_85755NED_2024.json",
}
EXPECTED_NAMES = ["85984NED_TypedDataSet.json", "47018NED_2024JJ00_TypedDataSet.json", "wijkenbuurten_2024.gpkg",
                  "85755NED_TypedDataSet.json"]


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def rows(name: str) -> list[dict]:
    return json.loads(fixture(name))["value"]


NEW_SESSION = http_client.new_session      # before any test replaces it


class Recorded(requests.adapters.BaseAdapter):
    """Recorded answers by URL, as a requests adapter; ``fail`` maps a URL to an exception to raise.

    Unknown URLs answer HTTP 404. :meth:`session` mounts it on a :func:`http_client.new_session`.
    """

    def __init__(self, routes=ROUTES_2024, fail=None):
        super().__init__()
        self.routes = dict(routes)
        self.fail = dict(fail or {})
        self.calls: list[str] = []

    def send(self, request, **kwargs):
        self.calls.append(request.url)
        if request.url in self.fail:
            raise self.fail[request.url]
        route = self.routes.get(request.url)
        response = requests.Response()
        response.status_code, response.reason = (200, "OK") if route else (404, "Not Found")
        body = route if isinstance(route, bytes) else fixture(route) if route else b"<html>not here</html>"
        response.raw, response.url, response.request = io.BytesIO(body), request.url, request
        return response

    def close(self):
        pass

    def session(self) -> requests.Session:
        session = NEW_SESSION()
        session.mount("https://", self)
        return session


class Redirect(requests.adapters.BaseAdapter):
    """Hands each request on to a real adapter, at the URL ``where(urlsplit(url))`` gives."""

    def __init__(self, adapter, where):
        super().__init__()
        self.adapter, self.where = adapter, where

    def send(self, request, **kwargs):
        request.url = urllib.parse.urlunsplit(self.where(urllib.parse.urlsplit(request.url)))
        return self.adapter.send(request, **kwargs)

    def close(self):
        self.adapter.close()


def redirected(where) -> requests.Session:
    """:func:`http_client.new_session`, with every https URL sent elsewhere by its real adapter."""
    session = NEW_SESSION()
    session.mount("https://", Redirect(session.get_adapter("https://"), where))
    return session


@pytest.fixture(autouse=True)
def no_internet(monkeypatch):
    """Fail any lookup of a host that is not this machine (tests that mean to, patch over it)."""
    for var in ("http_proxy", "https_proxy", "all_proxy", "no_proxy"):   # requests would use them
        monkeypatch.delenv(var, raising=False)
        monkeypatch.delenv(var.upper(), raising=False)
    real = socket.getaddrinfo
    attempts: list[str] = []

    def loopback_only(host, *args, **kwargs):
        if host not in LOOPBACK:
            attempts.append(host)
            raise socket.gaierror(socket.EAI_NONAME, f"test forbids looking up {host}")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", loopback_only)
    yield
    assert attempts == [], f"a test tried to reach {attempts}"


def saved(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


# --- a local server with the recorded answers ---------------------------------------------------

DROP = (None, b"")      # an answer that is no answer: the server closes the connection


class Server:
    """``http.server`` on 127.0.0.1 answering for the official URLs.

    :meth:`session` is a real :func:`http_client.new_session` that sends
    ``https://<host>/<path>`` to ``http://127.0.0.1:<port>/<host>/<path>``. ``routes`` maps an
    official URL to a fixture name, bytes, or a list of answers given in turn (the last one
    again and again): ``(status, body)``, ``(status, body, headers)`` or :data:`DROP`.
    """

    def __init__(self, routes):
        self.routes = {url: (list(r) if isinstance(r, list) else r) for url, r in routes.items()}
        self.requests: list[str] = []
        self.user_agents: set[str] = set()
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                official = "https://" + self.path[1:]
                server.requests.append(official)
                server.user_agents.add(self.headers["User-Agent"])
                route = server.routes.get(official)
                status, body, headers = 404, b"<html>not here</html>", {}
                if isinstance(route, list):
                    answer = route.pop(0) if len(route) > 1 else route[0]
                    status, body, headers = answer if len(answer) == 3 else (*answer, {})
                elif isinstance(route, bytes):
                    status, body = 200, route
                elif route is not None:
                    status, body = 200, fixture(route)
                if status is None:
                    return
                self.send_response(status)
                for name, value in {"Content-Length": str(len(body)), **headers}.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)

    def session(self) -> requests.Session:
        return redirected(lambda url: ("http", f"127.0.0.1:{self.port}", f"/{url.netloc}{url.path}", url.query, ""))


@pytest.fixture
def serve():
    servers: list[Server] = []

    def start(routes=ROUTES_2024) -> Server:
        server = Server(routes)
        server.thread.start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.httpd.shutdown()
        server.httpd.server_close()


# --- what to download ---------------------------------------------------------------------------

def test_every_supported_year_names_the_official_tables_and_files():
    tables = {2021: "85039NED", 2022: "85318NED", 2023: "85618NED", 2024: "85984NED", 2025: "86165NED"}
    assert SUPPORTED_YEARS == tuple(tables)
    for year, table in tables.items():
        kwb, crime, gpkg, gebieden = downloads_for_year(year)
        assert [d.name for d in (kwb, crime, gpkg, gebieden)] == ["kerncijfers", "misdrijven", "wijkbuurtkaart",
                                                                 "gebieden"]
        assert gebieden.table_id == GEBIEDEN_TABLES[year]
        assert gebieden.url == f"https://opendata.cbs.nl/ODataFeed/odata/{gebieden.table_id}/TypedDataSet?$format=json"
        assert (kwb.table_id, crime.table_id, gpkg.table_id) == (table, "47018NED", f"wijkbuurtkaart_{year}")
        assert kwb.url == f"https://opendata.cbs.nl/ODataFeed/odata/{table}/TypedDataSet?$format=json"
        assert crime.url.startswith("https://dataderden.cbs.nl/ODataFeed/odata/47018NED/TypedDataSet?$format=json&$filter=")
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(crime.url).query)
        assert query["$filter"] == [crime_filter(year)]
        assert gpkg.url.startswith(f"https://service.pdok.nl/cbs/wijkenbuurten/{year}/atom/downloads/wijkenbuurten_{year}")
        assert gpkg.url.endswith(".gpkg") and all(m.endswith(".gpkg") for m in gpkg.mirrors)
        assert [d.filename for d in (kwb, crime, gpkg)] == [
            f"{table}_TypedDataSet.json", f"47018NED_{year}JJ00_TypedDataSet.json", f"wijkenbuurten_{year}.gpkg"]
        assert all(d.description for d in (kwb, crime, gpkg))


def test_crime_filter_asks_for_one_year_and_the_padded_codes_including_the_total():
    text = crime_filter(2023)
    assert text.startswith("Perioden eq '2023JJ00' and (")
    for code in CRIME_CODES:
        assert f"SoortMisdrijf eq '{code.ljust(6)}'" in text
    assert {"0.0.0", "3.1.1", "3.1.3", "1.6.3", "1.6.1", "1.4.7"} <= set(CRIME_CODES)


def test_an_unknown_year_is_refused_with_the_supported_years():
    for year in (2020, 2026, "2024"):
        with pytest.raises(ValueError, match="supported years: 2021, 2022, 2023, 2024, 2025"):
            downloads_for_year(year)


def test_fetch_refuses_an_unknown_year_before_touching_the_disk(tmp_path):
    with pytest.raises(ValueError):
        fetch_year(2019, tmp_path / "out", session=Recorded().session())
    assert not (tmp_path / "out").exists()


# --- success ------------------------------------------------------------------------------------

def assert_fetched_2024(folder: Path, paths: list[Path]) -> None:
    assert paths == [folder / name for name in EXPECTED_NAMES]
    assert saved(folder) == sorted(EXPECTED_NAMES)          # no temporary or page files left
    kwb = json.loads((folder / EXPECTED_NAMES[0]).read_bytes())
    assert set(kwb) == {"odata.metadata", "value"}            # one page's shape, no nextLink
    assert kwb["odata.metadata"] == json.loads(fixture("odata_85984NED_page1.json"))["odata.metadata"]
    assert kwb["value"] == rows("odata_85984NED_page1.json") + rows("odata_85984NED_page2.json")
    crime = json.loads((folder / EXPECTED_NAMES[1]).read_bytes())
    assert crime["value"] == rows("odata_47018NED_2024.json")
    assert crime["odata.metadata"].startswith("https://dataderden.cbs.nl/")
    assert (folder / EXPECTED_NAMES[2]).read_bytes() == fixture("wijkenbuurten_2024.gpkg")
    mapping = read_region_mapping(folder / EXPECTED_NAMES[3])      # what build needs to place gemeenten
    assert set(mapping["gemeente_code"]) >= {"GM0014", "GM0363"} and mapping["regio_code"].str.match(r"RE\d\d").all()


def test_fetch_saves_each_file_under_its_name_with_the_pages_concatenated(tmp_path):
    recorded, messages = Recorded(), []
    paths = fetch_year(2024, tmp_path / "bronnen" / "2024", session=recorded.session(), progress=messages.append)
    assert_fetched_2024(tmp_path / "bronnen" / "2024", paths)
    assert recorded.calls == [KWB.url, KWB_PAGE2, CRIME.url, GPKG.url, GEBIEDEN.url]
    assert any("page 2, 5 rows" in m for m in messages) and any("done" in m for m in messages)


def test_fetch_through_a_local_http_server_uses_the_real_requests_path(tmp_path, serve):
    server = serve()
    paths = fetch_year(2024, tmp_path, session=server.session())
    assert_fetched_2024(tmp_path, paths)
    assert server.requests == [KWB.url, KWB_PAGE2, CRIME.url, GPKG.url, GEBIEDEN.url]
    assert server.user_agents == {http_client.USER_AGENT}


def test_a_next_link_without_format_gets_json_asked_for_again(tmp_path):
    page1 = json.loads(fixture("odata_85984NED_page1.json"))
    page1["odata.nextLink"] = "TypedDataSet?$skip=10000"                # relative, no $format
    relative = "https://opendata.cbs.nl/ODataFeed/odata/85984NED/TypedDataSet?$skip=10000&$format=json"
    recorded = Recorded({**ROUTES_2024, KWB.url: json.dumps(page1).encode(), relative: "odata_85984NED_page2.json"})
    fetch_year(2024, tmp_path, session=recorded.session())
    assert recorded.calls[1] == relative


# --- retries ------------------------------------------------------------------------------------

@pytest.fixture
def no_backoff(monkeypatch):
    monkeypatch.setattr(http_client, "RETRY_BACKOFF", 0)


def test_a_busy_server_is_asked_again_until_it_answers(tmp_path, serve, no_backoff):
    crime = fixture("odata_47018NED_2024.json")
    server = serve({**ROUTES_2024, CRIME.url: [(503, b"busy"), (502, b"bad gateway"), (200, crime)],
                    GPKG.url: [DROP, (200, fixture("wijkenbuurten_2024.gpkg"))]})   # closed, then answered
    assert_fetched_2024(tmp_path, fetch_year(2024, tmp_path, session=server.session()))
    assert server.requests == [KWB.url, KWB_PAGE2, CRIME.url, CRIME.url, CRIME.url, GPKG.url, GPKG.url, GEBIEDEN.url]


def test_a_server_that_stays_busy_ends_with_what_to_download_by_hand(tmp_path, serve, no_backoff):
    server = serve({**ROUTES_2024, CRIME.url: [(503, b"busy")]})
    with pytest.raises(FetchError, match=r"47018NED.* answered HTTP 503 Service Unavailable") as caught:
        fetch_year(2024, tmp_path, session=server.session())
    assert server.requests.count(CRIME.url) == 1 + http_client.RETRIES
    assert GPKG.url not in server.requests
    assert caught.value.failed.name == "misdrijven"
    assert saved(tmp_path) == []
    assert_manual_message(caught.value, tmp_path)


def test_retry_after_is_waited_for_up_to_a_limit(tmp_path, serve, no_backoff, monkeypatch):
    monkeypatch.setattr(http_client, "RETRY_AFTER_MAX", 1)
    server = serve({**ROUTES_2024, KWB.url: [(429, b"slow down", {"Retry-After": "3600"}),
                                             (200, fixture("odata_85984NED_page1.json"))]})
    start = time.monotonic()
    assert_fetched_2024(tmp_path, fetch_year(2024, tmp_path, session=server.session()))
    assert 1 <= time.monotonic() - start < 5       # no backoff here: the wait is Retry-After's, capped
    assert server.requests.count(KWB.url) == 2


def test_a_moved_geopackage_is_taken_from_the_documented_alternative(tmp_path):
    kwb, crime, gpkg, gebieden = downloads_for_year(2023)
    assert gpkg.mirrors, "2023 has a second documented PDOK file name"
    page1 = fixture("odata_85984NED_page1.json").replace(b"85984NED", b"85618NED")
    recorded = Recorded({kwb.url: page1, KWB_PAGE2.replace("85984NED", "85618NED"): "odata_85984NED_page2.json",
                         crime.url: "odata_47018NED_2024.json", gpkg.mirrors[0]: "wijkenbuurten_2024.gpkg",
                         gebieden.url: "odata_85755NED_2024.json"})
    fetch_year(2023, tmp_path, session=recorded.session())
    assert recorded.calls[-3:-1] == [gpkg.url, gpkg.mirrors[0]]
    assert (tmp_path / "wijkenbuurten_2023.gpkg").read_bytes() == fixture("wijkenbuurten_2024.gpkg")


# --- failure: nothing written, a message to act on ----------------------------------------------

def assert_manual_message(err: FetchError, folder: Path, year: int = 2024) -> None:
    text = str(err)
    folder = folder.absolute()
    assert f"Nothing was written to {folder}" in text
    for d in downloads_for_year(year):
        assert d.url in text
        assert f"save as: {folder / d.filename}" in text
    assert page_filename(EXPECTED_NAMES[0], 2) in text
    assert text.rstrip().endswith(f"ondermijningsbeeld build --from-files {folder} --year {year}")


def test_a_failure_on_the_second_file_writes_nothing(tmp_path):
    refused = requests.ConnectionError(ConnectionRefusedError(111, "Connection refused"))
    recorded = Recorded(fail={CRIME.url: refused})
    with pytest.raises(FetchError) as caught:
        fetch_year(2024, tmp_path, session=recorded.session())
    assert recorded.calls == [KWB.url, KWB_PAGE2, CRIME.url]        # aborted at once, PDOK not tried
    assert saved(tmp_path) == []
    assert caught.value.failed.name == "misdrijven"
    assert "cannot reach dataderden.cbs.nl (Connection refused)" in str(caught.value)
    assert_manual_message(caught.value, tmp_path)


def test_a_failure_on_a_later_page_writes_nothing(tmp_path, serve, no_backoff):
    server = serve({**ROUTES_2024, KWB_PAGE2: [(500, b'{"odata.error":{"code":"","message":'
                                                       b'{"lang":"nl-NL","value":"Interne fout"}}}')]})
    with pytest.raises(FetchError, match=r"HTTP 500 .*\(Interne fout\)"):
        fetch_year(2024, tmp_path, session=server.session())
    assert saved(tmp_path) == []
    assert server.requests == [KWB.url, KWB_PAGE2]                  # an error in the query: not retried


def test_a_failure_on_the_last_file_keeps_older_files_and_removes_a_folder_it_made(tmp_path):
    (tmp_path / EXPECTED_NAMES[0]).write_text("older download")
    recorded = Recorded(fail={GPKG.url: requests.ReadTimeout(TimeoutError("timed out"))})
    with pytest.raises(FetchError, match=r"\(wijkbuurtkaart\): service.pdok.nl stopped answering"):
        fetch_year(2024, tmp_path, session=recorded.session())
    assert saved(tmp_path) == [EXPECTED_NAMES[0]]
    assert (tmp_path / EXPECTED_NAMES[0]).read_text() == "older download"

    target = tmp_path / "new" / "2024"
    with pytest.raises(FetchError):
        fetch_year(2024, target, session=recorded.session())
    assert not (tmp_path / "new").exists()


def test_without_a_network_the_default_session_fails_at_once(tmp_path, monkeypatch):
    looked_up = []

    def offline(host, *args, **kwargs):
        looked_up.append(host)
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")

    monkeypatch.setattr(socket, "getaddrinfo", offline)
    start = time.monotonic()
    with pytest.raises(FetchError, match=r"cannot reach opendata.cbs.nl \(Temporary failure") as caught:
        fetch_year(2024, tmp_path / "out")
    assert time.monotonic() - start < 1
    assert looked_up == ["opendata.cbs.nl"]                   # not retried: the first failure ends it
    assert not (tmp_path / "out").exists()
    assert_manual_message(caught.value, tmp_path / "out")


def test_an_unreachable_host_fails_fast_through_the_default_session(tmp_path, monkeypatch):
    looked_up = hosts_point_to(monkeypatch, closed_port())      # the real URLs, a closed loopback port
    start = time.monotonic()
    with pytest.raises(FetchError) as caught:
        fetch_year(2024, tmp_path / "out")
    assert time.monotonic() - start < 5
    # a refused connection is tried again a few times, then the first failure ends the fetch
    assert looked_up == ["opendata.cbs.nl"] * (1 + http_client.RETRIES)
    assert "cannot reach opendata.cbs.nl" in str(caught.value)
    assert caught.value.failed.name == "kerncijfers"
    assert not (tmp_path / "out").exists()
    assert_manual_message(caught.value, tmp_path / "out")


@pytest.mark.parametrize("proxy, host", [(None, "opendata.cbs.nl"),
                                         ("http://proxy.example.invalid:3128", "proxy.example.invalid")])
def test_a_name_lookup_that_hangs_is_cut_off_by_the_timeout(tmp_path, monkeypatch, proxy, host):
    if proxy:
        monkeypatch.setenv("https_proxy", proxy)              # then the proxy's name is looked up
    release, looked_up = threading.Event(), []

    def hanging(host, *args, **kwargs):
        looked_up.append(host)
        release.wait(30)
        raise socket.gaierror(socket.EAI_AGAIN, "gave up")

    monkeypatch.setattr(socket, "getaddrinfo", hanging)
    start = time.monotonic()
    try:
        with pytest.raises(FetchError, match=r"no answer from opendata.cbs.nl within 0.5 s"):
            fetch_year(2024, tmp_path, timeout=0.5)
        assert time.monotonic() - start < 3
    finally:
        release.set()
    assert looked_up == [host]                                # not retried
    assert saved(tmp_path) == []


def test_a_server_that_accepts_but_never_answers_is_cut_off(tmp_path, monkeypatch):
    monkeypatch.setattr(cbs_download, "READ_TIMEOUT", 0.5)
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        hosts_point_to(monkeypatch, silent.getsockname()[1])
        # plain http, so that the connection gets as far as waiting for an answer
        session = redirected(lambda url: url._replace(scheme="http"))
        start = time.monotonic()
        with pytest.raises(FetchError, match="opendata.cbs.nl stopped answering"):
            fetch_year(2024, tmp_path, timeout=0.5, session=session)
        assert time.monotonic() - start < 5
    assert saved(tmp_path) == []


@pytest.mark.parametrize("route, message", [
    (KWB.url, "did not answer OData JSON"),
    (GPKG.url, "did not send a GeoPackage"),
])
def test_an_html_page_instead_of_the_file_is_refused(tmp_path, serve, route, message):
    server = serve({**ROUTES_2024, route: b"<!DOCTYPE html><html><body>Proxy login</body></html>"})
    with pytest.raises(FetchError, match=message):
        fetch_year(2024, tmp_path, session=server.session())
    assert saved(tmp_path) == []


def test_a_year_without_rows_is_a_failure_not_an_empty_file(tmp_path):
    empty = b'{"odata.metadata":"https://dataderden.cbs.nl/ODataFeed/OData/47018NED/$metadata#Cbs.OData.WebAPI.TypedDataSet","value":[]}'
    with pytest.raises(FetchError, match="47018NED returned no rows"):
        fetch_year(2024, tmp_path, session=Recorded({**ROUTES_2024, CRIME.url: empty}).session())
    assert saved(tmp_path) == []


def test_a_next_link_that_loops_is_stopped(tmp_path):
    page = json.loads(fixture("odata_85984NED_page1.json"))
    page["odata.nextLink"] = KWB.url
    with pytest.raises(FetchError, match="keeps sending more pages"):
        fetch_year(2024, tmp_path, session=Recorded({**ROUTES_2024, KWB.url: json.dumps(page).encode()}).session())
    assert saved(tmp_path) == []


def test_by_hand_pages_are_named_after_the_file():
    assert page_filename("47018NED_2024JJ00_TypedDataSet.json", 1) == "47018NED_2024JJ00_TypedDataSet.json"
    assert page_filename("47018NED_2024JJ00_TypedDataSet.json", 12) == "47018NED_2024JJ00_TypedDataSet_page12.json"


# --- the fetch subcommand -----------------------------------------------------------------------

def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="ondermijningsbeeld")
    add_arguments(parser.add_subparsers(dest="command").add_parser("fetch"))
    return parser.parse_args(["fetch", *argv])


def test_fetch_command_prints_progress_and_the_saved_paths(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(cbs_download, "new_session", Recorded().session)
    args = parse("--year", "2024", "--to", str(tmp_path))
    assert args.func(args) == 0
    out, err = capsys.readouterr()
    assert out.splitlines() == [str(tmp_path / name) for name in EXPECTED_NAMES]
    assert "kerncijfers: page 2" in err and f"--from-files {tmp_path} --year 2024" in err


def test_fetch_command_reports_a_failure_on_stderr_and_exits_1(tmp_path, monkeypatch, capsys):
    hosts_point_to(monkeypatch, closed_port())
    args = parse("--year", "2024", "--to", str(tmp_path / "out"), "--timeout", "2")
    assert args.func(args) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert "Could not download the official files for 2024" in err
    assert f"ondermijningsbeeld build --from-files {(tmp_path / 'out').absolute()} --year 2024" in err


def test_fetch_command_only_accepts_supported_years(capsys):
    with pytest.raises(SystemExit) as exited:
        parse("--year", "2019", "--to", "x")
    assert exited.value.code == 2
    assert "2021, 2022, 2023, 2024, 2025" in capsys.readouterr().err
