"""The page both exports compose through: CSS pixels in, one plotly figure out (no browser)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from dashboard.export import ExportMeta, briefing_data, compose_briefing, compose_figure, export_meta
from dashboard.export.page import MARKING_COLOUR, Page, PaperMap
from dashboard.figures import NO_DATA_COLOUR
from data_pipeline.warehouse import Scope
from tests.dashboard.export.conftest import MARKING, view_of

NOW = datetime(2024, 11, 28, 16, 23, tzinfo=timezone.utc)
BOLD_MARKING = f"<b>{MARKING}</b>"


def texts(fig) -> list[str]:
    """The annotations' texts, wrapped lines joined again."""
    return [a.text.replace("<br>", " ") for a in fig.layout.annotations]


def test_positions_in_css_pixels_become_fractions_of_the_page(gm1):
    view, geojson, _ = gm1
    page = Page(400, 200)
    assert page.margin == 20 and page.inner == 360
    page.text("links", 10, x=40, y=50)
    page.text("rechts", 10, x=380, y=150, align="right")
    page.box(40, 20, 20, 10, NO_DATA_COLOUR)
    page.rule(100)
    page.map(PaperMap.of(view, geojson), 200, 0, 200, 100)
    page.chart(20, 120, 110, 190, [2022, 2023, 2024], [([1.0, None, 3.0], "#2166ac", "solid")])
    page.chart(220, 320, 110, 190, [2024], [([None], "#7f7f7f", "dash")])
    fig = page.figure(title="t")
    left, right = fig.layout.annotations
    assert (left.x, left.y, left.xanchor, left.yanchor) == (0.1, 0.75, "left", "top")
    assert (right.x, right.y, right.xanchor) == (0.95, 0.25, "right")
    box, rule = fig.layout.shapes
    assert (box.x0, box.x1, box.y0, box.y1, box.fillcolor) == (0.1, 0.15, 0.85, 0.9, NO_DATA_COLOUR)
    assert (rule.x0, rule.x1, rule.y0, rule.y1) == (0.05, 0.95, 0.5, 0.5)
    assert list(fig.layout.geo.domain.x) == [0.5, 1.0] and list(fig.layout.geo.domain.y) == [0.5, 1.0]
    assert list(fig.layout.xaxis.domain) == [0.05, 0.3] and list(fig.layout.yaxis.domain) == pytest.approx([0.05, 0.45])
    assert fig.layout.xaxis2.anchor == "y2" and fig.layout.yaxis2.showticklabels is False  # no value: no ticks
    lines = [t for t in fig.data if t.type == "scatter"]
    assert [(t.xaxis, t.yaxis) for t in lines] == [("x", "y"), ("x2", "y2")] and lines[0].hoverinfo == "skip"
    assert (fig.layout.width, fig.layout.height, fig.layout.meta) == (400, 200, {"title": "t"})


def test_header_and_source_block_in_both_languages():
    for lang, demo, exported in (("nl", "Synthetische gegevens — geen echte cijfers", "Geëxporteerd op"),
                                 ("en", "Synthetic data — not real figures", "Exported on")):
        meta = ExportMeta("Titel", "per 1.000", "2024", "Bron: X (T1)", exported_at=NOW, caveat="Geen bewijs.",
                          marking=MARKING, demo=True, notice="Kwantielen.", lang=lang)
        page = Page(600)
        page.header(meta, "ondertitel")
        page.footer(meta, notes=("Een noot.",))
        fig = page.figure(title=meta.title)
        assert texts(fig) == [BOLD_MARKING, "<b>Titel</b>", "ondertitel", f"<b>{demo}</b>", "<b>Geen bewijs.</b>",
                              "Een noot.", "Kwantielen.", "Bron: X (T1)", "Bron: CBS en politie (open data, CC BY 4.0)",
                              f"{exported} 28-11-2024 17:23 CET (Europe/Amsterdam) · Ondermijningsbeeld · {demo}",
                              BOLD_MARKING]
        assert {a.font.color for a in fig.layout.annotations if a.text == BOLD_MARKING} == {MARKING_COLOUR}


def test_the_map_image_and_the_briefing_share_header_legend_and_source_block(demo_warehouse):
    gemeente = demo_warehouse.codes("gemeente", water=True)[0]
    state, view = view_of(demo_warehouse, "wijk", gemeente, mode="score")
    meta = export_meta(demo_warehouse, state, view, marking=MARKING, now=NOW)
    image = texts(compose_figure(view, demo_warehouse.geometry("wijk", gemeente, Scope.everything()), meta))
    sheet = texts(compose_briefing(briefing_data(demo_warehouse, gemeente, None, scope=Scope.everything(),
                                                 marking=MARKING, now=NOW)))
    stamp = "Geëxporteerd op 28-11-2024 17:23 CET (Europe/Amsterdam) · Ondermijningsbeeld · Synthetische gegevens"
    for made in (image, sheet):
        assert made[0] == BOLD_MARKING and made.count(BOLD_MARKING) == 2  # top and bottom
        assert made[-1] == "SYNTHETISCHE GEGEVENS"  # the watermark, over everything
        assert any(t.startswith(stamp) for t in made)
        assert "<b>Synthetische gegevens — geen echte cijfers</b>" in made
        assert any(t.startswith("<b>Legenda — ") for t in made)
