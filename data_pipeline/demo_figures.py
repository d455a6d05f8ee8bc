"""Simulated buurt-level counts for the synthetic demo country.

:func:`simulate_observations` turns a :class:`geodata.demo.DemoCountry` into the count
variables the indicator catalog needs, per land buurt and year, as a long frame. The
figures are made up but behave like the real ones:

* population is heavy-tailed and tied to urbanity; households, dwellings, age groups and
  businesses follow from it with noise and slow growth;
* each numerator is a binomial draw (when it is a subset of its denominator) or a Poisson
  draw from a rate ``base * exp(loadings . latent fields + urbanity effect + noise)``. The
  latent fields are smooth sums of Gaussian bumps over the country, so maps show clusters
  at buurt, wijk and gemeente level;
* some indicators trend: drugs-related ones rise, faster in two hotspot clusters, and
  burglary falls nationally;
* missing values are NaN, never 0: low-income households where a buurt has fewer than 50
  households, about 1.5% of values of some variables (like CBS secrecy), and one year of
  police figures in a few buurten. Water-only buurten have no rows at all.

Draws for a year come from a generator seeded by ``(country.seed, year)`` and every
variable is always simulated, so a value does not depend on which variables or years
were asked for.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely

from geodata.demo import DemoCountry
from indicators.catalog import load_catalog

DEMO_YEARS = (2020, 2021, 2022, 2023, 2024)

DENOMINATORS = ("inwoners", "huishoudens", "woningen", "inwoners_15_64", "jongeren_12_24",
                "vestigingen", "land_km2")

_STREAM = 47018            # separates these draws from the geometry's random stream
_N_FIELDS = 4              # latent fields: deprivation, drug economy, crime, property market
_SECRECY_SHARE = 0.015     # share of values withheld for the variables in _SECRET
_MIN_HOUSEHOLDS_INCOME = 50
_POLICE_GAP_SHARE = 0.003  # buurten that miss one year of police figures
_POLICE_GAP_VARIABLES = ("misdrijven_totaal", "woninginbraken")


@dataclass(frozen=True)
class _Rate:
    """How one numerator is drawn from its denominator.

    ``base`` is the rate per unit of the denominator per year; ``loadings`` act on the
    standardised latent fields (deprivation, drug economy, crime, property market);
    ``urban`` on urbanity; ``noise`` is the sd of a persistent buurt effect, all on the log
    scale. The fields and noise raise the national rate to about 1.4 x ``base``. ``trend`` is the national log-change per year and ``hotspot`` the extra
    log-change per year at the centre of the hotspot clusters.
    """

    denominator: str
    base: float
    subset: bool                      # binomial (part of the denominator) or Poisson
    loadings: tuple[float, float, float, float]
    urban: float
    noise: float = 0.25
    trend: float = 0.0
    hotspot: float = 0.0


NUMERATORS: dict[str, _Rate] = {
    "misdrijven_totaal": _Rate("inwoners", 0.030, False, (0.25, 0.0, 0.35, 0.1), 1.0, trend=-0.02),
    "misdrijven_drugshandel": _Rate("inwoners", 0.00022, False, (0.3, 0.3, 0.2, 0.0), 0.8,
                                    trend=0.04, hotspot=0.15),
    "meldingen_drugsoverlast": _Rate("inwoners", 0.0021, False, (0.35, 0.1, 0.3, 0.0), 0.9,
                                     trend=0.02, hotspot=0.10),
    "dumpingen_drugsafval": _Rate("land_km2", 0.0028, False, (0.0, 0.8, 0.1, 0.0), -1.5,
                                  trend=0.06, hotspot=0.2),
    "jongeren_verdacht": _Rate("jongeren_12_24", 0.0135, True, (0.45, 0.15, 0.25, 0.0), 0.5,
                               trend=-0.02, hotspot=0.05),
    "woningen_particuliere_huur": _Rate("woningen", 0.081, True, (0.1, 0.0, 0.0, 0.4), 1.2, trend=0.01),
    "woningen_leegstaand": _Rate("woningen", 0.03, True, (0.3, 0.1, 0.0, 0.1), -0.2),
    "woningen_snelle_doorverkoop": _Rate("woningen", 0.0013, True, (0.2, 0.35, 0.0, 0.35), 0.3, hotspot=0.08),
    "vestigingen_kasintensief": _Rate("vestigingen", 0.06, True, (0.35, 0.25, 0.1, 0.0), 0.6, hotspot=0.03),
    "vestigingen_nieuw": _Rate("vestigingen", 0.08, True, (0.0, 0.0, 0.0, 0.35), 0.3, trend=0.02),
    "verdachte_transacties": _Rate("inwoners", 0.0034, False, (0.2, 0.3, 0.0, 0.3), 0.7,
                                   trend=0.06, hotspot=0.08),
    "huishoudens_laag_inkomen": _Rate("huishoudens", 0.051, True, (0.6, 0.0, 0.0, 0.0), 0.6, trend=-0.01),
    "inwoners_bijstand": _Rate("inwoners_15_64", 0.02, True, (0.6, 0.0, 0.05, 0.0), 0.8, trend=-0.01),
    "woninginbraken": _Rate("woningen", 0.002, False, (0.1, 0.0, 0.4, 0.0), 0.4, trend=-0.08),
    "explosies_brandstichting": _Rate("inwoners", 0.00011, False, (0.3, 0.2, 0.3, 0.0), 0.8,
                                      trend=0.03, hotspot=0.15),
}
VARIABLES: tuple[str, ...] = DENOMINATORS + tuple(NUMERATORS)

# Numerators of which CBS-like secrecy withholds a random share of values.
_SECRET = ("jongeren_verdacht", "woningen_leegstaand", "woningen_snelle_doorverkoop",
           "vestigingen_kasintensief", "huishoudens_laag_inkomen", "inwoners_bijstand")


def simulate_observations(country: DemoCountry, variables: Iterable[str] | None = None,
                          years: Sequence[int] = DEMO_YEARS) -> pd.DataFrame:
    """Simulated counts per land buurt, year and variable.

    Parameters
    ----------
    country : DemoCountry
        The demo country from :func:`geodata.demo.build_demo_country`.
    variables : iterable of str, optional
        Variables to return; default every variable of the indicator catalog. Unknown
        names raise ``ValueError``.
    years : sequence of int
        The years to simulate.

    Returns
    -------
    pandas.DataFrame
        Long frame with columns ``code`` (buurt code), ``year`` (int), ``variable`` and
        ``value`` (float64; integer counts except ``land_km2``; NaN is missing), ordered
        by variable (in the order of ``VARIABLES``), year and code. Water-only buurten have
        no rows.

    Examples
    --------
    >>> from geodata.demo import build_demo_country
    >>> obs = simulate_observations(build_demo_country(scale=0.02), ["inwoners"], [2024])
    >>> list(obs.columns), bool((obs["value"] >= 0).all())
    (['code', 'year', 'variable', 'value'], True)
    """
    wanted = _check_variables(variables)
    years = [int(y) for y in years]
    land = country.buurten.loc[~country.buurten["is_water"].to_numpy()]
    traits = _buurt_traits(country.seed, land)
    values = {v: np.empty((len(years), traits.n)) for v in wanted}
    for k, year in enumerate(years):
        counts = _simulate_year(country.seed, year, traits)
        for v in wanted:
            values[v][k] = counts[v]
    return _long_frame(land["code"].to_numpy(dtype=object), years, wanted, values)


def _check_variables(variables: Iterable[str] | None) -> list[str]:
    """The requested variables in canonical order; ``ValueError`` on unknown names."""
    requested = set(load_catalog().for_dataset("demo").variables() if variables is None else variables)
    unknown = requested - set(VARIABLES)
    if unknown:
        raise ValueError(f"unknown demo variable(s): {', '.join(sorted(unknown))}; "
                         f"known: {', '.join(VARIABLES)}")
    return [v for v in VARIABLES if v in requested]


# --------------------------------------------------------------------------- buurt traits


@dataclass(frozen=True)
class _Traits:
    """Everything about a land buurt that stays the same across years."""

    n: int
    urbanity: np.ndarray
    land_km2: np.ndarray
    fields: np.ndarray            # (_N_FIELDS, n), each standardised
    hotspot: np.ndarray           # (n,), 0..1, peaks at the hotspot cluster centres
    population: np.ndarray        # population in DEMO_YEARS[0], before rounding
    growth: np.ndarray            # yearly population growth
    household_size: np.ndarray    # households per inhabitant
    dwellings_per_household: np.ndarray
    share_15_64: np.ndarray
    share_12_24: np.ndarray
    business_rate: np.ndarray     # expected establishments
    effects: dict[str, np.ndarray]  # persistent log-rate effect per numerator
    police_gap_year: np.ndarray   # a year from DEMO_YEARS, or 0 for no gap


def _buurt_traits(seed: int, land) -> _Traits:
    rng = np.random.default_rng([seed, _STREAM])
    n = len(land)
    xy = shapely.get_coordinates(shapely.point_on_surface(land.geometry.to_numpy()))
    urbanity = land["urbanity"].to_numpy(dtype=float)
    fields = np.stack([_standardise(f) for f in _latent_fields(rng, xy, urbanity)])
    hotspot = _hotspot_field(rng, xy, urbanity)
    population = _base_population(rng, urbanity)
    gap = np.zeros(n, dtype=int)
    n_gap = min(n, max(2, round(_POLICE_GAP_SHARE * n)))
    gap[rng.choice(n, n_gap, replace=False)] = rng.choice(DEMO_YEARS, n_gap)
    return _Traits(
        n=n,
        urbanity=urbanity,
        land_km2=shapely.area(land.geometry.to_numpy()) / 1e6,
        fields=fields,
        hotspot=hotspot,
        population=population,
        growth=rng.normal(0.002 + 0.008 * urbanity, 0.008),
        household_size=np.clip(0.38 + 0.14 * urbanity + rng.normal(0, 0.03, n), 0.25, 0.7),
        dwellings_per_household=1.02 + np.abs(rng.normal(0, 0.03, n)),
        share_15_64=np.clip(0.62 + 0.06 * urbanity + rng.normal(0, 0.04, n), 0.4, 0.85),
        share_12_24=np.clip(0.13 + 0.03 * urbanity + rng.normal(0, 0.025, n), 0.04, 0.35),
        business_rate=_business_rate(rng, population, urbanity),
        effects={name: rng.normal(0, rate.noise, n) for name, rate in NUMERATORS.items()},
        police_gap_year=gap,
    )


def _standardise(values: np.ndarray) -> np.ndarray:
    return (values - values.mean()) / values.std()


def _bumps(xy: np.ndarray, centres: np.ndarray, sigmas: np.ndarray, heights: np.ndarray) -> np.ndarray:
    """A smooth field: the sum of round Gaussian bumps, evaluated at ``xy``."""
    d2 = ((xy[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)
    return (heights[None, :] * np.exp(-d2 / (2 * sigmas[None, :] ** 2))).sum(axis=1)


def _random_bumps(rng: np.random.Generator, xy: np.ndarray, pool: np.ndarray, k: int,
                  sigma_range: tuple[float, float], height_range: tuple[float, float]) -> np.ndarray:
    """``k`` bumps centred on random buurten from ``pool`` (indices into ``xy``)."""
    centres = xy[rng.choice(pool, k)]
    sigmas = rng.uniform(*sigma_range, k)
    heights = rng.uniform(*height_range, k)
    return _bumps(xy, centres, sigmas, heights)


def _latent_fields(rng: np.random.Generator, xy: np.ndarray, urbanity: np.ndarray) -> list[np.ndarray]:
    """Four smooth fields at different scales (unstandardised)."""
    everywhere = np.arange(len(xy))
    urban = np.flatnonzero(urbanity > 0.5)
    urban = urban if urban.size else everywhere
    south = np.flatnonzero(xy[:, 1] < np.median(xy[:, 1]))
    deprivation = (_random_bumps(rng, xy, urban, 30, (800, 4_000), (0.5, 1.5))
                   + _random_bumps(rng, xy, everywhere, 6, (15_000, 40_000), (0.2, 0.6)))
    drug_economy = (_random_bumps(rng, xy, south, 5, (20_000, 45_000), (0.5, 1.5))
                    + _random_bumps(rng, xy, everywhere, 8, (3_000, 10_000), (0.2, 0.8)))
    crime = (_random_bumps(rng, xy, everywhere, 25, (6_000, 20_000), (0.3, 1.2))
             + _random_bumps(rng, xy, urban, 15, (1_000, 3_000), (0.3, 1.0)))
    property_market = (_random_bumps(rng, xy, urban, 20, (3_000, 12_000), (0.4, 1.2))
                       - _random_bumps(rng, xy, everywhere, 6, (15_000, 35_000), (0.1, 0.4)))
    return [deprivation, drug_economy, crime, property_market]


def _hotspot_field(rng: np.random.Generator, xy: np.ndarray, urbanity: np.ndarray) -> np.ndarray:
    """Two clusters (0..1) where drugs-related crime grows fastest."""
    urban = np.flatnonzero(urbanity > 0.6)
    pool = urban if urban.size >= 2 else np.arange(len(xy))
    field = _random_bumps(rng, xy, pool, 2, (10_000, 18_000), (1.0, 1.0))
    return np.clip(field, 0.0, 1.0)


def _base_population(rng: np.random.Generator, urbanity: np.ndarray) -> np.ndarray:
    """Inhabitants in the first demo year: log-normal, higher in cities, softly capped.

    About 5% of buurten are sparsely inhabited (business parks, outskirts, nature).
    """
    n = len(urbanity)
    regular = rng.lognormal(np.log(1_000) + 0.9 * (urbanity - 0.4), 0.7)
    sparse = rng.lognormal(np.log(60), 0.6, n)
    population = np.where(rng.random(n) < 0.05, sparse, regular)
    cap = 15_000.0
    return cap * np.tanh(population / cap)


def _business_rate(rng: np.random.Generator, population: np.ndarray, urbanity: np.ndarray) -> np.ndarray:
    """Expected establishments: ~0.1 per inhabitant, more in cities, plus business parks."""
    n = len(population)
    per_inhabitant = 0.09 * np.exp(0.4 * urbanity) * rng.lognormal(0, 0.3, n)
    business_park = np.where(population < 150, rng.uniform(20, 300, n), 0.0)
    return population * per_inhabitant + business_park


# --------------------------------------------------------------------------- one year


def _simulate_year(seed: int, year: int, traits: _Traits) -> dict[str, np.ndarray]:
    """All variables for one year, as float arrays over the land buurten (NaN = missing)."""
    rng = np.random.default_rng([seed, _STREAM, year])
    t = year - DEMO_YEARS[0]
    counts = _denominators(rng, traits, t)
    for name, rate in NUMERATORS.items():
        counts[name] = _draw_numerator(rng, rate, traits, counts[rate.denominator], t, name)
    _withhold(rng, counts, traits, year)
    return counts


def _denominators(rng: np.random.Generator, traits: _Traits, t: int) -> dict[str, np.ndarray]:
    n = traits.n
    inwoners = np.round(traits.population * (1 + traits.growth) ** t * rng.lognormal(0, 0.01, n))
    huishoudens = np.minimum(inwoners, np.round(inwoners * traits.household_size * rng.lognormal(0, 0.01, n)))
    woningen = np.round(huishoudens * traits.dwellings_per_household * rng.lognormal(0, 0.01, n))
    n_inw = inwoners.astype(np.int64)
    return {
        "inwoners": inwoners,
        "huishoudens": huishoudens,
        "woningen": woningen,
        "inwoners_15_64": rng.binomial(n_inw, traits.share_15_64).astype(float),
        "jongeren_12_24": rng.binomial(n_inw, traits.share_12_24).astype(float),
        "vestigingen": rng.poisson(traits.business_rate * 1.02 ** t).astype(float),
        "land_km2": traits.land_km2.copy(),
    }


def _draw_numerator(rng: np.random.Generator, rate: _Rate, traits: _Traits, denominator: np.ndarray,
                    t: int, name: str) -> np.ndarray:
    """Binomial (subset) or Poisson draw of one numerator for one year."""
    log_rate = (np.log(rate.base)
                + np.asarray(rate.loadings) @ traits.fields
                + rate.urban * (traits.urbanity - 0.4)
                + traits.effects[name]
                + (rate.trend + rate.hotspot * traits.hotspot) * t
                + rng.normal(0, 0.1, traits.n))
    if rate.subset:
        p = np.minimum(np.exp(log_rate), 0.95)
        return rng.binomial(denominator.astype(np.int64), p).astype(float)
    return rng.poisson(np.exp(log_rate) * denominator).astype(float)


def _withhold(rng: np.random.Generator, counts: dict[str, np.ndarray], traits: _Traits, year: int) -> None:
    """Set missing values to NaN in place: small-household income, secrecy, police gaps."""
    counts["huishoudens_laag_inkomen"][counts["huishoudens"] < _MIN_HOUSEHOLDS_INCOME] = np.nan
    for name in _SECRET:
        counts[name][rng.random(traits.n) < _SECRECY_SHARE] = np.nan
    for name in _POLICE_GAP_VARIABLES:
        counts[name][traits.police_gap_year == year] = np.nan


# --------------------------------------------------------------------------- output


def _long_frame(codes: np.ndarray, years: list[int], variables: list[str],
                values: dict[str, np.ndarray]) -> pd.DataFrame:
    """Stack per-variable (year x buurt) arrays into the long observation frame."""
    n, n_years = len(codes), len(years)
    block = n * n_years
    stacked = np.concatenate([values[v].ravel() for v in variables]) if variables else np.empty(0)
    return pd.DataFrame({
        "code": pd.array(np.tile(codes, n_years * len(variables)), dtype="str"),
        "year": np.tile(np.repeat(np.asarray(years, dtype=np.int64), n), len(variables)),
        "variable": pd.array(np.repeat(np.asarray(variables, dtype=object), block), dtype="str"),
        "value": stacked.astype(np.float64),
    })
