"""Small hand-made inputs shared by the tests (numbers chosen so results can be checked by hand)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from data_pipeline.sources import Source
from geodata.coverage import dissolve
from geodata.hierarchy import with_ancestors
from indicators.catalog import parse_catalog

TINY_CATALOG = """
[variables]
open = ["inwoners"]

[themes]
criminaliteit = { nl = "Criminaliteit", en = "Crime" }

[[indicator]]
id = "misdrijven_per_1000_inwoners"
theme = "criminaliteit"
label_nl = "Misdrijven"
label_en = "Crimes"
unit_nl = "per 1.000 inwoners"
unit_en = "per 1,000 inhabitants"
numerator = "misdrijven"
denominator = "inwoners"
multiplier = 1000
direction = "higher_is_worse"
min_denominator = 100
dataset = "test"
source = "Testbron"
table_id = "TEST-1"
explain_nl = "Het aantal misdrijven per 1.000 inwoners."
explain_en = "The number of crimes per 1,000 inhabitants."
"""

# buurt code -> (inwoners, misdrijven); None = missing. Wijk WK000101 has one buurt with
# missing crime; BU00020100 is too small to show; WK000299 is water.
TINY_COUNTS = {
    "BU00010100": (1000, 10),
    "BU00010101": (3000, 60),
    "BU00010200": (500, None),
    "BU00010201": (1500, 15),
    "BU00020100": (40, 2),
    "BU00020101": (960, 48),
    "BU00030100": (2000, 8),
}
WATER_BUURTEN = ["BU00029900"]


def tiny_areas() -> pd.DataFrame:
    buurten = list(TINY_COUNTS) + WATER_BUURTEN
    wijken = sorted({"WK" + b[2:8] for b in buurten})
    gemeenten = sorted({"GM" + w[2:6] for w in wijken})
    region = {"GM0001": "RE01", "GM0002": "RE01", "GM0003": "RE02"}
    rows = [("NL01", "land", "Testland", None), ("RE01", "regio", "Regio Een", "NL01"),
            ("RE02", "regio", "Regio Twee", "NL01")]
    rows += [(g, "gemeente", f"Gemeente {g[-1]}", region[g]) for g in gemeenten]
    rows += [(w, "wijk", f"Wijk {w[-4:]}", "GM" + w[2:6]) for w in wijken]
    rows += [(b, "buurt", f"Buurt {b[-6:]}", "WK" + b[2:8]) for b in buurten]
    areas = pd.DataFrame(rows, columns=["code", "level", "name", "parent_code"])
    areas["is_water"] = areas["code"].isin(WATER_BUURTEN + ["WK000299"])
    return areas


def tiny_observations(years=(2023, 2024)) -> pd.DataFrame:
    rows = []
    for year in years:
        for code, (inw, mis) in TINY_COUNTS.items():
            rows.append((code, year, "inwoners", float(inw)))
            rows.append((code, year, "misdrijven", np.nan if mis is None else float(mis + (year - 2024))))
    return pd.DataFrame(rows, columns=["code", "year", "variable", "value"])


def tiny_source(observations: pd.DataFrame | None = None, catalog_text: str | None = None) -> Source:
    """A country of 8 buurten laid out as 1 km squares in RD New (``catalog_text``: another
    catalog, e.g. the header of :data:`TINY_CATALOG` with :data:`COUNT_INDICATOR` alone: context
    figures only)."""
    areas = tiny_areas()
    buurten = areas[areas["level"] == "buurt"].reset_index(drop=True)
    squares = [shapely.box(100_000 + i * 1000, 400_000, 101_000 + i * 1000, 401_000) for i in range(len(buurten))]
    geo = gpd.GeoDataFrame({"code": buurten["code"]}, geometry=squares, crs="EPSG:28992")
    tree = with_ancestors(areas)
    parts = geo.merge(tree, on="code")
    geometry = {"buurt": geo}
    for level in ("wijk", "gemeente", "regio", "land"):
        geometry[level] = dissolve(parts, f"{level}_code")
    return Source(kind="test", description="Testland", boundary_year=2024, areas=areas, geometry=geometry,
                  observations=tiny_observations() if observations is None else observations,
                  catalog=parse_catalog(catalog_text or TINY_CATALOG + COUNT_INDICATOR), attribution="Testdata", origin="tiny test source")

COUNT_INDICATOR = """
[[indicator]]
id = "inwoners"
theme = "criminaliteit"
label_nl = "Inwoners"
label_en = "Inhabitants"
unit_nl = "inwoners"
unit_en = "inhabitants"
numerator = "inwoners"
denominator = ""
multiplier = 1
direction = "neutral"
min_denominator = 0
dataset = "test"
source = "Testbron"
table_id = "TEST-2"
explain_nl = "Het aantal inwoners (context)."
explain_en = "The number of inhabitants (context)."
"""
