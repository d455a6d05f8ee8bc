"""The table of the areas on the map and its CSV/XLSX downloads (issue 5), in headless Chromium."""

from __future__ import annotations

import pytest

from data_pipeline.downloads import read_table_csv, read_table_xlsx
from data_pipeline.warehouse import Scope
from tests.browser.mapdriver import children, wait_for_codes

pytestmark = pytest.mark.browser


def test_table_shows_the_map_areas_and_downloads_hold_the_same_rows(live_demo, demo_warehouse, recording, tmp_path):
    wh, page = demo_warehouse, recording.page
    gemeente = wh.codes("gemeente", water=True)[0]
    page.goto(f"{live_demo.url}/kaart/buurt/{gemeente}?indicator=misdrijven_per_1000_inwoners")
    wait_for_codes(page, children(wh, "buurt", gemeente))
    page.locator(".table-box summary").click()
    expected = wh.table("buurt", gemeente, "misdrijven_per_1000_inwoners", wh.years[-1], Scope())
    page.wait_for_function("(n) => document.querySelectorAll('#area-table tbody tr').length >= Math.min(n, 25)",
                           arg=len(expected))
    shown_codes = page.locator("#area-table td[data-dash-column='code']").all_inner_texts()
    assert set(shown_codes) <= set(expected["code"]) and len(shown_codes) == min(len(expected), 25)
    for code in expected.loc[expected["status"] != "ok", "code"]:
        if code in shown_codes:   # the same suppression marks as the map
            assert "n.b." in page.locator("#area-table tr", has_text=code).inner_text()

    for fmt, reader in (("csv", read_table_csv), ("xlsx", read_table_xlsx)):
        with page.expect_download() as info:
            page.locator(f"#download-{fmt}").click()
        target = tmp_path / info.value.suggested_filename
        info.value.save_as(target)
        header, rows = reader(target.read_bytes())
        assert list(rows["code"]) == list(expected["code"])
        ok = expected["status"] == "ok"
        assert (rows.loc[ok.values, "value"].astype(float).round(6).tolist()
                == expected.loc[ok, "value"].round(6).tolist())
        assert rows.loc[~ok.values, "value"].isna().all()
        assert any("2024" in str(v) for v in header.values())
    assert recording.foreign_requests() == [] and recording.errors == []
