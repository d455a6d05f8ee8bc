"""Sign-in and scopes, probed with forged requests as an attacker would: every route, every role,
and every denial in the audit trail."""

from __future__ import annotations

import json

import pytest

from app import main
from dashboard.app import create_app
from dashboard.signin import Gate
from data_pipeline.access import AccessFile
from data_pipeline.audit import AuditLog

PASSWORD = "correct horse battery"
IND = "misdrijven_per_1000_inwoners"


@pytest.fixture(scope="module")
def places(demo_warehouse):
    wh = demo_warehouse
    own = next(g for g in wh.codes("gemeente") if wh.area(g).regio_code == "RE01")
    other = next(g for g in wh.codes("gemeente") if wh.area(g).regio_code != "RE01")
    return {"own": own, "other": other, "own_wijk": wh.codes("wijk", own)[0],
            "other_wijk": wh.codes("wijk", other)[0], "other_regio": wh.area(other).regio_code}


@pytest.fixture
def site(tmp_path, demo_warehouse, places):
    access = AccessFile(tmp_path / "access.json")
    access.add("lisa", "liec", PASSWORD)
    access.add("rik", "riec", PASSWORD, "RE01")
    access.add("gea", "gemeente", PASSWORD, places["own"])
    audit = AuditLog(tmp_path / "access.audit.jsonl")
    app = create_app(demo_warehouse, Gate(access=access, audit=audit, trusted_header="X-Remote-User",
                                          trusted_proxies=frozenset({"10.0.0.1"})))
    return app.server, audit


def signed_in(server, name: str):
    client = server.test_client()
    response = client.post("/login", data={"username": name, "password": PASSWORD})
    assert response.status_code == 302
    return client


def detail_urls(wh, gemeente: str, wijk: str) -> dict[str, str]:
    query = f"?indicator={IND}"
    return {"csv": f"/download/csv/kaart/wijk/{gemeente}{query}",
            "xlsx": f"/download/xlsx/kaart/buurt/{wijk}{query}",
            "image": f"/export/png/kaart/buurt/{wijk}{query}",
            "geometry": f"/geo/{wh.build_id}/buurt/{wijk}.json"}


def test_without_a_session_pages_redirect_and_everything_else_is_401(site, demo_warehouse, places):
    server, _ = site
    client = server.test_client()
    for page in ("/", f"/kaart/wijk/{places['own']}", f"/gemeente/{places['own']}"):
        response = client.get(page)
        assert response.status_code == 302 and response.headers["Location"].startswith("/login?next=")
    for url in [*detail_urls(demo_warehouse, places["own"], places["own_wijk"]).values(), "/_dash-layout",
                "/_dash-dependencies"]:
        assert client.get(url).status_code == 401, url
    assert client.post("/_dash-update-component", json={}).status_code == 401
    assert client.get("/login").status_code == 200 and client.get("/assets/style.css").status_code == 200


def test_a_riec_user_sees_detail_in_its_region_only_and_each_denial_is_audited(site, demo_warehouse, places):
    server, audit = site
    client = signed_in(server, "rik")
    for kind, url in detail_urls(demo_warehouse, places["other"], places["other_wijk"]).items():
        assert client.get(url).status_code == 403, kind
    for kind, url in detail_urls(demo_warehouse, places["own"], places["own_wijk"]).items():
        if kind != "image":   # rendering is tested elsewhere; here only the gate
            assert client.get(url).status_code == 200, kind
    # the gemeente level of another region is open to everyone signed in
    assert client.get(f"/download/csv/kaart/gemeente/{places['other_regio']}?indicator={IND}").status_code == 200
    denied = audit.read(user="rik")
    denied = denied[denied["result"] == "denied"]
    assert sorted(denied["action"]) == ["download", "download", "export", "geometry"]
    assert all(places["other"] in o or places["other_wijk"] in o for o in denied["object"])
    assert set(denied["scope"]) == {"RE01"} and set(denied["role"]) == {"riec"}


def test_a_gemeente_user_sees_detail_in_its_gemeente_only(site, demo_warehouse, places):
    server, audit = site
    client = signed_in(server, "gea")
    neighbour = next(g for g in demo_warehouse.codes("gemeente", "RE01") if g != places["own"])
    assert client.get(f"/download/csv/kaart/wijk/{neighbour}?indicator={IND}").status_code == 403
    assert client.get(f"/download/csv/kaart/wijk/{places['own']}?indicator={IND}").status_code == 200
    assert client.get(f"/download/csv/kaart/gemeente/RE01?indicator={IND}").status_code == 200
    assert "denied" in set(audit.read(user="gea")["result"])


def test_a_forged_callback_for_another_regions_profile_shows_no_figures(site, demo_warehouse, places):
    server, audit = site
    client = signed_in(server, "rik")
    buurt = demo_warehouse.codes("buurt", places["other_wijk"])[0]
    payload = {"output": "..profile.children...profile.style..",
               "outputs": [{"id": "profile", "property": "children"}, {"id": "profile", "property": "style"}],
               "inputs": [{"id": "url", "property": "pathname", "value": f"/kaart/buurt/{places['other_wijk']}"},
                          {"id": "url", "property": "search", "value": f"?indicator={IND}&gebied={buurt}"}],
               "changedPropIds": ["url.search"], "state": [{"id": "profile", "property": "style", "value": {}}]}
    response = client.post("/_dash-update-component", json=payload)
    assert response.status_code == 200
    body = json.dumps(response.get_json(), ensure_ascii=False)
    assert "geen toegang" in body and buurt not in body.replace(f"gebied={buurt}", "")
    events = audit.read(user="rik", action="profile")
    assert events["result"].tolist() == ["denied"] and buurt in events["object"].iloc[0]
    # the same for its own region shows the profile
    own_buurt = demo_warehouse.codes("buurt", places["own_wijk"])[0]
    payload["inputs"] = [{"id": "url", "property": "pathname", "value": f"/kaart/buurt/{places['own_wijk']}"},
                         {"id": "url", "property": "search", "value": f"?indicator={IND}&gebied={own_buurt}"}]
    body = json.dumps(client.post("/_dash-update-component", json=payload).get_json(), ensure_ascii=False)
    assert "geen toegang" not in body and own_buurt in body


def ahead_payload(view: str) -> dict:
    return {"output": "map-ahead.data", "outputs": {"id": "map-ahead", "property": "data"},
            "inputs": [{"id": "map-ahead-request", "property": "data", "value": view}],
            "changedPropIds": ["map-ahead-request.data"], "state": []}


def test_the_map_ahead_of_a_drill_down_is_sent_only_inside_the_scope(site, demo_warehouse, places):
    server, audit = site
    client = signed_in(server, "rik")
    own = f"/kaart/buurt/{places['own_wijk']}?indicator={IND}"
    figure = client.post("/_dash-update-component", json=ahead_payload(own)).get_json()["response"]["map-ahead"]
    drawn = {code for trace in figure["data"]["figure"]["data"] for code in trace.get("locations", ())}
    assert figure["data"]["view"] == own and drawn == set(demo_warehouse.codes("buurt", places["own_wijk"]))
    forged = f"/kaart/buurt/{places['other_wijk']}?indicator={IND}"
    response = client.post("/_dash-update-component", json=ahead_payload(forged))
    assert response.status_code == 200 and response.get_json()["response"]["map-ahead"]["data"] is None
    events = audit.read(user="rik", action="map ahead")
    assert events["result"].tolist() == ["ok", "denied"] and places["other_wijk"] in events["object"].iloc[1]
    for hostile in (None, 12, "x" * 5000, "/gemeente/GM0001", "/kaart/buurt/ZZ?jaar=1"):
        response = client.post("/_dash-update-component", json=ahead_payload(hostile))
        assert response.status_code in (200, 204), hostile


def test_a_page_asks_for_its_maps_polygons_from_the_start_only_inside_the_scope(site, demo_warehouse, places):
    server, _ = site
    client = signed_in(server, "rik")
    own = f'href="/geo/{demo_warehouse.build_id}/buurt/{places["own_wijk"]}.json" as="fetch"'
    page = client.get(f"/kaart/buurt/{places['own_wijk']}?indicator={IND}").get_data(as_text=True)
    assert 'rel="preload"' in page and own in page and 'href="/topojson/world_110m.json"' in page
    page = client.get(f"/kaart/buurt/{places['other_wijk']}?indicator={IND}").get_data(as_text=True)
    assert f"/buurt/{places['other_wijk']}.json" not in page and "/geo/" not in page
    assert "/geo/" not in client.get(f"/gemeente/{places['own']}").get_data(as_text=True)   # no map there
    for hostile in ("/kaart/buurt/ZZ?jaar=99999", "/kaart/" + "x" * 3000, "/kaart/wijk/GM0001?gebied=%00"):
        assert client.get(hostile).status_code == 200, hostile   # the map such an address falls back to


def test_a_map_page_asks_from_the_start_for_the_parts_of_dcc_its_first_callback_waits_for(site):
    server, _ = site
    page = signed_in(server, "rik").get(f"/kaart/gemeente/NL01?indicator={IND}").get_data(as_text=True)
    for chunk in ("async-graph.js", "async-dropdown.js", "async-slider.js"):
        url = f"/_dash-component-suites/dash/dcc/{chunk}"
        assert f'<link rel="preload" href="{url}" as="script">' in page
        assert server.test_client().get(url).status_code == 200   # what the preload names exists


def test_a_liec_user_sees_everything(site, demo_warehouse, places):
    server, _ = site
    client = signed_in(server, "lisa")
    for kind, url in detail_urls(demo_warehouse, places["other"], places["other_wijk"]).items():
        if kind != "image":
            assert client.get(url).status_code == 200, kind


def test_sign_in_failures_are_audited_and_rate_limited(site):
    server, audit = site
    client = server.test_client()
    assert client.post("/login", data={"username": "rik", "password": "wrong password!"}).status_code == 401
    assert client.post("/login", data={"username": "nobody", "password": PASSWORD}).status_code == 401
    codes = [client.post("/login", data={"username": "rik", "password": "guess"}).status_code for _ in range(12)]
    assert codes[-1] == 429 and 429 in codes[:11]
    events = audit.read(action="signin")
    assert {"failed", "denied"} <= set(events["result"]) and "nobody" in set(events["user"])
    # the limit holds for the right password too, for a while
    assert client.post("/login", data={"username": "rik", "password": PASSWORD}).status_code == 429


def test_the_session_cookie_and_sign_out(site):
    server, audit = site
    client = server.test_client()
    response = client.post("/login?next=//evil.example/x", data={"username": "rik", "password": PASSWORD})
    assert response.headers["Location"] == "/"          # never a redirect to another host
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Expires=" in cookie
    assert client.get("/_dash-layout").status_code == 200
    assert client.get("/logout").status_code == 302
    assert client.get("/_dash-layout").status_code == 401
    assert audit.read(user="rik")["action"].tolist()[-2:] == ["signin", "signout"]


def test_the_trusted_header_is_believed_only_from_the_proxy(site, demo_warehouse, places):
    server, audit = site
    url = f"/download/csv/kaart/wijk/{places['own']}?indicator={IND}"
    proxy = server.test_client()
    proxy.environ_base["REMOTE_ADDR"] = "10.0.0.1"
    assert proxy.get(url, headers={"X-Remote-User": "rik"}).status_code == 200
    assert proxy.get(f"/download/csv/kaart/wijk/{places['other']}?indicator={IND}",
                     headers={"X-Remote-User": "rik"}).status_code == 403
    assert proxy.get(url, headers={"X-Remote-User": "unknown"}).status_code == 401
    elsewhere = server.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "10.0.0.2"
    assert elsewhere.get(url, headers={"X-Remote-User": "lisa"}).status_code == 401
    denied = audit.read(action="signin")
    assert set(denied["user"]) >= {"unknown", "lisa"} and set(denied["result"]) == {"denied"}


def test_a_warehouse_of_real_figures_is_not_served_open_without_asking(capsys, tmp_path, tiny_warehouse_path):
    code = main(["--warehouse", str(tiny_warehouse_path), "--access", str(tmp_path / "none.json"), "serve"])
    err = capsys.readouterr().err
    assert code == 2 and "--open" in err and "users add" in err


def test_behind_a_proxy_the_client_address_comes_from_the_forwarded_header(tmp_path, monkeypatch, demo_warehouse):
    monkeypatch.setenv("ONDERMIJNINGSBEELD_BEHIND_PROXY", "1")
    access = AccessFile(tmp_path / "access.json")
    access.add("rik", "riec", PASSWORD, "RE01")
    audit = AuditLog(tmp_path / "access.audit.jsonl")
    server = create_app(demo_warehouse, Gate(access=access, audit=audit, trusted_header="X-Remote-User",
                                             trusted_proxies=frozenset({"127.0.0.1"}))).server
    client = server.test_client()
    client.post("/login", data={"username": "rik", "password": "wrong password!"},
                headers={"X-Forwarded-For": "10.1.2.3"})
    assert audit.read()["address"].tolist() == ["10.1.2.3"]
    # the proxy is still recognised by the address it connects from
    assert client.get("/_dash-layout", headers={"X-Remote-User": "rik", "X-Forwarded-For": "10.1.2.3"}).status_code == 200
