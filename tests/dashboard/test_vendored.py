"""assets/VENDORED.md accounts for every file we did not write: each file it names exists, and
every file in assets is either ours or named there."""

from __future__ import annotations

import re

from dashboard.look import ASSETS, SIGNIN_COMPONENTS, vendored_css

#: The files in assets that are our own work.
OURS = {"VENDORED.md", "style.css", "a11y.js", "areas.js", "map.js", "table.js"}


def named_in_vendored_md() -> set[str]:
    """The files that open a paragraph of VENDORED.md: "`name` is ..."."""
    text = (ASSETS / "VENDORED.md").read_text(encoding="utf-8")
    return set(re.findall(r"^`([^`\s]+)` is", text, flags=re.MULTILINE))


def test_every_vendored_file_is_recorded_and_every_record_names_a_file():
    named = named_in_vendored_md()
    assert "plotly-geo-4.1.1.min.js" in named and "../locale/ag-grid-nl.json" in named
    assert [n for n in sorted(named) if not (ASSETS / n).is_file()] == []
    present = {p.name for p in ASSETS.iterdir() if p.is_file()}
    assert sorted(present - OURS - named) == []
    assert sorted(OURS - present) == []


def test_the_sign_in_form_finds_one_stylesheet_per_component():
    names = [vendored_css(c) for c in SIGNIN_COMPONENTS]
    assert all(n.startswith("nlds-utrecht-") and n.endswith(".min.css") for n in names)
    assert len(set(names)) == len(SIGNIN_COMPONENTS)


def test_the_vendored_stylesheets_fetch_nothing_more():
    """No fonts, images or imports: the page stays offline and within its content security policy."""
    for sheet in ASSETS.glob("nlds-*.css"):
        css = sheet.read_text(encoding="utf-8")
        assert not re.search(r"url\(|@import|@font-face|sourceMappingURL", css), sheet.name
