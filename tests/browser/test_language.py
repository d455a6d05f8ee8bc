"""One language at a time (issue 16, item 6): the Dutch page holds no text of the English
locale file, nor any English text of the widgets we use (Dash, AG Grid, plotly), and the
English page none of the Dutch locale file, over the visible text and the names screen
readers and tooltips read (title, aria-label, placeholder)."""

from __future__ import annotations

import re

import pytest

from dashboard.i18n import strings
from tests.browser.mapdriver import children, clickable_child, wait_for_codes

pytestmark = pytest.mark.browser
INDICATOR = "misdrijven_per_1000_inwoners"

#: What the widgets would say themselves in English, left untranslated.
WIDGET_ENGLISH = ("Search", "No options found", "Clear selection", "filter data", "Filter...", "Equals",
                  "Page Size", "No Rows To Show", "Loading", "Toggle filter", "Zoom in", "Zoom out",
                  "Download plot", "Autoscale", "Reset axes", "Produced with Plotly", "First Page", "Next Page")

PAGE_TEXT = """() => {
  const seen = [document.body.innerText];
  for (const el of document.querySelectorAll('[title], [aria-label], [placeholder], [data-title]')) {
    if (el.closest('[hidden], [style*="display: none"]')) continue;
    for (const name of ['title', 'aria-label', 'placeholder', 'data-title']) {
      if (el.hasAttribute(name)) seen.push(el.getAttribute(name));
    }
  }
  return seen.join('\\n');
}"""


def fragments(lang: str, other: str) -> set[str]:
    """The words of ``lang``'s locale that ``other``'s never uses: the literal parts (between
    placeholders) of its texts that differ, of at least two words and ten characters."""
    own, theirs = strings(lang), strings(other)
    out = set()
    for key, text in own.items():
        if text == theirs.get(key):
            continue
        for part in re.split(r"\{\w+\}", text):
            part = part.strip(" .,:;()›·—-")
            if len(part) >= 10 and " " in part and part not in " ".join(theirs.values()):
                out.add(part)
    return out


def visit(page, live_demo, wh, lang: str) -> dict[str, str]:
    """The text of each page a user sees, in ``lang``: the national map, a gemeente's buurten
    with a profile, the comparison and the table open, and the gemeente page."""
    taal = "&taal=en" if lang == "en" else ""
    region = clickable_child(wh, "regio", "NL01")
    gemeente = clickable_child(wh, "gemeente", region)
    buurten = children(wh, "buurt", gemeente)
    seen = {}
    page.goto(f"{live_demo.url}/?indicator={INDICATOR}{taal}")
    wait_for_codes(page, children(wh, "regio", "NL01"))
    page.locator("#area-list-body li").first.wait_for()
    seen["national"] = page.evaluate(PAGE_TEXT)
    page.goto(f"{live_demo.url}/kaart/buurt/{gemeente}?indicator={INDICATOR}&gebied={buurten[0]}"
              f"&vergelijk={buurten[0]};{buurten[1]}{taal}")
    wait_for_codes(page, buurten)
    page.locator("#compare-trend .main-svg").first.wait_for()
    page.locator(".table-box summary").click()
    page.locator("#area-table .ag-row").first.wait_for()
    page.locator("#search").click()                       # the search box open, nothing typed
    page.keyboard.type("zzzqqq")                          # and finding nothing
    page.wait_for_timeout(300)
    seen["buurten"] = page.evaluate(PAGE_TEXT)
    page.keyboard.press("Escape")
    page.goto(f"{live_demo.url}/gemeente/{gemeente}?{taal[1:]}")
    page.locator("#page-to-map").wait_for()
    seen["gemeente page"] = page.evaluate(PAGE_TEXT)
    return seen


@pytest.mark.parametrize("lang, other", [("nl", "en"), ("en", "nl")])
def test_a_page_speaks_one_language(live_demo, demo_warehouse, recording, lang, other):
    foreign = fragments(other, lang) | (set(WIDGET_ENGLISH) if lang == "nl" else set())
    own = fragments(lang, other)
    seen = visit(recording.page, live_demo, demo_warehouse, lang)
    for name, text in seen.items():
        found = sorted(f for f in foreign if f in text)
        assert not found, f"{name} ({lang}) shows {found}"
        assert sum(f in text for f in own) >= 3, name   # the same check finds the page's own language
    assert strings(lang)["dropdown.no_options_found"] in seen["buurten"]   # the search box's own text
