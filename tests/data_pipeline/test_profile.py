"""One area at a time: profile, trends, change, standouts and score breakdown (data_pipeline.analysis)."""

from __future__ import annotations

import csv
import io
import math
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

import data_pipeline.analysis as analysis
from data_pipeline.analysis import (PROFILE_COLUMNS, STANDOUT_COLUMNS, against_reference, area_profile, change_view,
                                    composite, composite_breakdown, indicator_comparisons, method_columns, standouts,
                                    trends)
from app import main
from data_pipeline import warehouse as warehouse_module
from data_pipeline.build import build_warehouse
from data_pipeline.warehouse import AccessDenied, NotFound, Scope, Warehouse
from indicators.catalog import Catalog
from indicators.composite import eligible_indicators
from tests.factories import TINY_COUNTS, tiny_observations, tiny_source

EVERYTHING = Scope.everything()
MIS = "misdrijven_per_1000_inwoners"

# Extra indicators for a warehouse on the tiny country: one of each kind that standouts must
# weigh or leave out. Rates per 1.000 inhabitants: ``r0`` in every buurt, ``r3`` in BU00030100
# (the only buurt of GM0003), so GM0003 differs from NL by a known ratio.
EXTRA = {  # id: (direction, denominator, variable, r0, r3)
    "groen_per_1000_inwoners": ("higher_is_better", "inwoners", "groen", 50.0, 5.0),
    "overlast_per_1000_inwoners": ("higher_is_worse", "inwoners", "overlast", 2.0, 6.0),
    "winkels_per_1000_inwoners": ("neutral", "inwoners", "winkels", 10.0, 1000.0),
    "migratieachtergrond_per_1000_inwoners": ("higher_is_worse", "inwoners", "migranten", 10.0, 1000.0),
    "incidenten": ("higher_is_worse", "", "incidenten", 1.0, 1000.0),  # a count: r is the count itself
}


def _extra_catalog(base: Catalog) -> Catalog:
    """``base`` plus the indicators of ``EXTRA`` (made like its crime rate)."""
    like = base.get(MIS)
    extra = tuple(replace(like, id=ind, label_nl=ind, label_en=ind, numerator=variable, denominator=denominator,
                          multiplier=1000.0 if denominator else 1.0, direction=direction,
                          min_denominator=100.0 if denominator else 0.0)
                  for ind, (direction, denominator, variable, _, _) in EXTRA.items())
    return replace(base, indicators=base.indicators + extra)


def _profile_observations() -> pd.DataFrame:
    obs = tiny_observations()
    rows = []
    for year in (2023, 2024):
        for code, (inwoners, _) in TINY_COUNTS.items():
            for _, denominator, variable, r0, r3 in EXTRA.values():
                rate = r3 if code == "BU00030100" else r0
                rows.append((code, year, variable, rate * inwoners / 1000 if denominator else rate))
    obs = pd.concat([obs, pd.DataFrame(rows, columns=obs.columns)], ignore_index=True)
    # 2023 differs: BU00010100's crimes are unknown (missing), BU00010201 is too small to show.
    obs.loc[(obs["code"] == "BU00010100") & (obs["year"] == 2023) & (obs["variable"] == "misdrijven"), "value"] = np.nan
    obs.loc[(obs["code"] == "BU00010201") & (obs["year"] == 2023) & (obs["variable"] == "inwoners"), "value"] = 60.0
    return obs


@pytest.fixture(scope="module")
def profile_warehouse(tmp_path_factory):
    """The tiny country with the extra indicators of ``EXTRA`` and a different 2023."""
    source = tiny_source(_profile_observations())
    source = replace(source, catalog=_extra_catalog(source.catalog))
    path = tmp_path_factory.mktemp("profile") / "profile.duckdb"
    build_warehouse(source, path)
    with Warehouse(path) as wh:
        yield wh


def _a(wh: Warehouse, level: str, i: int = 0) -> str:
    areas = wh.areas_frame([level]).query("~is_water")
    return areas["code"].iloc[i]


# --------------------------------------------------------------------------- profile


@pytest.mark.parametrize("level", ["gemeente", "buurt"])
def test_profile_rows_are_the_cli_table_rows_of_the_area(demo_warehouse, level):
    wh = demo_warehouse
    code = _a(wh, level, 3)
    parent = wh.area(code).parent_code
    year = wh.years[-1]
    ids = [i.id for i in wh.catalog.indicators]
    profile = area_profile(wh, code, year, ids, EVERYTHING)
    assert list(profile.columns) == PROFILE_COLUMNS and profile["indicator"].tolist() == ids
    for ind, got in zip(ids, profile.itertuples(index=False)):
        table = method_columns(wh, wh.table(level, parent, ind, year, EVERYTHING), level, ind, year)
        row = table.set_index("code").loc[code]
        assert got.status == row["status"]
        for column in ("value", "numerator", "denominator", "parent_code", "parent_value", "regio_value", "nl_value",
                       "peer_group", "peer_value", "rank", "n_ranked", "percentile"):
            ours, theirs = getattr(got, column), row[column]
            assert (pd.isna(ours) and pd.isna(theirs)) or ours == theirs, (ind, column, ours, theirs)
    if level == "gemeente":
        assert profile["peer_group"].notna().all() and profile["peer_value"].notna().any()
    else:
        assert profile["peer_group"].isna().all()


def test_profile_matches_what_the_cli_prints(capsys, demo_warehouse_path, demo_warehouse):
    wh = demo_warehouse
    code = _a(wh, "gemeente", 5)
    year = wh.years[0]
    ids = [wh.catalog.indicators[2].id, wh.catalog.indicators[7].id]
    profile = area_profile(wh, code, year, ids, EVERYTHING).set_index("indicator")
    for ind in ids:
        assert main(["--warehouse", str(demo_warehouse_path), "table", "--level", "gemeente", "--indicator", ind,
                     "--year", str(year)]) == 0
        printed = {r["code"]: r for r in csv.DictReader(io.StringIO(capsys.readouterr().out))}[code]
        assert printed["status"] == profile.at[ind, "status"] and printed["peer_group"] == profile.at[ind, "peer_group"]
        for column in ("value", "numerator", "denominator", "parent_value", "regio_value", "nl_value", "peer_value",
                       "rank", "n_ranked", "percentile"):
            expected = profile.at[ind, column]
            if pd.isna(expected):
                assert printed[column] == ""
            else:
                assert float(printed[column]) == pytest.approx(float(expected), rel=1e-5), (ind, column)


def test_profile_keeps_a_suppressed_value_missing_and_unranked(tiny_warehouse):
    profile = area_profile(tiny_warehouse, "BU00020100", 2024, [MIS, "inwoners"], EVERYTHING).set_index("indicator")
    hidden = profile.loc[MIS]
    assert hidden["status"] == "suppressed"
    assert hidden[["value", "numerator", "denominator", "rank", "percentile"]].isna().all()
    # the other buurten that are shown: 10, 20, 10, 4 per 1000 (and 50 for BU00020101 is complementary-hidden)
    assert hidden["n_ranked"] == 4 and hidden["parent_value"] == 50.0 and hidden["nl_value"] == pytest.approx(143 / 8.5)
    assert profile.at["inwoners", "status"] == "ok" and profile.at["inwoners", "value"] == 40


def test_profile_of_an_area_without_rows_says_missing(tiny_warehouse):
    profile = area_profile(tiny_warehouse, "BU00029900", 2024, [MIS], EVERYTHING)  # water: no value rows
    assert profile["status"].tolist() == ["missing"] and profile["value"].isna().all()


def test_profile_reads_the_area_in_one_query_and_shares_the_comparisons_with_the_cli(demo_warehouse, monkeypatch):
    wh = demo_warehouse
    year = wh.years[1]
    ids = [i.id for i in wh.catalog.indicators[:6]]
    code = _a(wh, "wijk", 2)
    computed = []
    real = analysis.comparisons
    monkeypatch.setattr(analysis, "comparisons", lambda *a, **k: computed.append(1) or real(*a, **k))
    analysis._indicator_comparisons.cache_clear()
    method_columns(wh, wh.table("wijk", wh.area(code).parent_code, ids[0], year, EVERYTHING), "wijk", ids[0],
                   year)
    area_profile(wh, code, year, ids, EVERYTHING)
    assert len(computed) == len(ids)  # the CLI's computation for ids[0] was reused

    queries = []
    real_query = warehouse_module.query
    monkeypatch.setattr(warehouse_module, "query", lambda *a, **k: queries.append(a[1]) or real_query(*a, **k))
    area_profile(wh, code, year, ids, EVERYTHING)
    assert len(queries) == 1


def test_indicator_comparisons_is_a_copy_of_the_cached_frame(tiny_warehouse):
    first = indicator_comparisons(tiny_warehouse, MIS, 2024)
    assert first.at["GM0003", "value"] == 4.0 and first.at["GM0003", "nl_value"] == pytest.approx(143 / 8.5)
    first["value"] = 0.0
    assert indicator_comparisons(tiny_warehouse, MIS, 2024).at["GM0003", "value"] == 4.0
    assert area_profile(tiny_warehouse, "GM0003", 2024, [MIS], EVERYTHING)["value"].tolist() == [4.0]
    with pytest.raises(KeyError):
        indicator_comparisons(tiny_warehouse, "bestaat_niet", 2024)


# --------------------------------------------------------------------------- trends


def test_trends_has_one_row_per_code_indicator_and_year(tiny_warehouse):
    codes = ["GM0003", "BU00020100", "BU00029900", "BU00010200"]
    frame = trends(tiny_warehouse, codes, [MIS, "inwoners"], EVERYTHING)
    assert list(frame.columns) == ["code", "indicator", "year", "value", "status"]
    assert len(frame) == 4 * 2 * 2 and not frame.duplicated(["code", "indicator", "year"]).any()
    assert frame["code"].tolist() == [c for c in codes for _ in range(4)]
    key = frame.set_index(["code", "indicator", "year"])
    assert key.loc[("GM0003", MIS, 2023), "value"] == 3.5 and key.loc[("GM0003", MIS, 2024), "value"] == 4.0
    suppressed = key.loc["BU00020100"].loc[MIS]
    assert (suppressed["status"] == "suppressed").all() and suppressed["value"].isna().all()  # never 0
    assert key.loc[("BU00020100", "inwoners", 2024), "value"] == 40
    water = frame[frame["code"] == "BU00029900"]
    assert (water["status"] == "missing").all() and water["value"].isna().all()
    assert (frame[(frame["code"] == "BU00010200") & (frame["indicator"] == MIS)]["status"] == "missing").all()
    assert frame.loc[frame["status"] != "ok", "value"].isna().all()


def test_trends_agree_with_the_profile_in_every_year(demo_warehouse):
    wh = demo_warehouse
    codes = [_a(wh, "gemeente", 0), _a(wh, "buurt", 7)]
    ids = [i.id for i in wh.catalog.indicators[:4]]
    frame = trends(wh, codes, ids, EVERYTHING)
    assert len(frame) == len(codes) * len(ids) * len(wh.years)
    for code in codes:
        for year in wh.years:
            profile = area_profile(wh, code, year, ids, EVERYTHING)
            got = frame[(frame["code"] == code) & (frame["year"] == year)]
            assert got["status"].tolist() == profile["status"].tolist()
            assert np.array_equal(got["value"].to_numpy(), profile["value"].to_numpy(), equal_nan=True)


# --------------------------------------------------------------------------- change


def test_change_is_now_minus_since_in_the_indicators_unit(tiny_warehouse):
    frame = change_view(tiny_warehouse, "buurt", "GM0001", MIS, 2024, 2023, EVERYTHING).set_index("code")
    # BU00010201: 15 and 14 crimes on 1.500 inhabitants -> 10.0 and 9.333 per 1.000
    assert frame.at["BU00010201", "value_now"] == pytest.approx(10.0)
    assert frame.at["BU00010201", "value_since"] == pytest.approx(14 / 1.5)
    assert frame.at["BU00010201", "value"] == pytest.approx(10.0 - 14 / 1.5)
    assert frame.at["BU00010201", "status"] == "ok"
    assert frame.at["BU00010201", "numerator"] == 15 and frame.at["BU00010201", "denominator"] == 1500  # of 2024
    assert frame.at["BU00010200", "status"] == "missing" and pd.isna(frame.at["BU00010200", "value"])
    gemeenten = change_view(tiny_warehouse, "gemeente", "RE02", MIS, 2024, 2023, EVERYTHING)
    assert gemeenten["value"].tolist() == [pytest.approx(0.5)]  # GM0003: 8/2000 - 7/2000 per 1.000


def test_change_keeps_suppressed_areas_suppressed(tiny_warehouse):
    frame = change_view(tiny_warehouse, "buurt", "GM0002", MIS, 2024, 2023, EVERYTHING).set_index("code")
    for code in ("BU00020100", "BU00020101"):  # small, and hidden so that it cannot be recovered
        assert frame.at[code, "status"] == "suppressed"
        assert frame.loc[code, ["value", "value_now", "value_since", "numerator"]].isna().all()


def test_change_status_is_ok_only_when_both_years_are_shown(profile_warehouse):
    wh = profile_warehouse
    frame = change_view(wh, "buurt", "GM0001", MIS, 2024, 2023, EVERYTHING).set_index("code")
    now = wh.map_values("buurt", "GM0001", MIS, 2024, EVERYTHING).set_index("code")["status"]
    then = wh.map_values("buurt", "GM0001", MIS, 2023, EVERYTHING).set_index("code")["status"]
    assert then["BU00010100"] == "missing" and now["BU00010100"] == "ok"
    assert then["BU00010201"] == "suppressed" and now["BU00010201"] == "ok"
    assert frame.at["BU00010100", "status"] == "missing"
    assert frame.at["BU00010201", "status"] == "suppressed"
    assert frame.at["BU00010200", "status"] == "missing"
    for code, row in frame.iterrows():
        pair = {now[code], then[code]}
        expected = "ok" if pair == {"ok"} else "suppressed" if "suppressed" in pair else "missing"
        assert row["status"] == expected and (row["status"] == "ok") == pd.notna(row["value"])
    assert frame.loc[frame["status"] != "ok", "value"].isna().all()
    assert frame.loc[now != "ok", "value_now"].isna().all() and frame.loc[then != "ok", "value_since"].isna().all()


def test_change_rejects_a_base_year_that_is_not_earlier_or_not_there(tiny_warehouse):
    with pytest.raises(ValueError):
        change_view(tiny_warehouse, "buurt", "GM0001", MIS, 2024, 2024, EVERYTHING)
    with pytest.raises(ValueError):
        change_view(tiny_warehouse, "buurt", "GM0001", MIS, 2023, 2024, EVERYTHING)
    with pytest.raises(ValueError):
        change_view(tiny_warehouse, "buurt", "GM0001", MIS, 2024, 2019, EVERYTHING)


# --------------------------------------------------------------------------- standouts


def test_standouts_ranks_by_log_ratio_and_leaves_out_neutral_counts_and_origin(profile_warehouse):
    wh = profile_warehouse
    # every one of the left-out indicators differs from NL, so leaving them out is a real choice
    left_out = ["inwoners", "winkels_per_1000_inwoners", "migratieachtergrond_per_1000_inwoners", "incidenten"]
    profile = area_profile(wh, "GM0003", 2024, left_out, EVERYTHING)
    assert (profile["status"] == "ok").all() and (profile["value"] != profile["nl_value"]).all()

    result = standouts(wh, "GM0003", 2024, EVERYTHING, n=10)
    assert list(result.columns) == STANDOUT_COLUMNS
    # GM0003 against NL (no peer groups in this country): groen 5 vs 40, crimes 4 vs 143/8.5,
    # overlast 6 vs 26/9
    assert result["indicator"].tolist() == ["groen_per_1000_inwoners", MIS, "overlast_per_1000_inwoners"]
    assert result["ratio"].tolist() == pytest.approx([5 / 40, 4 / (143 / 8.5), 6 / (26 / 9)])
    assert result["reference_value"].tolist() == pytest.approx([40, 143 / 8.5, 26 / 9])
    assert result["reference"].tolist() == ["nl"] * 3
    assert result["worse"].tolist() == [True, False, True]  # less green is worse; fewer crimes is not
    assert standouts(wh, "GM0003", 2024, EVERYTHING, n=2)["indicator"].tolist() == result["indicator"].tolist()[:2]


def test_standouts_per_side_take_the_unfavourable_ones_first(profile_warehouse, demo_warehouse):
    wh = profile_warehouse
    # GM0003 (see above): groen worse, crimes better, overlast worse, in that order of distance
    sides = standouts(wh, "GM0003", 2024, EVERYTHING, n=10, per_side=True)
    assert sides["indicator"].tolist() == ["groen_per_1000_inwoners", "overlast_per_1000_inwoners", MIS]
    assert sides["worse"].tolist() == [True, True, False]
    assert standouts(wh, "GM0003", 2024, EVERYTHING, n=1, per_side=True)["indicator"].tolist() == [
        "groen_per_1000_inwoners", MIS]
    # on the demo, where a gemeente's most striking values are often all favourable, the
    # unfavourable ones it has are never crowded out
    year = demo_warehouse.years[-1]
    for code in demo_warehouse.codes("gemeente"):
        ranked = standouts(demo_warehouse, code, year, EVERYTHING, n=100)
        sides = standouts(demo_warehouse, code, year, EVERYTHING, n=3, per_side=True)
        n_worse = min(3, int(ranked["worse"].sum()))
        assert sides["worse"].tolist() == [True] * n_worse + [False] * (len(sides) - n_worse)
        assert sides["indicator"].tolist() == (ranked.loc[ranked["worse"], "indicator"].tolist()[:3]
                                               + ranked.loc[~ranked["worse"], "indicator"].tolist()[:3])


def test_against_reference_judges_by_direction_and_leaves_nothing_to_compare_empty():
    from indicators.catalog import load_catalog

    catalog = load_catalog().for_dataset("cbs")
    profile = pd.DataFrame({"indicator": [MIS] * 4 + ["inwoners"],   # MIS: higher is worse; inwoners: neutral
                            "value": [2.0, 0.5, 2.0, np.nan, 2.0], "status": ["ok", "ok", "ok", "suppressed", "ok"],
                            "peer_value": [1.0, np.nan, np.nan, 1.0, 1.0], "nl_value": [4.0, 1.0, 0.0, 1.0, 1.0]})
    out = against_reference(catalog, profile)
    assert out["reference"].tolist() == ["peers", "nl", "nl", "peers", "peers"]
    assert out["ratio"].tolist()[:2] == [2.0, 0.5] and out["ratio"].isna().tolist()[2:4] == [True, True]
    assert out["worse"].tolist() == [True, False, False, False, False]


def test_standouts_skips_values_that_are_not_shown(tiny_warehouse):
    assert standouts(tiny_warehouse, "BU00020100", 2024, EVERYTHING).empty  # suppressed
    assert standouts(tiny_warehouse, "BU00010200", 2024, EVERYTHING).empty  # missing


def test_standouts_compare_a_gemeente_with_its_peers_and_a_buurt_with_nl(demo_warehouse):
    wh = demo_warehouse
    year = wh.years[-1]
    eligible = {i.id for i in eligible_indicators(wh.catalog.indicators)}
    compared = indicator_comparisons(wh, wh.catalog.indicators[0].id, year)
    gemeente = compared[(compared["level"] == "gemeente") & compared["peer_value"].notna()].index[0]
    for code in (gemeente, _a(wh, "buurt", 30)):
        result = standouts(wh, code, year, EVERYTHING, n=4)
        assert 0 < len(result) <= 4 and set(result["indicator"]) <= eligible
        profile = area_profile(wh, code, year, result["indicator"].tolist(), EVERYTHING)
        has_peers = profile["peer_value"].notna().to_numpy()
        assert result["reference"].tolist() == ["peers" if p else "nl" for p in has_peers]
        assert result["reference_value"].tolist() == profile["peer_value"].where(has_peers, profile["nl_value"]).tolist()
        assert result["value"].tolist() == profile["value"].tolist()
        distance = [abs(math.log(r)) if r > 0 else -1 for r in result["ratio"]]   # a value of 0 comes last
        assert distance == sorted(distance, reverse=True)
        everything = standouts(wh, code, year, EVERYTHING, n=100)
        assert everything["indicator"].tolist()[:4] == result["indicator"].tolist()
        assert (everything["ratio"] == everything["value"] / everything["reference_value"]).all()
        assert (everything["worse"] == (everything["ratio"] > 1)).all()  # all demo indicators: higher is worse
        assert (code == gemeente) == ("peers" in set(everything["reference"]))


# --------------------------------------------------------------------------- composite


def test_composite_breakdown_explains_the_score(demo_warehouse):
    wh = demo_warehouse
    code = _a(wh, "wijk", 5)
    year = wh.years[-1]
    breakdown = composite_breakdown(wh, code, year, scope=EVERYTHING)
    result = composite(wh, "wijk", year)
    assert breakdown.score == result.score[code] and breakdown.level == "wijk"
    assert breakdown.contributions.sum() == pytest.approx(breakdown.score)
    assert breakdown.contributions.notna().all()
    assert set(breakdown.contributions.index) == set(result.contributions.loc[code].dropna().index)
    sizes = breakdown.contributions.abs().tolist()
    assert sizes == sorted(sizes, reverse=True)
    weighted = composite_breakdown(wh, code, year, "z", (("drugs", 3.0),))
    assert weighted.score == composite(wh, "wijk", year, "z", (("drugs", 3.0),)).score[code] != breakdown.score


def test_composite_breakdown_is_none_without_a_score(tiny_warehouse):
    assert composite_breakdown(tiny_warehouse, "BU00029900", 2024) is None  # water
    assert composite_breakdown(tiny_warehouse, "GM0003", 2024) is not None


# --------------------------------------------------------------------------- scope


def test_every_area_read_checks_the_scope(profile_warehouse):
    wh = profile_warehouse
    gm1_only = Scope.inside("GM0001")   # detail inside GM0001; gemeente level and above everywhere
    assert area_profile(wh, "BU00010100", 2024, [MIS], gm1_only)["status"].tolist() == ["ok"]
    assert area_profile(wh, "GM0002", 2024, [MIS], gm1_only)["status"].tolist() == ["ok"]
    assert len(standouts(wh, "NL01", 2024, gm1_only)) > 0
    with pytest.raises(AccessDenied):
        area_profile(wh, "BU00020101", 2024, [MIS], gm1_only)
    with pytest.raises(AccessDenied):
        trends(wh, ["BU00010100", "BU00020101"], [MIS], gm1_only)
    with pytest.raises(AccessDenied):
        change_view(wh, "buurt", "GM0003", MIS, 2024, 2023, gm1_only)
    with pytest.raises(AccessDenied):
        standouts(wh, "WK000201", 2024, gm1_only)
    with pytest.raises(AccessDenied):
        composite_breakdown(wh, "WK000201", 2024, scope=gm1_only)
    assert len(change_view(wh, "gemeente", "RE01", MIS, 2024, 2023, gm1_only)) == 2
    with pytest.raises(NotFound):
        area_profile(wh, "GM9999", 2024, [MIS], EVERYTHING)
    with pytest.raises(KeyError):
        trends(wh, ["GM0001"], ["bestaat_niet"], EVERYTHING)


def test_the_warm_up_computes_what_the_first_profile_of_the_latest_year_needs(tmp_path):
    from data_pipeline.analysis import _indicator_comparisons, warm_up

    path = tmp_path / "w.duckdb"
    build_warehouse(tiny_source(), path)
    with Warehouse(path) as wh:
        _indicator_comparisons.cache_clear()
        warm_up(wh)
        assert _indicator_comparisons.cache_info().currsize == len(wh.catalog.indicators)
        area_profile(wh, "GM0001", wh.years[-1], [i.id for i in wh.catalog.indicators], EVERYTHING)
        info = _indicator_comparisons.cache_info()
        assert info.hits >= len(wh.catalog.indicators) and info.currsize == len(wh.catalog.indicators)
