"""The export links download exactly the view on screen (issue 6), in headless Chromium."""

from __future__ import annotations

import pytest

from tests.browser.mapdriver import children, wait_for_codes

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("fmt, magic", [("pdf", b"%PDF"), ("png", b"\x89PNG"), ("svg", b"<svg")])
def test_the_export_link_downloads_the_current_view(live_demo, demo_warehouse, recording, tmp_path, fmt, magic):
    wh, page = demo_warehouse, recording.page
    page.goto(f"{live_demo.url}/kaart/gemeente/NL01?indicator=misdrijven_per_1000_inwoners&klassen=gelijk")
    wait_for_codes(page, children(wh, "gemeente", "NL01"))
    link = page.locator(f"#export-{fmt}")
    assert "klassen=gelijk" in link.get_attribute("href")   # the link follows the view
    with page.expect_download(timeout=60_000) as info:
        link.click()
    target = tmp_path / info.value.suggested_filename
    info.value.save_as(target)
    data = target.read_bytes()
    assert magic in data[:200] and target.suffix == f".{fmt}"
    assert recording.foreign_requests() == []
