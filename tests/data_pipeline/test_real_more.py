"""Builds from ../shared/data/real-more (StatLine downloads keyed by name; see its README)."""

from __future__ import annotations

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
