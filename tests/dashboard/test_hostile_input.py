"""Hostile URL and callback values: every one gives a view, a message or a 4xx, never a 500,
a trace or a long computation."""

from __future__ import annotations

import pytest

from dashboard import routes
from dashboard.app import create_app
from dashboard.views import map_view, resolve_state
from data_pipeline.warehouse import AccessDenied, NotFound, Scope

IND = "misdrijven_per_1000_inwoners"
HOSTILE = ["", "²", "٣", "nan", "inf", "-inf", "-1", "0", "1e309", "9" * 400, "\x00", "<script>", ";" * 500,
           ",".join(["1"] * 500), "a" * 5000, "drugs:nan", "drugs:1e400", "drugs:-5", "drugs:11", "-180,-90,180,90",
           "nan,nan,nan,nan", "1e308,1,2,3", ";".join(str(i) for i in range(60_000)), "2024.5", "1e3", "GM0001;" * 999]
#: The ones first reported as a 500, kept by name.
REPORTED = [("jaar", "²"), ("uitsnede", "-180,-90,180,90"), ("gewichten", "drugs:nan"),
            ("grenzen", ";".join(str(i) for i in range(60_000)))]
KEYS = ["jaar", "indicator", *(key for key, _, _ in routes.OPTIONAL.values())]
PATHS = ["/kaart/gemeente/NL01", "/kaart/buurt/WK000101", "/kaart/wijk/%FF", "/kaart/x/../../etc", "/gemeente/GM0001"]


@pytest.mark.parametrize("key, value", REPORTED + [(k, v) for k in KEYS for v in HOSTILE])
def test_a_hostile_url_value_gives_a_view_or_a_message(tiny_warehouse, key, value):
    for path in PATHS:
        state = routes.parse(path, f"?indicator={IND}&{key}={value}")
        assert len(state.breaks) <= routes.MAX_BREAKS and len(state.compare) <= routes.MAX_COMPARED
        try:
            state = resolve_state(tiny_warehouse, state)
            if state.page == "kaart":
                map_view(tiny_warehouse, state, Scope.everything())
        except (NotFound, AccessDenied):
            pass   # shown as a message by the callbacks; a 404/403 by the routes


@pytest.fixture(scope="module")
def client(tiny_warehouse):
    return create_app(tiny_warehouse).server.test_client()


@pytest.mark.parametrize("key, value", REPORTED + [(k, v) for k in KEYS for v in HOSTILE[::3]])
def test_the_routes_answer_hostile_values_without_a_500(client, key, value):
    for url in (f"/download/csv/kaart/wijk/GM0001?indicator={IND}&{key}={value}",
                f"/kaart/wijk/GM0001?{key}={value}", f"/download/csv/kaart/{value[:50]}/GM0001"):
        response = client.get(url)
        assert response.status_code < 500, (url, response.status_code)
        assert b"Traceback" not in response.data


CALLBACK_VALUES = [None, "", "²", "nan", float("nan"), float("inf"), -1, 10**9, 1e309, [], {}, ["ja", 1], "x" * 5000,
                   {"points": "x"}, {"points": [None]}, {"extent": ["a", "b"]}, [float("nan")] * 3]


@pytest.mark.parametrize("trigger", [*routes.CONTROLS, "map", "map-extent", "search", "division", {"type": "weight"}])
def test_a_forged_callback_value_changes_nothing_or_gives_a_valid_state(tiny_warehouse, trigger):
    start = resolve_state(tiny_warehouse, routes.MapState(level="wijk", parent="GM0001", indicator=IND))
    themes = list(tiny_warehouse.catalog.themes)
    for value in CALLBACK_VALUES:
        inputs = {"click": value, "division": value, "search": value, "extent": value, "weights": value,
                  **{control: value for control in routes.CONTROLS}}
        if isinstance(trigger, dict) and isinstance(value, (int, float)):
            inputs["weights"] = [value] * len(themes)
        state = routes.state_after(start, trigger, inputs, themes, tiny_warehouse.has_area)
        if state is None:
            continue
        # the state survives the URL: what the callback would write, it would read back
        assert routes.parse(routes.path(state), routes.search(state)) == state
        assert all(0 <= w <= routes.MAX_WEIGHT for _, w in state.weights)
        try:
            map_view(tiny_warehouse, resolve_state(tiny_warehouse, state), Scope.everything())
        except (NotFound, AccessDenied):
            pass


def test_a_large_request_body_is_refused(client):
    response = client.post("/_dash-update-component", data=b"x" * (5 * 1024 * 1024),
                           content_type="application/json")
    assert response.status_code == 413
