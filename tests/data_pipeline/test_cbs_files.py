"""Tables from official CBS/politie files: Kerncijfers, 47018NED crime, regions, names, sniffing."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from data_pipeline.cbs_files import (
    RIEC_NAMES,
    read_area_names,
    read_crime,
    read_kerncijfers,
    read_region_mapping,
    sniff,
)
from data_pipeline.validation import ValidationError
from tests.realdata import real_data_dir

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "cbs"
KWB_CSV = FIXTURES / "kwb_85984NED_mini.csv"
KWB_JSON = FIXTURES / "kwb_85984NED_mini_typeddataset.json"
CRIME_CSV = FIXTURES / "misdrijven_47018NED_mini.csv"
CRIME_JSON = FIXTURES / "misdrijven_47018NED_mini_typeddataset.json"
GEBIEDEN_CSV = FIXTURES / "gebieden_in_nederland_mini.csv"
GEBIEDEN_JSON = FIXTURES / "gebieden_in_nederland_mini_typeddataset.json"
CODES_CSV = FIXTURES / "wijkenenbuurten_85984NED_codes_mini.csv"

KWB_STEMS = [
    "AantalInwoners", "Mannen", "Vrouwen", "k_0Tot15Jaar", "k_15Tot25Jaar", "k_25Tot45Jaar",
    "k_45Tot65Jaar", "k_65JaarOfOuder", "HuishoudensTotaal", "HuishoudensMetKinderen",
    "GemiddeldeHuishoudensgrootte", "Bevolkingsdichtheid", "GemiddeldeWOZWaardeVanWoningen",
    "Koopwoningen", "GemiddeldInkomenPerInwoner", "BedrijfsvestigingenTotaal", "MateVanStedelijkheid",
]


def problems_of(excinfo) -> list[tuple]:
    return [(p.file, p.row, p.column) for p in excinfo.value.problems]


def rewritten(source: Path, target: Path, old: str, new: str) -> Path:
    """A copy of ``source`` (bytes kept, BOM included) with one text replaced."""
    data = source.read_bytes()
    assert old.encode() in data
    target.write_bytes(data.replace(old.encode(), new.encode()))
    return target


# -- Kerncijfers wijken en buurten ---------------------------------------------------------------

def test_kerncijfers_csv_export_bom_semicolon_padding_and_stems():
    table = read_kerncijfers(KWB_CSV)
    frame = table.frame
    assert list(frame.columns) == ["code", "name", *KWB_STEMS]
    assert not any(re.search(r"_\d+$", c) for c in frame.columns)
    assert frame["code"].tolist()[:4] == ["NL00", "GM0014", "WK001400", "BU00140000"]
    assert frame.set_index("code").at["GM0014", "name"] == "Groningen"      # 40-wide padding gone
    assert (frame[KWB_STEMS].dtypes == "float64").all()
    # the CSV names no table; its column keys are 85984NED's own (MateVanStedelijkheid_122)
    assert (table.table_id, table.year, table.origin) == ("85984NED", 2024, str(KWB_CSV))
    assert table.evidence.startswith("recognised by its column keys")


def test_kerncijfers_missing_is_nan_never_zero():
    frame = read_kerncijfers(KWB_CSV).frame.set_index("code")
    assert frame.loc["BU00140001", KWB_STEMS].isna().all()       # "       .", "." and "" alike
    assert frame.loc[["WK001499", "BU00149999"], KWB_STEMS].isna().all().all()
    assert np.isnan(frame.at["BU00140000", "GemiddeldInkomenPerInwoner"])
    assert frame.at["BU0363AB01", "k_0Tot15Jaar"] == 0           # a published zero stays zero
    assert frame.at["GM0014", "GemiddeldeHuishoudensgrootte"] == 1.6


def test_kerncijfers_odata_json_reads_like_the_csv():
    csv, json = read_kerncijfers(KWB_CSV), read_kerncijfers(KWB_JSON)
    assert (json.table_id, json.year) == ("85984NED", 2024)
    pd.testing.assert_frame_equal(json.frame, csv.frame)


def test_kerncijfers_comma_separated_without_bom_reads_the_same(tmp_path):
    text = KWB_CSV.read_bytes().decode("utf-8-sig").replace(";", ",")
    path = tmp_path / "export.csv"
    path.write_text(text, encoding="utf-8")
    pd.testing.assert_frame_equal(read_kerncijfers(path).frame, read_kerncijfers(KWB_CSV).frame)


def test_kerncijfers_titles_in_wijkenenbuurten_and_codes_in_codering(tmp_path):
    path = tmp_path / "cbsodata.csv"
    path.write_text('WijkenEnBuurten,Codering_3,AantalInwoners_5\n'
                    '"Groningen  ","GM0014    ",243770\n"Binnenstad-Zuid","BU00140000",.\n', encoding="utf-8")
    frame = read_kerncijfers(path).frame
    assert frame.values.tolist()[0] == ["GM0014", "Groningen", 243770.0]
    assert frame["name"].tolist() == ["Groningen", "Binnenstad-Zuid"] and np.isnan(frame.iat[1, 2])


def test_kerncijfers_bad_value_names_file_line_and_column(tmp_path):
    path = rewritten(KWB_CSV, tmp_path / "bad.csv", ';"BU0363AA01";"1";1855;', ';"BU0363AA01";"1";18x5;')
    with pytest.raises(ValidationError) as excinfo:
        read_kerncijfers(path)
    assert problems_of(excinfo) == [(str(path), 11, "AantalInwoners_5")]   # line 11: ID 9
    assert "'18x5' is not a number" in str(excinfo.value)


def test_kerncijfers_repeated_or_foreign_codes_are_refused(tmp_path):
    repeated = rewritten(KWB_CSV, tmp_path / "repeated.csv", '"BU0363AA02"', '"BU0363AA01"')
    with pytest.raises(ValidationError) as excinfo:
        read_kerncijfers(repeated)
    assert problems_of(excinfo) == [(str(repeated), 12, "WijkenEnBuurten")]
    foreign = rewritten(KWB_CSV, tmp_path / "foreign.csv", '"BU0363AA02"', '"XX0363AA02"')
    with pytest.raises(ValidationError, match="'XX0363AA02' is not a CBS area code"):
        read_kerncijfers(foreign)


def test_kerncijfers_without_code_column_is_refused(tmp_path):
    path = tmp_path / "no_codes.csv"
    path.write_text("Regio;AantalInwoners_5\nGroningen;243770\n", encoding="utf-8")
    with pytest.raises(ValidationError) as excinfo:
        read_kerncijfers(path)
    assert problems_of(excinfo) == [(str(path), 1, None)]


@pytest.mark.realdata
def test_real_kerncijfers_subset():
    table = read_kerncijfers(real_data_dir() / "indicators/buurt_2024_kwb85984NED_subset_with_crime.csv")
    frame = table.frame
    assert len(frame) == 13_817 and frame["code"].str.match(r"^BU\d{4}[0-9A-Z]{4}$").all()
    assert frame["AantalInwoners"].sum() == 17_938_870 and frame["AantalInwoners"].min() == 10
    assert {"HuishoudensTotaal", "MateVanStedelijkheid", "k_65JaarOfOuder"} <= set(frame.columns)
    assert not [c for c in frame.columns if re.search(r"_\d+$|^(cluster|pca)_", c)]
    assert frame.set_index("code").at["BU16960000", "name"] == "'s-Graveland"


# -- 47018NED registered crime -------------------------------------------------------------------

def test_crime_long_frame_with_keys_years_and_missing():
    crime = read_crime(CRIME_CSV)
    assert list(crime.columns) == ["code", "soort_misdrijf", "year", "count", "origin"]
    assert set(crime["soort_misdrijf"]) == {"0.0.0", "3.1.1", "3.1.3", "1.6.3", "1.4.7", "2.6.10"}
    assert set(crime["year"]) == {2023, 2024} and str(crime["year"].dtype) == "Int64"
    indexed = crime.set_index(["code", "soort_misdrijf", "year"])["count"]
    assert indexed[("GM0014", "0.0.0", 2023)] == 15830
    assert np.isnan(indexed[("BU00140000", "2.6.10", 2024)])      # "." in the file
    assert indexed[("BU00140000", "1.6.3", 2024)] == 0            # a real zero
    assert (crime["origin"] == str(CRIME_CSV)).all()


def test_crime_odata_json_reads_like_the_csv():
    csv, json = read_crime(CRIME_CSV), read_crime(CRIME_JSON)
    pd.testing.assert_frame_equal(json.drop(columns="origin"), csv.drop(columns="origin"))


def test_crime_year_argument_must_agree_with_perioden():
    with pytest.raises(ValidationError, match="year=2022"):
        read_crime(CRIME_CSV, year=2022)


def test_crime_monthly_periods_are_refused(tmp_path):
    path = rewritten(CRIME_CSV, tmp_path / "monthly.csv", '"2023JJ00"', '"2023MM01"')
    with pytest.raises(ValidationError) as excinfo:
        read_crime(path)
    assert problems_of(excinfo) == [(str(path), 2, "Perioden"), (str(path), 12, "Perioden")]


@pytest.mark.realdata
def test_real_crime_summed_over_all_types():
    path = real_data_dir() / "crime/buurt_2024_politie47018NED_summed_all_categories.csv"
    crime = read_crime(path, year=2024)
    assert len(crime) == 14_730 and set(crime["soort_misdrijf"]) == {"alle"}
    assert set(crime["year"]) == {2024}
    assert crime["count"].sum() == 1_590_945
    assert "BU00000000" in set(crime["code"])                    # crime of unknown location
    assert read_crime(path)["year"].isna().all()


# -- gemeente -> politie regionale eenheid -> RIEC ------------------------------------------------

def test_region_mapping_from_gebieden_in_nederland_csv_and_json():
    expected = pd.DataFrame({
        "gemeente_code": ["GM0014", "GM0363", "GM0518", "GM0599"],
        "regio_code": ["RE01", "RE05", "RE06", "RE07"],
        "gemeente_name": ["Groningen", "Amsterdam", "'s-Gravenhage", "Rotterdam"],
        "regio_name": ["RIEC Noord-Nederland", "RIEC Amsterdam-Amstelland", "RIEC Den Haag", "RIEC Rotterdam"],
    }, dtype="string")
    pd.testing.assert_frame_equal(read_region_mapping(GEBIEDEN_CSV), expected)
    pd.testing.assert_frame_equal(read_region_mapping(GEBIEDEN_JSON), expected)


def test_region_mapping_refuses_unknown_unit(tmp_path):
    path = rewritten(GEBIEDEN_CSV, tmp_path / "bad.csv", '"RE07      "', '"RE11      "')
    with pytest.raises(ValidationError) as excinfo:
        read_region_mapping(path)
    assert problems_of(excinfo) == [(str(path), 5, "Code_34")]


@pytest.mark.realdata
def test_real_region_mapping():
    mapping = read_region_mapping(real_data_dir() / "mappings/gemeente_vr_politie_eenheid_2023.csv")
    assert len(mapping) == 342 and mapping["gemeente_code"].is_unique
    counts = mapping["regio_code"].value_counts().sort_index()
    assert counts.tolist() == [40, 76, 38, 32, 6, 27, 23, 37, 32, 31]
    assert dict(zip(mapping["regio_code"], mapping["regio_name"])) == RIEC_NAMES


# -- code lists ----------------------------------------------------------------------------------

def test_area_names_from_code_list():
    names = read_area_names(CODES_CSV)
    assert names.set_index("code").at["BU00140001", "name"] == "Binnenstad-Noord, Ebbingekwartier"
    assert len(names) == 6


@pytest.mark.realdata
def test_real_area_names():
    names = read_area_names(real_data_dir() / "indicators/buurt_2024_codes_names_85984NED.csv")
    assert len(names) == 14_574 and names["code"].is_unique
    assert names.set_index("code").at["BU16800000", "name"] == "Annen"


# -- sniffing by content -------------------------------------------------------------------------

FIXTURE_KINDS = {
    "wijkenbuurten_2023_mini.gpkg": "boundaries",
    "gemeente_2023_gegeneraliseerd_mini.geojson": "boundaries",
    "gm_vr_2023_mini.topojson": "boundaries",
    "kwb_85984NED_mini.csv": "kerncijfers",
    "kwb_85984NED_mini_typeddataset.json": "kerncijfers",
    "misdrijven_47018NED_mini.csv": "crime",
    "misdrijven_47018NED_mini_typeddataset.json": "crime",
    "gebieden_in_nederland_mini.csv": "region_mapping",
    "gebieden_in_nederland_mini_typeddataset.json": "region_mapping",
    "wijkenenbuurten_85984NED_codes_mini.csv": "buurt_names",
    "README.md": None,
    "make_fixtures.py": None,
}

REAL_KINDS = {
    "boundaries/gemeente_2023_cbs_generalised_wgs84.geojson": "boundaries",
    "boundaries/gemeente_veiligheidsregio_2023_wgs84.topojson": "boundaries",
    "boundaries_wijk_buurt/buurt_2019_cbs_generalised_wgs84.topojson": "boundaries",
    "boundaries_wijk_buurt/buurt_amsterdam_2022indeling_gemeente_api_wgs84.geojson": "boundaries",
    "boundaries_wijk_buurt/buurt_sample317_cas_buurtdashboard_wgs84.topojson": "boundaries",
    "boundaries_wijk_buurt/wijk_2024_cbs_pdok_kwb_simplified_wgs84.geojson": "boundaries",
    "crime/buurt_2024_politie47018NED_summed_all_categories.csv": "crime",
    "indicators/buurt_2024_codes_names_85984NED.csv": "buurt_names",
    "indicators/buurt_2024_kwb85984NED_subset_with_crime.csv": "kerncijfers",
    "indicators/gemeente_2023_kwb_pdok_wgs84.geojson": "boundaries",
    "legacy/buurt_2014_cbs_q1e3_wgs84.topojson": "boundaries",
    "legacy/gemeente_2015_cbs_q1e3_wgs84.topojson": "boundaries",
    "legacy/wijk_2014_cbs_q1e3_wgs84.topojson": "boundaries",
    "mappings/gemeente_vr_politie_eenheid_2023.csv": "region_mapping",
    "README.md": None,
}


@pytest.mark.parametrize("name", sorted(FIXTURE_KINDS))
def test_sniff_fixture_by_content(name, tmp_path):
    anonymous = tmp_path / "upload_0001"
    shutil.copy(FIXTURES / name, anonymous)
    assert sniff(anonymous) == FIXTURE_KINDS[name]


@pytest.mark.realdata
@pytest.mark.parametrize("relative", sorted(REAL_KINDS))
def test_sniff_real_file_by_content(relative, tmp_path):
    anonymous = tmp_path / "blob"
    shutil.copy(real_data_dir() / relative, anonymous)
    assert sniff(anonymous) == REAL_KINDS[relative]


def test_sniff_ignores_unrelated_tables(tmp_path):
    other = tmp_path / "other"
    other.write_text("naam;leeftijd\nJan;42\n", encoding="utf-8")
    assert sniff(other) is None
    assert sniff(tmp_path / "missing") is None


# -- StatLine CSV downloads ----------------------------------------------------------------------

def test_statline_csv_with_statistical_symbols_and_without(tmp_path):
    """The download 'met statistische symbolen' marks a figure that is unknown ('.'), secret ('x'),
    nil ('-') or provisional ('*', '**' on the period or the figure); 'zonder' leaves a missing
    figure empty. Both read to the same numbers; missing is NaN, never 0."""
    from data_pipeline.cbs_files import read_statline, sniff

    head = ('"Regionale kerncijfers Nederland"\n"Onderwerp";"Bevolking";"Bevolking";"Bevolking"\n'
            '"Perioden";"2022";"2023*";"2024**"\n"Regio\'s";"aantal";"aantal";"aantal"\n')
    symbols = tmp_path / "met.csv"
    symbols.write_text(head + '"Nederland";"17590672";"17811291*";"."\n"Vlieland";"x";"-";"1210**"\n'
                       '"Bron: CBS"\n', encoding="utf-8")
    plain = tmp_path / "zonder.csv"
    plain.write_text(head + '"Nederland";"17590672";"17811291";""\n"Vlieland";"";"0";"1210"\n"Bron: CBS"\n',
                     encoding="utf-8")
    for path in (symbols, plain):
        assert sniff(path) == "statline"
        table = read_statline(path)
        assert table.table_id == "70072NED"
        got = table.frame.set_index(["label", "year"])["value"]
        assert got[("Nederland", 2023)] == 17_811_291 and got[("Vlieland", 2024)] == 1210
        assert np.isnan(got[("Nederland", 2024)]) and np.isnan(got[("Vlieland", 2022)])
        assert got[("Vlieland", 2023)] == 0
