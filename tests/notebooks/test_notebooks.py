"""The worked analyses in ``notebooks/``: committed without outputs, and each runs from top to
bottom in a fresh kernel against the session's demo warehouse (the real-data check against
``../shared/data/real``), with a look at what it printed and drew."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

try:
    import nbformat
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError
except ImportError:  # the tests that run notebooks skip (fail on CI) with the reason
    nbformat = None

from data_pipeline import analysis
from data_pipeline.warehouse import Scope
from tests.realdata import REAL_DATA_ENV, real_data_dir
from tests.requirements import export_browser_path, unavailable

NOTEBOOKS_DIR = Path(__file__).resolve().parents[2] / "notebooks"
REGIONAL = "regionaal_ondermijningsbeeld.ipynb"
GEMEENTE = "gemeente_verdieping.ipynb"
REAL_DATA = "echte_data_controle.ipynb"
OWN_DATA = "eigen_gegevens.ipynb"
NOTEBOOKS = (REGIONAL, GEMEENTE, REAL_DATA, OWN_DATA)
#: Seconds any one cell may take; the slowest is the real-data build.
CELL_TIMEOUT = 240
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
EVERYTHING = Scope.everything()


def test_the_folder_holds_the_listed_notebooks():
    assert sorted(p.name for p in NOTEBOOKS_DIR.glob("*.ipynb")) == sorted(NOTEBOOKS)


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_is_committed_without_outputs_or_execution_counts(name):
    doc = json.loads((NOTEBOOKS_DIR / name).read_text(encoding="utf-8"))
    assert doc["nbformat"] == 4
    code = [cell for cell in doc["cells"] if cell["cell_type"] == "code"]
    assert code
    dirty = [cell.get("id") for cell in code if cell.get("outputs") or cell.get("execution_count") is not None]
    assert not dirty, f"{name}: clear the outputs and execution counts of cells {dirty} before committing"


# -- running them -----------------------------------------------------------------------------


def read(name: str):
    if nbformat is None:
        unavailable("nbformat, nbclient and ipykernel are not installed (pip install -e '.[test]')")
    return nbformat.read(NOTEBOOKS_DIR / name, as_version=4)


def run(nb, monkeypatch, **env) -> None:
    """Execute ``nb`` in place in its own folder (as Jupyter does), with ``env`` set for its kernel;
    raises nbclient's ``CellExecutionError`` at the first cell that fails."""
    for key, value in env.items():
        monkeypatch.setenv(key, str(value))
    # Figures as plotly JSON the tests can read, without a copy of plotly.js in every output.
    monkeypatch.setenv("PLOTLY_RENDERER", "plotly_mimetype")
    # No kernel folders: ipykernel's own "python3" spec, which starts this interpreter.
    kernel = KernelManager(kernel_name="python3", kernel_spec_manager=KernelSpecManager(kernel_dirs=[]))
    before = sorted(NOTEBOOKS_DIR.rglob("*"))
    NotebookClient(nb, km=kernel, timeout=CELL_TIMEOUT, resources={"metadata": {"path": str(NOTEBOOKS_DIR)}}).execute()
    assert sorted(NOTEBOOKS_DIR.rglob("*")) == before, "the notebook wrote into the repository"


def cell(nb, cell_id: str):
    return next(c for c in nb.cells if c.get("id") == cell_id)


def text(c) -> str:
    """What a cell printed and the plain-text form of what it displayed."""
    parts = [out.get("text", "") for out in c.outputs if out.output_type == "stream"]
    parts += [out.get("data", {}).get("text/plain", "") for out in c.outputs if out.output_type != "stream"]
    return "\n".join(parts)


def figure(c) -> dict:
    """The plotly figure a cell displayed (as JSON)."""
    return next(out["data"]["application/vnd.plotly.v1+json"] for out in c.outputs
                if "application/vnd.plotly.v1+json" in out.get("data", {}))


def test_regional_notebook_ranks_the_first_regions_gemeenten_and_exports_its_map(
        demo_warehouse_path, demo_warehouse, tmp_path, monkeypatch):
    export_browser_path()
    nb = read(REGIONAL)
    run(nb, monkeypatch, ONDERMIJNINGSBEELD_WAREHOUSE=demo_warehouse_path,
        ONDERMIJNINGSBEELD_NOTEBOOK_OUTPUT=tmp_path)

    region, year = demo_warehouse.codes("regio")[0], demo_warehouse.years[-1]
    scores, _ = analysis.composite_view(demo_warehouse, "gemeente", region, year, "z", (), False, EVERYTHING)
    bars = figure(cell(nb, "score-figure"))["data"][0]
    assert list(bars["y"]) == scores.sort_values("value")["name"].tolist()   # weakest to strongest signal
    assert "risicosignaal, geen bewijs" in figure(cell(nb, "score-figure"))["layout"]["title"]["text"]

    image = tmp_path / f"{region}-risicosignaal-{year}.png"
    data = image.read_bytes()
    assert data[:8] == PNG_SIGNATURE
    assert f"{image}: {len(data):,} bytes, 2480 × " in text(cell(nb, "export"))   # 300 dpi at A4 width


def test_gemeente_notebook_follows_the_indicator_the_first_gemeente_stands_out_on(
        demo_warehouse_path, demo_warehouse, monkeypatch):
    nb = read(GEMEENTE)
    run(nb, monkeypatch, ONDERMIJNINGSBEELD_WAREHOUSE=demo_warehouse_path)

    code, year = demo_warehouse.codes("gemeente")[0], demo_warehouse.years[-1]
    first = analysis.standouts(demo_warehouse, code, year, EVERYTHING, n=1)["indicator"].iloc[0]
    assert f"Indicator for the deep-dive: {first} (" in text(cell(nb, "standouts"))
    wijken = text(cell(nb, "wijken"))
    assert all(wijk in wijken for wijk in demo_warehouse.codes("wijk", code))
    area = demo_warehouse.area(code)
    lines = {trace["name"] for trace in figure(cell(nb, "trends"))["data"]}
    assert {demo_warehouse.name(c) for c in (code, area.regio_code, area.land_code)} <= lines


def test_own_data_notebook_puts_a_layer_beside_an_open_indicator(demo_warehouse_path, demo_warehouse, monkeypatch):
    nb = read(OWN_DATA)
    run(nb, monkeypatch, ONDERMIJNINGSBEELD_WAREHOUSE=demo_warehouse_path)
    n = len(demo_warehouse.codes("gemeente"))
    assert f"{n} of {n} rows joined; indicator eigen_1_meldingen" in text(cell(nb, "layer"))
    found = re.search(r"^(\d+) gemeenten with both values; Spearman rank correlation (-?\d\.\d\d)$",
                      text(cell(nb, "comparison")), re.M)
    assert found and 0 < int(found.group(1)) <= n
    points = figure(cell(nb, "comparison"))["data"][0]
    assert len(points["hovertext"]) == int(found.group(1))   # one point per gemeente with both values
    assert "Eigen gegevens — RIEC Demo, meldingen_demo.csv" in figure(cell(nb, "comparison"))["layout"]["title"]["text"]
    assert "visible to another organisation: False" in text(cell(nb, "visibility"))


@pytest.mark.realdata
def test_real_data_notebook_finds_the_published_figures(monkeypatch):
    nb = read(REAL_DATA)
    run(nb, monkeypatch, **{REAL_DATA_ENV: real_data_dir()})
    found = re.search(r"^(\d+) checks against the published figures: all hold\.$", text(cell(nb, "summary")), re.M)
    assert found and int(found.group(1)) >= 18


def test_real_data_notebook_stops_at_its_first_step_without_the_folder(tmp_path, monkeypatch):
    nb = read(REAL_DATA)
    absent = tmp_path / "no-real-data"
    with pytest.raises(CellExecutionError) as failed:
        run(nb, monkeypatch, **{REAL_DATA_ENV: absent})
    assert failed.value.ename == "FileNotFoundError"
    assert f"real data folder {absent} is absent" in failed.value.evalue
    assert cell(nb, "build").execution_count is None
