"""Building from a folder of files in the published formats (tests/fixtures/cbs, see its README)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from data_pipeline.cbs_files import sniff
from data_pipeline.cbs_source import files_source, read_join_report
from app import main
from data_pipeline.cli import join_report_path
from data_pipeline.warehouse import Scope, Warehouse

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "cbs"
EVERYTHING = Scope.everything()


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """The fixture files under meaningless names: recognition is by content only."""
    target = tmp_path_factory.mktemp("downloads")
    for i, path in enumerate(sorted(FIXTURES.iterdir())):
        if path.suffix == ".md":
            shutil.copy(path, target / path.name)      # documentation beside the data keeps its name
        elif path.suffix != ".py":
            shutil.copy(path, target / f"bestand_{i}{path.suffix if path.suffix == '.gpkg' else ''}")
    return target


@pytest.fixture(scope="module")
def built(folder, tmp_path_factory):
    path = tmp_path_factory.mktemp("wh") / "cbs.duckdb"
    assert main(["--warehouse", str(path), "build", "--from-files", str(folder), "--year", "2024"]) == 0
    return path, Warehouse(path)


def test_every_file_is_recognised_by_content(folder):
    _, report = files_source(folder, 2024)
    kinds = [f"{f['status']} {f['what'].split(':')[0]}" for f in report.files]
    assert kinds.count("used boundaries") == 3 and kinds.count("used kerncijfers") == 2
    assert kinds.count("used crime") == 2 and kinds.count("used region_mapping") == 2
    assert kinds.count("used buurt_names") == 1
    assert kinds.count("ignored documentation, not figures") == 1 and len(kinds) == 11     # the README


def test_tree_names_and_water(built):
    _, wh = built
    assert wh.name("RE05") == "RIEC Amsterdam-Amstelland"
    assert wh.name("BU00140001") == "Binnenstad-Noord, Ebbingekwartier"   # quoted comma
    assert wh.area("WK0363AA").parent_code == "GM0363"                         # letter codes
    assert wh.area("WK001499").is_water and wh.area("BU00149999").is_water


def test_missing_stays_missing_and_a_published_zero_stays_zero(built):
    _, wh = built
    inw = wh.table("buurt", "GM0014", "inwoners", 2024, EVERYTHING).set_index("code")
    assert inw.at["BU00140000", "value"] == 5250
    assert inw.at["BU00140001", "status"] == "missing" and pd.isna(inw.at["BU00140001", "value"])  # "."
    kids = wh.table("buurt", "GM0363", "huishoudens_met_kinderen_pct", 2024, EVERYTHING).set_index("code")
    # 25 households, below the minimum of 50: but both counts are open CBS figures, shown as published
    assert kids.at["BU0363AB01", "status"] == "ok" and kids.at["BU0363AB01", "denominator"] == 25
    drugs = wh.table("buurt", "GM0014", "drugshandel_per_10000_inwoners", 2024, EVERYTHING).set_index("code")
    assert drugs.at["BU00140000", "numerator"] == 28
    # the gemeente's own published row wins over the sum of its buurten, and the same crime table
    # saved as CSV and as OData JSON is counted once (214, not 428)
    total = wh.table("gemeente", "GM0014", "drugshandel_per_10000_inwoners", 2024, EVERYTHING).iloc[0]
    assert total["numerator"] == 214


def test_published_gemeente_figures_win_and_sentinels_are_not_numbers(built):
    _, wh = built
    gm = wh.table("gemeente", "RE05", "inwoners", 2023, EVERYTHING).set_index("code")
    assert gm.at["GM0363", "value"] == 4405       # from the GeoPackage's gemeenten layer
    wijk = wh.table("wijk", "GM0014", "inwoners", 2023, EVERYTHING).set_index("code")
    assert wijk.at["WK001499", "status"] == "missing"   # -99997 in the file


def test_join_report_beside_the_warehouse_names_what_did_not_join(built):
    path, _ = built
    report = read_join_report(join_report_path(path))
    missing = report[report["reason"] == "no polygon for this code"]
    assert {"GM0518", "GM0599"} <= set(missing["code"])   # in the mapping, no polygon in the files


def test_without_a_region_mapping_the_build_says_what_is_missing(folder, tmp_path, capsys):
    partial = tmp_path / "partial"
    partial.mkdir()
    for path in folder.iterdir():
        if sniff(path) != "region_mapping":
            shutil.copy(path, partial / path.name)
    code = main(["--warehouse", str(tmp_path / "w.duckdb"), "build", "--from-files", str(partial), "--year", "2024"])
    assert code == 1
    assert "politie regionale eenheid" in capsys.readouterr().err
    assert not (tmp_path / "w.duckdb").exists()
