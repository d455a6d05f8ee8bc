"""Building from official files: every file used or refused, years from the content, nothing
dropped in silence, and a failed build leaves the previous warehouse byte-identical."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pandas as pd
import pytest

from app import main
from data_pipeline.cbs_source import read_join_report
from data_pipeline.cli import join_report_path
from data_pipeline.warehouse import Scope, Warehouse

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
CBS, KWB = FIXTURES / "cbs", FIXTURES / "kwb"
MAPPING = CBS / "gebieden_in_nederland_mini.csv"
EVERYTHING = Scope.everything()


def folder_with(tmp_path: Path, *files: Path, name: str = "in") -> Path:
    target = tmp_path / name
    target.mkdir()
    for i, path in enumerate(files):
        shutil.copy(path, target / f"file_{i}{path.suffix}")
    return target


def build(path: Path, folder: Path, *extra: str) -> int:
    return main(["--warehouse", str(path), "build", "--from-files", str(folder), *extra])


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("schema", ["buurten_2019_kwb_mini.topojson", "buurten_2024_kwb_mini.geojson"])
def test_a_wijk_en_buurtkaart_file_and_the_mapping_are_enough(tmp_path, schema):
    """Only the key figures with the polygons: indicators at buurt level, the year from the
    file's content, no sentinel anywhere."""
    path = tmp_path / "kwb.duckdb"
    assert build(path, folder_with(tmp_path, KWB / schema, MAPPING)) == 0
    year = int(schema.split("_")[1])
    with Warehouse(path) as wh:
        assert wh.years == [year]
        ids = {i.id for i in wh.catalog.indicators}
        assert {"inwoners", "huishoudens"} <= ids
        inwoners = wh.table("buurt", None, "inwoners", year, EVERYTHING)
        shown = inwoners[inwoners["status"] == "ok"]
        assert len(shown) >= 3 and (shown["value"] > 0).all()
        for indicator in ids:
            values = wh.table("buurt", None, indicator, year, EVERYTHING)[["value", "numerator", "denominator"]]
            assert not (values <= -99995).any().any(), indicator
        assert f"{'85984NED' if year == 2024 else '84583NED'} ({year})" in wh.catalog.get("inwoners").table_id


def test_the_year_comes_from_the_content_and_another_year_is_refused(tmp_path, capsys):
    folder = folder_with(tmp_path, KWB / "buurten_2024_kwb_mini.geojson", MAPPING)
    (folder / "file_0.geojson").rename(folder / "wijkenbuurten_2019.geojson")   # a name that lies
    path = tmp_path / "w.duckdb"
    assert build(path, folder, "--year", "2019") == 1
    err = capsys.readouterr().err
    assert "no figures of 2019" in err and "the files hold 2024" in err
    assert not path.exists()
    assert build(path, folder) == 0
    with Warehouse(path) as wh:
        assert wh.years == [2024] and wh.meta["boundary_year"] == "2024"


def _truncated(source: Path, target: Path, share: float = 0.6) -> Path:
    data = source.read_bytes()
    target.write_bytes(data[: int(len(data) * share)])
    return target


@pytest.mark.parametrize("damage, says", [
    ("truncated geojson", "Unterminated"),
    ("truncated topojson", "file_0.topojson"),
    ("truncated csv", "kerncijfers.csv"),
    ("csv cut off mid-line", "the file is cut off?"),
    ("unrecognised", "not recognised"),
    ("wrong delimiter", "one column"),
    ("half mapping", "mapping covers"),
])
def test_a_damaged_input_stops_the_build_and_leaves_the_warehouse_as_it_was(tmp_path, capsys, damage, says):
    path = tmp_path / "w.duckdb"
    good = folder_with(tmp_path, KWB / "buurten_2024_kwb_mini.geojson", MAPPING, name="good")
    assert build(path, good) == 0
    before = digest(path)
    capsys.readouterr()

    bad = tmp_path / "bad"
    bad.mkdir()
    shutil.copy(MAPPING, bad / "mapping.csv")
    kwb = KWB / "buurten_2024_kwb_mini.geojson"
    if damage == "truncated geojson":
        _truncated(kwb, bad / "file_0.geojson")
    elif damage == "truncated topojson":
        _truncated(KWB / "buurten_2024_kwb_mini.topojson", bad / "file_0.topojson")
    else:
        shutil.copy(kwb, bad / "file_0.geojson")
    if damage == "truncated csv":
        _truncated(CBS / "kwb_85984NED_mini.csv", bad / "kerncijfers.csv")
    elif damage == "csv cut off mid-line":
        text = (CBS / "misdrijven_47018NED_mini.csv").read_text(encoding="utf-8-sig")
        (bad / "misdrijven.csv").write_text(text[: text.rindex('"2024JJ00"')], encoding="utf-8")
    elif damage == "unrecognised":
        (bad / "notes.csv").write_text("wat,hoeveel\nappels,3\n", encoding="utf-8")
    elif damage == "wrong delimiter":
        text = (CBS / "kwb_85984NED_mini.csv").read_text(encoding="utf-8-sig")
        (bad / "kerncijfers.csv").write_text(text.replace(";", "|"), encoding="utf-8")
    elif damage == "half mapping":
        lines = MAPPING.read_text(encoding="utf-8-sig").splitlines()
        kept = [lines[0]] + [l for l in lines[1:] if "GM0363" not in l]
        (bad / "mapping.csv").write_text("\n".join(kept) + "\n", encoding="utf-8")

    assert build(path, bad) == 1
    err = capsys.readouterr().err
    assert says in err and "previous warehouse is unchanged" in err
    assert digest(path) == before
    report = join_report_path(path).read_text(encoding="utf-8")
    assert report.startswith("# join report of") and "failed" in report.splitlines()[0]


def test_an_unrecognised_file_may_be_skipped_and_is_then_listed(tmp_path, capsys):
    folder = folder_with(tmp_path, KWB / "buurten_2024_kwb_mini.geojson", MAPPING)
    (folder / "notes.csv").write_text("wat,hoeveel\nappels,3\n", encoding="utf-8")
    path = tmp_path / "w.duckdb"
    assert build(path, folder, "--skip-unrecognised") == 0
    out = capsys.readouterr().out
    assert "ignored" in out and "notes.csv" in out
    summary = [l for l in join_report_path(path).read_text(encoding="utf-8").splitlines() if l.startswith("#")]
    assert any("ignored" in l and "notes.csv" in l for l in summary)
    assert any(l.startswith("# buurt:") for l in summary)


def test_figures_of_codes_outside_the_tree_are_named_in_the_report(tmp_path):
    """The 2019 buurt file uses Amsterdam's numbers from before 2022; built with the 2024 file,
    those codes are reported as codes of 2019, not in the areas of 2024."""
    folder = folder_with(tmp_path, KWB / "buurten_2019_kwb_mini.geojson", KWB / "buurten_2024_kwb_mini.geojson",
                         MAPPING)
    path = tmp_path / "w.duckdb"
    assert build(path, folder) == 0
    with Warehouse(path) as wh:
        assert wh.years == [2019, 2024]
    report = read_join_report(join_report_path(path))
    old = report[report["reason"] == "buurt code of 2019, not in the areas of 2024"].set_index("code")
    assert "BU03630000" in old.index and old.at["BU03630000", "name"] != ""     # named from its file


STATLINE = FIXTURES / "statline" / "misdrijven_47013NED_mini.csv"


def test_a_statline_download_keyed_by_name_gives_gemeente_figures_by_code(tmp_path):
    from data_pipeline.cbs_files import read_statline, sniff

    assert sniff(STATLINE) == "statline"
    table = read_statline(STATLINE)
    assert table.table_id == "47013NED" and table.filters == ("Soort misdrijf: Totaal misdrijven",)
    rows = table.frame.set_index(["label", "year"])["value"]
    assert rows[("Groningen (gemeente)", 2023)] == 1000 and pd.isna(rows[("Groningen (gemeente)", 2024)])
    assert rows[("Amsterdam", 2024)] == 0                     # "-" is nil in StatLine, "." unknown
    path = tmp_path / "w.duckdb"
    assert build(path, folder_with(tmp_path, STATLINE, CBS / "gebieden_in_nederland_mini.csv")) == 0
    with Warehouse(path) as wh:
        assert wh.years == [2023, 2024]
        gm = wh.table("gemeente", None, "misdrijven_totaal", 2023, EVERYTHING).set_index("code")
        assert gm.at["GM0014", "value"] == 1000 and gm.at["GM0363", "value"] == 200
        assert wh.table("gemeente", None, "misdrijven_totaal", 2024, EVERYTHING).set_index("code").at[
            "GM0014", "status"] == "missing"


def test_a_statline_download_without_its_footer_is_refused_as_cut_off(tmp_path, capsys):
    text = STATLINE.read_text(encoding="utf-8-sig")
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.csv").write_text(text[: text.index('"Amsterdam"')], encoding="utf-8")
    shutil.copy(MAPPING, folder / "mapping.csv")
    assert build(tmp_path / "w.duckdb", folder) == 1
    assert "no 'Bron:' line" in capsys.readouterr().err


ODATA = FIXTURES / "odata"
KWB_2025 = ODATA / "kwb_86165NED_mini_typeddataset.csv"


def test_a_2025_typeddataset_names_its_table_by_its_keys_and_keeps_repeated_stems_apart(tmp_path):
    """86165NED's CSV names no table: its column keys do. ``Nederland_17`` (herkomstland) and
    ``Nederland_20`` (geboren in Nederland) stay two topics; a topic empty on every row is not
    yet published: its indicator is absent, never 0."""
    from data_pipeline.cbs_files import read_kerncijfers

    table = read_kerncijfers(KWB_2025)
    assert (table.table_id, table.year) == ("86165NED", 2025)
    assert table.frame.loc[0, "Nederland_17"] == 180_000 and table.frame.loc[0, "Nederland_20"] == 190_000
    assert "Nederland" not in table.frame and table.unpublished == ("PersonenPerSoortUitkeringBijstand_87",)
    assert table.ignored == ("Naam_gebied",)             # added by a user, not CBS's

    path = tmp_path / "w.duckdb"
    assert build(path, folder_with(tmp_path, KWB_2025, ODATA / "kwb_86165NED_mini_dataproperties.csv", MAPPING)) == 0
    with Warehouse(path) as wh:
        assert wh.years == [2025]
        assert wh.catalog.get("inwoners").table_id == "86165NED (2025)"
        assert "bijstand_per_1000_inwoners_15_64" not in {i.id for i in wh.catalog.indicators}
        leegstand = wh.table("buurt", "WK001400", "leegstand_pct_woningen", 2025, EVERYTHING).set_index("code")
        assert leegstand.at["BU00140000", "value"] == pytest.approx(90 / 900 * 100)
        assert leegstand.at["BU00140001", "status"] == "missing"      # an empty cell is no 0
    text = join_report_path(path).read_text(encoding="utf-8")
    assert "not yet published in 86165NED" in text and "PersonenPerSoortUitkeringBijstand_87" in text
    assert "Nederland_20 = Bevolking / Bevolking naar herkomst / Geboren in Nederland / Nederland" in text


def test_metadata_are_used_and_a_national_series_is_listed_as_not_used(tmp_path, capsys):
    codes, national = ODATA / "soortmisdrijf_47018NED_codelist_mini.csv", ODATA / "misdrijven_nationaal_per_soort_mini.csv"
    path = tmp_path / "w.duckdb"
    assert build(path, folder_with(tmp_path, CBS / "misdrijven_47018NED_mini.csv", codes, national, MAPPING)) == 0
    not_used = [line for line in join_report_path(path).read_text().splitlines() if line.startswith("# not used: ")]
    assert not_used and all("file_2.csv" in line and "national_crime" in line for line in not_used)
    out = capsys.readouterr().out
    assert "SoortMisdrijf code list, 8 crime types; the 6 this tool reads agree" in out
    assert "not used: " in out and "figures of Nederland only" in out

    # a code list that titles 3.1.1 otherwise (a redesign of the table) stops the build
    wrong = tmp_path / "codes.csv"
    wrong.write_text(codes.read_text().replace('"3.1.1 Drugshandel"', '"3.1.1 Mensensmokkel"'), encoding="utf-8")
    before = digest(path)
    assert build(path, folder_with(tmp_path, CBS / "misdrijven_47018NED_mini.csv", wrong, MAPPING, name="b")) == 1
    assert "3.1.1 is '3.1.1 mensensmokkel' here, read as 'drugshandel'" in capsys.readouterr().err
    assert digest(path) == before


def test_several_folders_build_together(tmp_path):
    """``--from-files real real-more``: the files of every folder, as if in one."""
    first = folder_with(tmp_path, CBS / "misdrijven_47018NED_mini.csv", MAPPING, name="a")
    second = folder_with(tmp_path, KWB_2025, name="b")
    path = tmp_path / "w.duckdb"
    assert main(["--warehouse", str(path), "build", "--from-files", str(first), str(second)]) == 0
    with Warehouse(path) as wh:
        assert wh.years == [2023, 2024, 2025]
        assert {"inwoners", "misdrijven_totaal"} <= {i.id for i in wh.catalog.indicators}


def test_a_former_gemeente_is_reported_with_its_merger(tmp_path):
    """A StatLine file still lists Weesp (merged into Amsterdam in 2022): the join report names
    it with the merger, and its figure is not added to Amsterdam's."""
    text = STATLINE.read_text(encoding="utf-8-sig").replace('"Bron: Politie"', '"Weesp";"90";"95"\n"Bron: Politie"')
    folder = folder_with(tmp_path, MAPPING)
    (folder / "misdrijven.csv").write_text(text, encoding="utf-8")
    path = tmp_path / "w.duckdb"
    assert build(path, folder) == 0
    report = read_join_report(join_report_path(path)).set_index("name")
    assert report.at["Weesp", "code"] == "" and report.at["Weesp", "level"] == "gemeente"
    assert "merged into Amsterdam in 2022" in report.at["Weesp", "reason"]
    with Warehouse(path) as wh:
        assert wh.table("gemeente", None, "misdrijven_totaal", 2023, EVERYTHING).set_index("code").at[
            "GM0363", "value"] == 200


REGIONAL = ODATA / "regionale_kerncijfers_70072NED_mini_typeddataset.json"


@pytest.mark.parametrize("form", ["json", "csv"])
def test_a_regional_typeddataset_gives_gemeente_figures_per_year(tmp_path, form):
    """70072NED by RegioS and Perioden: gemeente and land rows of whole years are figures (its
    TotaleBevolking is our inhabitants); provincies, landsdelen, COROP and quarters are said
    and not used; a null stays missing."""
    import json

    source = REGIONAL
    if form == "csv":                     # the TypedDataSet as CSV: ',' and space-padded codes
        source = tmp_path / "70072NED.csv"
        pd.DataFrame(json.loads(REGIONAL.read_text())["value"]).to_csv(source, index=False)
    path = tmp_path / "w.duckdb"
    assert build(path, folder_with(tmp_path, source, MAPPING)) == 0
    with Warehouse(path) as wh:
        assert wh.years == [2023, 2024]
        gm = wh.table("gemeente", None, "inwoners", 2024, EVERYTHING).set_index("code")
        assert gm.at["GM0014", "value"] == 243_768 and gm.at["GM0363", "status"] == "missing"
        assert wh.table("land", None, "inwoners", 2024, EVERYTHING).iloc[0]["value"] == 17_942_942
        if form == "json":                # the CSV names no table
            assert wh.catalog.get("inwoners").table_id == "70072NED (2023, 2024)"
    said = join_report_path(path).read_text(encoding="utf-8")
    assert "not used: 1 CR, 1 LD, 1 PV" in said and "1 rows of quarters or months" in said


def test_a_47013NED_typeddataset_gives_land_unit_and_gemeente_crime(tmp_path):
    """By RegioS: NL01, the politie regionale eenheden and gemeenten, with 47013NED (not
    47018NED, the table by wijk and buurt) as its source; '.' stays missing."""
    path = tmp_path / "w.duckdb"
    assert build(path, folder_with(tmp_path, ODATA / "misdrijven_47013NED_mini_typeddataset.csv", MAPPING)) == 0
    with Warehouse(path) as wh:
        assert wh.years == [2023, 2024]
        assert wh.catalog.get("misdrijven_totaal").table_id == "47013NED (2023, 2024)"
        gm = wh.table("gemeente", None, "misdrijven_totaal", 2024, EVERYTHING).set_index("code")
        assert gm.at["GM0014", "value"] == 15_400 and gm.at["GM0363", "status"] == "missing"
        units = wh.table("regio", None, "misdrijven_totaal", 2024, EVERYTHING).set_index("code")
        assert units.at["RE01", "value"] == 50_500 and units.at["RE05", "value"] == 85_000
        assert wh.table("land", None, "misdrijven_totaal", 2024, EVERYTHING).iloc[0]["value"] == 805_559
