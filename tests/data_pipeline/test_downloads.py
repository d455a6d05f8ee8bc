"""The map table as CSV (for Dutch Excel) and XLSX: same rows back, hidden values empty, never 0."""

from __future__ import annotations

import io
from datetime import date

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from dashboard.tables import download_header as table_header
from data_pipeline.downloads import (HIDDEN_COLUMNS, export_filename, published_rows, read_table_csv,
                                     read_table_xlsx, table_csv, table_xlsx)
from data_pipeline.warehouse import Scope

INDICATOR = "misdrijven_per_1000_inwoners"
EXPORTED = date(2025, 3, 14)


@pytest.fixture(scope="module")
def tiny_table(tiny_warehouse):
    return tiny_warehouse.table("buurt", None, INDICATOR, 2024, Scope.everything())


@pytest.fixture(scope="module")
def tiny_header(tiny_warehouse):
    return table_header(tiny_warehouse, INDICATOR, 2024, level="buurt", parent="NL01", exported=EXPORTED)


@pytest.fixture(scope="module")
def demo_table(demo_warehouse):
    ind = demo_warehouse.catalog.indicators[0].id
    rows = demo_warehouse.table("buurt", None, ind, demo_warehouse.years[-1], Scope.everything())
    header = table_header(demo_warehouse, ind, demo_warehouse.years[-1], level="buurt", exported=EXPORTED)
    return rows, header


def read_csv_plain(data: bytes) -> pd.DataFrame:
    """As a user would, with nothing but pandas."""
    return pd.read_csv(io.BytesIO(data), sep=";", decimal=",", comment="#")


def assert_same_rows(back: pd.DataFrame, rows: pd.DataFrame, exact: bool = True) -> None:
    """Same columns, codes, texts and numbers; hidden values NaN (never 0).

    CSV numbers come back bit for bit. An XLSX file holds 16 significant digits (openpyxl writes
    ``%.16g``; Excel itself keeps 15), so there numbers agree to 1 part in 10^15."""
    assert list(back.columns) == list(rows.columns)
    assert len(back) == len(rows)
    rows = rows.reset_index(drop=True)
    for column in rows.columns:
        if pd.api.types.is_numeric_dtype(rows[column]):
            expected = rows[column].astype("float64").to_numpy()
            got = back[column].astype("float64").to_numpy()
            assert np.array_equal(np.isnan(got), np.isnan(expected)), column  # NaN where NaN
            if exact:
                np.testing.assert_array_equal(got, expected, err_msg=column)
            else:
                np.testing.assert_allclose(got, expected, rtol=1e-15, atol=0, err_msg=column)
        else:
            expected = rows[column].astype(object).where(rows[column].notna(), None).tolist()
            got = back[column].astype(object).where(back[column].notna(), None).tolist()
            assert got == expected, column
    hidden = rows["status"] != "ok"
    for column in HIDDEN_COLUMNS:
        assert back.loc[hidden.to_numpy(), column].isna().all(), column


def test_the_tiny_table_has_hidden_rows_to_protect(tiny_table):
    assert set(tiny_table["status"]) == {"ok", "missing", "suppressed"}


def test_csv_bytes_are_what_dutch_excel_expects(tiny_table, tiny_header):
    data = table_csv(tiny_table, tiny_header)
    assert isinstance(data, bytes) and data.startswith(b"\xef\xbb\xbf")     # UTF-8 with BOM
    lines = data.decode("utf-8-sig").split("\r\n")
    assert lines[0] == f"# Indicator;Misdrijven ({INDICATOR})"
    assert "# Jaar;2024" in lines and "# Grensjaar gebiedsindeling;2024" in lines
    assert "# Bronnen;Testbron (tabel TEST-1)" in lines and "# Exportdatum;2025-03-14" in lines
    table = lines[lines.index("") + 1:]
    assert table[0].startswith("code;name;level;parent_code;year;indicator;value;numerator;denominator;status")
    ok = next(line for line in table if line.startswith("BU00010101;"))
    assert ";20;60;3000;ok;" in ok                                  # whole numbers exact, never "60,0"
    suppressed = next(line for line in table if line.startswith("BU00020100;"))
    assert ";;;;suppressed;" in suppressed                                  # empty, not 0


def test_csv_rates_keep_every_digit_with_a_decimal_comma(tiny_table, tiny_header):
    rows = tiny_table.copy()
    rows.loc[rows["code"] == "BU00010101", "value"] = 20 / 3
    line = next(line for line in table_csv(rows, tiny_header).decode("utf-8-sig").split("\r\n")
                if line.startswith("BU00010101;"))
    assert f";{repr(20 / 3).replace('.', ',')};60;3000;ok;" in line


def test_csv_reopens_in_pandas_with_the_same_rows(tiny_table, tiny_header):
    data = table_csv(tiny_table, tiny_header)
    assert_same_rows(read_csv_plain(data), tiny_table)
    header, rows = read_table_csv(data)
    assert header == tiny_header
    assert_same_rows(rows, tiny_table)


def test_xlsx_reopens_in_pandas_with_the_same_rows(tiny_table, tiny_header):
    data = table_xlsx(tiny_table, tiny_header)
    assert isinstance(data, bytes) and data[:2] == b"PK"
    plain = pd.read_excel(io.BytesIO(data), engine="openpyxl", header=len(tiny_header) + 1)
    assert_same_rows(plain, tiny_table)
    header, rows = read_table_xlsx(data)
    assert header == tiny_header
    assert_same_rows(rows, tiny_table)


def test_xlsx_is_a_real_table(tiny_table, tiny_header):
    ws = load_workbook(io.BytesIO(table_xlsx(tiny_table, tiny_header))).active
    head = len(tiny_header) + 2
    assert [ws.cell(r, 1).value for r in range(1, 4)] == ["Indicator", "Eenheid", "Jaar"]
    assert ws.cell(1, 1).font.b and ws.cell(1, 2).value == f"Misdrijven ({INDICATOR})"
    assert ws.cell(head - 1, 1).value is None
    names = [c.value for c in ws[head]]
    assert names == list(tiny_table.columns) and all(c.font.b for c in ws[head])
    assert ws.freeze_panes == f"C{head + 1}"
    assert ws.auto_filter.ref == f"A{head}:L{head + len(tiny_table)}"
    col = {name: i + 1 for i, name in enumerate(names)}
    by_code = {ws.cell(r, 1).value: r for r in range(head + 1, head + 1 + len(tiny_table))}
    ok, hidden = by_code["BU00010101"], by_code["BU00020100"]
    value = ws.cell(ok, col["value"])
    assert value.data_type == "n" and value.value == 20 and value.number_format == "#,##0.0"
    assert ws.cell(ok, col["numerator"]).number_format == "#,##0"
    assert ws.cell(ok, col["year"]).value == 2024 and ws.cell(ok, col["year"]).number_format == "0"
    for column in HIDDEN_COLUMNS:
        assert ws.cell(hidden, col[column]).value is None                   # empty, not 0
    assert ws.cell(hidden, col["status"]).value == "suppressed"


def test_values_that_are_not_published_are_emptied_whatever_the_rows_hold(tiny_table, tiny_header):
    leaky = tiny_table.copy()
    hidden = leaky["status"] != "ok"
    leaky.loc[hidden, "value"] = 0.0
    leaky.loc[hidden, "numerator"] = 2.0
    leaky.loc[hidden, "denominator"] = 40.0
    clean = published_rows(leaky)
    assert clean.loc[hidden, list(HIDDEN_COLUMNS)].isna().all().all()
    assert_same_rows(read_csv_plain(table_csv(leaky, tiny_header)), tiny_table)
    assert_same_rows(read_table_xlsx(table_xlsx(leaky, tiny_header))[1], tiny_table)
    assert leaky.loc[hidden, "value"].eq(0).all()                           # the input is left alone


def test_demo_table_round_trips_through_both_formats(demo_table):
    rows, header = demo_table
    assert (rows["status"] == "ok").any() and (rows["status"] != "ok").any()
    assert not rows["value"].dropna().apply(float.is_integer).all()        # real fractions
    assert_same_rows(read_csv_plain(table_csv(rows, header)), rows)
    header_back, back = read_table_xlsx(table_xlsx(rows, header))
    assert header_back == header
    assert_same_rows(back, rows, exact=False)


def test_awkward_texts_survive_both_formats(tiny_table, tiny_header):
    rows = tiny_table.copy()
    rows.loc[0, "name"] = 'Buurt #1; "De Ĳssel" — Súdwest'
    rows.loc[1, "name"] = "=1+1"
    header = {**tiny_header, "Bronnen": "CBS (tabel 85984NED); Politie (tabel 47022NED)\nregel 2"}
    csv_header, csv_rows = read_table_csv(table_csv(rows, header))
    assert csv_header["Bronnen"] == "CBS (tabel 85984NED); Politie (tabel 47022NED) regel 2"
    assert csv_rows.loc[0, "name"] == rows.loc[0, "name"]
    assert csv_rows.loc[1, "name"] == "'=1+1"                    # never a formula in Excel
    ws = load_workbook(io.BytesIO(table_xlsx(rows, header))).active
    formula_cell = ws.cell(len(header) + 4, 2)
    assert formula_cell.value == "=1+1" and formula_cell.data_type == "s"
    _, xlsx_rows = read_table_xlsx(table_xlsx(rows, header))
    assert xlsx_rows["name"].tolist()[:2] == rows["name"].tolist()[:2]


def test_a_hash_or_a_space_at_either_end_is_quoted_so_that_pandas_keeps_the_row(tiny_table, tiny_header):
    rows = tiny_table.copy()
    rows.loc[0, "name"] = "Buurt #1"                     # no ; or ": plain csv would not quote it
    rows.loc[1, "name"] = " Spatie "
    data = table_csv(rows, tiny_header)
    lines = data.decode("utf-8-sig").split("\r\n")
    assert any(';"Buurt #1";' in line for line in lines) and any(';" Spatie ";' in line for line in lines)
    assert_same_rows(read_csv_plain(data), rows)
    assert_same_rows(read_table_csv(data)[1], rows)


def test_csv_cells_that_are_no_plain_numbers_or_texts(tiny_table, tiny_header):
    rows = tiny_table.iloc[:2].copy()
    ok = rows["status"].eq("ok").to_numpy()
    rows["value"] = np.where(ok, np.inf, rows["value"])          # not finite: an empty cell, as NaN
    rows["checked"] = [date(2025, 3, 1), None]
    rows["at"] = pd.to_datetime(["2025-03-01 12:30", "2025-03-02 00:00"])
    rows["remark"] = ["@SUM(A1)", "-1"]
    data = table_csv(rows, tiny_header).decode("utf-8-sig")
    table = data.split("\r\n\r\n", 1)[1].split("\r\n")
    assert table[0].endswith(";checked;at;remark")
    first = table[1].split(";")
    assert first[-3:] == ["2025-03-01", "2025-03-01T12:30:00", "'@SUM(A1)"]
    assert table[2].split(";")[-3:] == ["", "2025-03-02T00:00:00", "'-1"]
    assert read_table_csv(data.encode("utf-8-sig"))[1]["value"].isna().to_numpy()[ok].all()


def test_count_indicator_shows_whole_numbers(tiny_warehouse):
    rows = tiny_warehouse.table("gemeente", None, "inwoners", 2024, Scope.everything())
    header = table_header(tiny_warehouse, "inwoners", 2024, exported=EXPORTED)
    ws = load_workbook(io.BytesIO(table_xlsx(rows, header))).active
    head = len(header) + 2
    value_column = [c.value for c in ws[head]].index("value") + 1
    assert ws.cell(head + 1, value_column).number_format == "#,##0"
    assert_same_rows(read_table_xlsx(table_xlsx(rows, header))[1], rows)


def test_the_header_block_is_written_as_given(tiny_table):
    header, _ = read_table_csv(table_csv(tiny_table, {"Indicator": "x", "Jaar": 2024, "Leeg": None}))
    assert header == {"Indicator": "x", "Jaar": "2024", "Leeg": ""}
    header, _ = read_table_xlsx(table_xlsx(tiny_table.iloc[:0], {"Indicator": "x"}))
    assert header == {"Indicator": "x"}


def test_export_filename():
    assert export_filename("misdrijven", 2024, "buurt", "GM0363", "xlsx") == \
        "ondermijningsbeeld_misdrijven_2024_buurt_GM0363.xlsx"
    assert export_filename("a/b", 2024, "gemeente", None, ".csv") == "ondermijningsbeeld_a-b_2024_gemeente.csv"
