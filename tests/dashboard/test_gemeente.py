"""The gemeente page without a browser: key-figure tiles and their trends, standouts
unfavourable first, both maps on one scale, the search, and an address that names no gemeente."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from dash import dcc, html

from dashboard import routes
from dashboard.callbacks.areas import page_output
from dashboard.formatting import format_number
from dashboard.gemeente import (N_STANDOUTS, SEARCH_BOX, Trend, close_gemeenten, gemeente_page, key_figures,
                                search_results, tile_indicators, trend)
from dashboard.signin import Gate
from dashboard.views import map_view, resolve_state
from data_pipeline.analysis import area_profile, standouts
from data_pipeline.warehouse import Scope
from indicators.composite import eligible_indicators
from tests.dashboard.test_panels import texts

EVERYTHING = Scope.everything()


def walk(component):
    """Every Dash component in a tree (lists and children included)."""
    if isinstance(component, (list, tuple)):
        for child in component:
            yield from walk(child)
    elif hasattr(component, "to_plotly_json"):
        yield component
        yield from walk(getattr(component, "children", None))


def prop(component, key):
    return component.to_plotly_json()["props"].get(key)


def found(tree, **props) -> list:
    """The components of a tree whose props have these values (``className`` by its words)."""
    def matches(c, key, value):
        have = prop(c, key)
        return value in str(have).split() if key == "className" else have == value
    return [c for c in walk(tree) if all(matches(c, k, v) for k, v in props.items())]


def items(tree) -> list:
    return [c for c in walk(tree) if isinstance(c, html.Li)]


def page(wh, code, lang="nl", search=""):
    return gemeente_page(wh, routes.parse(f"/gemeente/{code}", f"?taal={lang}{search}"), EVERYTHING)


def gemeente_with_both_sides(wh):
    """A demo gemeente whose standouts are mostly favourable but that is unfavourable on something."""
    year = wh.years[-1]
    for code in wh.codes("gemeente"):
        ranked = standouts(wh, code, year, EVERYTHING, n=100)
        if 0 < ranked["worse"].sum() and not ranked["worse"].head(N_STANDOUTS).any():
            return code
    raise AssertionError("no such gemeente in the demo")


# --------------------------------------------------------------------------- trends


@pytest.mark.parametrize("values, direction, expected", [
    ({2023: 4.0, 2024: 5.0}, "higher_is_worse", Trend("up", 2023, 4.0, "worse")),
    ({2023: 4.0, 2024: 5.0}, "higher_is_better", Trend("up", 2023, 4.0, "better")),
    ({2023: 5.0, 2024: 4.0}, "higher_is_worse", Trend("down", 2023, 5.0, "better")),
    ({2023: 5.0, 2024: 4.0}, "higher_is_better", Trend("down", 2023, 5.0, "worse")),
    ({2023: 5.0, 2024: 4.0}, "neutral", Trend("down", 2023, 5.0, None)),
    ({2023: 4.04, 2024: 3.96}, "higher_is_worse", Trend("level", 2023, 4.04, None)),   # both show 4,0
    ({2022: 3.0, 2023: math.nan, 2024: 5.0}, "higher_is_worse", Trend("up", 2022, 3.0, "worse")),  # 2023 not shown
    ({2024: 5.0, 2025: 1.0}, "higher_is_worse", None),                                 # no earlier year
    ({2023: 4.0, 2024: math.nan}, "higher_is_worse", None),                           # nothing shown now
])
def test_a_trend_is_up_down_or_level_since_the_last_shown_year_and_judged_by_direction(values, direction, expected):
    assert trend(pd.Series(values), 2024, direction, 1) == expected


# --------------------------------------------------------------------------- tiles


def test_the_tiles_are_the_first_signal_of_each_theme_the_same_for_every_gemeente(demo_warehouse):
    wh = demo_warehouse
    chosen = tile_indicators(wh.catalog)
    themes = [ind.theme for ind in chosen]
    assert themes == [theme for theme in wh.catalog.themes if theme in themes]   # one per theme, in order
    eligible = eligible_indicators(wh.catalog.indicators)
    assert chosen == [next(i for i in eligible if i.theme == theme) for theme in themes]
    assert {i.theme for i in eligible} == set(themes)


def test_a_key_figure_holds_the_profile_value_its_reference_and_the_change_since_the_year_before(demo_warehouse):
    wh = demo_warehouse
    code, year = wh.codes("gemeente")[0], wh.years[-1]
    figures = key_figures(wh, code, year, EVERYTHING)
    assert [f.indicator for f in figures] == tile_indicators(wh.catalog)
    profile = area_profile(wh, code, year, [f.indicator.id for f in figures], EVERYTHING)
    before = area_profile(wh, code, year - 1, [f.indicator.id for f in figures], EVERYTHING)
    for figure, row, then in zip(figures, profile.itertuples(), before.itertuples()):
        assert figure.value == row.value and figure.status == row.status == "ok"
        peers = not math.isnan(row.peer_value)
        assert (figure.reference, figure.reference_value) == (("peers", row.peer_value) if peers else ("nl", row.nl_value))
        assert figure.ratio == pytest.approx(row.value / figure.reference_value)
        assert figure.worse == (figure.ratio > 1)   # every demo indicator: higher is worse
        assert figure.trend.since == year - 1 and figure.trend.was == then.value


def test_each_tile_says_value_unit_comparison_and_trend_in_words_in_the_page_language(demo_warehouse):
    wh = demo_warehouse
    code = wh.codes("gemeente")[0]
    for lang, since in (("nl", "sinds"), ("en", "since")):
        tiles = found(page(wh, code, lang), className="tile")
        figures = key_figures(wh, code, wh.years[-1], EVERYTHING)
        assert [prop(tile, "data-indicator") for tile in tiles] == [f.indicator.id for f in figures]
        for tile, figure in zip(tiles, figures):
            text = texts(tile)
            ind = figure.indicator
            assert format_number(figure.value, ind.decimals, lang=lang) in text and ind.unit(lang) in text
            assert f"{since} {figure.trend.since}" in text
            arrow, = found(tile, className="arrow")
            assert prop(arrow, "aria-hidden") == "true"   # the words carry the trend
            # colour is never the only signal: a coloured tile says in words what its colour means
            side = [c for c in ("worse", "better") if c in tile.className.split()]
            if side:
                verdict, = found(tile, className="tag")
                assert texts(verdict) == {"worse": {"nl": "aandachtspunt", "en": "point of attention"},
                                          "better": {"nl": "gunstig", "en": "favourable"}}[side[0]][lang]


# --------------------------------------------------------------------------- standouts


def test_unfavourable_standouts_come_first_under_their_own_heading_even_when_the_most_striking_are_favourable(
        demo_warehouse):
    wh = demo_warehouse
    code = gemeente_with_both_sides(wh)
    tree = page(wh, code)
    sides = found(tree, className="standouts-side")
    assert [prop(side, "data-side") for side in sides] == ["worse", "better"]
    assert [texts(side.children[0]) for side in sides] == ["Ongunstig", "Gunstig"]
    expected = standouts(wh, code, wh.years[-1], EVERYTHING, n=N_STANDOUTS, per_side=True)
    for side, worse in zip(sides, (True, False)):
        shown = [prop(li, "data-indicator") for li in items(side)]
        assert shown == expected.loc[expected["worse"] == worse, "indicator"].tolist() and shown
    # without a topic in the URL the maps show the most striking unfavourable one
    first_worse = expected.loc[expected["worse"], "indicator"].iloc[0]
    assert texts(found(tree, id="kaarten")[0].children[0]).startswith(wh.catalog.get(first_worse).label("nl"))


def test_a_side_without_standouts_says_so(demo_warehouse):
    wh = demo_warehouse
    year = wh.years[-1]
    code = next(c for c in wh.codes("gemeente") if not standouts(wh, c, year, EVERYTHING, n=100)["worse"].any())
    worse, = found(page(wh, code), **{"data-side": "worse"})
    assert texts(worse).endswith(f"Op geen enkel onderwerp wijkt {wh.name(code)} ongunstig af.")


# --------------------------------------------------------------------------- maps


def legend_classes(legend) -> list[tuple[str, str]]:
    """(colour, label) of a page map's classes: its legend less n.b. and water."""
    return [(li.children[0].style["background"], li.children[1]) for li in items(legend)
            if li.children[1] not in ("n.b. (onbekend of afgeschermd)", "Water")]


def test_both_maps_share_the_region_maps_classes_and_their_legends_say_so(demo_warehouse):
    wh = demo_warehouse
    code = wh.codes("gemeente")[0]
    regio = wh.name(wh.area(code).regio_code)
    tree = page(wh, code, search="&indicator=misdrijven_per_1000_inwoners")
    region, = found(tree, id="page-map-region-legend")
    wijken, = found(tree, id="page-map-wijken-legend")
    assert legend_classes(region) == legend_classes(wijken) and legend_classes(region)
    assert f"Kleuren: klassen van de gemeenten in {regio}." in texts(region)
    assert f"Kleuren: dezelfde klassen als de kaart van {regio}" in texts(wijken)

    # the wijken are classed on the region's bounds; those beyond them are in the end classes and counted
    state = resolve_state(wh, routes.MapState(level="wijk", parent=code, indicator="misdrijven_per_1000_inwoners"))
    bounds = map_view(wh, routes.moved(state, "gemeente", wh.area(code).regio_code), EVERYTHING).classes
    view = map_view(wh, state, EVERYTHING, classes=bounds)
    assert view.classes == bounds
    values = wh.map_values("wijk", code, state.indicator, state.year, EVERYTHING).query("status == 'ok' & ~is_water")
    outside = int(((values["value"] < bounds.bounds[0]) | (values["value"] > bounds.bounds[-1])).sum())
    assert outside > 0   # the demo's wijken spread wider than its gemeenten: the case that matters
    assert f"Buiten deze klassen: {outside} van de {len(values)} wijken" in texts(wijken)


def test_a_viewer_who_may_not_see_the_wijken_gets_the_page_without_their_map(demo_warehouse):
    wh = demo_warehouse
    code, elsewhere = wh.codes("gemeente")[:2]
    tree = gemeente_page(wh, routes.parse(f"/gemeente/{code}", ""), Scope.inside(elsewhere))
    assert found(tree, id="page-map-region") and not found(tree, id="page-map-wijken")
    assert found(tree, className="tile") and found(tree, className="standouts-side")


# --------------------------------------------------------------------------- search and unknown codes


def test_the_search_lists_links_to_gemeente_pages_in_the_same_language_and_year(demo_warehouse):
    wh = demo_warehouse
    target = wh.areas_frame(["gemeente"]).iloc[3]
    state = routes.parse(None, "?taal=en&jaar=2022")
    links = [c for c in walk(search_results(wh, target["name"][:4].lower(), state)) if isinstance(c, dcc.Link)]
    assert f"/gemeente/{target['code']}?jaar=2022&taal=en" in [link.href for link in links]
    assert all(link.href.startswith("/gemeente/GM") for link in links)   # gemeenten only
    assert search_results(wh, "x", state) == [] and search_results(wh, None, state) == []
    assert texts(search_results(wh, "qqqq", state)) == "No municipality found."
    assert texts(search_results(wh, "q" * 10_000, state)) == "No municipality found."


def test_close_gemeenten_by_code_name_or_the_area_a_code_belongs_to(demo_warehouse):
    wh = demo_warehouse
    gemeente = wh.areas_frame(["gemeente"]).iloc[5]
    code, name = gemeente["code"], gemeente["name"]
    typo = code[:-1] + next(d for d in "0123456789" if not wh.has_area(code[:-1] + d))
    assert close_gemeenten(wh, typo)[0] == code
    assert close_gemeenten(wh, (name[:3] + name[4:]).upper())[0] == code   # a letter left out
    wijk = next(c for c in wh.codes("wijk") if wh.area(c).parent_code == code)
    assert close_gemeenten(wh, wijk) == [code]
    assert set(close_gemeenten(wh, wh.area(code).regio_code, n=50)) == {
        c for c in wh.codes("gemeente") if wh.area(c).regio_code == wh.area(code).regio_code}
    assert close_gemeenten(wh, "GM9999") == [] and close_gemeenten(wh, "XYZ") == []


@pytest.mark.parametrize("path, message", [
    ("/gemeente/GM9999", "Er is geen gemeente ‘GM9999’"),
    ("/gemeente/xyz", "Er is geen gemeente ‘XYZ’"),
    ("/gemeente/%3Cscript%3E", "Dit adres noemt geen gemeente"),
    ("/gemeente/" + "9" * 400, "Dit adres noemt geen gemeente"),
    ("/gemeente/NL01", "Er is geen gemeente ‘NL01’"),
])
def test_an_address_without_a_gemeente_says_so_and_offers_the_search_and_the_way_back(demo_warehouse, path, message):
    wh = demo_warehouse
    tree = page_output(wh, routes.parse(path, ""), Gate())
    assert texts(found(tree, id="page-title")) == message
    assert found(tree, id=SEARCH_BOX) and found(tree, id="page-to-map")[0].href == "/kaart/regio/NL01?"
    english = page_output(wh, routes.parse(path, "?taal=en"), Gate())
    assert found(english, id="page-to-map")[0].href == "/kaart/regio/NL01?taal=en"
    assert "Find a municipality" in texts(english)


def test_an_unknown_code_suggests_the_gemeenten_close_to_it(demo_warehouse):
    wh = demo_warehouse
    code = wh.codes("gemeente")[0]
    typo = code[:-1] + next(d for d in "0123456789" if not wh.has_area(code[:-1] + d))
    tree = page_output(wh, routes.parse(f"/gemeente/{typo}", "?jaar=2022"), Gate())
    suggestions, = found(tree, id="page-suggestions")
    assert f"/gemeente/{code}?jaar=2022" in [c.href for c in walk(suggestions) if isinstance(c, dcc.Link)]
