"""Builds from ../shared/data/real-more (StatLine downloads keyed by name; see its README)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from data_pipeline.cbs_files import read_statline
from data_pipeline.cli import build_from_files
from data_pipeline.warehouse import Scope, Warehouse
from tests.realdata import real_data_dir, real_more_dir

pytestmark = pytest.mark.realdata
EVERYTHING = Scope.everything()
NL_TOTALS = {2022: 800_027, 2023: 805_590, 2024: 805_559}     # real-more/README.md


def statline_files() -> list[Path]:
    return sorted((real_more_dir() / "crime").glob("gemeente_*_politie47013NED_*statline.csv"))


@pytest.fixture(scope="module")
def crime_by_name(tmp_path_factory):
    """The 2022-2024 gemeente crime files (names only) with the region mapping, nothing else."""
    folder = tmp_path_factory.mktemp("in")
    for path in [*statline_files(), real_data_dir() / "mappings" / "gemeente_vr_politie_eenheid_2023.csv"]:
        (folder / path.name).symlink_to(path)
    path = folder.parent / "crime.duckdb"
    build_from_files(path, folder)
    with Warehouse(path) as wh:
        yield wh


def test_three_years_of_crime_for_all_342_gemeenten_matched_by_name(crime_by_name):
    wh = crime_by_name
    assert wh.years == [2022, 2023, 2024]
    for year, total in NL_TOTALS.items():
        gemeenten = wh.table("gemeente", None, "misdrijven_totaal", year, EVERYTHING)
        assert len(gemeenten) == 342 and (gemeenten["status"] == "ok").all()
        assert wh.table("land", None, "misdrijven_totaal", year, EVERYTHING).iloc[0]["value"] == total
    assert wh.catalog.get("misdrijven_totaal").table_id == "47013NED (2022, 2023, 2024)"


def test_the_gemeenten_and_niet_in_te_delen_sum_to_nederland_exactly(crime_by_name):
    unassigned = {}
    for path in statline_files():
        frame = read_statline(path).frame
        rows = frame[frame["label"] == "Gemeenten; niet in te delen"]
        unassigned.update(dict(zip(rows["year"], rows["value"])))
    for year, total in NL_TOTALS.items():
        gemeenten = crime_by_name.table("gemeente", None, "misdrijven_totaal", year, EVERYTHING)
        assert int(gemeenten["value"].sum() + unassigned[year]) == total


def test_per_politie_unit_the_gemeenten_match_the_published_units_within_4(crime_by_name):
    for year in NL_TOTALS:
        gemeenten = crime_by_name.table("gemeente", None, "misdrijven_totaal", year, EVERYTHING)
        units = crime_by_name.table("regio", None, "misdrijven_totaal", year, EVERYTHING).set_index("code")["value"]
        sums = gemeenten.groupby("parent_code")["value"].sum()
        assert len(units) == 10 and ((sums - units).abs() <= 4).all(), (sums - units)


FRIESLAND = "indicators/friesland18gm_2025_kwb86165NED_typeddataset_all_columns.csv"


@pytest.fixture(scope="module")
def friesland(tmp_path_factory):
    """86165NED for the 18 Friesland gemeenten (TypedDataSet CSV), its DataProperties, the mapping."""
    folder = tmp_path_factory.mktemp("fr")
    for path in [real_more_dir() / FRIESLAND, real_more_dir() / "metadata/kwb86165NED_2025_dataproperties.csv",
                 real_data_dir() / "mappings" / "gemeente_vr_politie_eenheid_2023.csv"]:
        (folder / path.name).symlink_to(path)
    path = folder.parent / "friesland.duckdb"
    report = build_from_files(path, folder)
    with Warehouse(path) as wh:
        yield wh, "\n".join(report.notes)


def test_friesland_2025_builds_with_its_year_and_table_id_from_the_content(friesland):
    wh, notes = friesland
    assert wh.years == [2025]
    assert wh.catalog.get("inwoners").table_id == "86165NED (2025)"
    gemeenten = wh.table("gemeente", None, "inwoners", 2025, EVERYTHING)
    shown = gemeenten[gemeenten["status"] == "ok"]
    assert len(shown) == 18 and shown["value"].sum() == 664_222        # real-more/README.md
    assert (gemeenten[gemeenten["status"] != "ok"]["status"] == "missing").all()
    buurten = sum(wh.table("buurt", wijk, "inwoners", 2025, EVERYTHING)["value"].sum()
                  for wijk in wh.codes("wijk"))
    assert buurten == 664_280
    noord = wh.table("regio", None, "inwoners", 2025, EVERYTHING).set_index("code").loc["RE01"]
    assert noord["n_parts_with_data"] < noord["n_parts"]               # Groningen and Drenthe have none


def test_topics_empty_in_the_2025_release_are_not_yet_published_never_0(friesland):
    wh, notes = friesland
    assert "48 topics are empty on every row, not yet published in 86165NED" in notes
    assert "not made from this table: inwoners_bijstand (PersonenPerSoortUitkeringBijstand_87)" in notes
    assert "bijstand_per_1000_inwoners_15_64" not in {i.id for i in wh.catalog.indicators}
    assert "Nederland_20 = Bevolking / Bevolking naar herkomst / Geboren in Nederland / Nederland" in notes


@pytest.fixture(scope="module")
def everything(tmp_path_factory):
    """``../shared/data/real`` and ``real-more`` together, built up to 2024 (the real crime file
    states no year)."""
    path = tmp_path_factory.mktemp("all") / "all.duckdb"
    report = build_from_files(path, [real_data_dir(), real_more_dir()], 2024)
    with Warehouse(path) as wh:
        yield wh, report


def test_real_and_real_more_build_together_every_file_used_or_said_why_not(everything):
    wh, report = everything
    assert wh.years == list(range(2012, 2025))
    said = report.join_file.read_text(encoding="utf-8")
    assert "refused:" not in said
    not_used = {re.match(r"# not used: (\S+?)(:| \()", line).group(1) for line in said.splitlines()
                if line.startswith("# not used: ")}
    assert {p.rsplit("/", 1)[-1] for p in not_used} == {"nl_2012_2023_politie47025NED_by_category_national.csv",
                                                        FRIESLAND.rsplit("/", 1)[-1]}     # 2025, after --year 2024
    for year, total in NL_TOTALS.items():          # 47013NED covers every gemeente: its figures win
        assert wh.table("land", None, "misdrijven_totaal", year, EVERYTHING).iloc[0]["value"] == total
    aa_en_hunze = wh.table("wijk", "GM1680", "misdrijven_totaal", 2012, EVERYTHING)
    assert len(aa_en_hunze) == 21 and aa_en_hunze["status"].isin(["ok", "suppressed"]).all()
    years = ", ".join(map(str, range(2012, 2025)))     # the Aa en Hunze excerpt of 47018NED
    assert wh.catalog.get("misdrijven_totaal").table_id == f"47013NED (2022, 2023, 2024), 47018NED ({years})"
