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
    page.wait_for_function(
        "(n) => document.querySelectorAll('#area-table .ag-center-cols-container .ag-row').length >= Math.min(n, 25)",
        arg=len(expected))
    shown_codes = page.locator("#area-table .ag-center-cols-container .ag-cell[col-id='code']").all_inner_texts()
    assert set(shown_codes) <= set(expected["code"]) and len(shown_codes) == min(len(expected), 25)
    for code in expected.loc[expected["status"] != "ok", "code"]:
        if code in shown_codes:   # the same suppression marks as the map
            assert "n.b." in page.locator("#area-table .ag-row", has_text=code).first.inner_text()

    # for Excel with Dutch headings (CSV and XLSX), and for software with English keys
    for fmt, reader, code, value in (("csv", read_table_csv, "Code", "Waarde"),
                                     ("xlsx", read_table_xlsx, "Code", "Waarde"),
                                     ("csv-data", lambda b: read_table_csv(b, decimal="."), "code", "value")):
        with page.expect_download() as info:
            page.locator(f"#download-{fmt}").click()
        target = tmp_path / info.value.suggested_filename
        info.value.save_as(target)
        header, rows = reader(target.read_bytes())
        assert list(rows[code]) == list(expected["code"])
        ok = expected["status"] == "ok"
        assert (rows.loc[ok.values, value].astype(float).round(6).tolist()
                == expected.loc[ok, "value"].round(6).tolist())
        assert rows.loc[~ok.values, value].isna().all()
        assert any("2024" in str(v) for v in header.values())
    assert recording.foreign_requests() == [] and recording.errors == []


def test_the_table_filters_read_numbers_the_way_the_page_writes_them(live_demo, demo_warehouse, recording):
    wh, page = demo_warehouse, recording.page
    gemeente = wh.codes("gemeente", water=True)[0]
    page.goto(f"{live_demo.url}/kaart/wijk/{gemeente}?indicator=misdrijven_per_1000_inwoners")
    wait_for_codes(page, children(wh, "wijk", gemeente))
    parse = "([text, lang]) => window.dashAgGridFunctions.parseTableNumber(text, lang)"
    assert [page.evaluate(parse, [text, lang]) for text, lang in (
        ("1,5", "nl"), ("1.234,5", "nl"), ("1,234.5", "en"), ("1.5", "en"), ("", "nl"), ("abc", "nl"))] == \
        [1.5, 1234.5, 1234.5, 1.5, None, None]
    page.locator(".table-box summary").click()
    rows = wh.table("wijk", gemeente, "misdrijven_per_1000_inwoners", wh.years[-1], Scope())
    shown = rows[rows["status"] == "ok"]
    denominator = int(shown["denominator"].max())   # a count over 1.000, typed the Dutch way
    assert denominator >= 1000
    grid_rows = "#area-table .ag-center-cols-container .ag-row"
    page.locator(grid_rows).first.wait_for()
    page.wait_for_load_state("networkidle")   # the grid is filled: a filter typed now stays
    box = page.locator("#area-table .ag-floating-filter[aria-colindex='5'] input")   # the denominator's
    box.click()
    box.press_sequentially(f"{denominator:,}".replace(",", "."))
    expected = sorted(shown.loc[shown["denominator"] == denominator, "code"])
    page.wait_for_function(f"(n) => document.querySelectorAll('{grid_rows}').length === n", arg=len(expected))
    assert sorted(page.locator(f"{grid_rows} .ag-cell[col-id='code']").all_inner_texts()) == expected
    # the grid speaks Dutch: its filter and page texts come from its Dutch locale
    assert "Pagina" in page.locator("#area-table .ag-paging-panel").inner_text()
