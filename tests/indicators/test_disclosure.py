"""Disclosure control: primary suppression, protection intervals, and the attacks on them.

The ranges of :func:`intervals` are checked against a linear program (the attacker's best
bounds, by scipy) on random small countries, and :func:`disclose` against both.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linprog

from indicators.disclosure import PROTECTION_WIDTH, disclose, exposures, intervals, primary_suppression

YEAR = 2024
OPEN = {"inwoners"}
RATE = pd.DataFrame({"indicator": ["misdrijven"], "numerator": ["crimes"], "denominator": ["inwoners"],
                     "min_denominator": [100.0], "min_count": [0.0]})
COUNT = pd.DataFrame({"indicator": ["coffeeshops"], "numerator": ["shops"], "denominator": [""],
                      "min_denominator": [0.0], "min_count": [3.0]})


def tree(buurten: list[str], wijken_without_buurten: tuple[str, ...] = ()) -> pd.DataFrame:
    """Areas land -> regio -> gemeente -> wijk -> buurt for the given buurt codes."""
    wijken = sorted({"WK" + b[2:8] for b in buurten} | set(wijken_without_buurten))
    gemeenten = sorted({"GM" + w[2:6] for w in wijken})
    rows = [("NL01", "land", None), ("RE01", "regio", "NL01")]
    rows += [(g, "gemeente", "RE01") for g in gemeenten]
    rows += [(w, "wijk", "GM" + w[2:6]) for w in wijken]
    rows += [(b, "buurt", "WK" + b[2:8]) for b in buurten]
    return pd.DataFrame(rows, columns=["code", "level", "parent_code"])


def aggregate(areas: pd.DataFrame, leaves: pd.DataFrame) -> pd.DataFrame:
    """Values for every area as sums over children with data (NaN numerator: missing).
    ``leaves`` holds the figures of buurten and of wijken without buurten."""
    parent = areas.set_index("code")["parent_code"]
    level = areas.set_index("code")["level"]
    found = [leaves]
    for child_level in ("buurt", "wijk", "gemeente", "regio"):
        current = pd.concat(found)
        current = current[current["code"].map(level).eq(child_level) & current["numerator"].notna()]
        up = current.assign(code=current["code"].map(parent))
        found.append(up.groupby(["code", "year", "indicator"], as_index=False)[["numerator", "denominator"]]
                     .sum(min_count=1))
    values = pd.concat(found, ignore_index=True).drop_duplicates(["code", "year", "indicator"])
    grid = areas[["code"]].merge(leaves[["year", "indicator"]].drop_duplicates(), how="cross")
    out = grid.merge(values, on=["code", "year", "indicator"], how="left")
    out["status"] = np.where(out["numerator"].isna(), "missing", "ok")
    return out


def leaves(figures: dict[str, tuple[float, float]], indicator: str = "misdrijven", year: int = YEAR) -> pd.DataFrame:
    return pd.DataFrame([(code, year, indicator, num, den) for code, (num, den) in figures.items()],
                        columns=["code", "year", "indicator", "numerator", "denominator"])


def publish(checked: pd.DataFrame) -> pd.DataFrame:
    """What the product stores: no number for a value that is not shown."""
    out = checked.copy()
    hidden = out["status"] != "ok"
    out.loc[hidden, ["numerator", "denominator"]] = np.nan
    return out


def by_code(frame: pd.DataFrame, column: str, indicator: str | None = None) -> dict:
    rows = frame if indicator is None else frame[frame["indicator"] == indicator]
    return rows.set_index("code")[column].to_dict()


# --- primary suppression -------------------------------------------------------------------------

def test_primary_reasons_precedence_and_levels():
    areas = tree(["BU00010101", "BU00010102", "BU00010103", "BU00010104"])
    values = aggregate(areas, leaves({"BU00010101": (5, 50), "BU00010102": (0, 0), "BU00010103": (2, 400),
                                      "BU00010104": (np.nan, np.nan)}))
    values["level"] = values["code"].map(areas.set_index("code")["level"])
    rules = RATE.assign(min_count=3.0)
    out = primary_suppression(values, rules, OPEN).set_index("code")
    assert out.at["BU00010101", "reason"] == "small denominator"      # 50 < 100 (and 5 is no small count)
    assert out.at["BU00010102", "reason"] == "small denominator"      # a denominator of 0: no rate
    assert out.at["BU00010103", "reason"] == "small count"            # 0 < 2 < 3
    assert out.at["BU00010104", "status"] == "missing" and out.at["BU00010104", "reason"] == ""
    # the gemeente (7 crimes, 450 inhabitants) and everything above are never hidden for their size
    assert (out.loc[["GM0001", "RE01", "NL01"], "status"] == "ok").all()


def test_a_gemeente_too_small_for_the_rule_is_still_shown_exactly():
    areas = tree(["BU00010101", "BU00010102"])
    values = aggregate(areas, leaves({"BU00010101": (1, 30), "BU00010102": (1, 40)}))
    out = disclose(values, areas, RATE.assign(min_count=3.0), OPEN).set_index("code")
    assert out.at["GM0001", "status"] == "ok" and out.at["GM0001", "numerator"] == 2
    assert out.loc[["BU00010101", "BU00010102"], "status"].eq("suppressed").all()


def test_values_of_open_variables_only_are_never_hidden_for_their_size():
    areas = tree(["BU00010101", "BU00010102"])
    rules = pd.DataFrame({"indicator": ["inwoners"], "numerator": ["inwoners"], "denominator": [""],
                          "min_denominator": [0.0], "min_count": [100.0]})
    values = aggregate(areas, leaves({"BU00010101": (40, np.nan), "BU00010102": (900, np.nan)}, "inwoners"))
    assert disclose(values, areas, rules, OPEN)["status"].eq("ok").all()
    assert primary_suppression(values.assign(level="buurt"), rules, set())["status"].eq("suppressed").any()


# --- protection -----------------------------------------------------------------------------------

# GM0001 - WK000101: BU00010101 (5, 50) too small, BU00010102 (10, 500), BU00010103 (20, 1000)
#          WK000102: BU00010201 (12, 1400)
def small_country():
    buurten = {"BU00010101": (5, 50), "BU00010102": (10, 500), "BU00010103": (20, 1000), "BU00010201": (12, 1400)}
    areas = tree(list(buurten))
    return areas, aggregate(areas, leaves(buurten))


def test_the_smallest_sibling_that_gives_a_wide_enough_range_is_hidden():
    areas, values = small_country()
    out = disclose(values, areas, RATE, OPEN)
    assert by_code(out, "reason") == {
        "NL01": "", "RE01": "", "GM0001": "", "WK000101": "", "WK000102": "",
        "BU00010101": "small denominator", "BU00010102": "protection", "BU00010103": "", "BU00010201": ""}
    found = intervals(publish(out), areas, RATE, OPEN).set_index("code")
    # the attacker knows the two hidden buurten share 35 - 20 = 15 crimes, no more
    assert found.loc[["BU00010101", "BU00010102"], ["low", "high"]].values.tolist() == [[0, 15], [0, 15]]
    assert (found["attack"] == "").all()


def test_a_remainder_below_the_width_takes_a_sibling_that_closes_the_gap():
    # WK000101 = 1 + 0 + 9 + 4: hiding the small buurt with the zero leaves a remainder of 1 < 3;
    # the buurt of 4 closes the gap (the 9 would too, but hides more).
    buurten = {"BU00010101": (1, 50), "BU00010102": (0, 300), "BU00010103": (9, 900), "BU00010104": (4, 400),
               "BU00010201": (30, 2000)}
    areas = tree(list(buurten))
    out = disclose(aggregate(areas, leaves(buurten)), areas, RATE, OPEN)
    hidden = {c for c, s in by_code(out, "status").items() if s == "suppressed"}
    assert hidden == {"BU00010101", "BU00010102", "BU00010104"} or hidden == {"BU00010101", "BU00010104"}
    assert "BU00010103" not in hidden
    found = intervals(publish(out), areas, RATE, OPEN)
    assert (found["high"] - found["low"] >= PROTECTION_WIDTH).all()


def test_a_hidden_only_buurt_hides_its_wijk_and_a_sibling_wijk():
    # WK000101 has one buurt, too small: it equals its wijk, so the wijk goes too, and then the
    # gemeente minus WK000102 would give the wijk: WK000102 is hidden with a buurt of it.
    buurten = {"BU00010101": (4, 60), "BU00010201": (10, 900), "BU00010202": (6, 600)}
    areas = tree(list(buurten))
    out = disclose(aggregate(areas, leaves(buurten)), areas, RATE, OPEN)
    status = by_code(out, "status")
    assert status["GM0001"] == "ok"
    assert status["WK000101"] == status["WK000102"] == "suppressed"
    assert status["BU00010202"] == "suppressed" and status["BU00010201"] == "ok"
    found = intervals(publish(out), areas, RATE, OPEN).set_index("code")
    assert (found["attack"] == "").all()
    # gemeente 20, shown buurt 10: the pool of 10 is shared by the two hidden wijken
    assert found.loc["WK000102", ["low", "high"]].tolist() == [10, 20]


# --- the planted attacks: found in unprotected tables, closed by protection ------------------------

def test_zero_remainder_is_found_and_then_protected():
    # WK000101 has 5 cases; its one shown buurt has 5, so both hidden buurten are 0.
    buurten = {"BU00010101": (0, 53), "BU00010102": (0, 70), "BU00010103": (5, 800), "BU00010201": (7, 900)}
    areas = tree(list(buurten))
    values = aggregate(areas, leaves(buurten))
    primary = primary_suppression(values.assign(level=values["code"].map(areas.set_index("code")["level"])),
                                  RATE, OPEN).drop(columns="level")
    found = exposures(publish(primary), areas, RATE, OPEN).set_index("code")
    assert found.loc[["BU00010101", "BU00010102"], ["low", "high"]].values.tolist() == [[0, 0], [0, 0]]
    assert set(found["attack"]) == {"narrow remainder"}
    protected = disclose(values, areas, RATE, OPEN)
    assert exposures(publish(protected), areas, RATE, OPEN).empty
    assert by_code(protected, "status")["BU00010103"] == "suppressed"


def test_a_shared_secret_denominator_is_found_and_then_hidden_under_both_indicators():
    # Two rates over the same secret variable "clients": hidden under A (a small count) but
    # shown under B, its value would be published anyway.
    rules = pd.DataFrame({"indicator": ["a", "b"], "numerator": ["fraud", "debts"], "denominator": ["clients", "clients"],
                          "min_denominator": [10.0, 10.0], "min_count": [3.0, 0.0]})
    figures = {"BU00010101": [(1, 80), (9, 80)], "BU00010102": [(6, 90), (7, 90)], "BU00010103": [(8, 70), (3, 70)],
               "BU00010201": [(9, 300), (20, 300)]}
    areas = tree(list(figures))
    frames = [leaves({c: f[i] for c, f in figures.items()}, ind) for i, ind in enumerate(["a", "b"])]
    values = aggregate(areas, pd.concat(frames, ignore_index=True))
    with_level = values.assign(level=values["code"].map(areas.set_index("code")["level"]))
    primary = primary_suppression(with_level, rules, set()).drop(columns="level")
    found = exposures(publish(primary), areas, rules, set())
    shared = found[found["attack"] == "shown under another indicator"]
    assert set(zip(shared["code"], shared["indicator"], shared["variable"])) == {("BU00010101", "a", "clients")}
    protected = disclose(values, areas, rules, set())
    status = protected.set_index(["code", "indicator"])["status"]
    assert status[("BU00010101", "a")] == status[("BU00010101", "b")] == "suppressed"
    assert exposures(publish(protected), areas, rules, set()).empty


def test_a_change_between_years_is_found_when_it_reaches_into_a_hidden_year():
    # 2023 shown (4 crimes), 2024 hidden (2 crimes, below min_count): a change of -2 gives it away.
    areas = tree(["BU00010101", "BU00010102", "BU00010103", "BU00010201"])
    years = [leaves({"BU00010101": (n, 400), "BU00010102": (12, 500), "BU00010103": (15, 600),
                     "BU00010201": (30, 900)}, year=y) for y, n in ((2023, 4), (2024, 2))]
    values = aggregate(areas, pd.concat(years, ignore_index=True))
    rules = RATE.assign(min_count=3.0)
    protected = disclose(values, areas, rules, OPEN)
    published = publish(protected)
    assert exposures(published, areas, rules, OPEN).empty
    wide = values.pivot(index=["code", "indicator"], columns="year", values="numerator")
    naive = pd.DataFrame({"code": wide.index.get_level_values(0), "indicator": wide.index.get_level_values(1),
                          "year": 2024, "since": 2023, "value": (wide[2024] - wide[2023]).to_numpy()})
    found = exposures(published, areas, rules, OPEN, changes=naive)
    assert "BU00010101" in set(found.loc[found["attack"] == "change since", "code"])
    # a change only where both years are shown leaves nothing to find
    shown = published.pivot(index=["code", "indicator"], columns="year", values="numerator")
    honest = naive.assign(value=(shown[2024] - shown[2023]).to_numpy())
    assert exposures(published, areas, rules, OPEN, changes=honest).empty


# --- exactness against a linear program, on random small countries --------------------------------

def random_country(rng):
    buurten, wijken_alone, figures = [], [], {}
    for g in range(1, rng.integers(2, 4)):
        for w in range(1, rng.integers(2, 5)):
            wijk = f"{g:04d}{w:02d}"
            n = rng.integers(0, 5)
            if n == 0:
                wijken_alone.append("WK" + wijk)
                figures["WK" + wijk] = (float(rng.poisson(4)), float(rng.integers(20, 900)))
            for b in range(1, n + 1):
                code = f"BU{wijk}{b:02d}"
                buurten.append(code)
                figures[code] = (float(rng.poisson(rng.choice([0.5, 2, 8]))), float(rng.integers(20, 700)))
    areas = tree(buurten, tuple(wijken_alone))
    return areas, aggregate(areas, leaves(figures))


def lp_bounds(published: pd.DataFrame, areas: pd.DataFrame) -> dict[str, tuple[float, float]]:
    """min and max of every hidden wijk/buurt numerator given the shown ones, sums and x >= 0."""
    values = published.set_index("code")
    level = areas.set_index("code")["level"]
    hidden = [c for c in values.index if values.at[c, "status"] == "suppressed" and level[c] in ("wijk", "buurt")]
    col = {c: i for i, c in enumerate(hidden)}
    rows, rhs = [], []
    for parent in values.index[values["status"] != "missing"]:
        kids = [k for k in areas.loc[areas["parent_code"] == parent, "code"] if values.at[k, "status"] != "missing"]
        if not kids:
            continue
        row, total = np.zeros(len(hidden)), 0.0
        for cell, sign in [(parent, 1.0)] + [(k, -1.0) for k in kids]:
            if cell in col:
                row[col[cell]] += sign
            else:
                total -= sign * values.at[cell, "numerator"]
        rows.append(row)
        rhs.append(total)
    out = {}
    for c, i in col.items():
        ends = []
        for direction in (1.0, -1.0):
            objective = np.zeros(len(hidden))
            objective[i] = direction
            res = linprog(objective, A_eq=np.array(rows), b_eq=np.array(rhs), bounds=(0, None), method="highs")
            assert res.status == 0
            ends.append(direction * res.fun)
        out[c] = (ends[0], ends[1])
    return out


@pytest.mark.parametrize("seed", range(int(__import__("os").environ.get("SEEDS", "12"))))
def test_intervals_are_the_attackers_exact_bounds_for_any_hidden_pattern(seed):
    rng = np.random.default_rng(seed)
    areas, values = random_country(rng)
    level = values["code"].map(areas.set_index("code")["level"])
    hide = level.isin(["wijk", "buurt"]) & values["status"].eq("ok") & (rng.random(len(values)) < 0.4)
    published = publish(values.assign(status=values["status"].where(~hide, "suppressed")))
    found = intervals(published, areas, RATE, OPEN).set_index("code")
    expected = lp_bounds(published, areas)
    assert set(found.index) == set(expected)
    for code, (low, high) in expected.items():
        assert found.at[code, "low"] == pytest.approx(low, abs=1e-6), code
        assert found.at[code, "high"] == pytest.approx(high, abs=1e-6), code


@pytest.mark.parametrize("seed", range(int(__import__("os").environ.get("SEEDS", "12"))))
def test_disclose_leaves_every_hidden_cell_a_wide_enough_range(seed):
    rng = np.random.default_rng(100 + seed)
    areas, values = random_country(rng)
    rules = RATE.assign(min_count=3.0, min_denominator=150.0)
    out = disclose(values, areas, rules, OPEN)
    published = publish(out)
    assert exposures(published, areas, rules, OPEN).empty
    level = areas.set_index("code")["level"]
    parent = areas.set_index("code")["parent_code"]
    truth = values.set_index("code")["numerator"]
    with_data = values.set_index("code")["status"].eq("ok")
    children = with_data.groupby(parent).sum()
    for code, (low, high) in lp_bounds(published, areas).items():
        assert low - 1e-9 <= truth[code] <= high + 1e-9
        wijk = code if level[code] == "wijk" else parent[code]
        pinned = children.get(parent[wijk], 0) == 1 and (level[code] == "wijk" or children.get(wijk, 0) == 1)
        needed = 0 if pinned else min(PROTECTION_WIDTH, truth[parent[wijk]])
        assert high - low >= needed - 1e-9, code
    # shown values are the true ones; the gemeente and above are all shown
    shown = out["status"] == "ok"
    assert (out.loc[shown, "numerator"] == values.loc[shown, "numerator"]).all()
    assert out.loc[values["code"].map(level).isin(["gemeente", "regio", "land"]), "status"].isin(["ok", "missing"]).all()


# --- bad input ------------------------------------------------------------------------------------

def test_bad_input_is_refused_with_a_message():
    areas, values = small_country()
    with pytest.raises(ValueError, match="unexpected status"):
        disclose(values.assign(status="shown"), areas, RATE, OPEN)
    with pytest.raises(ValueError, match="no disclosure rule"):
        disclose(values.assign(indicator="other"), areas, RATE, OPEN)
    with pytest.raises(ValueError, match="not in areas"):
        disclose(values, areas[areas["code"] != "BU00010101"], RATE, OPEN)
    with pytest.raises(ValueError, match="duplicate"):
        disclose(pd.concat([values, values.head(1)]), areas, RATE, OPEN)
    broken = values.copy()
    broken.loc[broken["code"] == "BU00010102", "denominator"] = np.nan
    with pytest.raises(ValueError, match="no denominator"):
        disclose(broken, areas, RATE, OPEN)
