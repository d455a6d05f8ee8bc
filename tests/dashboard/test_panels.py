"""Profile, comparison, gemeente page and the change mode, without a browser."""

from __future__ import annotations

import pytest

from dashboard import routes
from dashboard.callbacks.areas import compare_output, profile_output
from dashboard.signin import Gate
from dashboard.gemeente import gemeente_page
from dashboard.views import map_view, resolve_state
from data_pipeline.analysis import change_view
from data_pipeline.warehouse import NotFound, Scope

EVERYTHING = Scope.everything()
OPEN = Gate()   # no sign-in: everything visible, nothing audited


def texts(component) -> str:
    """All text in a Dash component tree."""
    if isinstance(component, (str, int, float)):
        return str(component)
    if isinstance(component, (list, tuple)):
        return " ".join(texts(c) for c in component)
    children = getattr(component, "children", None)
    return texts(children) if children is not None else ""


def test_resolve_state_drops_unknown_areas_and_mixed_levels_and_bad_years(tiny_warehouse):
    state = resolve_state(tiny_warehouse, routes.MapState(area="GM9999", compare=("GM0001", "WK000101", "GM0002", "NOPE"),
                                                          mode="verandering", since=1900))
    assert state.area is None and state.compare == ("GM0001", "GM0002")
    assert state.since == tiny_warehouse.years[0] if len(tiny_warehouse.years) > 1 else state.since is None
    water = resolve_state(tiny_warehouse, routes.MapState(area="BU00029900"))
    assert water.area is None


def test_the_profile_panel_is_hidden_until_an_area_is_selected(demo_warehouse):
    wh = demo_warehouse
    gemeente = wh.codes("gemeente")[0]
    children, style = profile_output(wh, "/kaart/gemeente/NL01", "?indicator=misdrijven_per_1000_inwoners", OPEN)
    assert children == [] and style == {"display": "none"}
    children, style = profile_output(wh, "/kaart/gemeente/NL01",
                                     f"?indicator=misdrijven_per_1000_inwoners&gebied={gemeente}", OPEN)
    assert style == {} and f"({gemeente})" in texts(children)
    assert "Rang onder gemeenten" in texts(children)
    children, _ = profile_output(wh, "/kaart/gemeente/NL01",
                                 f"?indicator=misdrijven_per_1000_inwoners&gebied={gemeente}&taal=en", OPEN)
    assert "Rank among municipalities" in texts(children)


def test_a_comparison_of_one_area_asks_for_another(demo_warehouse):
    wh = demo_warehouse
    gemeenten = wh.codes("gemeente")
    children, style = compare_output(wh, "/kaart/gemeente/NL01", f"?vergelijk={gemeenten[0]}", OPEN)
    assert style == {} and "Kies nog een gebied" in texts(children)
    children, _ = compare_output(wh, "/kaart/gemeente/NL01", f"?vergelijk={gemeenten[0]};{gemeenten[1]}", OPEN)
    assert "Kies nog een gebied" not in texts(children)
    for code in gemeenten[:2]:
        assert wh.name(code) in texts(children)


def test_the_gemeente_page_is_only_for_gemeenten(demo_warehouse):
    wh = demo_warehouse
    wijk = wh.codes("wijk", water=True)[0]
    with pytest.raises(NotFound):
        gemeente_page(wh, routes.parse(f"/gemeente/{wijk}", ""), EVERYTHING)
    gemeente = wh.area(wijk).parent_code
    page = texts(gemeente_page(wh, routes.parse(f"/gemeente/{gemeente}", "?taal=en"), EVERYTHING))
    assert wh.name(gemeente) in page and "Where" in page and "Every topic explained" in page


def test_the_change_map_shows_only_areas_shown_in_both_years(demo_warehouse):
    wh = demo_warehouse
    first, last = wh.years[0], wh.years[-1]
    gemeente = wh.codes("gemeente")[0]
    state = resolve_state(wh, routes.MapState(level="buurt", parent=gemeente, indicator="misdrijven_per_1000_inwoners",
                                              mode="verandering"))
    assert state.since == first and state.year == last
    view = map_view(wh, state, EVERYTHING)
    frame = change_view(wh, "buurt", gemeente, state.indicator, last, first, EVERYTHING)
    classed = {code for trace in view.figure.data[:1] for code in trace.locations}
    both = set(frame.loc[(frame["status_now"] == "ok") & (frame["status_since"] == "ok") & ~frame["is_water"], "code"])
    assert classed == both
    classes = [label for _, label in view.legend if " – " in label]
    assert len(classes) % 2 == 1   # symmetric around 0: a neutral middle class and mirrored ones
    low, high = classes[0].split(" – ")[0], classes[-1].split(" – ")[1]
    assert low.startswith("-") and high.startswith("+") and low[1:] == high[1:]
    mid_low, mid_high = classes[len(classes) // 2].split(" – ")
    assert mid_low.lstrip("-") == mid_high.lstrip("+")
    assert "Verandering" in view.heading and f"{first}–{last}" in view.heading


def test_trend_lines_compare_rates_with_references_but_not_counts(demo_warehouse, tiny_warehouse):
    from dashboard.panels import trend_figure

    wh = demo_warehouse
    gemeente = wh.codes("gemeente")[0]
    rate = trend_figure(wh, [gemeente], "misdrijven_per_1000_inwoners", "nl", EVERYTHING, ["NL01"])
    assert [trace["name"] for trace in rate["data"]] == [wh.name(gemeente), "Demoland (synthetisch)"]   # the demo country keeps its name
    assert all(len(trace["x"]) == len(wh.years) for trace in rate["data"])
    assert tiny_warehouse.catalog.get("inwoners").is_count
    assert len(trend_figure(tiny_warehouse, ["GM0001"], "inwoners", "nl", EVERYTHING, ["NL01"])["data"]) == 1
    assert len(trend_figure(tiny_warehouse, ["GM0001"], "misdrijven_per_1000_inwoners", "nl", EVERYTHING,
                            ["NL01"])["data"]) == 2


def test_adding_to_a_comparison_says_beforehand_when_it_starts_anew_or_lets_the_oldest_go(demo_warehouse):
    wh = demo_warehouse
    gemeenten, wijk = wh.codes("gemeente"), wh.codes("wijk")[0]
    ind = "?indicator=misdrijven_per_1000_inwoners"

    def link(search):
        children, _ = profile_output(wh, "/kaart/gemeente/NL01", ind + search, OPEN)
        return texts(children)

    assert "+ Vergelijken" in link(f"&gebied={gemeenten[0]}&vergelijk={gemeenten[1]}")
    other = link(f"&gebied={gemeenten[0]}&vergelijk={wijk}")
    assert "Nieuwe vergelijking (de huidige is van wijken)" in other
    full = link(f"&gebied={gemeenten[4]}&vergelijk={';'.join(gemeenten[:4])}")
    assert f"in plaats van {wh.name(gemeenten[0])}, de oudste" in full


def test_compared_lines_differ_by_marker_as_well_as_colour(demo_warehouse):
    from dashboard.panels import trend_figure

    codes = demo_warehouse.codes("gemeente")[:4]
    figure = trend_figure(demo_warehouse, codes, "misdrijven_per_1000_inwoners", "nl", EVERYTHING, ["NL01"])
    areas = [trace for trace in figure["data"] if trace["name"] != "Demoland (synthetisch)"]
    assert len({trace["marker"]["symbol"] for trace in areas}) == len({trace["line"]["color"] for trace in areas}) == 4


def test_the_area_list_ranks_the_maps_areas_and_links_only_to_maps_the_viewer_may_see(demo_warehouse):
    from dashboard.panels import area_list

    wh = demo_warehouse
    region = wh.areas_frame(["gemeente"]).groupby("parent_code").size().idxmax()
    state = resolve_state(wh, routes.parse(f"/kaart/gemeente/{region}", "indicator=misdrijven_per_1000_inwoners"))
    view = map_view(wh, state, EVERYTHING)
    data = area_list(wh, state, view, EVERYTHING)
    rows = {row["code"]: row for row in data["rows"]}
    table = wh.table("gemeente", region, state.indicator, state.year, EVERYTHING).set_index("code")
    assert set(rows) == set(view.areas["code"])   # every land area of the map, no water
    shown = table.loc[list(rows)].query("status == 'ok'").sort_values("value", ascending=False)
    assert len(shown) >= 3
    assert [rows[c]["rank"] for c in shown.index] == list(shown["value"].rank(method="min", ascending=False))
    assert rows[shown.index[0]]["bar"] == 100.0
    for code, row in rows.items():
        if table.loc[code, "status"] != "ok":   # hidden stays hidden: no rank, no bar, "n.b."
            assert row["rank"] is None and row["bar"] is None and row["text"].startswith("n.b.")
        assert row["profile"] == routes.href(routes.MapState(**{**vars(state), "area": code}))
        assert row["below"] == routes.href(routes.drill_down(state, code))
    # a viewer whose detail lies elsewhere sees the gemeenten, but no link to their wijken
    other = Scope.inside(next(r for r in wh.codes("regio") if r != region))
    assert all(row["below"] is None for row in area_list(wh, state, map_view(wh, state, other), other)["rows"])
