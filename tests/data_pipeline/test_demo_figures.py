"""Tests for the simulated demo counts (data_pipeline.demo_figures)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shapely
from scipy.spatial import cKDTree

from data_pipeline.demo_figures import DEMO_YEARS, simulate_observations
from geodata.demo import DemoCountry, build_demo_country
from indicators.catalog import load_catalog

SMALL_SCALE = 0.05

# subset -> the variable it is part of
SUBSETS = {
    "woningen_leegstaand": "woningen",
    "woningen_particuliere_huur": "woningen",
    "woningen_snelle_doorverkoop": "woningen",
    "huishoudens_laag_inkomen": "huishoudens",
    "jongeren_verdacht": "jongeren_12_24",
    "inwoners_bijstand": "inwoners_15_64",
    "vestigingen_kasintensief": "vestigingen",
    "vestigingen_nieuw": "vestigingen",
    "inwoners_15_64": "inwoners",
    "jongeren_12_24": "inwoners",
}


@pytest.fixture(scope="module")
def country() -> DemoCountry:
    return build_demo_country()


@pytest.fixture(scope="module")
def observations(country) -> pd.DataFrame:
    return simulate_observations(country)


@pytest.fixture(scope="module")
def wide(observations) -> pd.DataFrame:
    """One row per (code, year), one column per variable."""
    return observations.pivot(index=["code", "year"], columns="variable", values="value")


@pytest.fixture(scope="module")
def small() -> DemoCountry:
    return build_demo_country(seed=3, scale=SMALL_SCALE)


def national_rates(wide: pd.DataFrame, numerator: str, denominator: str) -> pd.Series:
    """Ratio of sums per year over the buurten where both are known."""
    known = wide[[numerator, denominator]].dropna()
    sums = known.groupby(level="year").sum()
    return sums[numerator] / sums[denominator]


# --------------------------------------------------------------------------- shape


def test_long_frame_columns_and_types(observations):
    assert list(observations.columns) == ["code", "year", "variable", "value"]
    assert pd.api.types.is_string_dtype(observations["code"])
    assert pd.api.types.is_string_dtype(observations["variable"])
    assert pd.api.types.is_integer_dtype(observations["year"])
    assert observations["value"].dtype == np.float64


def test_default_variables_are_the_catalog_variables(observations):
    assert set(observations["variable"]) == load_catalog().for_dataset("demo").variables()
    assert set(observations["year"]) == set(DEMO_YEARS)


def test_every_land_buurt_has_every_variable_and_year_once(country, observations):
    land = set(country.buurten.loc[~country.buurten["is_water"], "code"])
    assert set(observations["code"]) == land
    assert not observations.duplicated(["code", "year", "variable"]).any()
    n_variables = len(load_catalog().for_dataset("demo").variables())
    assert len(observations) == len(land) * len(DEMO_YEARS) * n_variables


def test_water_buurten_have_no_rows(country, observations):
    water = set(country.buurten.loc[country.buurten["is_water"], "code"])
    assert water
    assert not observations["code"].isin(water).any()


def test_unknown_variable_is_rejected(small):
    with pytest.raises(ValueError, match="no_such_count"):
        simulate_observations(small, ["inwoners", "no_such_count"])


def test_subset_of_variables_and_years(small):
    obs = simulate_observations(small, ["woningen"], years=[2022])
    assert set(obs["variable"]) == {"woningen"}
    assert set(obs["year"]) == {2022}


# --------------------------------------------------------------------------- determinism


def test_same_country_gives_identical_figures(small):
    pd.testing.assert_frame_equal(simulate_observations(small), simulate_observations(small))


def test_different_seed_gives_different_figures(small):
    other = build_demo_country(seed=4, scale=SMALL_SCALE)
    a = simulate_observations(small, ["inwoners"])["value"].to_numpy()
    b = simulate_observations(other, ["inwoners"])["value"].to_numpy()
    assert len(a) != len(b) or not np.array_equal(a, b)


def test_values_do_not_depend_on_what_else_was_asked(small):
    everything = simulate_observations(small)
    some = simulate_observations(small, ["inwoners_bijstand", "inwoners"], years=[2023])
    expected = everything[everything["variable"].isin(["inwoners_bijstand", "inwoners"])
                          & (everything["year"] == 2023)]
    key = ["variable", "code"]
    pd.testing.assert_frame_equal(some.sort_values(key, ignore_index=True),
                                  expected.sort_values(key, ignore_index=True))


# --------------------------------------------------------------------------- plausibility


def test_population_is_heavy_tailed_with_small_buurten(wide):
    inwoners = wide["inwoners"].xs(2024, level="year")
    assert 800 <= inwoners.median() <= 1_200
    assert 5_000 <= inwoners.max() <= 15_000
    assert (inwoners < 100).mean() >= 0.03
    assert 1 <= (inwoners <= 20).sum() <= 100


def test_counts_are_non_negative_integers_except_land_area(observations):
    known = observations.dropna(subset=["value"])
    assert (known["value"] >= 0).all()
    counts = known.loc[known["variable"] != "land_km2", "value"]
    assert (counts == np.round(counts)).all()


def test_land_area_is_the_polygon_area(country, wide):
    area = country.buurten.set_index("code").area / 1e6
    land_km2 = wide["land_km2"].xs(2024, level="year")
    np.testing.assert_allclose(land_km2.to_numpy(), area[land_km2.index].to_numpy(), rtol=1e-9)


@pytest.mark.parametrize(("subset", "total"), SUBSETS.items())
def test_subsets_never_exceed_their_total(wide, subset, total):
    both = wide[[subset, total]].dropna()
    assert len(both) > 0
    assert (both[subset] <= both[total]).all()


def test_households_and_businesses_scale_with_population(wide):
    sums = wide.xs(2024, level="year").sum()
    assert 0.35 <= sums["huishoudens"] / sums["inwoners"] <= 0.55
    assert 0.9 <= sums["woningen"] / sums["huishoudens"] <= 1.2
    assert 0.05 <= sums["vestigingen"] / sums["inwoners"] <= 0.2


def test_population_grows_slowly(wide):
    totals = wide["inwoners"].groupby(level="year").sum()
    growth = totals[DEMO_YEARS[-1]] / totals[DEMO_YEARS[0]] - 1
    assert 0 < growth < 0.1


# --------------------------------------------------------------------------- missing values


def test_low_income_is_missing_for_small_household_counts(wide):
    small_hh = wide["huishoudens"] < 50
    assert small_hh.any()
    assert wide.loc[small_hh, "huishoudens_laag_inkomen"].isna().all()


def test_some_values_are_withheld_as_nan(observations, wide):
    missing = observations.groupby("variable")["value"].apply(lambda v: v.isna().mean())
    assert missing["inwoners"] == 0 and missing["woningen"] == 0
    secret = missing[["woningen_leegstaand", "vestigingen_kasintensief", "inwoners_bijstand"]]
    assert secret.between(0.005, 0.03).all()
    # Missing is never silently zero: withheld cells are NaN while their denominators exist.
    withheld = wide["woningen_leegstaand"].isna()
    assert (wide.loc[withheld, "woningen"] > 0).any()


def test_a_year_of_police_figures_is_missing_in_a_few_buurten(wide):
    missing_years = wide["misdrijven_totaal"].isna().groupby(level="code").sum()
    gaps = missing_years[missing_years > 0]
    assert 1 <= len(gaps) <= 0.01 * len(missing_years)
    assert (gaps == 1).all()


# --------------------------------------------------------------------------- patterns


def neighbour_correlation(country: DemoCountry, wide: pd.DataFrame, numerator: str,
                          denominator: str, min_denominator: float, k: int = 6) -> float:
    """Correlation of a buurt's rate with the mean rate of its ``k`` nearest neighbours."""
    year = wide.xs(DEMO_YEARS[-1], level="year")
    ok = (year[denominator] >= min_denominator) & year[numerator].notna()
    rate = (year.loc[ok, numerator] / year.loc[ok, denominator]).to_numpy()
    points = country.buurten.set_index("code").geometry.representative_point()
    xy = shapely.get_coordinates(points[year.index[ok]].to_numpy())
    _, nearest = cKDTree(xy).query(xy, k=k + 1)
    return float(np.corrcoef(rate, rate[nearest[:, 1:]].mean(axis=1))[0, 1])


def test_rates_cluster_in_space(country, wide):
    correlations = {
        ind.id: neighbour_correlation(country, wide, ind.numerator, ind.denominator,
                                      max(ind.min_denominator, 100 if ind.denominator != "land_km2" else 0.5))
        for ind in load_catalog().for_dataset("demo").indicators
    }
    assert max(correlations.values()) > 0.3
    assert sum(r > 0.3 for r in correlations.values()) >= 5, correlations


def test_rates_differ_between_gemeenten(wide):
    year = wide.xs(DEMO_YEARS[-1], level="year")
    sums = year[["misdrijven_totaal", "inwoners"]].dropna().groupby(lambda code: code[2:6]).sum()
    rate = sums["misdrijven_totaal"] / sums["inwoners"]
    assert rate.quantile(0.9) / rate.quantile(0.1) > 1.5


def test_drugs_trafficking_rises_and_burglary_falls(wide):
    drugs = national_rates(wide, "misdrijven_drugshandel", "inwoners")
    assert abs(drugs[DEMO_YEARS[-1]] / drugs[DEMO_YEARS[0]] - 1) > 0.10
    assert drugs[DEMO_YEARS[-1]] > drugs[DEMO_YEARS[0]]
    burglary = national_rates(wide, "woninginbraken", "woningen")
    assert burglary[DEMO_YEARS[-1]] < 0.9 * burglary[DEMO_YEARS[0]]


# --------------------------------------------------------------------------- small scale


def test_small_scale_works(small):
    obs = simulate_observations(small)
    land = (~small.buurten["is_water"]).sum()
    assert len(obs) == land * len(DEMO_YEARS) * len(load_catalog().for_dataset("demo").variables())
    assert obs["value"].notna().mean() > 0.95
