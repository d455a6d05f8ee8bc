"""Driving the plotly map like a person: real mouse clicks on real polygons."""

from __future__ import annotations

import re

# (a selected area is drawn twice: its fill and, on top, its outline)
PAINTED_CODES = """(graph) => Array.from(new Set(
    Array.from(document.querySelectorAll(graph + ' path.choroplethlocation'))
    .map(p => p.__data__ && p.__data__.loc).filter(Boolean))).sort()"""

# A screen point well inside the polygon of `code`: sample its bounding box and keep a point
# whose neighbours 4 px away are inside the fill too (plotly's drag layer sits on top, so
# elementFromPoint cannot be used; isPointInFill works on the path itself).
INTERIOR_POINT = """(code) => {
  const el = Array.from(document.querySelectorAll('#map path.choroplethlocation'))
      .find(p => p.__data__ && p.__data__.loc === code);
  if (!el) return null;
  el.scrollIntoView({block: 'center', inline: 'center'});   // the page may have scrolled to a panel below
  const inv = el.getScreenCTM().inverse();
  const svg = el.ownerSVGElement;
  const inside = (x, y) => {
    const pt = svg.createSVGPoint(); pt.x = x; pt.y = y;
    return el.isPointInFill(pt.matrixTransform(inv));
  };
  const r = el.getBoundingClientRect();
  for (const n of [8, 16, 32]) {
    for (let i = 1; i < n; i++) for (let j = 1; j < n; j++) {
      const x = r.left + r.width * i / n, y = r.top + r.height * j / n;
      const onScreen = x > 0 && y > 0 && x < window.innerWidth && y < window.innerHeight;
      if (onScreen && [[0,0],[4,0],[-4,0],[0,4],[0,-4]].every(([dx, dy]) => inside(x + dx, y + dy))) return [x, y];
    }
  }
  return null;
}"""


def painted_codes(page, graph: str = "#map") -> list[str]:
    return page.evaluate(PAINTED_CODES, graph)


def wait_for_codes(page, codes, timeout: float = 15_000, graph: str = "#map") -> None:
    """Wait until the map (or another graph, by its selector) shows exactly these area codes."""
    page.wait_for_function(f"([want, graph]) => JSON.stringify(({PAINTED_CODES})(graph)) === JSON.stringify(want)",
                           arg=[sorted(codes), graph], timeout=timeout)


def _point(page, code: str) -> list[float]:
    point = page.evaluate(INTERIOR_POINT, code)
    assert point, f"no clickable point inside {code}"
    return point


def click_area(page, code: str) -> None:
    page.mouse.click(*_point(page, code))


def select_area(page, code: str) -> None:
    """Click an area once: its profile opens (and the URL says ``gebied=<code>``)."""
    click_area(page, code)
    page.wait_for_url(re.compile(rf"[?&]gebied={code}(&|$)"))
    page.locator("#profile-title", has_text=f"({code})").wait_for()
    # the map has been drawn again with the area outlined (its fill and its outline)
    page.wait_for_function("""(code) => Array.from(document.querySelectorAll('#map path.choroplethlocation'))
        .filter(p => p.__data__ && p.__data__.loc === code).length === 2""", arg=code)


def drill_into(page, code: str) -> None:
    """Click an area, then click it again: the first click selects it, the second opens the map below."""
    select_area(page, code)
    click_area(page, code)


def hover_text(page, code: str) -> str:
    """Move the mouse onto ``code`` and return plotly's hover label."""
    page.mouse.move(*_point(page, code))
    label = page.locator("#map g.hovertext").first
    label.wait_for(timeout=5_000)
    return label.text_content()


# --- what the warehouse says the map should show

def children(wh, level, parent):
    a = wh.areas_frame()
    column = f"{wh.area(parent).level}_code"
    return sorted(a[(a["level"] == level) & (a[column] == parent)]["code"])


def clickable_child(wh, level, parent):
    """A child with data (not water) with the most buurten below it: large enough to click."""
    a = wh.areas_frame()
    kids = a[(a["level"] == level) & (a["parent_code"] == parent) & ~a["is_water"]]["code"]
    col = f"{level}_code"
    sizes = a[a["level"] == "buurt"].groupby(col).size()
    return max(kids, key=lambda c: sizes.get(c, 0))
