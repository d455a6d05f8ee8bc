"""Composite score against a hand-computed example.

Four areas A-D, three indicators in two themes:

    theme     indicator               direction          A    B    C    D
    drugs     drugshandel             higher_is_worse    3    9   11   17
    drugs     aangiftebereidheid      higher_is_better  51   43   57   49
    vastgoed  leegstand               higher_is_worse    7    5    6  n.b.

drugshandel: mean 10, deviations -7 -1 1 7, variance (49+1+1+49)/4 = 25, std 5
             -> z = -1.4 -0.2 0.2 1.4
aangiftebereidheid: mean 50, deviations 1 -7 7 -1, variance 25, std 5
             -> z = 0.2 -1.4 1.4 -0.2, flipped (higher is better) -> -0.2 1.4 -1.4 0.2
leegstand: over A-C only (D is missing, not 0): mean 6, deviations 1 -1 0,
             variance 2/3, std sqrt(2/3) -> z = sqrt(1.5) -sqrt(1.5) 0 (sqrt(1.5) = 1.2247...)

theme drugs    = mean of the two: A (-1.4-0.2)/2 = -0.8, B (-0.2+1.4)/2 = 0.6,
                 C (0.2-1.4)/2 = -0.6, D (1.4+0.2)/2 = 0.8
theme vastgoed = A 1.2247, B -1.2247, C 0, D n.b.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from indicators.catalog import Indicator
from indicators.composite import (
    CompositeSpec,
    composite_scores,
    eligible_indicators,
    is_about_origin,
    shrink_toward_parent,
)

R = 1.224744871391589  # sqrt(1.5), by hand: 1 / sqrt(2/3)
CODES = pd.Index(["A", "B", "C", "D"], name="code")


def ind(id: str, theme: str, direction: str = "higher_is_worse", *, denominator: str = "inwoners",
        multiplier: float = 1000.0, min_denominator: float = 50.0, label_nl: str = "", label_en: str = "") -> Indicator:
    return Indicator(id=id, theme=theme, label_nl=label_nl or id, label_en=label_en or id, unit_nl="",
                     unit_en="", numerator="n_" + id, denominator=denominator, multiplier=multiplier,
                     direction=direction, min_denominator=min_denominator, dataset="test", source="Test",
                     table_id="T")


INDICATORS = [ind("drugshandel", "drugs"), ind("aangiftebereidheid", "drugs", "higher_is_better"),
              ind("leegstand", "vastgoed")]


def example_rates() -> pd.DataFrame:
    return pd.DataFrame({"drugshandel": [3.0, 9.0, 11.0, 17.0],
                         "aangiftebereidheid": [51.0, 43.0, 57.0, 49.0],
                         "leegstand": [7.0, 5.0, 6.0, np.nan],
                         "not_in_score": [1.0, 2.0, 3.0, 4.0]}, index=CODES)


def assert_values(series: pd.Series, expected: list[float]) -> None:
    np.testing.assert_allclose(series.to_numpy(dtype=float), expected, rtol=0, atol=1e-12)


def assert_contributions_sum_to_score(result) -> None:
    has_score = result.score.notna()
    assert has_score.any()
    np.testing.assert_allclose(result.contributions[has_score].sum(axis=1, skipna=True),
                               result.score[has_score], rtol=0, atol=1e-9)
    assert result.contributions[~has_score].isna().all().all()


def test_z_scores_theme_scores_and_equal_weight_score():
    result = composite_scores(example_rates(), INDICATORS)

    assert list(result.standardised.columns) == ["drugshandel", "aangiftebereidheid", "leegstand"]
    assert_values(result.standardised["drugshandel"], [-1.4, -0.2, 0.2, 1.4])
    assert_values(result.standardised["aangiftebereidheid"], [-0.2, 1.4, -1.4, 0.2])  # flipped
    assert_values(result.standardised["leegstand"], [R, -R, 0.0, np.nan])  # D stays missing

    assert list(result.theme_scores.columns) == ["drugs", "vastgoed"]
    assert_values(result.theme_scores["drugs"], [-0.8, 0.6, -0.6, 0.8])
    assert_values(result.theme_scores["vastgoed"], [R, -R, 0.0, np.nan])

    # equal weights: A (-0.8 + 1.2247)/2 = 0.21237..., B (0.6 - 1.2247)/2 = -0.31237...,
    # C (-0.6 + 0)/2 = -0.3; D lacks vastgoed, so its score is re-weighted over drugs alone: 0.8
    assert_values(result.score, [0.2123724356957945, -0.3123724356957945, -0.3, 0.8])
    assert_values(result.coverage, [1.0, 1.0, 1.0, 0.5])  # D: weight 1 of 2 had data
    assert result.score.index.equals(CODES)


def test_contributions_are_each_indicators_part_of_the_score():
    result = composite_scores(example_rates(), INDICATORS)
    c = result.contributions
    assert list(c.columns) == ["drugshandel", "aangiftebereidheid", "leegstand"]
    # (w_t / sum of available w) * s_i / (indicators of t with data); e.g. A, drugshandel:
    # (1/2) * -1.4 / 2 = -0.35; D, drugshandel: (1/1) * 1.4 / 2 = 0.7
    assert_values(c.loc["A"], [-0.35, -0.05, R / 2])
    assert_values(c.loc["B"], [-0.05, 0.35, -R / 2])
    assert_values(c.loc["C"], [0.05, -0.35, 0.0])
    assert_values(c.loc["D"], [0.7, 0.1, np.nan])  # no leegstand: not a 0, no contribution
    assert_contributions_sum_to_score(result)


def test_min_coverage_cuts_off_an_area_that_lacks_too_much_weight():
    result = composite_scores(example_rates(), INDICATORS, CompositeSpec(min_coverage=0.6))
    # D's coverage 0.5 < 0.6: no score; the others are unchanged
    assert_values(result.score, [0.2123724356957945, -0.3123724356957945, -0.3, np.nan])
    assert result.coverage["D"] == 0.5
    assert result.contributions.loc["D"].isna().all()
    assert result.theme_scores.loc["D", "drugs"] == pytest.approx(0.8)  # still shown per theme
    assert_contributions_sum_to_score(result)

    at_the_limit = composite_scores(example_rates(), INDICATORS, CompositeSpec(min_coverage=0.5))
    assert at_the_limit.score["D"] == pytest.approx(0.8)


def test_a_missing_indicator_is_left_out_of_its_theme_mean_not_counted_as_zero():
    rates = example_rates()
    rates.loc["C", "aangiftebereidheid"] = np.nan
    result = composite_scores(rates, INDICATORS)
    # drugshandel is unchanged, so C's drugs theme is its drugshandel z alone: 0.2 (not 0.2/2)
    assert result.theme_scores.loc["C", "drugs"] == pytest.approx(0.2)
    # C: (0.2 + 0)/2 = 0.1 with full coverage; contributions 1/2 * 0.2 / 1 = 0.1, n.b., 0
    assert result.score["C"] == pytest.approx(0.1)
    assert result.coverage["C"] == 1.0
    assert_values(result.contributions.loc["C"], [0.1, np.nan, 0.0])
    assert_contributions_sum_to_score(result)


def test_percentile_method():
    result = composite_scores(example_rates(), INDICATORS, CompositeSpec(method="percentile"))
    # drugshandel 3 < 9 < 11 < 17: pct 1/4 2/4 3/4 1 -> (pct - 0.5)*2 = -0.5 0 0.5 1
    assert_values(result.standardised["drugshandel"], [-0.5, 0.0, 0.5, 1.0])
    # aangiftebereidheid, higher is better, so lowest value = most risk: 43 (B) > 49 (D) > 51 (A) > 57 (C)
    assert_values(result.standardised["aangiftebereidheid"], [0.0, 1.0, -0.5, 0.5])
    # leegstand over 3 areas: 5 (B) 6 (C) 7 (A): pct 1/3 2/3 1 -> -1/3 1/3 1
    assert_values(result.standardised["leegstand"], [1.0, -1 / 3, 1 / 3, np.nan])
    # drugs: A -0.25, B 0.5, C 0, D 0.75; score: A (-0.25+1)/2, B (0.5-1/3)/2, C (0+1/3)/2, D 0.75
    assert_values(result.theme_scores["drugs"], [-0.25, 0.5, 0.0, 0.75])
    assert_values(result.score, [0.375, 1 / 12, 1 / 6, 0.75])
    values = result.standardised.to_numpy()
    assert np.nanmin(values) > -1 and np.nanmax(values) <= 1  # in (-1, 1]
    assert_contributions_sum_to_score(result)


def test_higher_is_better_is_flipped():
    as_bad = [INDICATORS[0], ind("aangiftebereidheid", "drugs", "higher_is_worse"), INDICATORS[2]]
    worse = composite_scores(example_rates(), as_bad).standardised["aangiftebereidheid"]
    better = composite_scores(example_rates(), INDICATORS).standardised["aangiftebereidheid"]
    assert_values(worse, [0.2, -1.4, 1.4, -0.2])
    assert_values(better, [-0.2, 1.4, -1.4, 0.2])  # B has the lowest willingness: most risk


def test_user_weights_change_the_ranking():
    equal = composite_scores(example_rates(), INDICATORS)
    assert list(equal.score.sort_values(ascending=False).index) == ["D", "A", "C", "B"]

    drugs_heavy = composite_scores(example_rates(), INDICATORS, CompositeSpec(theme_weights={"drugs": 3}))
    # A (3*-0.8 + 1.2247)/4 = -0.29381..., B (3*0.6 - 1.2247)/4 = 0.14381..., C (3*-0.6 + 0)/4 = -0.45,
    # D 0.8 (drugs alone, coverage 3/4)
    assert_values(drugs_heavy.score, [-0.29381378215210275, 0.14381378215210275, -0.45, 0.8])
    assert_values(drugs_heavy.coverage, [1.0, 1.0, 1.0, 0.75])
    assert list(drugs_heavy.score.sort_values(ascending=False).index) == ["D", "B", "A", "C"]
    # A, drugshandel: (3/4) * -1.4 / 2 = -0.525
    assert drugs_heavy.contributions.loc["A", "drugshandel"] == pytest.approx(-0.525)
    assert_contributions_sum_to_score(drugs_heavy)

    vastgoed_heavy = composite_scores(example_rates(), INDICATORS, CompositeSpec(theme_weights={"vastgoed": 3}))
    assert vastgoed_heavy.coverage["D"] == 0.25  # below the default min_coverage 0.5
    assert math.isnan(vastgoed_heavy.score["D"])


def test_weight_zero_drops_a_theme():
    result = composite_scores(example_rates(), INDICATORS, CompositeSpec(theme_weights={"vastgoed": 0}))
    # score = drugs theme alone; D now has all the (remaining) weight
    assert_values(result.score, [-0.8, 0.6, -0.6, 0.8])
    assert_values(result.coverage, [1.0, 1.0, 1.0, 1.0])
    assert_values(result.contributions["leegstand"], [0.0, 0.0, 0.0, np.nan])
    assert_values(result.theme_scores["vastgoed"], [R, -R, 0.0, np.nan])  # still shown
    assert_contributions_sum_to_score(result)

    with pytest.raises(ValueError, match="all theme weights are 0"):
        composite_scores(example_rates(), INDICATORS, CompositeSpec(theme_weights={"drugs": 0, "vastgoed": 0}))


def test_an_indicator_that_is_the_same_everywhere_standardises_to_zero():
    rates = example_rates().assign(leegstand=[0.1, 0.1, 0.1, np.nan])
    result = composite_scores(rates, INDICATORS)
    assert_values(result.standardised["leegstand"], [0.0, 0.0, 0.0, np.nan])


# Stabilisation: all four areas in wijk WK1 with 10 per 1,000; k = min_denominator = 50.
#   T (tiny):  1 / 50     -> 20 per 1,000; (1 + 50*10/1000) / (50 + 50) * 1000     = 1.5/100 * 1000 = 15
#   L (large): 100 / 5000 -> 20 per 1,000; (100 + 0.5) / (5000 + 50) * 1000 = 100.5/5.05 = 19.90099...
#   M1, M2:    10 / 1000  -> 10 per 1,000; (10 + 0.5) / 1050 * 1000 = 10 (already at the parent's rate)
STAB = pd.Index(["T", "L", "M1", "M2"], name="code")
CRIME = ind("misdrijven", "criminaliteit", min_denominator=50.0)


def stabilisation_inputs():
    return dict(numerators=pd.DataFrame({"misdrijven": [1.0, 100.0, 10.0, 10.0]}, index=STAB),
                denominators=pd.DataFrame({"misdrijven": [50.0, 5000.0, 1000.0, 1000.0]}, index=STAB),
                parent_rates=pd.DataFrame({"misdrijven": [10.0]}, index=pd.Index(["WK1"], name="code")),
                parent_of=pd.Series("WK1", index=STAB))


def stab_rates() -> pd.DataFrame:
    return pd.DataFrame({"misdrijven": [20.0, 20.0, 10.0, 10.0]}, index=STAB)


def test_shrinkage_pulls_a_tiny_area_toward_its_parent_more_than_a_large_one():
    out = shrink_toward_parent(stab_rates(), [CRIME], **stabilisation_inputs())
    assert_values(out["misdrijven"], [15.0, 19.900990099009903, 10.0, 10.0])

    stronger = shrink_toward_parent(stab_rates(), [CRIME], **stabilisation_inputs(), prior_strength=100.0)
    # T with k = 100: (1 + 1) / 150 * 1000 = 13.333...
    assert stronger.loc["T", "misdrijven"] == pytest.approx(40 / 3)
    off = shrink_toward_parent(stab_rates(), [CRIME], **stabilisation_inputs(), prior_strength=0.0)
    assert off.equals(stab_rates())


def test_stabilised_composite_ranks_the_tiny_area_below_the_large_one():
    plain = composite_scores(stab_rates(), [CRIME])
    # unstabilised: 20 20 10 10 -> z = 1 1 -1 -1; T and L look the same
    assert_values(plain.standardised["misdrijven"], [1.0, 1.0, -1.0, -1.0])

    stable = composite_scores(stab_rates(), [CRIME], CompositeSpec(stabilise=True), **stabilisation_inputs())
    z = stable.standardised["misdrijven"]
    # 15, 19.90, 10, 10: T is now between its parent and L
    assert z["M1"] < z["T"] < z["L"]
    assert_contributions_sum_to_score(stable)


def test_shrinkage_keeps_missing_missing_and_skips_what_it_cannot_stabilise():
    codes = pd.Index(["S", "P", "T"], name="code")
    rates = pd.DataFrame({"misdrijven": [np.nan, 20.0, 20.0], "inwoners": [50.0, 50.0, 50.0]}, index=codes)
    count = ind("inwoners", "context", "neutral", denominator="", multiplier=1.0)
    out = shrink_toward_parent(
        rates, [CRIME, count],
        numerators=pd.DataFrame({"misdrijven": [1.0, 1.0, 1.0], "inwoners": [50.0] * 3}, index=codes),
        denominators=pd.DataFrame({"misdrijven": [50.0] * 3, "inwoners": [np.nan] * 3}, index=codes),
        parent_rates=pd.DataFrame({"misdrijven": [10.0, np.nan], "inwoners": [1.0, 1.0]}, index=["WK1", "WK2"]),
        parent_of=pd.Series({"S": "WK1", "P": "WK2", "T": "WK1"}))
    assert math.isnan(out.loc["S", "misdrijven"])  # suppressed stays suppressed
    assert out.loc["P", "misdrijven"] == 20.0  # parent unknown: kept as published
    assert out.loc["T", "misdrijven"] == pytest.approx(15.0)
    assert out["inwoners"].equals(rates["inwoners"])  # counts are never shrunk


def test_stabilising_without_its_inputs_is_an_error():
    with pytest.raises(ValueError, match="stabilising needs"):
        composite_scores(stab_rates(), [CRIME], CompositeSpec(stabilise=True))


def test_ethnicity_or_migration_background_never_enters_a_score():
    origin = ind("migratieachtergrond_pct_inwoners", "sociaal")
    by_label = ind("groep_x_pct_inwoners", "sociaal", label_nl="Inwoners met een niet-westerse herkomst")
    by_english_label = ind("groep_y_pct", "sociaal", label_en="Residents by ethnicity")
    rates = example_rates().assign(**{i.id: [1.0, 2.0, 3.0, 4.0] for i in (origin, by_label, by_english_label)})
    for bad in (origin, by_label, by_english_label):
        assert is_about_origin(bad)
        with pytest.raises(ValueError, match="ethnicity or migration background"):
            composite_scores(rates, [*INDICATORS, bad])
    assert eligible_indicators([*INDICATORS, origin, by_label, by_english_label]) == INDICATORS
    assert not is_about_origin(ind("drugsafval", "drugs", label_nl="Afval afkomstig van drugslabs"))


def test_neutral_indicators_and_counts_do_not_enter_a_score():
    neutral = ind("particuliere_huur", "vastgoed", "neutral")
    count = ind("inwoners", "context", "higher_is_worse", denominator="")
    assert eligible_indicators([neutral, *INDICATORS, count]) == INDICATORS
    rates = example_rates().assign(particuliere_huur=1.0, inwoners=1.0)
    with pytest.raises(ValueError, match="neutral"):
        composite_scores(rates, [*INDICATORS, neutral])
    with pytest.raises(ValueError, match="count"):
        composite_scores(rates, [*INDICATORS, count])


def test_bad_input_is_refused_clearly():
    with pytest.raises(KeyError, match="leegstand"):
        composite_scores(example_rates().drop(columns="leegstand"), INDICATORS)
    with pytest.raises(ValueError, match="method"):
        CompositeSpec(method="mean")
    with pytest.raises(ValueError, match="weight of theme 'drugs'"):
        CompositeSpec(theme_weights={"drugs": -1})
    with pytest.raises(ValueError, match="min_coverage"):
        CompositeSpec(min_coverage=1.5)
    with pytest.raises(ValueError, match="infinite"):
        composite_scores(example_rates().replace(17.0, np.inf), INDICATORS)
    assert hash(CompositeSpec(theme_weights={"drugs": 2})) == hash(CompositeSpec(theme_weights={"drugs": 2.0}))
