"""Honest legends on tiny frames: merged class bounds said with why, zeros that say what they
mean, classes symmetric around 0 for changes and scores, and signed contribution bars."""

from __future__ import annotations

import pandas as pd
import pytest

from dashboard import routes
from dashboard.panels import profile_table, score_breakdown
from dashboard.views import classed
from data_pipeline.analysis import area_profile
from data_pipeline.warehouse import Scope
from indicators.classify import Classes, palette


def frame(values) -> pd.DataFrame:
    values = list(values)
    return pd.DataFrame({"code": [f"WK{i:06d}" for i in range(len(values))], "value": values,
                         "status": ["ok" if pd.notna(v) else "missing" for v in values], "is_water": False})


def legend(values, decimals=1, around_zero=None, **state):
    out, colours, labels, note, _ = classed(frame(values), routes.MapState(**state), decimals, around_zero)
    return out, colours, labels, note


def test_another_maps_classes_put_values_beyond_them_in_the_end_classes_and_say_how_many():
    region = Classes("quantiles", (10.0, 20.0, 30.0, 40.0))
    out, colours, labels, note, classes = classed(frame([5.0, 10.0, 25.0, 40.0, 55.0, None]),
                                                  routes.MapState(level="wijk"), 1, classes=region)
    assert classes == region and len(colours) == 3
    assert labels == ["10,0 – 20,0", "20,0 – 30,0", "30,0 – 40,0"]
    assert out["klass"].tolist()[:5] == [0, 0, 1, 2, 2]
    assert note == "Buiten deze klassen: 2 van de 5 wijken, getekend in de laagste of hoogste klasse."
    *_, inside, _ = classed(frame([12.0, 35.0]), routes.MapState(level="wijk"), 1, classes=region)
    assert inside == ""


def test_ties_merge_classes_and_the_legend_says_how_many_and_why():
    out, colours, labels, note = legend([0.0] * 6 + [1.0, 2.0, 3.0, 4.0])
    assert labels == ["0 (geen)", "> 0,0 – 2,0", "2,0 – 4,0"] and len(colours) == 3
    assert note == ("3 van de 5 gevraagde klassen: 60% van de gebieden heeft dezelfde waarde (0,0), "
                    "dus vallen klassengrenzen samen.")
    assert out["klass"].tolist()[:6] == [0] * 6 and out["klass"].tolist()[6:] == [1, 1, 2, 2]
    *_, english = legend([0.0] * 6 + [1.0, 2.0, 3.0, 4.0], lang="en")
    assert english.startswith("3 of the 5 classes asked for: 60% of the areas have the same value (0.0)")


def test_all_zero_is_one_class_that_says_none():
    out, colours, labels, note = legend([0.0, 0.0, 0.0, None])
    assert labels == ["0 (geen)"] and len(colours) == 1
    assert note == "1 van de 5 gevraagde klassen: alle gebieden hebben dezelfde waarde."
    assert out["klass"].tolist()[:3] == [0, 0, 0] and out["klass"].isna().tolist()[3]


def test_one_value_reads_as_that_value_not_as_a_range():
    _, colours, labels, note = legend([7.25], decimals=2, lang="en")
    assert labels == ["7.25"] and len(colours) == 1 and "1 of the 5 classes" in note
    _, colours, labels, note = legend([1.0, 1.0, 2.5])
    assert labels == ["1,0", "> 1,0 – 2,5"] and note.endswith("de gebieden hebben maar 2 verschillende waarden.")


def test_a_full_set_of_classes_needs_no_note():
    _, _, labels, note = legend(range(1, 11))
    assert len(labels) == 5 and note == "" and not any(label.startswith(">") for label in labels)


@pytest.mark.parametrize("values", [
    [-4.0, -2.0, -1.0, 0.0, 0.0, 1.0, 1.0, 2.0, 3.0, 6.0],
    [-0.9, -0.2, 0.05, 0.3, 0.4, 1.7, 2.5],      # scores, lopsided
    [1.0, 2.0, 3.0, 5.0, 8.0],                   # only increases
])
def test_changes_and_scores_are_classed_symmetrically_around_zero_with_a_neutral_middle(values):
    out, colours, labels, _ = legend(values, around_zero="0 (geen verandering)")
    k = len(colours)
    assert k % 2 == 1 and colours[k // 2] == palette(k, "diverging")[k // 2] == "#f7f7f7"
    mirrored, _, _, _ = legend([-v for v in values], around_zero="0 (geen verandering)")
    assert [k - 1 - c for c in out["klass"]] == mirrored["klass"].tolist()   # -x lies in the mirror class of x
    assert all(label[0] in "+-0>" for label in labels)                       # signs printed


def test_a_neutral_class_of_exact_zeros_says_no_change():
    _, _, labels, _ = legend([0.0] * 5 + [-3.0, -1.0, 1.0, 2.0, 4.0], around_zero="0 (geen verandering)", k=3)
    assert labels[1] == "0 (geen verandering)" and labels[2].startswith("> 0,0 – +")


def test_an_even_number_of_classes_around_zero_is_one_less_and_says_why():
    _, colours, _, note = legend([-3.0, -2.0, -1.0, 1.0, 2.0, 3.0, 4.0, 5.0], around_zero="0", k=4)
    assert len(colours) == 3 and "3 van de 4" in note and "oneven" in note


def test_contributions_below_average_point_left_and_above_average_right(demo_warehouse):
    wh = demo_warehouse
    for code in wh.codes("gemeente"):
        state = routes.MapState(area=code, year=wh.years[-1], mode="score")
        panel = score_breakdown(wh, state, Scope.everything())
        bars = panel.children[1].children
        signs = set()
        for item in bars:
            value = float(item.children[2].children.replace(",", ".").replace("+", ""))
            below, above = item.children[1].children
            assert (below.children is not None) == (value < 0) and (above.children is not None) == (value > 0)
            assert item.children[2].children[0] in "+-0"
            signs.add(value > 0)
        if signs == {True, False}:
            return
    pytest.fail("no gemeente has contributions of both signs")


def test_a_value_many_areas_share_gets_the_range_of_their_percentiles(demo_warehouse):
    wh = demo_warehouse
    indicator, year = "drugshandel_per_10000_inwoners", wh.years[-1]
    for code in wh.codes("wijk"):
        row = area_profile(wh, code, year, [indicator], Scope.everything()).iloc[0]
        if row["n_tied"] > 1:
            break
    else:
        pytest.fail("no wijk shares its value with another")
    low = row["percentile"] - row["n_tied"] / row["n_ranked"] * 100
    table = profile_table(wh, routes.MapState(level="buurt", parent=code, area=code, indicator=indicator,
                                              year=year), Scope.everything())
    rows = table.children[0].children.children[1].children   # the table in its scroll box, its body
    cell = next(c for tr in rows if tr.__dict__.get("data-indicator") == indicator
                for c in tr.children if "percentile" in (c.className or ""))
    assert cell.children == f"{low:.0f}–{row['percentile']:.0f}" and low < row["percentile"]
