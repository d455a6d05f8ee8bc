"""The own-data page in a real headless Chromium: an analyst adds a StatLine download of their
own counts per gemeente, sees it on the map with its source and exports it; another
organisation's user never sees it, not even by forging a callback or a download."""

from __future__ import annotations

import json
import re

import pytest

from dashboard.app import create_app
from dashboard.signin import Gate
from data_pipeline.access import AccessFile
from data_pipeline.audit import AuditLog
from tests.browser.conftest import LiveServer, violations
from tests.browser.test_language import PAGE_TEXT, fragments
from tests.browser.mapdriver import children, wait_for_codes

pytestmark = pytest.mark.browser
PASSWORD = "correct horse battery"
LABEL = "Meldingen ondermijning"


def statline_download(wh, year: int, more: int = 0) -> bytes:
    """Counts per gemeente keyed by name, laid out as a StatLine CSV download (with symbols)."""
    areas = wh.areas_frame(["gemeente"])
    lines = ['"Meldingen ondermijning; gemeente"', '"Bron: eigen registratie"', '""',
             '"Onderwerp";"Meldingen"', f'"Perioden";"{year}"', '"Regio\'s";"aantal"', '"Nederland";"9999"']
    for i, row in enumerate(areas.itertuples()):
        lines.append(f'"{row.name}";"{"." if i == 0 else 5 + more + i % 40}"')
    lines.append('"Bron: RIEC"')
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8")


def sign_in(browser, server, name: str):
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    page.goto(f"{server.url}/eigen-gegevens")
    page.wait_for_url(re.compile(r"/login\?next="))
    page.get_by_label("Gebruikersnaam").fill(name)
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Aanmelden").click()
    page.wait_for_url(re.compile(r"/eigen-gegevens"))
    return context, page


def forged_layer_action(page, server, layer_id: str) -> str:
    """A remove button of a layer the page never showed, sent straight to Dash's endpoint."""
    body = {"output": "..own-layers.children...own-replace.options..",
            "outputs": [{"id": "own-layers", "property": "children"}, {"id": "own-replace", "property": "options"}],
            "inputs": [{"id": "url", "property": "pathname", "value": "/eigen-gegevens"},
                       {"id": "url", "property": "search", "value": ""},
                       {"id": "own-version", "property": "data", "value": 0},
                       [{"id": {"layer": layer_id, "type": "own-remove"}, "property": "n_clicks", "value": 1}],
                       []],
            "changedPropIds": [json.dumps({"layer": layer_id, "type": "own-remove"}, separators=(",", ":"))
                               + ".n_clicks"]}
    response = page.request.post(f"{server.url}/_dash-update-component", data=json.dumps(body),
                                 headers={"Content-Type": "application/json"})
    assert response.status == 200, response.text()
    return response.text()


def test_add_see_export_remove_an_own_layer_and_another_organisation_never_sees_it(browser, demo_warehouse,
                                                                                   tmp_path):
    wh = demo_warehouse
    year = wh.years[-1]
    access = AccessFile(tmp_path / "access.json")
    access.add("ana", "riec", PASSWORD, "RE01", organisation="RIEC Noord")
    access.add("bob", "riec", PASSWORD, "RE02", organisation="RIEC Zuid")
    audit = AuditLog(tmp_path / "access.audit.jsonl")
    own_data = tmp_path / "eigen"
    with LiveServer(create_app(wh, Gate(access=access, audit=audit), own_data=own_data)) as server:
        context, page = sign_in(browser, server, "ana")
        page.get_by_role("heading", name="Eigen gegevens").wait_for()
        assert "RIEC Noord" in page.locator("#own-intro").inner_text()
        page.locator("#own-upload input[type=file]").set_input_files(
            files=[{"name": "meldingen.csv", "mimeType": "text/csv", "buffer": statline_download(wh, year)}])
        page.locator("#own-file table").wait_for()
        assert "meldingen.csv" in page.locator("#own-file").inner_text()

        # count per 1,000 inhabitants, named
        column = page.locator(".own-column").filter(has_text="Meldingen").first
        column.get_by_label("aantal per inwoners, woningen, …").check()
        assert "inwoners" in column.locator("label", has_text="Per").first.inner_text()
        assert "1.000" in column.locator("label", has_text="Per hoeveel").inner_text()
        column.get_by_label("Naam van de indicator").fill(LABEL)
        report = violations(page)
        assert report == "", report[-3000:]

        page.get_by_role("button", name="Koppelen en controleren").click()
        report = page.locator("#own-report")
        report.get_by_text(re.compile("gekoppeld", re.I)).first.wait_for()
        assert "Nederland" in report.inner_text()          # the total row: reported, not used
        assert page.get_by_role("button", name="Toevoegen").is_enabled()

        page.get_by_role("button", name="Toevoegen").click()
        page.locator("#own-added").get_by_text("is toegevoegd").wait_for()
        layers = page.locator("#own-layers")
        layers.get_by_text("meldingen.csv").wait_for()
        assert "ana" in layers.inner_text()

        # the same file again, as a new version of the layer: one layer, the previous version restorable
        page.locator("#own-upload input[type=file]").set_input_files(
            files=[{"name": "meldingen.csv", "mimeType": "text/csv", "buffer": statline_download(wh, year, more=1)}])
        page.locator("#own-report-section").wait_for(state="hidden")   # a new file: its report is still to come
        column = page.locator(".own-column").filter(has_text="Meldingen").first
        column.get_by_label("aantal per inwoners, woningen, …").check()
        column.get_by_label("Naam van de indicator").fill(LABEL)
        page.get_by_role("button", name="Koppelen en controleren").click()
        page.locator("#own-report").get_by_text(re.compile("gekoppeld", re.I)).first.wait_for()
        page.locator("#own-replace").click()
        page.get_by_role("option", name=re.compile("nieuwe versie van")).click()
        page.get_by_role("button", name="Toevoegen").click()
        layers.get_by_role("button", name="Vorige versie terugzetten").wait_for()
        assert layers.locator("tbody tr").count() == 1

        page.get_by_role("link", name="Bekijk de kaart").click()
        page.wait_for_url(re.compile(r"/kaart/gemeente/NL01\?indicator=eigen_"))
        wait_for_codes(page, children(wh, "gemeente", "NL01"))
        assert LABEL in page.locator("#map-heading").inner_text()
        source = page.locator("#source-line").inner_text()
        assert "Eigen gegevens" in source and "RIEC Noord" in source and "meldingen.csv" in source
        indicator = re.search(r"indicator=(eigen_[a-z0-9_]+)", page.url).group(1)

        export = page.locator("#export-png").get_attribute("href")
        image = page.request.get(server.url + export)
        assert image.status == 200 and image.headers["content-type"] == "image/png"
        assert image.body()[:8] == b"\x89PNG\r\n\x1a\n"

        # another organisation: not on the map, not in a download, not removable by a forged callback
        other, bob = sign_in(browser, server, "bob")
        bob.goto(f"{server.url}/kaart/gemeente/NL01?indicator={indicator}&jaar={year}")
        wait_for_codes(bob, children(wh, "gemeente", "NL01"))
        assert LABEL not in bob.locator("#map-heading").inner_text()
        assert LABEL not in bob.locator("#indicator").inner_text()
        download = bob.request.get(f"{server.url}/download/csv/kaart/gemeente/NL01?indicator={indicator}&jaar={year}")
        assert LABEL not in download.text() and "Eigen gegevens" not in download.text()
        layer_id = indicator.split("_")[1]
        answer = forged_layer_action(bob, server, layer_id)
        assert "geen laag" in answer and "meldingen.csv" not in answer
        other.close()

        # removed: gone from the map and the indicator list
        page.goto(f"{server.url}/eigen-gegevens")
        page.locator("#own-layers").get_by_role("button", name="Verwijderen").click()
        page.locator("#own-layers").get_by_text("verwijderd op").wait_for()
        page.goto(f"{server.url}/kaart/gemeente/NL01?indicator={indicator}&jaar={year}")
        wait_for_codes(page, children(wh, "gemeente", "NL01"))
        assert LABEL not in page.locator("#map-heading").inner_text()

        # in English, the page and its join report hold no Dutch of ours
        page.goto(f"{server.url}/eigen-gegevens?taal=en")
        page.locator("#own-upload input[type=file]").set_input_files(
            files=[{"name": "meldingen.csv", "mimeType": "text/csv", "buffer": statline_download(wh, year)}])
        page.get_by_role("button", name="Join and check").click()
        page.locator("#own-report").get_by_text("rows joined to areas").wait_for()
        text = page.evaluate(PAGE_TEXT)
        assert not [part for part in fragments("nl", "en") if part in text]
        assert "removed on" in page.locator("#own-layers").inner_text()
        context.close()
    actions = audit.read()
    done = set(zip(actions["user"], actions["action"], actions["result"]))
    assert {("ana", "own.import", "ok"), ("ana", "own.remove", "ok"), ("bob", "own.remove", "denied")} <= done
    viewed = actions[(actions["user"] == "ana") & (actions["action"] == "map")]["object"]
    assert viewed.str.contains(indicator).any()   # every view of the layer is in the audit trail
