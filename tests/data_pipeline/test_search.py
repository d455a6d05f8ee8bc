"""Finding gemeenten, wijken and buurten by name or code."""

from __future__ import annotations

import pandas as pd
import pytest

from data_pipeline.search import RESULT_COLUMNS, AreaIndex, normalise, search_areas


def areas_frame(rows):
    frame = pd.DataFrame(rows, columns=["code", "level", "name", "parent_code", "is_water"])
    return frame.set_index("code", drop=False).rename_axis(None)   # as Warehouse.areas


#: A small country with the names that make searching hard.
AREAS = areas_frame([
    ("NL01", "land", "Nederland", None, False),
    ("RE05", "regio", "RIEC Amsterdam-Amstelland", "NL01", False),
    ("RE08", "regio", "RIEC Zeeland-West-Brabant", "NL01", False),
    ("GM0363", "gemeente", "Amsterdam", "RE05", False),
    ("GM0362", "gemeente", "Amstelveen", "RE05", False),
    ("GM0796", "gemeente", "'s-Hertogenbosch", "RE08", False),
    ("GM0518", "gemeente", "'s-Gravenhage", "RE08", False),
    ("GM1900", "gemeente", "Súdwest-Fryslân", "RE08", False),
    ("WK0363AA", "wijk", "Centrum", "GM0363", False),
    ("WK0363AB", "wijk", "Amsterdam-Noord", "GM0363", False),
    ("WK036299", "wijk", "Centrum", "GM0362", False),
    ("WK079600", "wijk", "Centrum", "GM0796", False),
    ("WK079601", "wijk", "Rosmalen", "GM0796", False),
    ("WK190001", "wijk", "Sneek", "GM1900", False),
    ("WK036399", "wijk", "IJ en Buiten-IJ", "GM0363", True),
    ("BU0363AA01", "buurt", "Burgwallen-Oude Zijde", "WK0363AA", False),
    ("BU0363AA02", "buurt", "Centrum-Oost", "WK0363AA", False),
    ("BU0363AB01", "buurt", "Noordelijke IJ-oevers", "WK0363AB", False),
    ("BU03639900", "buurt", "IJmeer", "WK036399", True),
    ("BU07960001", "buurt", "Binnenstad-Oost", "WK079600", False),
    ("BU07960101", "buurt", "Rosmalen-Centrum", "WK079601", False),
    ("BU19000101", "buurt", "Sneek-Noord", "WK190001", False),
    ("BU19000102", "buurt", "Tjerkgaast", "WK190001", False),
])


def codes(text, **kw):
    return search_areas(AREAS, text, **kw)["code"].tolist()


def test_normalise_drops_case_accents_and_punctuation():
    assert normalise("Súdwest-Fryslân") == "sudwest fryslan"
    assert normalise("'s-Hertogenbosch") == "s hertogenbosch"
    assert normalise("  CENTRUM--Oost ") == "centrum oost"


def test_result_columns_and_the_places_above_come_from_the_tree():
    found = search_areas(AREAS, "oost")
    assert list(found.columns) == RESULT_COLUMNS
    places = dict(zip(found["code"], found["places"]))
    assert places["BU0363AA02"] == ("Centrum", "Amsterdam")
    assert places["BU07960001"] == ("Centrum", "'s-Hertogenbosch")
    assert search_areas(AREAS, "amsterdam-noord").iloc[0].tolist() == \
        ["WK0363AB", "Amsterdam-Noord", "wijk", ("Amsterdam",)]
    assert search_areas(AREAS, "amsterdam").set_index("code").at["GM0363", "places"] == ("RIEC Amsterdam-Amstelland",)


def test_the_words_for_a_level_match_when_the_caller_gives_them():
    words = {"buurt": "neighbourhood", "wijk": "district"}
    assert search_areas(AREAS, "neighbourhood sneek", level_words=words)["code"].tolist() == ["BU19000101"]
    assert search_areas(AREAS, "neighbourhood sneek")["code"].tolist() == []


@pytest.mark.parametrize("text", ["sudwest", "SÚDWEST-FRYSLÂN", "Sudwest Fryslan", "fryslân", "súdwest fry"])
def test_case_and_accents_do_not_matter(text):
    assert codes(text)[0] == "GM1900"


@pytest.mark.parametrize("text", ["hertogenbosch", "'s-Hertogenbosch", "s hertogenbosch", "Den Bosch",
                                  "den bosch", "shertogenbosch", "HERTOGEN"])
def test_s_hertogenbosch_is_found_as_people_type_it(text):
    assert codes(text)[0] == "GM0796"


def test_den_haag_is_s_gravenhage():
    assert codes("den haag")[0] == "GM0518"
    assert codes("gravenhage") == ["GM0518"]


def test_partial_names_match_anywhere_in_the_name():
    assert codes("malen") == ["WK079601", "BU07960101"]           # Rosmalen, Rosmalen-Centrum
    assert codes("gaast") == ["BU19000102"]


def test_several_words_all_match_in_any_order():
    assert codes("oost centrum")[0] == "BU0363AA02"
    assert codes("centrum oost")[0] == "BU0363AA02"
    assert codes("oost zzz") == []
    # A word may match the wijk or gemeente around the area, as long as one matches the area itself;
    # such matches come after the ones that match by their own name.
    assert codes("centrum oost") == ["BU0363AA02", "BU07960001"]   # Binnenstad-Oost in wijk Centrum
    assert codes("centrum zzz") == []
    assert codes("centrum amstelveen") == ["WK036299"]
    assert codes("amsterdam centrum")[:2] == ["WK0363AA", "BU0363AA02"]
    assert codes("rosmalen bosch") == ["WK079601", "BU07960101"]


@pytest.mark.parametrize("text", ["GM0363", "gm0363", " gm 0363 ", "0363"])
def test_exact_code_comes_first(text):
    assert codes(text)[0] == "GM0363"


def test_code_search_finds_wijk_and_buurt_codes_and_code_prefixes():
    assert codes("wk0363aa")[0] == "WK0363AA"
    assert codes("BU0363AA02") == ["BU0363AA02"]
    assert codes("bu0363") == ["BU0363AA01", "BU0363AA02", "BU0363AB01"]
    assert codes("0363")[:3] == ["GM0363", "WK0363AB", "WK0363AA"]   # then wijken, by name


def test_ranking_starts_with_before_contains_then_level_then_name():
    found = search_areas(AREAS, "centrum")
    assert found["code"].tolist() == [
        "WK036299", "WK0363AA", "WK079600",   # wijken "Centrum", by gemeente (Amstelveen, Amsterdam, 's-H.)
        "BU0363AA02",                         # buurt "Centrum-Oost": also starts with the text
        "BU07960101",                         # "Rosmalen-Centrum": holds it
    ]
    assert codes("amsterdam") == ["GM0363", "WK0363AB"]   # gemeente before wijk, both start with it
    # Areas matched partly through the names around them come after those matched by their own name.
    assert codes("noord amsterdam") == ["WK0363AB", "BU0363AB01"]
    assert codes("noord") == ["BU0363AB01", "WK0363AB", "BU19000101"]    # starts with; then holds it, by level


def test_levels_and_limit():
    assert codes("centrum", levels=("buurt",)) == ["BU0363AA02", "BU07960101"]
    assert codes("amster", levels=("regio",)) == ["RE05"]
    assert codes("amster", levels=("gemeente", "regio")) == ["GM0363", "RE05"]   # starts with it first
    assert codes("amst", levels=("gemeente", "regio")) == ["GM0362", "GM0363", "RE05"]
    assert len(codes("e", limit=3)) == 3
    assert codes("e", limit=3) == codes("e", limit=50)[:3]
    assert codes("centrum", limit=0) == []
    assert codes("   ") == [] and codes("") == []


def test_water_areas_are_never_offered():
    assert codes("IJ")                                   # IJ-oevers (land) is there
    assert "WK036399" not in codes("IJ en Buiten") and "BU03639900" not in codes("ijmeer")
    assert codes("ijmeer") == [] and codes("BU03639900") == []


def test_a_prebuilt_index_is_searched_as_it_is():
    index = AreaIndex(AREAS)
    assert search_areas(index, "sneek")["code"].tolist() == ["WK190001", "BU19000101"]
    assert len(index) == len(AREAS) - 2   # the two water areas


def test_tiny_warehouse_areas(tiny_warehouse):
    found = search_areas(tiny_warehouse.areas_frame(), "wijk 0101")
    assert found.iloc[0].tolist() == ["WK000101", "Wijk 0101", "wijk", ("Gemeente 1",)]
    assert "WK000299" not in codes_of(tiny_warehouse, "wijk")        # water
    assert codes_of(tiny_warehouse, "gemeente 2")[0] == "GM0002"
    assert codes_of(tiny_warehouse, "buurt 0201") == ["BU00020100", "BU00020101", "BU00010201"]
    assert codes_of(tiny_warehouse, "GM0002", levels=("gemeente", "wijk", "buurt"))[0] == "GM0002"
    assert "NL01" not in codes_of(tiny_warehouse, "testland") and "RE01" not in codes_of(tiny_warehouse, "regio")


def codes_of(warehouse, text, **kw):
    return search_areas(warehouse.areas_frame(), text, limit=100, **kw)["code"].tolist()
