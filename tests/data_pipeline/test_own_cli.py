"""The own-data commands as a user runs them: import, own list|remove|restore, indicators, table."""

from __future__ import annotations

import csv
import hashlib
import io
import shutil

import pytest

from app import main
from data_pipeline.access import ACCESS_ENV
from data_pipeline.audit import AuditLog
from data_pipeline.own import OwnStore, own_root
from tests.realdata import real_more_dir

ORG = "RIEC Testregio"
ROWS = "code;jaar;meldingen\n" + "".join(f"{c};2024;{v}\n" for c, v in {
    "BU00010100": "2", "BU00010101": "50", "BU00010200": "7", "BU00010201": "9", "BU00020100": ".",
    "BU00020101": "30", "BU00030100": "12"}.items())
SPEC = """name = "Meldingen"
area_column = "code"
year_column = "jaar"

[[columns]]
column = "meldingen"
kind = "rate"
label = "Meldingen ondermijning"
denominator = "inwoners"
per = 1000
"""


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def files(tiny_warehouse_path, tmp_path, monkeypatch):
    monkeypatch.delenv(ACCESS_ENV, raising=False)
    warehouse = tmp_path / "tiny.duckdb"
    shutil.copyfile(tiny_warehouse_path, warehouse)
    (tmp_path / "meldingen.csv").write_text(ROWS, encoding="utf-8")
    (tmp_path / "spec.toml").write_text(SPEC, encoding="utf-8")
    return warehouse, tmp_path / "meldingen.csv", tmp_path / "spec.toml"


def digest(root) -> dict:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.glob("*"))} if root.exists() else {}


def test_import_list_remove_restore_and_the_audit_trail(capsys, files):
    warehouse, data, spec = files
    w = ("--warehouse", str(warehouse))
    code, out, _ = run(capsys, *w, "import", str(data), "--spec", str(spec), "--owner", ORG, "--dry-run")
    assert code == 0 and "7 of 7 rows joined" in out and "nothing stored" in out
    assert not own_root(warehouse).exists() or not OwnStore(own_root(warehouse), ORG).layers()

    code, out, _ = run(capsys, *w, "import", str(data), "--spec", str(spec), "--owner", ORG, "--uploader", "ana")
    assert code == 0 and "Stored layer 1 v1 of RIEC Testregio" in out and "eigen_1_meldingen" in out

    code, out, _ = run(capsys, *w, "indicators", "--format", "csv")
    rows = {r["id"]: r for r in csv.DictReader(io.StringIO(out))}
    assert rows["eigen_1_meldingen"]["dataset"] == "eigen" and rows["eigen_1_meldingen"]["owner"] == ORG
    assert rows["misdrijven_per_1000_inwoners"]["owner"] == ""

    code, out, _ = run(capsys, *w, "table", "--level", "gemeente", "--indicator", "eigen_1_meldingen",
                       "--owner", ORG, "--year", "2024")
    table = {r["code"]: r for r in csv.DictReader(io.StringIO(out))}
    assert code == 0 and float(table["GM0001"]["value"]) == pytest.approx(68 / 6000 * 1000)
    code, _, err = run(capsys, *w, "table", "--level", "gemeente", "--indicator", "eigen_1_meldingen")
    assert code == 2 and "no indicator 'eigen_1_meldingen'" in err   # not without --owner

    code, out, _ = run(capsys, *w, "own", "list", "--owner", ORG)
    assert code == 0 and "1  v1  RIEC Testregio  Meldingen  meldingen.csv  ana" in out
    assert run(capsys, *w, "own", "remove", "1", "--owner", ORG)[0] == 0
    assert "meldingen.csv" not in run(capsys, *w, "own", "list")[1]
    assert "meldingen.csv" in run(capsys, *w, "own", "list", "--all")[1]
    assert run(capsys, *w, "own", "restore", "1", "--owner", ORG)[0] == 0
    assert "meldingen.csv" in run(capsys, *w, "own", "list")[1]

    audit = AuditLog(warehouse.with_name("tiny.access.audit.jsonl")).read()
    assert audit["action"].tolist() == ["own.import", "own.remove", "own.restore"]
    assert audit["object"].iloc[0] == f"{ORG} layer 1 v1 meldingen.csv"


def test_import_without_a_spec_prints_the_one_it_used(capsys, files):
    warehouse, data, _ = files
    code, out, _ = run(capsys, "--warehouse", str(warehouse), "import", str(data), "--owner", ORG, "--dry-run")
    assert code == 0 and "[[columns]]" in out and 'column = "meldingen"' in out and 'kind = "rate"' in out


@pytest.mark.parametrize("argv, message", [
    (["import", "{data}", "--spec", "{spec}"], "import needs --owner ORG"),
    (["import", "{dir}/absent.csv", "--spec", "{spec}", "--owner", ORG], "absent.csv: cannot read the file"),
    (["import", "{data}", "--spec", "{dir}/absent.toml", "--owner", ORG], "cannot read the spec"),
    (["import", "{bad}", "--spec", "{spec}", "--owner", ORG], "not a number"),
    (["import", "{data}", "--spec", "{badspec}", "--owner", ORG], "kind 'ratio' is not one of"),
    (["import", "{data}", "--spec", "{spec}", "--owner", ORG, "--replace", "7"], "no own layer '7'"),
    (["own", "remove", "7", "--owner", ORG], "no own layer '7'"),
    (["own", "restore", "1", "--owner", ORG], "is not removed"),
    (["own", "remove", "1"], "needs a layer ID and --owner ORG"),
])
def test_bad_input_is_one_line_exit_1_and_the_store_unchanged(capsys, files, argv, message):
    warehouse, data, spec = files
    folder = warehouse.parent
    (folder / "bad.csv").write_text(ROWS.replace(";12\n", ";twaalf\n"), encoding="utf-8")
    (folder / "badspec.toml").write_text(SPEC.replace('"rate"', '"ratio"'), encoding="utf-8")
    assert run(capsys, "--warehouse", str(warehouse), "import", str(data), "--spec", str(spec), "--owner", ORG)[0] == 0
    before = digest(own_root(warehouse))
    names = {"data": data, "spec": spec, "dir": folder, "bad": folder / "bad.csv", "badspec": folder / "badspec.toml"}
    code, out, err = run(capsys, "--warehouse", str(warehouse), *[a.format(**names) for a in argv])
    assert code == 1 and message in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert digest(own_root(warehouse)) == before


CRIME_SPEC = """name = "Geregistreerde misdrijven (47013NED)"
area_column = "Regio's"
year_column = "Perioden"

[[columns]]
column = "Geregistreerde misdrijven"
kind = "count"
label = "Geregistreerde misdrijven (politie 47013NED)"
"""


@pytest.mark.realdata
def test_import_of_the_47013ned_gemeente_files_gives_three_years_for_342_gemeenten(
        capsys, real_warehouse_path, tmp_path, monkeypatch):
    """Needs the files helper's real own_files.py (StatLine downloads keyed by gemeente names)."""
    crime = real_more_dir() / "crime"
    monkeypatch.delenv(ACCESS_ENV, raising=False)
    warehouse = tmp_path / "real.duckdb"
    shutil.copyfile(real_warehouse_path, warehouse)
    (tmp_path / "spec.toml").write_text(CRIME_SPEC, encoding="utf-8")
    files = [str(crime / "gemeente_2022_2023_politie47013NED_misdrijven_totaal_statline.csv"),
             str(crime / "gemeente_2024_politie47013NED_misdrijven_totaal_statline.csv")]
    code, out, err = run(capsys, "--warehouse", str(warehouse), "import", *files, "--spec", str(tmp_path / "spec.toml"),
                         "--owner", ORG)
    assert code == 0, err
    layer = OwnStore(own_root(warehouse), ORG).layers()[0]
    assert layer.years == (2022, 2023, 2024)
    ind = layer.indicators[0]
    for year in (2022, 2023, 2024):
        code, out, err = run(capsys, "--warehouse", str(warehouse), "table", "--level", "gemeente", "--indicator", ind,
                             "--owner", ORG, "--year", str(year))
        rows = list(csv.DictReader(io.StringIO(out)))
        assert code == 0, err
        assert len(rows) == 342 and sum(r["status"] == "ok" for r in rows) == 342
    code, out, _ = run(capsys, "--warehouse", str(warehouse), "table", "--level", "land", "--indicator", ind,
                       "--owner", ORG, "--year", "2023")
    land = next(csv.DictReader(io.StringIO(out)))
    # The README's check: the 342 gemeenten and "Gemeenten; niet in te delen" add up to 805,590 in 2023.
    assert 805_000 < float(land["value"]) <= 805_590
