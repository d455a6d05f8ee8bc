"""Fixtures of the export tests: two small maps, and one renderer behind a recording proxy."""

from __future__ import annotations

import pytest

from dashboard import routes
from dashboard.export import Renderer, export_meta
from dashboard.views import map_view, resolve_state
from data_pipeline.warehouse import Scope
from tests.recording_proxy import RecordingProxy
from tests.requirements import export_browser_path as chromium_path

EVERYTHING = Scope.everything()
MARKING = "Vertrouwelijk — alleen voor intern gebruik"


def view_of(warehouse, level, parent, **state):
    state = resolve_state(warehouse, routes.MapState(level=level, parent=parent, **state))
    return state, map_view(warehouse, state, EVERYTHING)


@pytest.fixture(scope="module")
def gm1(tiny_warehouse):
    """Buurten of Gemeente 1: two classes and one buurt without a value."""
    state, view = view_of(tiny_warehouse, "buurt", "GM0001")
    meta = export_meta(tiny_warehouse, state, view, marking=MARKING)
    return view, tiny_warehouse.geometry("buurt", "GM0001", Scope.everything()), meta


@pytest.fixture(scope="module")
def gm2(tiny_warehouse):
    """Buurten of Gemeente 2: both land buurten suppressed, one water buurt."""
    state, view = view_of(tiny_warehouse, "buurt", "GM0002")
    meta = export_meta(tiny_warehouse, state, view, marking="")
    return view, tiny_warehouse.geometry("buurt", "GM0002", Scope.everything()), meta


@pytest.fixture(scope="session")
def proxy():
    with RecordingProxy() as p:
        yield p


@pytest.fixture(scope="session")
def renderer(proxy):
    """A long-lived renderer whose Chromium sends everything to the recording proxy."""
    r = Renderer(chromium_path(), proxy_server=proxy.url)
    yield r
    r.close()


def area_traces(figure) -> list:
    """The traces of a map figure that draw areas (the names on the map are a text trace)."""
    return [trace for trace in figure.data if trace.type == "choropleth"]
