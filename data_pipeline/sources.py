"""Sources: everything a warehouse build needs, in one value.

A source supplies the area tree, polygons per level, buurt-level count observations per
year and the indicator catalog that turns counts into rates. Loaders (the synthetic demo
country here, official CBS files later) produce a :class:`Source`; the warehouse build only
ever sees this shape.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import pandas as pd

from geodata.hierarchy import with_ancestors
from indicators.catalog import Catalog, load_catalog

DEMO_ATTRIBUTION = "Synthetische demodata, gegenereerd door Ondermijningsbeeld — geen echte cijfers"


@dataclass(frozen=True)
class Source:
    kind: str                     # "demo" or "cbs"
    description: str              # one line shown in the dashboard and the CLI
    boundary_year: int
    areas: pd.DataFrame           # code, level, name, parent_code, is_water
    geometry: dict[str, gpd.GeoDataFrame]  # level -> frame with code, geometry (any CRS)
    observations: pd.DataFrame    # code, year, variable, value (NaN = missing)
    catalog: Catalog
    attribution: str
    origin: str                   # what produced the frames, named in validation messages
    settings: dict[str, str] = field(default_factory=dict)
    urbanity: pd.Series | None = None     # code -> CBS urbanity class 1 (very urban) .. 5, where known


def demo_source(seed: int = 2024, scale: float = 1.0) -> Source:
    """The synthetic demo country with its simulated indicator counts."""
    from data_pipeline.demo_figures import simulate_observations
    from geodata.coverage import dissolve
    from geodata.demo import build_demo_country

    country = build_demo_country(seed=seed, scale=scale)
    catalog = load_catalog().for_dataset("demo")
    areas = country.areas.merge(country.buurten[["code", "is_water"]], on="code", how="left")
    areas["is_water"] = areas["is_water"].fillna(False).astype(bool)
    # A wijk (and so on) made only of water buurten is water too.
    water_buurten = set(country.buurten.loc[country.buurten["is_water"], "code"])
    tree = with_ancestors(areas)
    buurten = tree[tree["level"] == "buurt"]
    for col in ("wijk_code", "gemeente_code", "regio_code"):
        all_water = buurten.groupby(col)["code"].agg(lambda codes: set(codes) <= water_buurten)
        areas.loc[areas["code"].isin(all_water[all_water].index), "is_water"] = True

    parts = country.buurten.merge(tree[["code", "wijk_code", "gemeente_code", "regio_code", "land_code"]],
                                  on="code")
    geometry = {"buurt": country.buurten[["code", "geometry"]].copy()}
    for level in ("wijk", "gemeente", "regio", "land"):
        geometry[level] = dissolve(parts, f"{level}_code")

    observations = simulate_observations(country, catalog.variables())
    urbanity = demo_urbanity_classes(country, tree, observations)
    return Source(
        kind="demo",
        description=f"Demoland (synthetisch), seed {seed}, schaal {scale:g}",
        boundary_year=country.boundary_year,
        areas=areas[["code", "level", "name", "parent_code", "is_water"]],
        geometry=geometry,
        observations=observations,
        catalog=catalog,
        attribution=DEMO_ATTRIBUTION,
        origin="demo generator",
        settings={"seed": str(seed), "scale": f"{scale:g}"},
        urbanity=urbanity,
    )


#: Lower bounds of the demo's mean urbanity (0..1) for CBS classes 1..4; below the last: 5.
URBANITY_CUTS = (0.7, 0.5, 0.3, 0.15)


def demo_urbanity_classes(country, tree: pd.DataFrame, observations: pd.DataFrame) -> pd.Series:
    """Urbanity class 1..5 per gemeente: its buurten's urbanity weighted by inhabitants."""
    latest = observations[(observations["variable"] == "inwoners")
                          & (observations["year"] == observations["year"].max())]
    buurten = country.buurten[["code", "urbanity"]].merge(latest[["code", "value"]], on="code")
    buurten = buurten.merge(tree[["code", "gemeente_code"]], on="code")
    buurten["weighted"] = buurten["urbanity"] * buurten["value"]
    sums = buurten.groupby("gemeente_code")[["weighted", "value"]].sum()
    mean = sums["weighted"] / sums["value"]
    classes = 5 - sum((mean >= cut).astype(int) for cut in URBANITY_CUTS)
    return classes.rename_axis("code").rename("urbanity_class")
