"""Search jumps the map to the area found (issue 5), in headless Chromium on the demo country."""

from __future__ import annotations

import re
import unicodedata

import pytest

from tests.browser.mapdriver import children, wait_for_codes

pytestmark = pytest.mark.browser


def plain(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)).lower()


@pytest.mark.parametrize("level", ["gemeente", "wijk", "buurt"])
def test_typing_part_of_a_name_and_choosing_it_opens_its_map(live_demo, demo_warehouse, recording, level):
    wh, page = demo_warehouse, recording.page
    areas = wh.areas_frame([level]).query("~is_water")
    target = areas.iloc[len(areas) // 2]
    typed = plain(target["name"])[1:7] if level == "gemeente" else target["code"].lower()
    page.goto(live_demo.url + "/kaart/regio/NL01")
    wait_for_codes(page, children(wh, "regio", "NL01"))
    page.locator("#search").click()          # opens the search popover
    page.locator("input.dash-dropdown-search").fill(typed)
    option = page.get_by_role("option", name=re.compile(re.escape(f"({target['code']})")))
    option.click()
    if level == "buurt":
        wijk = target["parent_code"]
        page.wait_for_url(re.compile(rf"/kaart/buurt/{wijk}\?"))
        wait_for_codes(page, children(wh, "buurt", wijk))
    else:
        below = {"gemeente": "wijk", "wijk": "buurt"}[level]
        page.wait_for_url(re.compile(rf"/kaart/{below}/{target['code']}\?"))
        wait_for_codes(page, children(wh, below, target["code"]))
    assert recording.foreign_requests() == [] and recording.errors == []
