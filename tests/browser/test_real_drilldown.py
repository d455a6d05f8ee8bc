"""The drill-down walk on the warehouse built from the real files (../shared/data/real)."""

from __future__ import annotations

import re

import pytest

from dashboard.app import create_app
from tests.browser.conftest import LiveServer
from tests.browser.mapdriver import children, clickable_child, drill_into, wait_for_codes

pytestmark = [pytest.mark.browser, pytest.mark.realdata]


@pytest.fixture(scope="module")
def live_real(real_warehouse):
    with LiveServer(create_app(real_warehouse)) as server:
        yield server


@pytest.mark.parametrize("region, gemeente", [("RE05", "GM0363"), ("RE01", None), ("RE10", None)])
def test_region_to_gemeente_to_wijk_and_to_buurt_in_amsterdam(live_real, real_warehouse, recording, region,
                                                               gemeente):
    wh, page = real_warehouse, recording.page
    page.goto(live_real.url + "/kaart/regio/NL01?indicator=inwoners&jaar=2024")
    wait_for_codes(page, children(wh, "regio", "NL01"))
    drill_into(page, region)
    page.wait_for_url(re.compile(rf"/kaart/gemeente/{region}\?"))
    wait_for_codes(page, children(wh, "gemeente", region))

    gemeente = gemeente or clickable_child(wh, "gemeente", region)
    drill_into(page, gemeente)
    page.wait_for_url(re.compile(rf"/kaart/wijk/{gemeente}\?"))
    wait_for_codes(page, children(wh, "wijk", gemeente))
    assert wh.name(gemeente) in page.locator("#map-heading").inner_text()

    if gemeente == "GM0363":
        wijk = clickable_child(wh, "wijk", gemeente)
        drill_into(page, wijk)
        page.wait_for_url(re.compile(rf"/kaart/buurt/{wijk}\?"))
        wait_for_codes(page, children(wh, "buurt", wijk))
    assert "CBS" in page.locator("#dataset-line").inner_text()
    assert recording.foreign_requests() == [] and recording.errors == []
