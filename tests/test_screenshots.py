"""README's screenshots script still makes its three pictures from a demo warehouse, in the
browser, without a request leaving 127.0.0.1 (it stops when one does)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.browser


def test_the_screenshots_script_makes_the_readme_pictures(demo_warehouse_path, tmp_path):
    result = subprocess.run([sys.executable, str(ROOT / "bench" / "screenshots.py"), "--warehouse",
                             str(demo_warehouse_path), "--out", str(tmp_path)],
                            capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert result.returncode == 0, result.stderr[-3000:]
    made = {Path(line).name for line in result.stdout.split()}
    assert made == {"national-map.png", "gemeente-page.png", "export.png"}
    for name in made:
        image = Image.open(tmp_path / name).convert("RGB")
        colours = len(image.resize((64, 64)).getcolors(maxcolors=64 * 64))
        assert colours > 30, name   # a page with a map on it, not an empty or error page
    assert Image.open(tmp_path / "national-map.png").size == (1280, 900)
    assert Image.open(tmp_path / "export.png").width == 1000
    # what README shows is what the script makes
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert all(f"bench/screenshots/{name}" in readme for name in made)
    assert all((ROOT / "bench" / "screenshots" / name).is_file() for name in made)
