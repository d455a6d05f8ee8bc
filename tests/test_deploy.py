"""The deploy/ examples work: nginx accepts the configuration, and with Redis two app instances
share the sign-in rate limit and accept each other's sessions."""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path

import pandas as pd
import pytest
import redis

from dashboard.app import create_app
from dashboard.signin import REDIS_ENV, Gate
from data_pipeline import analysis
from data_pipeline.access import AccessFile
from data_pipeline.audit import AuditLog
from tests.requirements import program

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "correct horse battery"


def test_nginx_accepts_the_example_configuration(tmp_path):
    nginx = program("nginx", "nginx")
    key, cert = tmp_path / "k.pem", tmp_path / "c.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out",
                    str(cert), "-days", "1", "-subj", "/CN=test"], check=True, capture_output=True)
    site = (ROOT / "deploy" / "nginx.conf").read_text()
    site = (site.replace("/var/cache/nginx/ondermijningsbeeld", str(tmp_path / "cache"))
            .replace("/etc/ssl/certs/ondermijningsbeeld.pem", str(cert))
            .replace("/etc/ssl/private/ondermijningsbeeld.key", str(key)))
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid; error_log {tmp_path}/error.log; events {{}}\n"
        f"http {{ include {tmp_path}/site.conf; access_log off; }}\n")
    result = subprocess.run([nginx, "-t", "-c", str(tmp_path / "nginx.conf")], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "syntax is ok" in result.stderr


@pytest.fixture
def redis_url(tmp_path):
    server = program("redis-server", "redis-server")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    process = subprocess.Popen([server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                                "--dir", str(tmp_path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if time.monotonic() > deadline:
                process.kill()
                pytest.fail("redis-server did not start")
            time.sleep(0.1)
    yield f"redis://127.0.0.1:{port}/0"
    process.terminate()
    process.wait(timeout=10)


def test_two_instances_share_sessions_and_the_sign_in_limit_through_redis(tmp_path, monkeypatch, redis_url,
                                                                          tiny_warehouse):
    monkeypatch.setenv(REDIS_ENV, redis_url)
    access = AccessFile(tmp_path / "access.json")
    access.add("rik", "liec", PASSWORD)
    one, two = (create_app(tiny_warehouse, Gate(access=access, audit=AuditLog(tmp_path / f"audit{i}.jsonl")))
                .server.test_client() for i in (1, 2))
    # a session signed in on one instance is valid on the other (a signed cookie, one secret)
    assert one.post("/login", data={"username": "rik", "password": PASSWORD}).status_code == 302
    cookie = one.get_cookie("session")
    two.set_cookie("session", cookie.value)
    assert two.get("/_dash-layout").status_code == 200
    # sign-ins on one instance count on the other: 10 a minute from this address in all (rik's was
    # the first), so the 4th attempt on the second instance is refused although it saw only 3
    fresh_one, fresh_two = (app.application.test_client() for app in (one, two))
    codes = [fresh_one.post("/login", data={"username": "eve", "password": "guess"}).status_code for _ in range(6)]
    codes += [fresh_two.post("/login", data={"username": "eve", "password": "guess"}).status_code for _ in range(6)]
    assert codes == [401] * 9 + [429] * 3


def test_comparisons_and_scores_are_computed_once_for_every_worker_through_redis(redis_url, demo_warehouse,
                                                                                 monkeypatch):
    wh, year = demo_warehouse, demo_warehouse.years[-1]
    indicator = wh.catalog.indicators[0].id
    analysis.share_computations(redis_url)
    try:
        for cached in (analysis._indicator_comparisons, analysis._composite):
            cached.cache_clear()
        first, score = analysis.indicator_comparisons(wh, indicator, year), analysis.composite(wh, "wijk", year)
        keys = [k.decode() for k in redis.Redis.from_url(redis_url).keys(analysis.SHARED_PREFIX + "*")]
        assert keys and all(wh.build_id in k for k in keys)   # a new build starts afresh
        # another worker: nothing in its memory, and it cannot compute; it reads what the first stored
        for cached in (analysis._indicator_comparisons, analysis._composite):
            cached.cache_clear()
        monkeypatch.setattr(analysis, "comparisons", lambda *a, **k: pytest.fail("computed again"))
        monkeypatch.setattr(analysis, "composite_scores", lambda *a, **k: pytest.fail("computed again"))
        pd.testing.assert_frame_equal(analysis.indicator_comparisons(wh, indicator, year), first)
        pd.testing.assert_series_equal(analysis.composite(wh, "wijk", year).score, score.score)
    finally:
        analysis.share_computations(None)
        for cached in (analysis._indicator_comparisons, analysis._composite):
            cached.cache_clear()


def test_a_redis_that_is_away_costs_the_computation_not_the_request(demo_warehouse, caplog):
    with socket.socket() as s:   # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    analysis.share_computations(f"redis://127.0.0.1:{port}/0")
    try:
        analysis._indicator_comparisons.cache_clear()
        frame = analysis.indicator_comparisons(demo_warehouse, demo_warehouse.catalog.indicators[0].id,
                                               demo_warehouse.years[-1])
        assert len(frame) == len(demo_warehouse.areas_frame())
        assert "shared cache unreachable" in caplog.text
    finally:
        analysis.share_computations(None)
        analysis._indicator_comparisons.cache_clear()
