"""Map callback logic and the server's own static routes, without a browser."""

from __future__ import annotations

import gzip
import json

import pytest

from dashboard import routes
from dashboard.app import create_app
from dashboard.views import map_view, resolve_state
from data_pipeline.build import build_warehouse
from data_pipeline.warehouse import LiveWarehouse, NotFound, Scope, Warehouse
from tests.factories import tiny_observations, tiny_source

EVERYTHING = Scope.everything()


def test_resolve_state_fills_unknown_indicator_and_year(tiny_warehouse):
    state = resolve_state(tiny_warehouse, routes.MapState(indicator="nope", year=1900))
    assert state.indicator == tiny_warehouse.catalog.indicators[0].id
    assert state.year == max(tiny_warehouse.years)


def test_map_view_draws_the_children_on_the_view_geometry(tiny_warehouse):
    state = resolve_state(tiny_warehouse, routes.MapState(level="buurt", parent="GM0002"))
    view = map_view(tiny_warehouse, state, EVERYTHING)
    fig, heading, source = view.figure, view.heading, view.source
    drawn = sorted(code for trace in fig.data for code in trace.locations or ())
    assert drawn == ["BU00020100", "BU00020101", "BU00029900"]
    assert {trace.geojson for trace in fig.data if trace.type == "choropleth"} == {
        f"/geo/{tiny_warehouse.meta['build_id']}/buurt/GM0002.json"}
    assert "Gemeente 2" in heading and "2024" in heading
    assert "Testbron (TEST-1)" in source and "2024" in source
    # the suppressed buurt (40 inhabitants) carries no number anywhere in the figure
    text = json.dumps(fig.to_plotly_json(), default=str)
    assert "50,0" not in text.split("BU00020100")[1][:200]
    nodata = next(t for t in fig.data if "BU00020100" in (t.locations or ()))
    assert "n.b." in nodata.text[list(nodata.locations).index("BU00020100")]


def test_unknown_views_are_not_found(tiny_warehouse):
    with pytest.raises(NotFound):
        map_view(tiny_warehouse, resolve_state(tiny_warehouse, routes.MapState(level="wijk", parent="RE01")),
                 EVERYTHING)


@pytest.fixture(scope="module")
def client(tiny_warehouse):
    return create_app(tiny_warehouse).server.test_client()


def test_geometry_is_served_gzipped_and_cacheable(client, tiny_warehouse):
    url = routes.geometry_url(tiny_warehouse.meta["build_id"], "wijk", "GM0001")
    resp = client.get(url, headers={"Accept-Encoding": "gzip, deflate"})
    assert resp.status_code == 200 and resp.headers["Content-Encoding"] == "gzip"
    assert "immutable" in resp.headers["Cache-Control"]
    doc = json.loads(gzip.decompress(resp.data))
    assert sorted(f["properties"]["code"] for f in doc["features"]) == ["WK000101", "WK000102"]
    plain = client.get(url)
    assert "Content-Encoding" not in plain.headers and json.loads(plain.data) == doc


@pytest.mark.parametrize("path", ["/geo/other-build/wijk/GM0001.json", "/geo/{build}/wijk/GM9999.json",
                                  "/geo/{build}/wijk/GM0001.json.gz.json", "/geo/{build}/wi.k/GM0001.json"])
def test_geometry_route_refuses_unknown_builds_and_paths(client, tiny_warehouse, path):
    assert client.get(path.format(build=tiny_warehouse.meta["build_id"])).status_code == 404


def test_path_traversal_never_reaches_a_file(client, tiny_warehouse):
    resp = client.get(f"/geo/{tiny_warehouse.meta['build_id']}/..%2F..%2Fwijk/GM0001.json")
    assert resp.mimetype != "application/json"  # Dash's page, not a file from disk


def test_world_topojson_is_ours_and_empty(client):
    doc = json.loads(client.get("/topojson/world_110m.json").data)
    assert doc["type"] == "Topology" and all(layer["geometries"] == [] for layer in doc["objects"].values())


def test_an_export_that_fails_says_so_in_the_page_language_without_the_cause(client, monkeypatch, caplog):
    from dashboard import export

    def broken(*args, **kwargs):
        raise export.ExportError("No Chromium found at /secret/path/chromium")

    monkeypatch.setattr(export, "render_state", broken)
    for lang, words in (("nl", "Het beeld kon niet worden gemaakt"), ("en", "The image could not be made")):
        response = client.get(f"/export/png/kaart/buurt/GM0001?taal={lang}")
        body = response.get_data(as_text=True)
        assert response.status_code == 503 and body.startswith(words) and "/secret" not in body
    assert "/secret/path/chromium" in caplog.text   # the cause is in the server log


def test_a_running_app_serves_a_rebuild_at_its_next_request_without_a_restart(tmp_path, monkeypatch):
    monkeypatch.setattr(LiveWarehouse, "CHECK_SECONDS", 0.0)
    path = tmp_path / "w.duckdb"
    build_warehouse(tiny_source(), path)
    with Warehouse(path) as wh:
        old_build = wh.build_id
    client = create_app(path).server.test_client()
    assert "2022" not in client.get("/_dash-layout").get_data(as_text=True)
    assert client.get(f"/geo/{old_build}/wijk/GM0001.json").status_code == 200

    build_warehouse(tiny_source(tiny_observations(years=(2022, 2023, 2024))), path)   # swapped in while running
    with Warehouse(path) as wh:
        new_build = wh.build_id
    assert new_build != old_build
    assert "2022" in client.get("/_dash-layout").get_data(as_text=True)   # the year choice of the new build
    assert client.get(f"/geo/{new_build}/wijk/GM0001.json").status_code == 200
    assert client.get(f"/geo/{old_build}/wijk/GM0001.json").status_code == 404


def test_the_score_map_of_a_build_without_risk_indicators_says_so(tmp_path):
    from tests.factories import COUNT_INDICATOR, TINY_CATALOG

    obs = tiny_observations()
    path = tmp_path / "context.duckdb"
    build_warehouse(tiny_source(obs[obs["variable"] == "inwoners"],
                                TINY_CATALOG.split("[[indicator]]")[0] + COUNT_INDICATOR), path)
    with Warehouse(path) as wh:
        for lang, says in (("nl", "geen risico-indicatoren"), ("en", "no risk indicators")):
            state = resolve_state(wh, routes.MapState(level="gemeente", parent="RE01", mode="score", lang=lang))
            view = map_view(wh, state, EVERYTHING)
            assert says in view.notice.lower()


def test_the_land_is_named_after_the_datas_own_country(demo_warehouse, tiny_warehouse):
    from dashboard.views import area_name

    for wh, country in ((demo_warehouse, "Demoland (synthetisch)"), (tiny_warehouse, "Testland")):
        state = resolve_state(wh, routes.MapState(level="regio", parent="NL01", lang="en"))
        assert map_view(wh, state, Scope.everything()).heading.endswith(f" in {country}, {state.year}")

    class Official:   # the tree of official data names its land "Nederland"
        def name(self, code):
            return {"NL01": "Nederland", "GM0363": "Amsterdam"}[code]

    assert [area_name(Official(), "NL01", lang) for lang in ("nl", "en")] == ["Nederland", "The Netherlands"]
    assert area_name(Official(), "GM0363", "en") == "Amsterdam"


def test_the_readmes_example_areas_exist_in_the_demo_it_starts():
    import re as regex
    from pathlib import Path

    from geodata.demo import build_demo_country

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    examples = set(regex.findall(r"`/(?:gemeente|kaart/\w+)/((?:GM|WK|BU|RE)\d+)", readme))
    assert examples, "the README gives no example address"
    areas = build_demo_country().areas.set_index("code")["name"]   # the country `python app.py` builds
    assert examples <= set(areas.index), examples - set(areas.index)
    for code, name in regex.findall(r"`/gemeente/(GM\d+)`, (\S+) in the demo", readme):
        assert areas[code] == name
