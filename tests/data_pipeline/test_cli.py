"""The command line as a user runs it."""

from __future__ import annotations

import csv
import html
import io
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from app import main
from data_pipeline.audit import AuditLog
from data_pipeline.cli import METHOD_COLUMNS, TABLE_COLUMNS
from indicators.catalog import load_catalog
from tests.network import closed_port, hosts_point_to

REPO = Path(__file__).resolve().parents[2]


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_indicators_csv_lists_the_catalog_id_first(capsys, tmp_path):
    code, out, _ = run(capsys, "--warehouse", str(tmp_path / "none.duckdb"), "indicators", "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    header = out.splitlines()[0].split(",")
    assert header[:4] == ["id", "theme", "label_nl", "unit_nl"] and "source" in header
    assert [r["id"] for r in rows] == [i.id for i in load_catalog().indicators]
    assert len({r["theme"] for r in rows}) >= 4 and len(rows) >= 12


def test_table_writes_csv_for_a_level_inside_a_parent(capsys, demo_warehouse_path, demo_warehouse):
    gm = demo_warehouse.codes("gemeente", water=True)[0]
    ind = demo_warehouse.catalog.indicators[0].id
    code, out, _ = run(capsys, "--warehouse", str(demo_warehouse_path), "table", "--level", "buurt",
                       "--parent", gm, "--indicator", ind, "--year", "2023")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    header = out.splitlines()[0].split(",")
    assert header[:len(TABLE_COLUMNS) + len(METHOD_COLUMNS)] == TABLE_COLUMNS + METHOD_COLUMNS
    assert {h for h in header[len(TABLE_COLUMNS) + len(METHOD_COLUMNS):]} == {
        f"theme_{t}" for t in ("drugs", "vastgoed", "economie", "sociaal", "criminaliteit")}
    tree = demo_warehouse.areas_frame()
    expected = tree[(tree["level"] == "buurt") & (tree["gemeente_code"] == gm)]["code"]
    assert sorted(r["code"] for r in rows) == sorted(expected)
    assert {r["level"] for r in rows} == {"buurt"} and {r["year"] for r in rows} == {"2023"}
    for r in rows:
        assert r["hotspot"] in {"hot", "cold", "not significant", "no data"}
        assert 1 <= int(r["n_ranked"]) and r["nl_value"] != ""
        if r["status"] != "ok":
            assert r["value"] == r["numerator"] == r["denominator"] == r["class"] == r["rank"] == ""  # never 0
        else:
            assert 1 <= int(r["class"]) <= 5 and 0 < float(r["percentile"]) <= 100
            assert float(r["value"]) == pytest.approx(
                float(r["numerator"]) / float(r["denominator"]) * demo_warehouse.catalog.get(ind).multiplier,
                rel=1e-5)


def test_gemeenten_are_compared_with_peers_of_the_same_urbanity_and_size(capsys, demo_warehouse_path, demo_warehouse):
    attrs = demo_warehouse.attributes()
    assert attrs["urbanity_class"].between(1, 5).all() and (attrs["population"] > 0).all()
    ind = demo_warehouse.catalog.indicators[0].id
    code, out, _ = run(capsys, "--warehouse", str(demo_warehouse_path), "table", "--level", "gemeente",
                       "--indicator", ind, "--year", str(demo_warehouse.years[-1]))
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and all(r["peer_group"].startswith("u") for r in rows)
    groups = {}
    for r in rows:
        groups.setdefault(r["peer_group"], []).append(r)
    big = max(groups.values(), key=len)
    if len(big) >= 4:  # the peer value is the median of the others in the group
        first, others = big[0], [float(r["value"]) for r in big[1:] if r["value"]]
        assert float(first["peer_value"]) == pytest.approx(float(pd.Series(others).median()), rel=1e-5)


def test_indicators_of_a_warehouse_are_its_own(capsys, tiny_warehouse_path):
    code, out, _ = run(capsys, "indicators", "--format", "csv", "--warehouse", str(tiny_warehouse_path))
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and [(r["id"], r["table_id"]) for r in rows] == [
        ("misdrijven_per_1000_inwoners", "TEST-1"), ("inwoners", "TEST-2")]


@pytest.mark.parametrize("argument, value, says", [
    ("--indicator", "bestaat_niet", "its indicators: misdrijven_per_1000_inwoners, inwoners"),
    ("--year", "2031", "no figures for 2031 in ", ),
    ("--parent", "GM9999", "no area 'GM9999'"),
])
def test_table_refuses_what_the_warehouse_does_not_have_and_says_what_it_has(capsys, tiny_warehouse_path,
                                                                             argument, value, says):
    given = {"--indicator": "misdrijven_per_1000_inwoners", "--year": "2024", argument: value}
    code, out, err = run(capsys, "table", "--level", "gemeente", *[x for kv in given.items() for x in kv],
                         "--warehouse", str(tiny_warehouse_path))      # --warehouse after the command
    assert (code, out) == (2, "") and says in err
    if argument == "--year":
        assert "its years: 2023, 2024" in err


def test_table_csv_has_exact_counts_whose_sums_are_the_land_s(capsys, demo_warehouse_path):
    sums = {}
    for level in ("land", "regio", "gemeente"):
        code, out, _ = run(capsys, "--warehouse", str(demo_warehouse_path), "table", "--level", level,
                           "--indicator", "misdrijven_per_1000_inwoners", "--year", "2023")
        assert code == 0
        rows = pd.read_csv(io.StringIO(out), dtype={"numerator": "Int64", "denominator": "Int64"})
        assert "e+" not in out and not rows["numerator"].isna().all()
        sums[level] = (int(rows["numerator"].sum()), int(rows["denominator"].sum()))
    assert sums["regio"] == sums["gemeente"] == sums["land"]
    assert sums["land"][1] > 1_000_000               # a count of this size once printed as 1.69449e+07


def test_a_closed_pipe_ends_quietly(demo_warehouse_path):
    run_ = subprocess.run(f"{sys.executable} app.py --warehouse {demo_warehouse_path} indicators | head -1",
                          shell=True, cwd=REPO, capture_output=True, text=True, timeout=60)
    assert run_.stdout.count("\n") == 1 and run_.stderr == ""


def test_a_build_of_context_figures_only_works_and_has_no_score(capsys, tmp_path):
    from data_pipeline.build import build_warehouse
    from data_pipeline.warehouse import Warehouse
    from tests.factories import COUNT_INDICATOR, TINY_CATALOG, tiny_observations, tiny_source

    obs = tiny_observations()
    path = tmp_path / "context.duckdb"
    context_only = TINY_CATALOG.split("[[indicator]]")[0] + COUNT_INDICATOR
    build_warehouse(tiny_source(obs[obs["variable"] == "inwoners"], context_only), path)
    code, out, err = run(capsys, "--warehouse", str(path), "table", "--level", "gemeente",
                         "--indicator", "inwoners", "--year", "2024")
    rows = pd.read_csv(io.StringIO(out))
    assert code == 0 and rows.set_index("code").at["GM0001", "value"] == 6000
    assert rows["score"].isna().all() and rows["contribution"].isna().all()


def test_build_demo_prints_where_the_warehouse_went_and_step_times(tmp_path):
    target = tmp_path / "wh" / "demo.duckdb"
    proc = subprocess.run([sys.executable, str(REPO / "app.py"), "--warehouse", str(target), "build", "--demo",
                           "--scale", "0.03"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert f"Warehouse: {target.resolve()}" in proc.stdout
    for step in ("generate", "validate", "aggregate", "geometry", "total"):
        assert step in proc.stdout
    assert "Building the demo country" in proc.stderr  # the progress bar
    assert target.exists()


def test_fetch_without_network_fails_fast_with_what_to_download_by_hand(capsys, tmp_path, monkeypatch):
    hosts_point_to(monkeypatch, closed_port())   # every host unreachable, and nothing leaves this machine
    target = tmp_path / "downloads"
    start = time.monotonic()
    code, out, err = run(capsys, "fetch", "--year", "2024", "--to", str(target))
    assert time.monotonic() - start < 10
    assert code == 1
    assert "85984NED" in err and "47018NED" in err and str(target) in err
    assert "build --from-files" in err
    assert not target.exists() or list(target.iterdir()) == []


def test_export_writes_the_map_of_an_area_as_pdf(capsys, demo_warehouse_path, demo_warehouse, tmp_path):
    from tests.pdfinspect import has_raster_images, page_count
    from tests.pdfinspect import text as pdf_text
    from tests.requirements import export_browser_path as chromium_path

    chromium_path()
    gm = demo_warehouse.codes("gemeente", water=True)[0]
    target = tmp_path / "kaart.pdf"
    audit = AuditLog(tmp_path / "access.audit.jsonl")
    code, out, err = run(capsys, "--warehouse", str(demo_warehouse_path), "--access", str(tmp_path / "access.json"),
                         "export", "--area", gm, "--indicator", "misdrijven_per_1000_inwoners", "--format", "pdf",
                         "-o", str(target))
    assert code == 0, err
    data = target.read_bytes()
    assert data.startswith(b"%PDF") and page_count(data) == 1 and not has_raster_images(data)
    assert demo_warehouse.name(gm) in out and demo_warehouse.name(gm) in pdf_text(data)
    # a file made on the command line is in the audit trail too
    assert audit.read(action="export")["object"].tolist() == [f"{gm} {target}"]


def test_export_all_in_a_region_writes_one_map_per_gemeente(capsys, demo_warehouse_path, demo_warehouse, tmp_path):
    from tests.requirements import export_browser_path as chromium_path

    chromium_path()
    areas = demo_warehouse.areas_frame()
    region = areas.loc[areas["level"] == "regio", "code"].iloc[0]
    gemeenten = sorted(areas[(areas["parent_code"] == region) & ~areas["is_water"]]["code"])
    code, out, err = run(capsys, "--warehouse", str(demo_warehouse_path), "export", "--all-in", region,
                         "--indicator", "misdrijven_per_1000_inwoners", "--format", "svg", "-o", str(tmp_path))
    assert code == 0, err
    written = sorted(p.name for p in tmp_path.glob("*.svg"))
    assert written == [f"{gm}-misdrijven_per_1000_inwoners.svg" for gm in gemeenten]
    for gm in gemeenten:
        svg = html.unescape((tmp_path / f"{gm}-misdrijven_per_1000_inwoners.svg").read_text())
        assert svg.lstrip().startswith("<svg") and demo_warehouse.name(gm) in svg


def test_briefing_all_in_a_region_writes_one_one_page_pdf_per_gemeente(capsys, demo_warehouse_path, demo_warehouse,
                                                                       tmp_path):
    from tests.pdfinspect import page_count
    from tests.pdfinspect import text as pdf_text
    from tests.requirements import export_browser_path as chromium_path

    chromium_path()
    areas = demo_warehouse.areas_frame()
    region = areas.loc[areas["level"] == "regio", "code"].iloc[1]
    gemeenten = sorted(areas[(areas["parent_code"] == region) & ~areas["is_water"]]["code"])
    year = demo_warehouse.years[-1]
    code, out, err = run(capsys, "--warehouse", str(demo_warehouse_path), "briefing", "--all-in", region,
                         "-o", str(tmp_path))
    assert code == 0, err
    assert sorted(p.name for p in tmp_path.glob("*.pdf")) == [f"{gm}-briefing-{year}.pdf" for gm in gemeenten]
    for gm in gemeenten:
        data = (tmp_path / f"{gm}-briefing-{year}.pdf").read_bytes()
        assert page_count(data) == 1 and gm in pdf_text(data)
