"""Disclosure control: primary and complementary suppression, checked by hand and by attack."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from indicators.disclosure import disclose, primary_suppression, recoverable

YEAR = 2024
RATE = pd.DataFrame({"indicator": ["misdrijven"], "min_denominator": [100.0],
                     "min_count": [0.0], "is_count": [False]})
COUNT = pd.DataFrame({"indicator": ["coffeeshops"], "min_denominator": [0.0],
                      "min_count": [3.0], "is_count": [True]})


def tree(buurten: list[str], region: dict[str, str]) -> pd.DataFrame:
    """Areas land -> regio -> gemeente -> wijk -> buurt for the given buurt codes."""
    wijken = sorted({"WK" + b[2:8] for b in buurten})
    gemeenten = sorted({"GM" + w[2:6] for w in wijken})
    rows = [("NL01", "land", None)]
    rows += [(r, "regio", "NL01") for r in sorted(set(region.values()))]
    rows += [(g, "gemeente", region[g]) for g in gemeenten]
    rows += [(w, "wijk", "GM" + w[2:6]) for w in wijken]
    rows += [(b, "buurt", "WK" + b[2:8]) for b in buurten]
    return pd.DataFrame(rows, columns=["code", "level", "parent_code"])


def aggregate(areas: pd.DataFrame, buurt_values: pd.DataFrame) -> pd.DataFrame:
    """Values for every area as ratio of sums over children with data (NaN numerator: missing)."""
    parent = areas.set_index("code")["parent_code"]
    levels = [buurt_values]
    current = buurt_values
    while True:
        with_data = current[current["numerator"].notna()]
        up = with_data.assign(code=with_data["code"].map(parent)).dropna(subset=["code"])
        if up.empty:
            break
        current = (up.groupby(["code", "year", "indicator"], as_index=False)
                   [["numerator", "denominator"]].sum(min_count=1))
        levels.append(current)
    found = pd.concat(levels, ignore_index=True)
    grid = (areas[["code"]].merge(buurt_values[["year", "indicator"]].drop_duplicates(), how="cross"))
    out = grid.merge(found, on=["code", "year", "indicator"], how="left")
    out["status"] = np.where(out["numerator"].isna(), "missing", "ok")
    return out


def buurt_frame(figures: dict[str, tuple[float, float]], indicator: str) -> pd.DataFrame:
    return pd.DataFrame([(code, YEAR, indicator, num, den) for code, (num, den) in figures.items()],
                        columns=["code", "year", "indicator", "numerator", "denominator"])


# The small country. Rate "misdrijven" per buurt: (crimes, inhabitants); minimum 100 inhabitants.
#
# NL01 - RE01 - GM0001 - WK000101: BU00010101 (5, 50) too small, BU00010102 (20, 400), BU00010103 (30, 900)
#                       WK000102: BU00010201 (10, 1000), BU00010202 (12, 1200)
#               GM0002 - WK000201: BU00020101 (3, 80) too small, so WK000201 (3, 80) too
#                        WK000202: BU00020201 (40, 2000), BU00020202 (25, 500)      -> wijk (65, 2500)
#                        WK000203: BU00020301 (60, 3000), BU00020302 (15, 700)      -> wijk (75, 3700)
#      RE02 - GM0003 - WK000301: BU00030101 (4, 60) too small, BU00030102 missing, BU00030103 (8, 800)
FIGURES = {
    "BU00010101": (5, 50), "BU00010102": (20, 400), "BU00010103": (30, 900),
    "BU00010201": (10, 1000), "BU00010202": (12, 1200),
    "BU00020101": (3, 80),
    "BU00020201": (40, 2000), "BU00020202": (25, 500),
    "BU00020301": (60, 3000), "BU00020302": (15, 700),
    "BU00030101": (4, 60), "BU00030102": (np.nan, np.nan), "BU00030103": (8, 800),
}
REGION = {"GM0001": "RE01", "GM0002": "RE01", "GM0003": "RE02"}


@pytest.fixture
def small():
    areas = tree(list(FIGURES), REGION)
    values = aggregate(areas, buurt_frame(FIGURES, "misdrijven"))
    return areas, values


def by_code(frame: pd.DataFrame, column: str) -> dict[str, object]:
    return frame.set_index("code")[column].to_dict()


def test_the_aggregates_are_what_the_comments_say(small):
    _, values = small
    num, den = by_code(values, "numerator"), by_code(values, "denominator")
    assert (num["WK000101"], den["WK000101"]) == (55, 1350)
    assert (num["GM0002"], den["GM0002"]) == (143, 6280)
    assert (num["WK000301"], den["WK000301"]) == (12, 860)
    assert (num["NL01"], den["NL01"]) == (232, 10690)
    assert by_code(values, "status")["BU00030102"] == "missing"


def test_primary_suppression_alone_leaves_the_small_areas_recoverable(small):
    areas, values = small
    primary = primary_suppression(values, RATE)
    assert sorted(primary.loc[primary["status"] == "suppressed", "code"]) == [
        "BU00010101", "BU00020101", "BU00030101", "WK000201"]
    found = recoverable(primary, areas).set_index("code")
    # 55 - 20 - 30 = 5 and 1350 - 400 - 900 = 50; 143 - 65 - 75 = 3 and 6280 - 2500 - 3700 = 80;
    # 12 - 8 = 4 and 860 - 800 = 60 (the missing buurt is not in the sum, so it hides nothing).
    assert found.loc["BU00010101", ["numerator", "denominator"]].tolist() == [5, 50]
    assert found.loc["WK000201", ["numerator", "denominator"]].tolist() == [3, 80]
    assert found.loc["BU00030101", ["numerator", "denominator"]].tolist() == [4, 60]
    assert sorted(found.index) == ["BU00010101", "BU00030101", "WK000201"]
    assert set(found["attack"]) == {"parent minus siblings"}


def test_disclose_suppresses_the_smallest_sibling(small):
    areas, values = small
    out = disclose(values, areas, RATE)
    reason = by_code(out, "reason")
    assert reason["BU00010101"] == "small denominator"
    assert reason["BU00010102"] == "complementary"      # 400 inhabitants < 900
    assert by_code(out, "status")["BU00010103"] == "ok"
    assert recoverable(out, areas).empty


def test_the_differencing_attack_no_longer_works(small):
    areas, values = small
    out = disclose(values, areas, RATE).set_index("code")
    shown = out[out["status"] == "ok"]
    # The attacker subtracts the shown siblings from the shown wijk.
    siblings = [c for c in ["BU00010102", "BU00010103"] if c in shown.index]
    guess_num = shown.loc["WK000101", "numerator"] - shown.loc[siblings, "numerator"].sum()
    guess_den = shown.loc["WK000101", "denominator"] - shown.loc[siblings, "denominator"].sum()
    assert (guess_num, guess_den) == (25, 450)          # the two hidden buurten together
    assert (guess_num, guess_den) != (5, 50)
    # Same attack one level up on the small wijk WK000201 (3, 80) inside GM0002.
    wijken = [c for c in ["WK000202", "WK000203"] if c in shown.index]
    guess = shown.loc["GM0002", "numerator"] - shown.loc[wijken, "numerator"].sum()
    assert guess == 143 - 75 != 3


def test_cascade_from_gemeente_to_wijk_to_buurt(small):
    areas, values = small
    out = disclose(values, areas, RATE)
    reason = by_code(out, "reason")
    # GM0002 shows, WK000201 is too small -> hide the smaller other wijk WK000202 (2500 < 3700).
    assert reason["WK000201"] == "small denominator"
    assert reason["WK000202"] == "complementary"
    # WK000202 hidden while both its buurten show: their sum would give it away -> hide the
    # smaller buurt BU00020202 (500 < 2000).
    assert reason["BU00020202"] == "complementary"
    assert by_code(out, "status")["BU00020201"] == "ok"
    assert by_code(out, "status")["WK000203"] == "ok"


def test_missing_children_do_not_protect(small):
    areas, values = small
    out = disclose(values, areas, RATE)
    assert by_code(out, "status")["BU00030102"] == "missing"
    assert by_code(out, "reason")["BU00030102"] == ""
    assert by_code(out, "reason")["BU00030103"] == "complementary"
    assert by_code(out, "status")["WK000301"] == "ok"


def test_exact_set_of_suppressions(small):
    areas, values = small
    out = disclose(values, areas, RATE)
    hidden = out[out["status"] == "suppressed"]
    assert by_code(hidden, "reason") == {
        "BU00010101": "small denominator", "BU00010102": "complementary",
        "BU00020101": "small denominator", "WK000201": "small denominator",
        "WK000202": "complementary", "BU00020202": "complementary",
        "BU00030101": "small denominator", "BU00030103": "complementary"}
    # Nothing else changes and the figures themselves are left for the caller to blank.
    assert (out["status"] != "suppressed").sum() == len(out) - 8
    pd.testing.assert_series_equal(out["numerator"], values["numerator"])
    assert out.index.equals(values.index)


def test_counts_use_the_count_rule_and_the_count_as_size():
    counts = {"BU00010101": (2, np.nan), "BU00010102": (7, np.nan), "BU00010103": (4, np.nan),
              "BU00010201": (0, np.nan), "BU00010202": (5, np.nan)}
    areas = tree(list(counts), {"GM0001": "RE01"})
    values = aggregate(areas, buurt_frame(counts, "coffeeshops"))
    out = disclose(values, areas, COUNT)
    reason = by_code(out, "reason")
    assert reason["BU00010101"] == "small count"          # 0 < 2 < 3
    assert reason["BU00010103"] == "complementary"        # 4 < 7
    assert reason["BU00010201"] == ""                     # a zero is not a small count
    assert by_code(out, "status")["WK000101"] == "ok"     # 13
    assert recoverable(out, areas).empty
    shown = out[out["status"] == "ok"].set_index("code")
    assert shown.loc["WK000101", "numerator"] - shown.loc["BU00010102", "numerator"] == 6 != 2


def test_primary_reasons_and_precedence():
    values = pd.DataFrame({
        "code": ["BU00010101", "BU00010102", "BU00010103", "BU00010104", "BU00010105"],
        "year": YEAR, "indicator": "misdrijven",
        "numerator": [2.0, 2.0, 0.0, 9.0, np.nan], "denominator": [50.0, 500.0, 500.0, 0.0, np.nan],
        "status": ["ok", "ok", "ok", "ok", "missing"]})
    rules = RATE.assign(min_count=5.0)
    out = primary_suppression(values, rules)
    assert out["reason"].tolist() == ["small denominator", "small count", "", "small denominator", ""]
    assert out["status"].tolist() == ["suppressed", "suppressed", "ok", "suppressed", "missing"]


def test_a_shown_parent_of_one_hidden_child_is_hidden():
    # A wijk with published figures (10, 500) whose only buurt with data is too small.
    areas = pd.DataFrame({"code": ["WK000101", "BU00010101", "BU00010102"],
                          "level": ["wijk", "buurt", "buurt"],
                          "parent_code": [None, "WK000101", "WK000101"]})
    values = pd.DataFrame({"code": areas["code"], "year": YEAR, "indicator": "misdrijven",
                           "numerator": [10.0, 3.0, np.nan], "denominator": [500.0, 50.0, np.nan],
                           "status": ["ok", "ok", "missing"]})
    out = disclose(values, areas, RATE)
    assert out["reason"].tolist() == ["complementary", "small denominator", ""]


def test_recoverable_finds_a_hidden_parent_of_shown_children():
    areas = pd.DataFrame({"code": ["WK000101", "BU00010101", "BU00010102"],
                          "parent_code": [None, "WK000101", "WK000101"]})
    values = pd.DataFrame({"code": areas["code"], "year": YEAR, "indicator": "misdrijven",
                           "numerator": [15.0, 5.0, 10.0], "denominator": [700.0, 200.0, 500.0],
                           "status": ["suppressed", "ok", "ok"]})
    found = recoverable(values, areas)
    assert found[["code", "attack", "numerator", "denominator"]].values.tolist() == [
        ["WK000101", "sum of children", 15.0, 700.0]]


def test_bad_input_is_named():
    areas = tree(["BU00010101"], {"GM0001": "RE01"})
    values = aggregate(areas, buurt_frame({"BU00010101": (1, 200)}, "misdrijven"))
    with pytest.raises(ValueError, match="no disclosure rule"):
        disclose(values, areas, COUNT)
    with pytest.raises(ValueError, match="not in areas"):
        disclose(values.assign(code="BU09990101"), areas, RATE)
    with pytest.raises(ValueError, match="duplicate"):
        disclose(pd.concat([values, values]), areas, RATE)
    with pytest.raises(ValueError, match="unexpected status"):
        disclose(values.assign(status="suppressed"), areas, RATE)
    with pytest.raises(ValueError, match="no numerator"):
        disclose(values.assign(numerator=np.nan), areas, RATE)


# --- a random country ----------------------------------------------------------------------

RULES = pd.concat([RATE, COUNT], ignore_index=True)


def random_country(seed: int, n_gemeenten: int, years=(2023, 2024)):
    """Areas and values: 1-12 wijken per gemeente, 1-8 buurten per wijk, many small buurten."""
    rng = np.random.default_rng(seed)
    region = {f"GM{g:04d}": f"RE{1 + g % 4:02d}" for g in range(1, n_gemeenten + 1)}
    buurten = [f"BU{g:04d}{w:02d}{b:02d}" for g in range(1, n_gemeenten + 1)
               for w in range(rng.integers(1, 13)) for b in range(rng.integers(1, 9))]
    areas = tree(buurten, region)
    frames = []
    for year in years:
        n = len(buurten)
        inhabitants = np.round(rng.lognormal(6.0, 1.3, n))          # median ~400, many < 100
        crimes = rng.binomial(inhabitants.astype(int), 0.05).astype(float)
        missing = rng.random(n) < 0.08
        inhabitants[missing] = crimes[missing] = np.nan
        frames.append(pd.DataFrame({"code": buurten, "year": year, "indicator": "misdrijven",
                                    "numerator": crimes, "denominator": inhabitants}))
        shops = rng.poisson(2.0, n).astype(float)
        shops[rng.random(n) < 0.08] = np.nan
        frames.append(pd.DataFrame({"code": buurten, "year": year, "indicator": "coffeeshops",
                                    "numerator": shops, "denominator": np.nan}))
    return areas, aggregate(areas, pd.concat(frames, ignore_index=True))


def test_random_country_nothing_recoverable_and_every_change_explained():
    areas, values = random_country(seed=11, n_gemeenten=120)
    assert (areas["level"] == "buurt").sum() > 2000
    assert not recoverable(primary_suppression(values, RULES), areas).empty
    out = disclose(values, areas, RULES)

    assert recoverable(out, areas).empty
    was_missing = values["status"] == "missing"
    assert (out["status"] == "missing").equals(was_missing)
    assert (out.loc[was_missing, "reason"] == "").all()
    hidden = out["status"] == "suppressed"
    assert (out.loc[hidden, "reason"] != "").all()
    assert (out.loc[~hidden, "reason"] == "").all()
    primary = primary_suppression(values, RULES)
    assert (out.loc[primary["status"] == "suppressed", "reason"]
            == primary.loc[primary["status"] == "suppressed", "reason"]).all()
    complementary = (out["reason"] == "complementary").sum()
    assert 0 < complementary <= (primary["status"] == "suppressed").sum() * 2


def determined_cells(values: pd.DataFrame, areas: pd.DataFrame) -> list[str]:
    """Hidden cells whose value follows from the shown ones through ANY combination of sums.

    Unknowns are the hidden cells with data; each parent with data gives one equation
    parent - sum(children with data) = 0. A hidden cell is determined exactly when its unit
    vector lies in the row space of the equations restricted to the unknowns.
    """
    parent = areas.set_index("code")["parent_code"]
    data = values[values["status"] != "missing"].set_index("code")
    unknown = list(data.index[data["status"] == "suppressed"])
    column = {code: i for i, code in enumerate(unknown)}
    rows = []
    for code in data.index:
        children = [c for c in data.index if parent.get(c) == code]
        if not children:
            continue
        row = np.zeros(len(unknown))
        for cell, sign in [(code, 1.0)] + [(c, -1.0) for c in children]:
            if cell in column:
                row[column[cell]] += sign
        rows.append(row)
    matrix = np.array(rows).reshape(-1, len(unknown))
    rank = np.linalg.matrix_rank(matrix)
    return [code for code, i in column.items()
            if np.linalg.matrix_rank(np.vstack([matrix, np.eye(len(unknown))[i]])) == rank]


@pytest.mark.parametrize("seed", range(5))
def test_no_combination_of_shown_sums_determines_a_hidden_cell(seed):
    areas, values = random_country(seed=seed, n_gemeenten=6, years=(YEAR,))
    before = primary_suppression(values, RULES)
    out = disclose(values, areas, RULES)
    for indicator in ["misdrijven", "coffeeshops"]:
        primary_only = before[before["indicator"] == indicator]
        # What recoverable reports is really determined (and more is, through several levels).
        found = set(recoverable(primary_only, areas)["code"])
        assert found and found <= set(determined_cells(primary_only, areas))
        assert determined_cells(out[out["indicator"] == indicator], areas) == []
