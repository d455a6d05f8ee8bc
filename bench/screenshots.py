"""README's screenshots, made from the synthetic demo so that they never show an old page.

    python bench/screenshots.py                      # the demo warehouse, into bench/screenshots/
    python bench/screenshots.py --warehouse W --out DIR

It serves the dashboard on 127.0.0.1 (as bench.py does), opens the national map and a gemeente
page in Debian's headless Chromium and saves what a 1280 x 900 window shows, and saves the
image export of a region's map as the dashboard's PNG link gives it (scaled down for the
README). The gemeente is README's example, GM0006, when the warehouse has it. Nothing leaves
127.0.0.1; a request elsewhere stops the script.
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import sys
from pathlib import Path
from urllib.parse import urlparse

if importlib.util.find_spec("dashboard") is None:  # a clone that is not pip-installed
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness import CHROMIUM, CHROMIUM_ARGS, serving

from dashboard import routes
from dashboard.app import create_app
from data_pipeline.warehouse import Warehouse, default_warehouse_path

OUT = Path(__file__).with_name("screenshots")
WINDOW = {"width": 1280, "height": 900}
EXPORT_WIDTH = 1000   # px of the export's PNG in the README
EXAMPLE_GEMEENTE = "GM0006"   # README's example code (the demo's Stedesum)
PAINTED = "() => document.querySelectorAll('.js-plotly-plot path.choroplethlocation').length > 0"


def pages(warehouse: Warehouse) -> dict[str, str]:
    """File name -> address of each screenshot."""
    gemeenten = warehouse.codes("gemeente")
    gemeente = EXAMPLE_GEMEENTE if EXAMPLE_GEMEENTE in gemeenten else gemeenten[0]
    region = warehouse.area(gemeente).parent_code
    state = routes.MapState(level="gemeente", parent=region)
    return {"national-map.png": "/", "gemeente-page.png": f"/gemeente/{gemeente}",
            "export.png": routes.export_url(state, "png")}


def take(warehouse: Warehouse, out: Path) -> list[Path]:
    """Make the screenshots of :func:`pages` in ``out``; the files written."""
    from PIL import Image
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    written, elsewhere = [], []
    with serving(create_app(warehouse).server) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport=WINDOW)
        page.on("request", lambda r: elsewhere.append(r.url) if urlparse(r.url).hostname not in
                (None, "127.0.0.1") and not r.url.startswith("data:") else None)
        for name, address in pages(warehouse).items():
            target = out / name
            if name == "export.png":
                response = page.request.get(base + address)
                if not response.ok:
                    raise SystemExit(f"{address}: {response.status}")
                image = Image.open(io.BytesIO(response.body()))
                image.thumbnail((EXPORT_WIDTH, EXPORT_WIDTH * 2))
                image.save(target, optimize=True)
            else:
                page.goto(base + address)
                if name == "gemeente-page.png":
                    page.locator("#page-title").wait_for()
                page.wait_for_function(PAINTED)
                page.wait_for_load_state("networkidle")
                page.screenshot(path=str(target))
            written.append(target)
        browser.close()
    if elsewhere:
        raise SystemExit(f"requests left 127.0.0.1: {elsewhere}")
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", type=Path, default=None, help="default: the demo warehouse, built if needed")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    path = args.warehouse or default_warehouse_path()
    if not path.exists():
        from data_pipeline.cli import build_demo

        build_demo(path)
    with Warehouse(path) as warehouse:
        for written in take(warehouse, args.out):
            print(written)
    return 0


if __name__ == "__main__":
    sys.exit(main())
