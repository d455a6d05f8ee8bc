"""The table of the areas on a map: its header block and the download route's file."""

from __future__ import annotations

from datetime import date

from dashboard import routes
from dashboard.tables import download, download_header
from data_pipeline.downloads import read_table_csv, read_table_xlsx
from data_pipeline.warehouse import Scope

INDICATOR = "misdrijven_per_1000_inwoners"
EXPORTED = date(2025, 3, 14)


def test_header_names_indicator_year_unit_boundary_year_sources_and_date(tiny_warehouse):
    tiny_header = download_header(tiny_warehouse, INDICATOR, 2024, level="buurt", parent="NL01",
                                  exported=EXPORTED)
    assert tiny_header["Indicator"] == f"Misdrijven ({INDICATOR})"
    assert tiny_header["Jaar"] == "2024"
    assert tiny_header["Eenheid"] == "per 1.000 inwoners"
    assert tiny_header["Grensjaar gebiedsindeling"] == "2024"
    assert tiny_header["Bronnen"] == "Testbron (tabel TEST-1)"
    assert tiny_header["Bronvermelding"] == "Testdata"
    assert tiny_header["Gebieden"] == "buurten in Testland (NL01)"
    assert tiny_header["Exportdatum"] == "2025-03-14"
    assert "suppressed" in tiny_header["Status"]


def test_header_in_english(tiny_warehouse):
    header = download_header(tiny_warehouse, INDICATOR, 2024, lang="en", exported=EXPORTED)
    assert header["Indicator"] == f"Crimes ({INDICATOR})" and header["Unit"] == "per 1,000 inhabitants"
    assert header["Sources"] == "Testbron (table TEST-1)" and header["Boundary year"] == "2024"


def test_a_download_is_the_views_table_with_its_header(tiny_warehouse):
    state = routes.MapState(level="buurt", parent="GM0001", indicator=INDICATOR, year=2024, lang="en")
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    codes = sorted(tiny_warehouse.view_areas("buurt", "GM0001", Scope.everything())["code"])
    for fmt, read, expected_type, extension in (
            ("csv", lambda b: read_table_csv(b, decimal="."), "text/csv", "csv"),
            ("xlsx", read_table_xlsx, xlsx, "xlsx"),
            ("csv-data", lambda b: read_table_csv(b, decimal="."), "text/csv", "data.csv")):
        body, media_type, name = download(tiny_warehouse, state, fmt, Scope.everything())
        header, rows = read(body)
        assert header["Indicator"].endswith(f"({INDICATOR})") and header["Year"] == "2024"
        assert header["Areas"] == "neighbourhoods in Gemeente 1 (GM0001)"
        code = "code" if fmt == "csv-data" else "Code"     # English keys for software, headings for people
        assert sorted(rows[code]) == codes
        assert name == f"ondermijningsbeeld_{INDICATOR}_2024_buurt_GM0001.{extension}" and media_type == expected_type


def test_the_excel_download_speaks_the_page_language_and_the_data_download_does_not(tiny_warehouse):
    state = routes.MapState(level="buurt", parent="GM0001", indicator=INDICATOR, year=2024, lang="nl")
    expected = tiny_warehouse.table("buurt", "GM0001", INDICATOR, 2024, Scope.everything())
    excel, _, _ = download(tiny_warehouse, state, "csv", Scope.everything())
    assert excel.startswith("\ufeff".encode()) and b";" in excel   # Dutch Excel: BOM, ";", decimal comma
    header, rows = read_table_csv(excel)
    assert list(rows.columns[:2]) == ["Code", "Gebied"] and "Waarde" in rows and "Noemer" in rows
    words = {"ok": "getoond", "suppressed": "n.b. (afgeschermd)", "missing": "n.b. (geen gegevens)"}
    assert list(rows["Status"]) == [words[s] for s in expected["status"]]
    assert "n.b. (afgeschermd)" in header["Status"]
    shown = (expected["status"] == "ok").to_numpy()
    assert shown.any() and not shown.all()
    assert rows.loc[shown, "Waarde"].round(9).tolist() == expected.loc[shown, "value"].round(9).tolist()
    assert rows.loc[~shown, "Waarde"].isna().all() and rows.loc[~shown, "Teller"].isna().all()
    assert str(rows["Noemer"].dtype) == "int64" or rows["Noemer"].dropna().map(float.is_integer).all()

    data, _, _ = download(tiny_warehouse, state, "csv-data", Scope.everything())
    assert not data.startswith("\ufeff".encode())
    header, rows = read_table_csv(data, decimal=".")
    assert list(rows["status"]) == list(expected["status"]) and "Year" in header   # keys and codes
    assert rows.loc[shown, "value"].round(9).tolist() == expected.loc[shown, "value"].round(9).tolist()


def test_a_map_of_the_risk_signal_or_of_a_change_tables_and_downloads_what_it_shows(demo_warehouse):
    from dashboard.tables import table_rows
    from dashboard.views import map_view, resolve_state

    wh = demo_warehouse
    region = wh.areas_frame(["gemeente"]).groupby("parent_code").size().idxmax()
    for search, subject in (("modus=score", "risicosignaal"),
                            (f"indicator={INDICATOR}&modus=verandering&sinds={wh.years[0]}",
                             f"{INDICATOR}_sinds_{wh.years[0]}")):
        state = resolve_state(wh, routes.parse(f"/kaart/gemeente/{region}", search))
        shown = map_view(wh, state, Scope.everything()).areas.set_index("code")
        data, columns = table_rows(wh, state, Scope.everything())
        assert [c["field"] for c in columns] == ["name", "code", "value", "shown"]
        for row in data:   # the map's own figures, n.b. where it shows none
            expected = shown.loc[row["code"]]
            assert (row["value"] is None) if expected["status"] != "ok" else row["value"] == expected["value"]
        body, _, name = download(wh, state, "csv-data", Scope.everything())
        assert name == f"ondermijningsbeeld_{subject}_{state.year}_gemeente_{region}.data.csv"
        header, rows = read_table_csv(body, decimal=".")
        assert header["Indicator"].endswith(f"({subject})") and set(rows["indicator"]) == {subject}
        ok = rows["status"] == "ok"
        assert rows.loc[ok, "value"].round(9).tolist() == \
            shown.loc[rows.loc[ok, "code"], "value"].round(9).tolist()
    # a map of an indicator's values keeps the indicator's table, with its counts
    state = resolve_state(wh, routes.parse(f"/kaart/gemeente/{region}", f"indicator={INDICATOR}"))
    assert "denominator" in [c["field"] for c in table_rows(wh, state, Scope.everything())[1]]
