"""The analyses on top of the warehouse: composite over a level, stabilisation, hotspot view."""

from __future__ import annotations

import numpy as np
import pytest

from data_pipeline.analysis import composite, hotspot_view, level_rates
from data_pipeline.warehouse import Scope


def test_composite_uses_only_shown_values_and_contributions_sum_to_the_score(demo_warehouse):
    year = demo_warehouse.years[-1]
    result = composite(demo_warehouse, "wijk", year)
    rates = level_rates(demo_warehouse, "wijk", year)
    assert set(result.score.index) <= set(rates.index)
    scored = result.score.dropna()
    assert len(scored) > 0.8 * len(rates)
    assert np.allclose(result.contributions.loc[scored.index].sum(axis=1), scored)
    # standardised within the level: each indicator's z-scores have mean 0 over the areas
    assert result.standardised.mean().abs().max() < 1e-9


def test_stabilising_pulls_small_areas_toward_their_parent(demo_warehouse):
    year = demo_warehouse.years[-1]
    plain = composite(demo_warehouse, "buurt", year)
    stable = composite(demo_warehouse, "buurt", year, stabilise=True)
    both = plain.score.dropna().index.intersection(stable.score.dropna().index)
    assert len(both) > 100 and not np.allclose(plain.score[both], stable.score[both])
    assert np.corrcoef(plain.score[both], stable.score[both])[0, 1] > 0.5
    # small buurten move much more than large ones
    with demo_warehouse.cursor() as con:
        size = con.execute("SELECT code, denominator FROM indicator_values WHERE indicator = ? AND year = ? "
                           "AND status = 'ok'", ["misdrijven_per_1000_inwoners", year]).df()
    size = size.set_index("code")["denominator"].reindex(both).dropna().sort_values()
    change = (stable.score - plain.score).abs()
    tenth = len(size) // 10
    assert change[size.index[:tenth]].mean() > 2 * change[size.index[-tenth:]].mean()


def test_weights_are_part_of_the_cache_key(demo_warehouse):
    year = demo_warehouse.years[-1]
    equal = composite(demo_warehouse, "gemeente", year)
    drugs = composite(demo_warehouse, "gemeente", year, "z", (("drugs", 3.0),))
    assert composite(demo_warehouse, "gemeente", year) is equal
    assert not np.allclose(equal.score.dropna(), drugs.score.reindex(equal.score.dropna().index))


def test_hotspot_view_tests_only_shown_values(demo_warehouse):
    wh = demo_warehouse
    gm = wh.codes("gemeente", water=True)[0]
    frame = hotspot_view(wh, "buurt", gm, "misdrijven_per_1000_inwoners", wh.years[-1], "gi", 0.05, Scope())
    hidden = frame[(frame["status"] != "ok") & ~frame["is_water"]]
    assert (hidden["category"] == "no data").all()
    assert set(frame["category"].dropna()) <= {"hot", "cold", "not significant", "no data"}


@pytest.mark.parametrize("level", ["gemeente", "wijk", "buurt"])
def test_neighbours_are_symmetric(demo_warehouse, level):
    pairs = demo_warehouse.neighbours(level)
    assert len(pairs) > 0
    forward = set(zip(pairs["code"], pairs["neighbour"]))
    assert forward == {(b, a) for a, b in forward}
