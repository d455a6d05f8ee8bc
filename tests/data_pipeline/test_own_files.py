"""An analyst's own file read, recognised and joined (data_pipeline.own_files).

The tiny warehouse (tests/factories.py) has NL01, RE01 "Regio Een", RE02, GM0001..GM0003
("Gemeente 1" ...), wijken like WK000101 and buurten like BU00010100, boundary year 2024.
"""

from __future__ import annotations

import io
import math

import openpyxl
import pytest

from data_pipeline import own_files
from data_pipeline.own_files import OwnInputError, join, read_upload, recognise
from tests.realdata import real_more_dir

ROWS = [("Gebied", "Jaar", "Aantal"), ("GM0001", "2024", "12"), ("GM0002", "2024", "7"), ("WK000101", "2024", "3")]


def csv_bytes(rows, sep=";", encoding="utf-8", quote=False) -> bytes:
    cell = (lambda c: '"' + c.replace('"', '""') + '"') if quote else (lambda c: c)
    return "\n".join(sep.join(cell(c) for c in row) for row in rows).encode(encoding)


def refused(call, *args, **kwargs) -> OwnInputError:
    with pytest.raises(OwnInputError) as caught:
        call(*args, **kwargs)
    return caught.value


def joined_csv(text: str, warehouse, name="meldingen.csv", **kwargs):
    table = read_upload(name, text.encode())
    options = {"area_column": table.columns[0], "value_columns": [table.columns[-1]], "year": 2024}
    return join(table, warehouse, **{**options, **kwargs})


# -- reading ---------------------------------------------------------------------------------

@pytest.mark.parametrize("sep, encoding, quote", [
    (";", "utf-8", False), (",", "utf-8", True), ("\t", "utf-8", False), (";", "utf-8-sig", True),
    (",", "cp1252", False),
])
def test_csv_with_any_separator_encoding_and_quoting_reads_the_same(sep, encoding, quote):
    rows = [*ROWS, ("BU00010100", "2024", "1"), ("Gemeente 3", "2024", "5")]
    rows[0] = ("Gebied", "Jaar", "Aantal meldingen ’s nachts")  # a character cp1252 and UTF-8 write differently
    table = read_upload("m.csv", csv_bytes(rows, sep, encoding, quote))
    assert table.kind == "csv" and table.sheet is None and table.sheets == ()
    assert table.columns == ("Gebied", "Jaar", "Aantal meldingen ’s nachts")
    assert table.cells.index.tolist() == [2, 3, 4, 5, 6]          # the lines in the file
    assert table.cells["Gebied"].tolist() == ["GM0001", "GM0002", "WK000101", "BU00010100", "Gemeente 3"]
    assert (encoding == "cp1252") == any("cp1252" in note for note in table.notes)


def test_the_separator_is_the_headers_whatever_the_cells_hold():
    table = read_upload("m.csv", "Code;Score\nGM0001;1,5\nGM0002;2,5, ongeveer\n".encode())
    assert table.columns == ("Code", "Score") and table.cells["Score"].tolist() == ["1,5", "2,5, ongeveer"]


def test_quoted_cells_keep_their_separators_and_row_numbers_follow_the_file():
    text = 'Gebied,Opmerking,Aantal\n\n"GM0001","a, b; c",3\n"GM0002","twee\nregels",4\nGM0003,,5\n'
    table = read_upload("m.csv", text.encode())
    assert table.cells["Opmerking"].tolist() == ["a, b; c", "twee\nregels", ""]
    assert table.cells.index.tolist() == [3, 4, 6]
    assert table.preview(2)["row"].tolist() == [3, 4]


def statline_text(periods=("2022", "2023*"), rows=None, footer=True) -> str:
    """A StatLine CSV download as published (47013NED's layout), for the tiny warehouse."""
    rows = rows or [("Nederland", "100", "110"), ("Gemeente 1", "10", "11"), ("Gemeente 2 (gemeente)", ".", "x"),
                    ("Noord-Nederland (RE)", "40", "44"), ("Gemeenten; niet in te delen", "1", "2")]
    lines = ['"Geregistreerde misdrijven en aangiften; soort misdrijf, gemeente 2026"',
             '"Soort misdrijf: Totaal misdrijven"', '""',
             ";".join(['"Onderwerp"'] + ['"Geregistreerde misdrijven"'] * len(periods)),
             ";".join(['"Perioden"'] + [f'"{p}"' for p in periods]),
             ";".join(['"Regio\'s"'] + ['"aantal"'] * len(periods))]
    lines += [";".join(f'"{c}"' for c in row) for row in rows]
    if footer:
        lines.append('"Bron: Politie"')
    return "\n".join(lines) + "\n"


def test_a_statline_download_becomes_one_row_per_area_and_year(tiny_warehouse):
    table = read_upload("misdrijven.csv", statline_text().encode("utf-8-sig"))
    assert table.kind == "statline"
    assert table.title == "Geregistreerde misdrijven en aangiften; soort misdrijf, gemeente 2026"
    assert table.columns == ("Regio's", "Perioden", "Geregistreerde misdrijven")
    assert table.cells.index.tolist() == [7, 7, 8, 8, 9, 9, 10, 10, 11, 11]   # file lines, once per period
    assert table.cells["Perioden"].tolist()[:2] == ["2022", "2023*"]
    assert any("Bron: Politie" in n for n in table.notes) and any("Totaal misdrijven" in n for n in table.notes)

    found = recognise(table, tiny_warehouse)
    assert (found.area_column, found.year_column) == ("Regio's", "Perioden")
    assert found.value_columns == ("Geregistreerde misdrijven",)
    assert found.levels == {"land": 2, "gemeente": 4, "regio": 2}

    joined = join(table, tiny_warehouse, area_column="Regio's", year_column="Perioden",
                  value_columns=["Geregistreerde misdrijven"], counts=["Geregistreerde misdrijven"])
    got = joined.values.set_index(["code", "year"])["value"]
    assert got[("GM0001", 2022)] == 10 and got[("GM0001", 2023)] == 11          # "2023*" is 2023
    assert math.isnan(got[("GM0002", 2022)]) and math.isnan(got[("GM0002", 2023)])  # "." and "x": missing
    assert got[("RE01", 2023)] == 44                                             # the (RE) row at its level
    assert joined.levels == {"regio": 2, "gemeente": 4} and joined.years == (2022, 2023)
    assert (joined.rows, joined.matched) == (10, 6) and joined.match_rate == pytest.approx(0.6)
    report = joined.report.drop_duplicates("key").set_index("key")
    assert report.at["Nederland", "reason_nl"] == "Nederland (het hele land): een totaal, niet gebruikt"
    assert "niet gebruikt" in report.at["Gemeenten; niet in te delen", "reason_nl"]
    assert joined.report["row"].tolist() == [7, 7, 11, 11]


def test_a_statline_download_without_footer_or_with_ragged_rows():
    table = read_upload("m.csv", statline_text(footer=False).encode())
    assert any("no 'Bron:' footer" in n for n in table.notes)
    bad = statline_text(rows=[("Gemeente 1", "1", "2"), ("Gemeente 2", "3")])
    err = refused(read_upload, "m.csv", bad.encode())
    assert (err.row, err.column) == (8, None)
    assert err.message("nl") == "m.csv, rij 8: 2 cellen waar de kopregel er 3 heeft"


def test_statline_nil_and_provisional_figures(tiny_warehouse):
    table = read_upload("m.csv", statline_text(rows=[("Gemeente 1", "-", "12*")]).encode())
    joined = join(table, tiny_warehouse, area_column="Regio's", year_column="Perioden",
                  value_columns=["Geregistreerde misdrijven"])
    assert joined.values["value"].tolist() == [0.0, 12.0]


# -- areas and levels ------------------------------------------------------------------------

def test_codes_padded_or_not_and_names_each_join_at_their_own_level(tiny_warehouse):
    text = ("gemeentecode;Aantal\nGM0001;1\n2;2\n BU00010100 ;3\nwk000102;4\nGemeente 3;5\nNL01;6\nRE02;7\n")
    table = read_upload("m.csv", text.encode())
    assert recognise(table, tiny_warehouse).area_column == "gemeentecode"
    joined = join(table, tiny_warehouse, area_column="gemeentecode", value_columns=["Aantal"], year=2024)
    got = joined.values.set_index("code")
    assert got["level"].to_dict() == {"GM0001": "gemeente", "GM0002": "gemeente", "BU00010100": "buurt",
                                      "WK000102": "wijk", "GM0003": "gemeente", "RE02": "regio"}
    assert got["value"].tolist() == [1, 2, 3, 4, 5, 7] and got["row"].tolist() == [2, 3, 4, 5, 6, 8]
    assert joined.levels == {"regio": 1, "gemeente": 3, "wijk": 1, "buurt": 1}
    assert joined.report[["row", "key", "level"]].values.tolist() == [[7, "NL01", "land"]]
    assert (joined.values["year"] == 2024).all() and joined.boundary_year == 2024


def test_codes_of_another_boundary_year_are_reported_per_row_with_the_reason(tiny_warehouse):
    text = ("Code;Naam;Aantal\nGM0001;Gemeente 1;1\nBU00019999;Oude buurt;2\nWK000177;;3\nGM0457;Weesp;4\n"
            "BU04570001;Weesp-Noord;5\nGemeente 9;;6\n")
    joined = joined_csv(text, tiny_warehouse, area_column="Code")
    assert joined.matched == 1 and joined.rows == 6
    report = joined.report.set_index("row")
    assert report.at[3, "reason_nl"] == "buurtcode BU00019999 niet in de grenzen van 2024 (een code van een ander indelingsjaar?)"
    assert report.at[3, "reason"] == "buurt code BU00019999 is not in the 2024 boundaries (a code of another boundary year?)"
    assert report.at[4, "level"] == "wijk" and "wijkcode WK000177 niet in de grenzen van 2024" in report.at[4, "reason_nl"]
    # a code of a merged gemeente: the name beside it says where it went and when
    assert report.at[5, "reason_nl"] == ("gemeentecode GM0457 niet in de grenzen van 2024; voormalige gemeente "
                                         "Weesp: in 2022 opgegaan in Amsterdam")
    assert report.at[6, "reason"] == "buurt code BU04570001 is not in the 2024 boundaries; nor is its gemeente GM0457"
    assert report.at[7, "reason"].startswith("no gemeente of this name in the 2024 boundaries (closest: Gemeente ")
    assert "(dichtstbij: Gemeente " in report.at[7, "reason_nl"]


def test_a_merged_away_gemeente_name_says_into_which_and_when(tiny_warehouse):
    joined = joined_csv("Gemeente;Aantal\nGemeente 1;1\nMill en Sint Hubert;2\n", tiny_warehouse)
    row = joined.report.iloc[0]
    assert (row["row"], row["key"], row["level"]) == (3, "Mill en Sint Hubert", "gemeente")
    assert row["reason"].startswith("former gemeente Mill en Sint Hubert: merged into Land van Cuijk in 2022")
    assert row["reason_nl"].startswith("voormalige gemeente Mill en Sint Hubert: in 2022 opgegaan in Land van Cuijk")


def test_the_summary_names_counts_levels_years_and_the_rows_left_out(tiny_warehouse):
    joined = joined_csv("Code;Aantal\nGM0001;1\nWK000101;2\nNederland;3\nBU00019999;4\n", tiny_warehouse)
    nl, en = joined.summary("nl"), joined.summary("en")
    assert nl[0] == "2 van 4 rijen gekoppeld aan gebieden van de grenzen van 2024 (50%)"
    assert en[0] == "2 of 4 rows joined to areas of the 2024 boundaries (50%)"
    assert nl[1] == "Per niveau: gemeente 1, wijk 1" and en[2] == "Years: 2024"
    assert joined_csv("Code;Aantal\nGM0001;1\nGM0002;1\nGM0999;1\n", tiny_warehouse).summary("nl")[0].endswith(
        "(66,7%)")
    assert nl[3] == "2 rijen niet gekoppeld of niet gebruikt:" and nl[4].startswith("  rij 4 'Nederland'")


# -- years -----------------------------------------------------------------------------------

def test_the_year_from_a_column_in_any_published_form_or_given(tiny_warehouse):
    text = "Code;Periode;Aantal\nGM0001;2024;1\nGM0001;2023JJ00;2\nGM0001;2022*;3\n"
    table = read_upload("m.csv", text.encode())
    assert recognise(table, tiny_warehouse).year_column == "Periode"
    joined = join(table, tiny_warehouse, area_column="Code", year_column="Periode", value_columns=["Aantal"])
    assert joined.values[["year", "value"]].values.tolist() == [[2024, 1], [2023, 2], [2022, 3]]
    assert joined.years == (2022, 2023, 2024)
    assert recognise(table, tiny_warehouse).value_columns == ("Aantal",)
    given = read_upload("m.csv", "Code;Aantal\nGM0001;1\nGM0002;2\n".encode())
    joined = join(given, tiny_warehouse, area_column="Code", value_columns=["Aantal"], year=2021)
    assert joined.values["year"].tolist() == [2021, 2021] and joined.years == (2021,)


def test_a_missing_or_bad_year_is_refused(tiny_warehouse):
    table = read_upload("m.csv", "Code;Jaar;Aantal\nGM0001;2024;1\nGM0002;vorig jaar;2\n".encode())
    err = refused(join, table, tiny_warehouse, area_column="Code", value_columns=["Aantal"], year_column="Jaar")
    assert (err.row, err.column) == (3, "Jaar")
    assert err.message("nl") == "m.csv, rij 3, kolom 'Jaar': geen jaar zoals 2024 of 2024JJ00: 'vorig jaar'"
    err = refused(join, table, tiny_warehouse, area_column="Code", value_columns=["Aantal"])
    assert str(err) == "m.csv: no year: choose the year column or give the year"
    good = read_upload("m.csv", "Code;Jaar;Aantal\nGM0001;2024;1\n".encode())
    err = refused(join, good, tiny_warehouse, area_column="Code", value_columns=["Aantal"], year_column="Jaar",
                  year=2023)
    assert err.message("nl") == "m.csv, kolom 'Jaar': de kolom heeft 2024, maar jaar 2023 is opgegeven"


# -- figures ---------------------------------------------------------------------------------

def test_dutch_and_english_figures_are_read_and_missing_stays_missing(tiny_warehouse):
    text = ("Code;Bedrag;Score;Aantal\nGM0001;1.234,5;1234.5;1.234\nGM0002;1,5;0.25;.\n"
            "GM0003;12;x;\nWK000101;-3,25;1e3;2.500.000\n")
    table = read_upload("m.csv", text.encode())
    assert recognise(table, tiny_warehouse).value_columns == ("Bedrag", "Score", "Aantal")
    joined = join(table, tiny_warehouse, area_column="Code", value_columns=["Bedrag", "Score", "Aantal"],
                  year=2024, counts=["Aantal"])
    got = joined.values.pivot(index="code", columns="column", values="value")
    assert got["Bedrag"].tolist() == [1234.5, 1.5, 12, -3.25]
    assert got.loc["GM0001", "Score"] == 1234.5 and got.loc["GM0002", "Score"] == 0.25
    assert math.isnan(got.loc["GM0003", "Score"]) and got.loc["WK000101", "Score"] == 1000
    # a count of "1.234" is 1234 (counts are whole); missing "." and "" are NaN, never 0
    assert got.loc["GM0001", "Aantal"] == 1234 and got.loc["WK000101", "Aantal"] == 2_500_000
    assert got["Aantal"].isna().tolist() == [False, True, True, False]


def test_a_point_is_a_thousands_separator_only_where_the_column_says_so(tiny_warehouse):
    dutch = joined_csv("Code;Score\nGM0001;1.234\nGM0002;2,5\n", tiny_warehouse)
    english = joined_csv("Code;Score\nGM0001;1.234\nGM0002;2.5\n", tiny_warehouse)
    assert dutch.values["value"].tolist() == [1234, 2.5] and english.values["value"].tolist() == [1.234, 2.5]
    err = refused(joined_csv, "Code;Score\nGM0001;1.234\nGM0002;2,5\nGM0003;0.5\n", tiny_warehouse)
    assert (err.row, err.column) == (2, "Score") and "niet eenduidig" in err.message("nl")


def test_a_cell_that_is_no_number_is_refused_with_row_and_column(tiny_warehouse):
    text = "Gemeente;Aantal\nGM0001;3\nGM0002;4\nGM0003;veel\nWK000101;5 stuks\n"
    err = refused(joined_csv, text, tiny_warehouse)
    assert (err.file, err.row, err.column) == ("meldingen.csv", 4, "Aantal")
    assert err.message("nl") == "meldingen.csv, rij 4, kolom 'Aantal': geen getal: 'veel' (en nog 1 keer zo)"
    assert str(err) == "meldingen.csv, row 4, column 'Aantal': not a number: 'veel' (and 1 more like it)"
    assert "Aantal" not in recognise(read_upload("meldingen.csv", text.encode()), tiny_warehouse).value_columns


def test_a_negative_count_is_refused_but_a_negative_value_is_not(tiny_warehouse):
    text = "Code;Aantal\nGM0001;3\nGM0002;-2\n"
    err = refused(joined_csv, text, tiny_warehouse, counts=["Aantal"])
    assert err.message("nl") == "meldingen.csv, rij 3, kolom 'Aantal': een negatief aantal: '-2'"
    assert str(err) == "meldingen.csv, row 3, column 'Aantal': a negative count: '-2'"
    assert joined_csv(text, tiny_warehouse).values["value"].tolist() == [3, -2]


# -- bad input -------------------------------------------------------------------------------

def test_no_area_column_is_refused_and_not_proposed(tiny_warehouse):
    table = read_upload("m.csv", "Omschrijving;Aantal\nfietsendiefstal;3\ninbraak;4\n".encode())
    assert recognise(table, tiny_warehouse).area_column is None
    err = refused(join, table, tiny_warehouse, area_column="Gebied", value_columns=["Aantal"], year=2024)
    assert err.column == "Gebied" and err.row is None
    assert err.message("nl") == ("m.csv, kolom 'Gebied': geen gebiedskolom met deze naam in het bestand "
                                 "(kolommen: 'Omschrijving', 'Aantal')")


def test_only_unknown_codes_is_refused_naming_the_boundary_year(tiny_warehouse):
    err = refused(joined_csv, "Code;Aantal\nGM0999;3\nBU09990000;4\n", tiny_warehouse)
    assert err.column == "Code"
    assert str(err) == ("meldingen.csv, column 'Code': none of the 2 rows names an area of the 2024 boundaries "
                        "(first: gemeente code GM0999 is not in the 2024 boundaries)")
    assert err.message("nl").startswith("meldingen.csv, kolom 'Code': geen van de 2 rijen noemt een gebied van "
                                        "de grenzen van 2024 (eerste: gemeentecode GM0999 niet in de grenzen van 2024")


def test_the_same_area_and_year_twice_is_refused_even_when_written_differently(tiny_warehouse):
    err = refused(joined_csv, "gemeentecode;Aantal\nGM0001;3\nGM0002;1\n1;4\n", tiny_warehouse)
    assert (err.row, err.column) == (4, "gemeentecode")
    assert err.message("nl") == "meldingen.csv, rij 4, kolom 'gemeentecode': GM0001 in 2024 staat ook in rij 2"
    # the same area in two years is no duplicate
    table = read_upload("m.csv", "Code;Jaar;Aantal\nGM0001;2023;3\nGM0001;2024;4\n".encode())
    assert join(table, tiny_warehouse, area_column="Code", year_column="Jaar", value_columns=["Aantal"]).matched == 2


def test_a_wrong_delimiter_an_empty_file_and_a_header_only(tiny_warehouse):
    err = refused(read_upload, "m.csv", "Code|Aantal\nGM0001|3\n".encode())
    assert err.row == 1 and err.message("nl").startswith("m.csv, rij 1: maar één kolom ('Code|Aantal')")
    for empty in (b"", b"\xef\xbb\xbf", b"\n\n  \n"):
        assert refused(read_upload, "leeg.csv", empty).message("nl") == "leeg.csv: het bestand is leeg"
    assert str(refused(read_upload, "m.csv", b"Code;Aantal\n")) == "m.csv, row 1: no rows below the header"


def test_ragged_rows_and_bad_headers_are_refused():
    err = refused(read_upload, "m.csv", b"Code;Aantal\nGM0001;3\nGM0002;4;5\n")
    assert str(err) == "m.csv, row 3: 3 cells where the header has 2"
    err = refused(read_upload, "m.csv", b"Code;Aantal;Aantal\nGM0001;3;4\n")
    assert err.column == "Aantal" and "twee keer" in err.message("nl")
    assert read_upload("m.csv", b"Code;Aantal;\nGM0001;3;\n").columns == ("Code", "Aantal")  # a trailing ';'


def test_over_the_size_limit_and_not_a_table(monkeypatch):
    monkeypatch.setattr(own_files, "MAX_BYTES", 100)
    err = refused(read_upload, "groot.csv", b"Code;Aantal\n" + b"GM0001;3\n" * 20)
    assert str(err).startswith("groot.csv: the file is") and "MB allowed" in str(err)
    assert "meer dan de toegestane" in err.message("nl")
    monkeypatch.undo()
    assert "XLS" in str(refused(read_upload, "oud.xls", b"\xd0\xcf\x11\xe0" + b"\0" * 50))
    assert "not a text file" in str(refused(read_upload, "foto.csv", b"\x89PNG\r\n\x1a\n\0\0\0"))
    assert "not a readable XLSX" in str(refused(read_upload, "kapot.xlsx", b"PK\x03\x04kapot"))


# -- XLSX ------------------------------------------------------------------------------------

def xlsx(sheets: dict[str, list[list]]) -> bytes:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_an_xlsx_sheet_is_read_with_numbers_as_typed(tiny_warehouse):
    data = xlsx({"Meldingen": [["Code", "Jaar", "Aantal", "Score"], ["GM0001", 2024, 12, 0.125],
                               ["WK000101", 2024, None, 1.5], ["BU00010100", 2024, 1234, "1,5"]]})
    table = read_upload("m.xlsx", data)
    assert (table.kind, table.sheet, table.sheets) == ("xlsx", "Meldingen", ("Meldingen",))
    assert table.cells.index.tolist() == [2, 3, 4]
    found = recognise(table, tiny_warehouse)
    assert (found.area_column, found.year_column, found.value_columns) == ("Code", "Jaar", ("Aantal", "Score"))
    joined = join(table, tiny_warehouse, area_column="Code", year_column="Jaar", value_columns=["Aantal"])
    assert joined.values["value"].tolist()[::2] == [12, 1234] and math.isnan(joined.values["value"].iloc[1])


def test_an_xlsx_with_several_sheets_needs_one_chosen(tiny_warehouse):
    data = xlsx({"Toelichting": [["Dit bestand bevat meldingen"]], "Cijfers": [["Code", "Aantal"], ["GM0001", 3]]})
    err = refused(read_upload, "m.xlsx", data)
    assert err.message("nl") == "m.xlsx: de werkmap heeft 2 werkbladen ('Toelichting', 'Cijfers'): kies er een"
    assert str(err) == "m.xlsx: the workbook has 2 sheets ('Toelichting', 'Cijfers'): choose one"
    assert err.sheets == ("Toelichting", "Cijfers")   # what the page offers to choose from
    table = read_upload("m.xlsx", data, sheet="Cijfers")
    assert table.sheet == "Cijfers" and table.sheets == ("Toelichting", "Cijfers")
    assert table.cells.to_dict("list") == {"Code": ["GM0001"], "Aantal": ["3"]}
    assert "geen werkblad 'Blad1'" in refused(read_upload, "m.xlsx", data, sheet="Blad1").message("nl")


def test_a_statline_download_saved_as_xlsx_is_read_as_one(tiny_warehouse):
    rows = [["Geregistreerde misdrijven; soort misdrijf, gemeente"], [], ["Onderwerp", "Misdrijven", "Misdrijven"],
            ["Perioden", "2022", "2023"], ["Regio's", "aantal", "aantal"], ["Gemeente 1", 3, "."], ["Bron: Politie"]]
    table = read_upload("m.xlsx", xlsx({"Data": rows}))
    assert table.kind == "statline" and table.sheet == "Data"
    assert table.cells.values.tolist() == [["Gemeente 1", "2022", "3"], ["Gemeente 1", "2023", "."]]


# -- real files ------------------------------------------------------------------------------

@pytest.mark.realdata
def test_the_real_47013NED_download_joins_all_342_gemeenten_of_2024(real_warehouse):
    path = real_more_dir() / "crime" / "gemeente_2022_2023_politie47013NED_misdrijven_totaal_statline.csv"
    table = read_upload(path.name, path.read_bytes())
    found = recognise(table, real_warehouse)
    assert (found.area_column, found.year_column) == ("Regio's", "Perioden")
    column = "Geregistreerde misdrijven"
    joined = join(table, real_warehouse, area_column=found.area_column, year_column=found.year_column,
                  value_columns=[column], counts=[column])
    assert joined.years == (2022, 2023) and joined.boundary_year == 2024
    assert joined.levels["gemeente"] == 2 * 342 and joined.levels.get("regio") == 2 * 10
    gemeenten = joined.values[joined.values["level"] == "gemeente"]
    per_year = gemeenten.groupby("year")["value"].sum()
    rows = table.cells[table.cells["Regio's"] == "Gemeenten; niet in te delen"]
    unassigned = rows.set_index("Perioden")[column].astype(int)
    # real-more/README.md: the 342 gemeenten plus "niet in te delen" equal Nederland exactly
    assert per_year[2022] + unassigned["2022"] == 800_027 and per_year[2023] + unassigned["2023"] == 805_590
    not_used = set(joined.report["key"])
    assert {"Nederland", "Gemeenten; niet in te delen", "Niet in te delen (RE)"} <= not_used
    assert joined.report.groupby("key")["reason_nl"].first()["Nederland"].endswith("niet gebruikt")
