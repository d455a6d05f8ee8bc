"""Many users at once: two instances of `serve --workers 2` behind nginx, with Redis, under a
bounded load of 50 simulated users for 30 s on loopback."""

from __future__ import annotations

import re
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

from load import behind_nginx, run_load, session_steps  # noqa: E402

from dashboard.app import create_app  # noqa: E402
from data_pipeline.access import AccessFile  # noqa: E402
from data_pipeline.build import build_warehouse  # noqa: E402
from data_pipeline.sources import demo_source  # noqa: E402
from data_pipeline.warehouse import Warehouse  # noqa: E402
from tests.requirements import program  # noqa: E402

pytestmark = pytest.mark.load
PASSWORD = "correct horse battery"
USERS, SECONDS = 50, 30
BUILD = re.compile(r"(?:/|\\u002f)geo(?:/|\\u002f)(\d{8}T\d{6}-[0-9a-f]{6})")   # "/" may come as \u002f


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    nginx, redis_server = program("nginx", "nginx"), program("redis-server", "redis-server")
    tmp = tmp_path_factory.mktemp("load")
    path = tmp / "w.duckdb"
    build_warehouse(demo_source(seed=7, scale=0.06), path)
    access = AccessFile(tmp / "access.json")
    access.add("analist", "liec", PASSWORD)
    with Warehouse(path) as wh:
        steps = session_steps(create_app(wh), wh)
    with behind_nginx(path, access.path, tmp, nginx, redis_server) as (base, instances):
        run_load(base, steps, USERS, 5, signin=("analist", PASSWORD))   # every worker's first requests
        yield base, instances, steps, path


def test_a_session_signed_in_on_one_instance_is_valid_on_the_other(site):
    _, (one, two), _, _ = site
    http = requests.Session()
    assert http.post(one + "/login", data={"username": "analist", "password": PASSWORD},
                     allow_redirects=False).status_code == 302
    assert http.get(two + "/_dash-layout").status_code == 200
    assert requests.get(two + "/_dash-layout").status_code == 401


def test_fifty_users_get_every_answer_and_two_slow_clients_hold_nobody_up(site):
    base, _, steps, _ = site
    plain = run_load(base, steps, USERS, SECONDS, signin=("analist", PASSWORD))
    assert plain.errors == [] and plain.requests > 10 * USERS, plain.errors[:5]
    slowed = run_load(base, steps, USERS, SECONDS, slow_clients=2, signin=("analist", PASSWORD))
    assert slowed.errors == [], slowed.errors[:5]
    assert slowed.percentile(95) <= 2 * plain.percentile(95), (slowed.percentile(95), plain.percentile(95))


def test_a_rebuild_swapped_in_mid_run_costs_no_error_and_every_later_map_is_from_it(site):
    base, _, steps, path = site
    with Warehouse(path) as wh:
        old = wh.build_id
    swapped = {}

    def rebuild() -> None:
        time.sleep(SECONDS / 3)
        build_warehouse(demo_source(seed=7, scale=0.06), path)   # the same country, a new build
        swapped["at"] = time.monotonic()

    thread = threading.Thread(target=rebuild)
    thread.start()
    result = run_load(base, steps, USERS, SECONDS, signin=("analist", PASSWORD), keep_maps=True)
    thread.join()
    with Warehouse(path) as wh:
        new = wh.build_id
    assert new != old and result.errors == [], result.errors[:5]
    builds = [(at, set(BUILD.findall(body))) for at, body in result.bodies]
    later = [found for at, found in builds if at > swapped["at"] + 2]   # 1 s to notice, then a request
    assert later and all(found == {new} for found in later)
    assert any(found == {old} for at, found in builds if at < swapped["at"])
