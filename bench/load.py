"""A bounded load on loopback: simulated users going through a realistic session, and the
servers to put it on (the development server, ``serve --workers 2``, two instances behind nginx
with Redis). Used by ``bench.py`` (section 10) and by ``tests/test_load.py``.

Every request goes to 127.0.0.1 only; a run is bounded in time and in requests.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Iterator

import numpy as np
import requests

from dashboard import routes
from dashboard.layout import score_themes
from dashboard.routes import CONTROLS, control_value
from data_pipeline.warehouse import Warehouse
from geodata.codes import LAND_CODE

ROOT = Path(__file__).resolve().parents[1]
MAX_REQUESTS = 200_000


@dataclass(frozen=True)
class Step:
    name: str
    path: str
    body: str | None = None    # a callback's JSON; None: a GET


def navigate_values(warehouse: Warehouse, state: routes.MapState, click: str | None = None):
    """The inputs of the ``navigate`` callback for ``state`` (a click on ``click`` when given)."""
    values = {
        "url.pathname": routes.path(state), "url.search": routes.search(state),
        "map.clickData": {"points": [{"location": click}]} if click else None,
        "division.value": state.level if state.parent == LAND_CODE else "regio",
        **{f"{cid}.value": control_value(state, f) for cid, f in CONTROLS.items()},
    }
    weights = [({"theme": theme, "type": "weight"}, state.weight(theme)) for theme in score_themes(warehouse.catalog)]
    return values, "map.clickData" if click else "url.pathname", {"weight": weights}


def session_steps(app, warehouse: Warehouse) -> list[Step]:
    """One user's session: the page, the national map, three drill-downs by click, a profile and
    the table, as the browser sends them (built once on ``app``, the same for every server)."""
    from harness import MapCallback, largest

    regio = largest(warehouse, "regio")
    gemeente = next(g for g in warehouse.codes("gemeente", regio) if warehouse.codes("wijk", g))
    wijk = warehouse.codes("wijk", gemeente)[0]
    buurt = warehouse.codes("buurt", wijk)[0]
    first = routes.MapState("regio", LAND_CODE, warehouse.catalog.indicators[0].id, warehouse.years[-1])
    navigate = MapCallback(app)
    steps = [Step("page", "/"), Step("layout", "/_dash-layout"),
             Step("national map", "/_dash-update-component", navigate.body(*navigate_values(warehouse, first)))]
    shown = first
    for level, code in (("gemeente", regio), ("wijk", gemeente), ("buurt", wijk)):
        before = replace(shown, area=code)   # the first click selected it, this one drills in
        steps.append(Step(f"click {code}", "/_dash-update-component",
                          navigate.body(*navigate_values(warehouse, before, click=code))))
        shown = routes.MapState(level, code, first.indicator, first.year)
    profile = MapCallback(app, output="profile.children")
    selected = replace(shown, area=buurt)
    steps.append(Step("profile", "/_dash-update-component", profile.body(
        {"url.pathname": routes.path(selected), "url.search": routes.search(selected), "profile.style": {}},
        "url.search")))
    table = MapCallback(app, output="area-table-slot.children")
    steps.append(Step("table", "/_dash-update-component", table.body(
        {"table-opened.data": 1, "url.pathname": routes.path(shown), "url.search": routes.search(shown)},
        "table-opened.data")))
    return steps


@dataclass
class LoadResult:
    seconds: float
    latencies_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    bodies: list[tuple[float, str]] = field(default_factory=list)   # (time, map response) for checks

    @property
    def requests(self) -> int:
        return len(self.latencies_ms)

    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float:
        return float(np.percentile(self.latencies_ms, q)) if self.latencies_ms else float("nan")


def run_load(base: str, steps: list[Step], users: int = 50, seconds: float = 30.0, slow_clients: int = 0,
             signin: tuple[str, str] | None = None, keep_maps: bool = False) -> LoadResult:
    """``users`` threads each going through ``steps`` again and again for ``seconds`` against
    ``base`` (127.0.0.1 only), with ``slow_clients`` connections that send half a request and
    then dawdle. Every answer other than 200 is an error."""
    if not base.startswith("http://127.0.0.1:"):
        raise ValueError("load only on loopback")
    result, lock = LoadResult(seconds), threading.Lock()
    deadline = time.monotonic() + seconds
    stop = threading.Event()

    cookies = requests.Session()
    if signin:   # once: fifty sign-ins from one address would meet the sign-in rate limit
        answer = cookies.post(base + "/login", data={"username": signin[0], "password": signin[1]},
                              allow_redirects=False, timeout=30)
        if answer.status_code != 302:
            raise RuntimeError(f"sign-in failed: HTTP {answer.status_code}")

    def user() -> None:
        http = requests.Session()
        http.cookies.update(cookies.cookies)
        while time.monotonic() < deadline and not stop.is_set():
            for step in steps:
                start = time.perf_counter()
                try:
                    response = (http.get(base + step.path, timeout=30) if step.body is None else
                                http.post(base + step.path, data=step.body, timeout=30,
                                          headers={"Content-Type": "application/json"}))
                    ok, text = response.status_code == 200, f"{step.name}: HTTP {response.status_code}"
                except requests.RequestException as err:
                    ok, text, response = False, f"{step.name}: {type(err).__name__}", None
                elapsed = (time.perf_counter() - start) * 1000
                with lock:
                    result.latencies_ms.append(elapsed)
                    if not ok:
                        result.errors.append(text)
                    elif keep_maps and step.name.startswith("click") and response is not None:
                        result.bodies.append((time.monotonic(), response.text))
                    if len(result.latencies_ms) >= MAX_REQUESTS:
                        stop.set()
                if time.monotonic() >= deadline or stop.is_set():
                    return

    with slow_connections(base, slow_clients, seconds):
        threads = [threading.Thread(target=user, daemon=True) for _ in range(users)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(seconds + 60)
    return result


@contextmanager
def slow_connections(base: str, count: int, seconds: float) -> Iterator[None]:
    """``count`` clients that send a request line and a header, then one byte every 2 s."""
    port = int(base.rsplit(":", 1)[1])
    sockets = []
    for _ in range(count):
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(b"GET /_dash-layout HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        sockets.append(s)
    done = threading.Event()

    def dawdle() -> None:
        while not done.wait(2.0):
            for s in sockets:
                try:
                    s.sendall(b"X")
                except OSError:
                    pass

    thread = threading.Thread(target=dawdle, daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        for s in sockets:
            s.close()


# --------------------------------------------------------------------------- servers to load


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, process: subprocess.Popen | None = None, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            if requests.get(url, timeout=2).status_code < 500:
                return
        except requests.RequestException:
            pass
        if (process is not None and process.poll() is not None) or time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not come up")
        time.sleep(0.2)


@contextmanager
def processes(*commands: list[str], cwd: Path, env: dict[str, str] | None = None) -> Iterator[list[subprocess.Popen]]:
    """Start ``commands``; stop them all at the end, the last first."""
    started = []
    try:
        for command in commands:
            started.append(subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL,
                                            stderr=subprocess.DEVNULL))
        yield started
    finally:
        for p in reversed(started):
            p.terminate()
        for p in started:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()


def serve_command(warehouse: Path, access: Path, port: int, workers: int = 0) -> list[str]:
    command = [sys.executable, str(ROOT / "app.py"), "--warehouse", str(warehouse), "--access", str(access),
               "serve", "--open", "--port", str(port)]
    return command + (["--workers", str(workers)] if workers else [])


@contextmanager
def workers(warehouse: Path, access: Path, tmp: Path, count: int = 2) -> Iterator[str]:
    """``serve --workers count`` on a free port; yields its base URL."""
    port = free_port()
    with processes(serve_command(warehouse, access, port, count), cwd=tmp) as (process,):
        base = f"http://127.0.0.1:{port}"
        wait_for(base + "/_dash-layout", process)
        yield base


@contextmanager
def behind_nginx(warehouse: Path, access: Path, tmp: Path, nginx: str,
                 redis_server: str) -> Iterator[tuple[str, list[str]]]:
    """Redis, two instances of ``serve --workers 2`` and nginx in front of them (the upstream and
    proxy settings of deploy/nginx.conf, on loopback and without TLS); yields nginx's base URL and
    the instances' own."""
    import os

    redis_port, ports, front = free_port(), [free_port(), free_port()], free_port()
    conf = tmp / "nginx.conf"
    user = "user root;" if os.geteuid() == 0 else ""   # workers write temp files under tmp
    conf.write_text(f"""{user}
pid {tmp}/nginx.pid; error_log {tmp}/nginx-error.log; worker_processes 2; daemon off;
events {{ worker_connections 1024; }}
http {{
    access_log off; client_body_temp_path {tmp}/nginx-body; proxy_temp_path {tmp}/nginx-proxy;
    fastcgi_temp_path {tmp}/nginx-fcgi; uwsgi_temp_path {tmp}/nginx-uwsgi; scgi_temp_path {tmp}/nginx-scgi;
    upstream ondermijningsbeeld {{ least_conn; server 127.0.0.1:{ports[0]}; server 127.0.0.1:{ports[1]}; keepalive 32; }}
    server {{
        listen 127.0.0.1:{front};
        client_max_body_size 1m; gzip on; gzip_types application/json;
        proxy_http_version 1.1; proxy_set_header Connection ""; proxy_set_header Host $host;
        proxy_set_header X-Forwarded-For $remote_addr; proxy_set_header X-Forwarded-Proto $scheme;
        proxy_buffering on; proxy_read_timeout 120s;
        location / {{ proxy_pass http://ondermijningsbeeld; }}
    }}
}}
""")
    env = {**os.environ, "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0", "ONDERMIJNINGSBEELD_BEHIND_PROXY": "1"}
    redis = [redis_server, "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(tmp)]
    commands = [redis, *(serve_command(warehouse, access, port, 2) for port in ports), [nginx, "-c", str(conf)]]
    with processes(*commands, cwd=tmp, env=env) as started:
        instances = [f"http://127.0.0.1:{port}" for port in ports]
        for base, process in zip(instances, started[1:3]):
            wait_for(base + "/_dash-layout", process)
        front_base = f"http://127.0.0.1:{front}"
        wait_for(front_base + "/_dash-layout", started[3])
        yield front_base, instances
