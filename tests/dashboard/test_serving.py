"""`serve --workers 2` under gunicorn, on loopback: answers, is not blocked by slow clients, and
every worker serves a rebuild swapped in while it runs."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from data_pipeline.build import build_warehouse
from data_pipeline.warehouse import LiveWarehouse
from tests.factories import tiny_observations, tiny_source

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str, timeout: float = 10) -> tuple[int, str, str]:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.status, response.headers.get("Server", ""), response.read().decode("utf-8")


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("served")
    path = tmp_path / "w.duckdb"
    build_warehouse(tiny_source(), path)
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "app.py"), "--warehouse", str(path), "--access", str(tmp_path / "none.json"),
         "serve", "--open", "--workers", "2", "--port", str(port)],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            get(url + "/_dash-layout", timeout=2)
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"serve --workers did not start: {process.stdout.read()[-2000:]}")
            time.sleep(0.2)
    yield url, path
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


def test_two_workers_answer_and_two_slow_clients_block_nobody(served):
    url, _ = served
    slow = []
    for _ in range(2):   # connections that send half a request and then nothing
        s = socket.create_connection(("127.0.0.1", int(url.rsplit(":", 1)[1])))
        s.sendall(b"GET /_dash-layout HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        slow.append(s)
    try:
        start = time.monotonic()
        with ThreadPoolExecutor(8) as pool:
            results = list(pool.map(lambda _: get(url + "/_dash-layout"), range(40)))
        assert all(status == 200 for status, _, _ in results)
        assert {server for _, server, _ in results} == {"gunicorn"}      # no version named
        assert time.monotonic() - start < 15
    finally:
        for s in slow:
            s.close()


def test_every_worker_serves_a_rebuild_swapped_in_while_it_runs(served):
    url, path = served
    assert "2022" not in get(url + "/_dash-layout")[2]
    build_warehouse(tiny_source(tiny_observations(years=(2022, 2023, 2024))), path)
    time.sleep(LiveWarehouse.CHECK_SECONDS + 0.2)
    with ThreadPoolExecutor(4) as pool:
        layouts = list(pool.map(lambda _: get(url + "/_dash-layout")[2], range(24)))
    assert all("2022" in layout for layout in layouts)   # the first request of each worker opens it
