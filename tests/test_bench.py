"""The benchmark still runs end to end and prints every table (tiny scale, no browser).

It measures nothing here: it only keeps ``bench/bench.py`` from rotting.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from data_pipeline.build import BUILD_STEPS

ROOT = Path(__file__).resolve().parents[1]
NUMBER = r"\d+\.\d+"
RATIO = r"\d+\.\d+x"
VERDICT = r"(ok|OVER)"
VIEW_ROWS = [r"land \(regio/NL01\)", r"land-gemeente \(gemeente/NL01\)", r"regio \(gemeente/RE\d\d\)",
             r"gemeente \(wijk/GM\d{4}\)", r"wijk \(buurt/WK\d{6}\)", r"click RE\d\d in regio/NL01",
             r"click GM\d{4} in gemeente/RE\d\d", r"click WK\d{6} in wijk/GM\d{4}"]


@pytest.fixture(scope="module")
def output() -> str:
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "bench.py"), "--scale", "0.05", "--repeat", "3", "--no-browser",
         "--load-seconds", "2"],
        capture_output=True, text=True, timeout=900, cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    return result.stdout


def table(output: str, number: int) -> list[list[str]]:
    """The body rows of section ``number``, split into cells (cells are 2+ spaces apart)."""
    block = next(b for b in output.split("\n\n") if b.lstrip("\n").startswith(f"{number}. "))
    lines = block.strip("\n").splitlines()
    assert set(lines[2]) == {"-"}, f"section {number} has no table"
    return [re.split(r"\s{2,}", line.strip()) for line in lines[3:] if not line.startswith("  ")]


def test_build_table_has_every_step_and_the_budget(output):
    rows = {row[0]: row[1:] for row in table(output, 1)}
    assert list(rows) == ["generate", *BUILD_STEPS, "total"]
    for cells in rows.values():
        assert re.fullmatch(NUMBER, cells[0])
    assert re.fullmatch(r"< 60 s: " + VERDICT, rows["total"][1])


def test_server_time_table_has_ours_beside_plain_for_every_view(output):
    rows = table(output, 2)
    assert len(rows) == len(VIEW_ROWS)
    for row, name in zip(rows, VIEW_ROWS):
        assert re.fullmatch(name, row[0])
        assert row[1].isdigit() and int(row[1]) > 0
        assert all(re.fullmatch(NUMBER, cell) for cell in row[2:6]), row
        assert re.fullmatch(RATIO, row[6]) and re.fullmatch(VERDICT, row[7]) and re.fullmatch(VERDICT, row[8])


def test_bytes_table_shows_the_plain_figure_carries_its_geometry(output):
    rows = table(output, 3)
    assert len(rows) == len(VIEW_ROWS)
    for row, name in zip(rows, VIEW_ROWS):
        assert re.fullmatch(name, row[0])
        assert all(re.fullmatch(NUMBER, cell) for cell in row[1:7]), row
        assert all(re.fullmatch(RATIO, cell) for cell in row[7:10]), row
        assert re.fullmatch(VERDICT, row[10]) and re.fullmatch(VERDICT, row[11])
        assert re.fullmatch(rf"{NUMBER} \({NUMBER}\)", row[12])
        ours_raw, plain_raw = float(row[1]), float(row[4])
        assert plain_raw > ours_raw  # values only against values plus full polygons
        assert row[10] == "ok"       # a few KB of values at this scale


def test_browser_part_can_be_switched_off(output):
    assert "4. Browser: skipped (--no-browser)" in output


def test_search_table_has_the_index_build_and_every_query(output):
    rows = table(output, 7)
    assert rows[0][0] == "build the index" and re.fullmatch(r"[\d,]+ areas", rows[0][1])
    assert len(rows) == 9 and rows[-1][:2] == ["'xyzzy'", "0 results"]
    for row in rows:
        assert all(re.fullmatch(NUMBER, cell) for cell in row[2:4]), row


def test_access_table_has_every_view_with_gates_off_and_on(output):
    rows = table(output, 9)
    assert [r[0] for r in rows] == [r[0] for r in table(output, 2)]
    for row in rows:
        assert all(re.fullmatch(NUMBER, c) for c in row[1:5]) and re.fullmatch(r"[+-]\d+\.\d+", row[5])
    assert re.search(r"on: signed in as a riec user of RE\d\d; [1-9]\d* audit lines written", output)


def test_load_table_has_every_way_of_serving_without_errors(output):
    rows = {row[0]: row[1:] for row in table(output, 10)}
    assert {"development server (threaded)", "serve --workers 2", "serve --workers 2, 2 slow clients"} <= set(rows)
    for name, row in rows.items():
        if row[0]:
            assert int(row[0]) > 0 and row[-1] == "0", (name, row)
