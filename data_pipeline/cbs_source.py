"""A :class:`~data_pipeline.sources.Source` from a folder of official CBS, PDOK and politie files.

The workflow of an analyst in a closed network: download the files once, put them in a folder,
run ``ondermijningsbeeld build --from-files DIR --year YEAR``. Every file is recognised by its
content (:func:`data_pipeline.cbs_files.sniff`), never by its name.

What joins and what does not is reported, never silently dropped: per level, how many area
codes have polygons, which polygons found no area, which figures found no area, and which
indicators could not be made because their variables are absent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path

import geopandas as gpd
import pandas as pd

from data_pipeline.cbs_files import (read_area_names, read_crime, read_kerncijfers, read_region_mapping,
                                     sniff)
from data_pipeline.sources import Source
from geodata.boundaries import BoundaryLayer, read_boundary_file
from geodata.codes import LAND_CODE, gemeente_of, is_valid_code, wijk_of
from geodata.coverage import RD_NEW, dissolve
from indicators.catalog import Catalog, load_catalog

#: CBS table ids of Kerncijfers wijken en buurten per year (PRODUCT.md §3).
KERNCIJFERS_TABLES = {2021: "85039NED", 2022: "85318NED", 2023: "85618NED", 2024: "85984NED", 2025: "86165NED"}
CRIME_TABLE = "47018NED"
ATTRIBUTION = "Bron: CBS en politie (open data, CC BY 4.0)"
UNKNOWN_LOCATION = "BU00000000"  # crime of unknown location in 47018NED


@dataclass(frozen=True)
class Count:
    """A published count, or the sum of several."""
    stems: tuple[str, ...]

    def compute(self, frame: pd.DataFrame) -> pd.Series | None:
        if not all(s in frame for s in self.stems):
            return None
        return frame[list(self.stems)].sum(axis=1, min_count=len(self.stems))


@dataclass(frozen=True)
class ShareOf:
    """A published percentage turned back into a count: ``pct / 100 * base``."""
    stem: str
    base: str

    def compute(self, frame: pd.DataFrame) -> pd.Series | None:
        if self.stem not in frame or self.base not in frame:
            return None
        return (frame[self.stem] / 100 * frame[self.base]).round()


@dataclass(frozen=True)
class Scaled:
    stem: str
    factor: float

    def compute(self, frame: pd.DataFrame) -> pd.Series | None:
        return frame[self.stem] * self.factor if self.stem in frame else None


#: Our count variables from Kerncijfers column stems (the `_NN` suffix removed).
KERNCIJFERS_VARIABLES = {
    "inwoners": Count(("AantalInwoners",)),
    "huishoudens": Count(("HuishoudensTotaal",)),
    "huishoudens_met_kinderen": Count(("HuishoudensMetKinderen",)),
    "jongeren_15_25": Count(("k_15Tot25Jaar",)),
    "inwoners_15_64": Count(("k_15Tot25Jaar", "k_25Tot45Jaar", "k_45Tot65Jaar")),
    "woningen": Count(("Woningvoorraad",)),
    "woningen_onbewoond": ShareOf("PercentageOnbewoond", "Woningvoorraad"),
    "woningen_particuliere_huur": ShareOf("InBezitOverigeVerhuurders", "Woningvoorraad"),
    "huishoudens_laag_inkomen": ShareOf("HuishoudensMetEenLaagInkomen", "HuishoudensTotaal"),
    "huishoudens_sociaal_minimum": ShareOf("HuishOnderOfRondSociaalMinimum", "HuishoudensTotaal"),
    "inwoners_bijstand": Count(("PersonenPerSoortUitkeringBijstand",)),
    "vestigingen": Count(("BedrijfsvestigingenTotaal",)),
    "vestigingen_handel_horeca": Count(("GIHandelEnHoreca",)),
    "land_km2": Scaled("OppervlakteLand", 0.01),  # published in hectares
}

#: Key figures published with the polygons (Wijk- en Buurtkaart attributes), by their name in
#: lower case without separators (``aantal_inwoners``, ``aantalInwoners``): variable, factor.
ATTRIBUTE_VARIABLES = {
    "aantalinwoners": ("inwoners", 1.0),
    "aantalhuishoudens": ("huishoudens", 1.0),
    "huishoudens": ("huishoudens", 1.0),
    "woningvoorraad": ("woningen", 1.0),
    "oppervlaktelandinha": ("land_km2", 0.01),
}

#: Our crime variables from 47018NED SoortMisdrijf keys ("alle": a file without that dimension).
CRIME_VARIABLES = {
    "misdrijven_totaal": "0.0.0",
    "misdrijven_drugshandel": "3.1.1",
    "misdrijven_wapenhandel": "3.1.3",
    "misdrijven_mensenhandel": "1.6.3",
    "misdrijven_brand_ontploffing": "1.6.1",
    "misdrijven_overval": "1.4.7",
    "misdrijven_som_rubrieken": "alle",
}


@dataclass
class JoinReport:
    """What joined and what did not. ``unmatched`` has one row per code that did not join."""

    lines: list[str] = field(default_factory=list)
    rows: list[dict] = field(default_factory=list)

    def say(self, line: str) -> None:
        self.lines.append(line)

    def unmatched(self, level: str, codes, side: str, origin: str, reason: str) -> None:
        for code in sorted(codes):
            self.rows.append({"level": level, "code": code, "side": side, "origin": origin, "reason": reason})

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows, columns=["level", "code", "side", "origin", "reason"])

    def write(self, path: Path) -> Path:
        self.frame().to_csv(path, index=False)
        return path


@dataclass
class _Inputs:
    layers: list[BoundaryLayer] = field(default_factory=list)
    kerncijfers: list = field(default_factory=list)
    crime: list[pd.DataFrame] = field(default_factory=list)
    mappings: list[pd.DataFrame] = field(default_factory=list)
    names: list[pd.DataFrame] = field(default_factory=list)


def _year_hint(path: Path) -> int | None:
    match = re.search(r"(?<!\d)(20[0-3]\d)(?!\d)", path.name)
    return int(match.group(1)) if match else None


def collect(directory: Path, report: JoinReport) -> _Inputs:
    """Read every recognisable file under ``directory``."""
    inputs = _Inputs()
    files = sorted(p for p in Path(directory).rglob("*") if p.is_file() and not p.name.startswith("."))
    for path in files:
        kind = sniff(path)
        if kind is None:
            report.say(f"ignored (not recognised): {path}")
            continue
        report.say(f"read {kind}: {path}")
        if kind == "boundaries":
            for layer in read_boundary_file(path):
                year = layer.year if layer.year is not None else _year_hint(path)
                inputs.layers.append(replace(layer, year=year))
        elif kind == "kerncijfers":
            inputs.kerncijfers.append(read_kerncijfers(path))
        elif kind == "crime":
            inputs.crime.append(read_crime(path))
        elif kind == "region_mapping":
            inputs.mappings.append(read_region_mapping(path))
        elif kind == "buurt_names":
            inputs.names.append(read_area_names(path))
    return inputs


def _by_closeness(layers: list[BoundaryLayer], year: int) -> list[BoundaryLayer]:
    """Layers closest to ``year`` first (newer wins a tie); layers of unknown year last."""
    return sorted(layers, key=lambda l: (l.year is None, abs((l.year or 0) - year), -(l.year or 0)))


def files_source(directory: Path, year: int) -> tuple[Source, JoinReport]:
    """Assemble a Source for ``year`` from the official files in ``directory``."""
    report = JoinReport()
    inputs = collect(Path(directory), report)
    if not inputs.mappings:
        raise FileNotFoundError(
            f"no gemeente → politie regionale eenheid mapping in {directory}: add a CBS 'Gebieden in "
            "Nederland' export or a CSV with gemeentecode and politie_regionale_eenheid_code")
    mapping = inputs.mappings[0].drop_duplicates("gemeente_code")

    kern = [k for k in inputs.kerncijfers if k.year in (None, year)]
    kern_frame = pd.concat([k.frame for k in kern], ignore_index=True) if kern else pd.DataFrame(columns=["code", "name"])
    kern_frame = kern_frame.drop_duplicates("code", keep="first")
    crime = pd.concat(inputs.crime, ignore_index=True) if inputs.crime else pd.DataFrame(
        columns=["code", "soort_misdrijf", "year", "count"])
    crime = crime[crime["year"].isna() | (crime["year"] == year)]
    # the same table saved twice (CSV and OData JSON) must not be counted twice
    crime = crime.drop_duplicates(["code", "soort_misdrijf", "year"], keep="first")

    areas = _area_tree(year, mapping, kern_frame, crime, inputs, report)
    geometry, geometry_years = _geometry(areas, mapping, inputs.layers, year, report)
    observations = pd.concat([_observations(areas, kern_frame, crime, year, report),
                              _published_with_polygons(areas, inputs.layers, report)], ignore_index=True)
    catalog, table_ids = _catalog(observations, kern, year, report)
    observations = observations[observations["variable"].isin(catalog.variables())].reset_index(drop=True)

    source = Source(
        kind="cbs",
        description=f"CBS en politie open data, {year}",
        boundary_year=year,
        areas=areas,
        geometry=geometry,
        observations=observations,
        catalog=catalog,
        attribution=ATTRIBUTION,
        origin=str(directory),
        settings={"boundary_years": ", ".join(f"{lvl} {yrs}" for lvl, yrs in geometry_years.items()),
                  **{f"table.{k}": v for k, v in table_ids.items()}},
        urbanity=_urbanity(inputs.layers, year),
    )
    return source, report


def _area_tree(year, mapping, kern, crime, inputs: _Inputs, report: JoinReport) -> pd.DataFrame:
    names = pd.concat([kern[["code", "name"]], *inputs.names], ignore_index=True).dropna(subset=["code"])
    listed = set(names["code"][names["code"].map(lambda c: is_valid_code(c, "buurt"))])
    crime_codes = set(crime["code"][crime["code"].map(lambda c: is_valid_code(c, "buurt"))])
    if UNKNOWN_LOCATION in crime_codes:
        report.unmatched("buurt", [UNKNOWN_LOCATION], "figures", "crime", "crime of unknown location (no area)")
        crime_codes.discard(UNKNOWN_LOCATION)
    buurten = listed or crime_codes
    if listed and crime_codes - listed:
        report.unmatched("buurt", crime_codes - listed, "figures", "crime", "crime figures for a buurt not in the area list")
    gemeenten = set(mapping["gemeente_code"])
    outside = {b for b in buurten if gemeente_of(b) not in gemeenten}
    if outside:
        report.unmatched("buurt", outside, "figures", "area list", "gemeente not in the region mapping")
        buurten -= outside

    wijk_layers = _by_closeness([l for l in inputs.layers if l.level == "wijk"], year)
    wijk_extra = pd.DataFrame(columns=["code", "name", "is_water"])
    if wijk_layers:
        best = wijk_layers[0].frame
        wijk_extra = best[best["code"].map(gemeente_of).isin(gemeenten)][["code", "name", "is_water"]]
    wijken = {wijk_of(b) for b in buurten} | set(wijk_extra["code"])

    # names: the figures' own titles first, then the polygons' names, closest boundary year first
    candidates = [names[["code", "name"]]] + [l.frame[["code", "name"]] for l in _by_closeness(inputs.layers, year)]
    pairs = pd.concat(candidates, ignore_index=True).dropna()
    pairs = pairs[pairs["name"].astype(str).str.strip() != ""].drop_duplicates("code")
    name_of = dict(zip(pairs["code"], pairs["name"].astype(str).str.strip()))
    # CBS's "Groot water" wijken (WKgggg99) carry no figures; flagged water when the file says so
    # or by their code and name.
    groot_water = wijk_extra["code"].str.endswith("99") & wijk_extra["name"].str.contains("water", case=False, na=False)
    water = set(wijk_extra.loc[wijk_extra["is_water"].astype(bool) | groot_water, "code"])
    for layer in inputs.layers:
        if layer.level == "buurt":
            water |= set(layer.frame.loc[layer.frame["is_water"].astype(bool), "code"])
    water |= {b for b in buurten if wijk_of(b) in water}  # the buurten of a Groot water wijk

    rows = [(LAND_CODE, "land", "Nederland", None, False)]
    regions = mapping.drop_duplicates("regio_code").sort_values("regio_code")
    rows += [(r.regio_code, "regio", r.regio_name, LAND_CODE, False) for r in regions.itertuples()]
    rows += [(g, "gemeente", name_of.get(g) or g, r, False)
             for g, r in sorted(zip(mapping["gemeente_code"], mapping["regio_code"]))]
    rows += [(w, "wijk", name_of.get(w) or w, gemeente_of(w), w in water) for w in sorted(wijken)]
    rows += [(b, "buurt", name_of.get(b) or b, wijk_of(b), b in water) for b in sorted(buurten)]
    areas = pd.DataFrame(rows, columns=["code", "level", "name", "parent_code", "is_water"])
    counts = areas["level"].value_counts()
    report.say("areas: " + ", ".join(f"{counts.get(l, 0)} {l}" for l in ("regio", "gemeente", "wijk", "buurt")))
    return areas


def _geometry(areas, mapping, layers: list[BoundaryLayer], year: int, report: JoinReport):
    """Polygons per level: per code the closest boundary year that has it."""
    geometry: dict[str, gpd.GeoDataFrame] = {}
    years: dict[str, str] = {}
    for level in ("gemeente", "wijk", "buurt"):
        wanted = set(areas.loc[areas["level"] == level, "code"])
        found: dict[str, object] = {}
        used: dict[int | None, int] = {}
        for layer in _by_closeness([l for l in layers if l.level == level], year):
            frame = layer.frame[layer.frame["code"].isin(wanted) & ~layer.frame["code"].isin(found)]
            for code, geom in zip(frame["code"], frame.geometry):
                found[code] = geom
            if len(frame):
                used[layer.year] = used.get(layer.year, 0) + len(frame)
            stray = set(layer.frame["code"]) - wanted
            if stray:
                report.unmatched(level, stray, "geometry", layer.origin, f"polygon (boundary year {layer.year}) "
                                 f"has no {level} in the {year} figures/area list")
        if not found:
            report.say(f"{level}: no polygons")
            continue
        missing = wanted - set(found)
        report.say(f"{level}: {len(found)} of {len(wanted)} codes have a polygon"
                   + (f" (boundary years {', '.join(f'{y}: {n}' for y, n in used.items())})" if used else ""))
        if missing:
            report.unmatched(level, missing, "figures", "area list", "no polygon for this code")
        geometry[level] = gpd.GeoDataFrame({"code": list(found)}, geometry=list(found.values()), crs=RD_NEW)
        years[level] = "/".join(str(y) for y in sorted(used, key=lambda y: (y is None, y)))
    if "gemeente" in geometry:
        gm = geometry["gemeente"].merge(mapping[["gemeente_code", "regio_code"]], left_on="code",
                                        right_on="gemeente_code")
        geometry["regio"] = dissolve(gm, "regio_code")
        gm["land_code"] = LAND_CODE
        geometry["land"] = dissolve(gm, "land_code")
    return geometry, years


def _observations(areas, kern: pd.DataFrame, crime: pd.DataFrame, year: int, report: JoinReport) -> pd.DataFrame:
    buurten = set(areas.loc[areas["level"] == "buurt", "code"])
    frames = []
    rows = kern[kern["code"].isin(buurten)]
    for variable, rule in KERNCIJFERS_VARIABLES.items():
        values = rule.compute(rows) if len(rows) else None
        if values is None:
            continue
        frames.append(pd.DataFrame({"code": rows["code"], "year": year, "variable": variable, "value": values}))
    crime_rows = crime[crime["code"].isin(buurten)]
    for variable, soort in CRIME_VARIABLES.items():
        part = crime_rows[crime_rows["soort_misdrijf"] == soort]
        if len(part):
            part = part.groupby("code", as_index=False)["count"].sum(min_count=1)
            frames.append(pd.DataFrame({"code": part["code"], "year": year, "variable": variable,
                                        "value": part["count"]}))
    if not frames:
        raise ValueError("none of the files holds buurt figures for the year asked for")
    obs = pd.concat(frames, ignore_index=True)
    obs["value"] = obs["value"].astype(float)
    obs["year"] = obs["year"].astype(int)
    present = sorted(obs["variable"].unique())
    report.say(f"variables present: {', '.join(present)}")
    return obs[["code", "year", "variable", "value"]].reset_index(drop=True)


def _urbanity(layers: list[BoundaryLayer], year: int) -> pd.Series | None:
    """CBS urbanity class (1..5) per gemeente, from the polygons' key figures when published."""
    for layer in _by_closeness([l for l in layers if l.level == "gemeente"], year):
        for column in layer.attributes.columns:
            if re.sub(r"[^a-z0-9]", "", column.lower()) in ("stedelijkheidadressenperkm2", "matevanstedelijkheid",
                                                         "stedelijkheid"):
                classes = layer.attributes.set_index("code")[column].dropna()
                return classes[classes.between(1, 5)].astype(int).rename("urbanity_class")
    return None


def _published_with_polygons(areas, layers: list[BoundaryLayer], report: JoinReport) -> pd.DataFrame:
    """Figures CBS publishes per gemeente or wijk with its polygons; they win over sums of buurten."""
    frames = []
    for layer in layers:
        if layer.level == "buurt" or layer.attributes.empty:
            continue
        rows = layer.attributes[layer.attributes["code"].isin(set(areas["code"]))]
        for column in rows.columns.drop("code"):
            variable, factor = ATTRIBUTE_VARIABLES.get(re.sub(r"[^a-z0-9]", "", column.lower()), (None, 1.0))
            if variable is None or rows[column].isna().all():
                continue
            if layer.year is None:
                report.say(f"{layer.origin}: {column} not used, the boundary year is unknown")
                continue
            frames.append(pd.DataFrame({"code": rows["code"], "year": layer.year, "variable": variable,
                                        "value": rows[column].astype(float) * factor}))
            report.say(f"{layer.origin}: published {layer.level} {variable} {layer.year} for {len(rows)} areas")
    empty = pd.DataFrame({"code": pd.Series(dtype=str), "year": pd.Series(dtype=int),
                          "variable": pd.Series(dtype=str), "value": pd.Series(dtype=float)})
    out = pd.concat(frames, ignore_index=True) if frames else empty
    # one value per code, year and variable: the first layer (closest boundary year) wins
    return out.drop_duplicates(["code", "year", "variable"], keep="first")


def _catalog(obs: pd.DataFrame, kern, year: int, report: JoinReport) -> tuple[Catalog, dict[str, str]]:
    """The cbs indicators whose variables are present, each naming the tables of its years."""
    base = load_catalog().for_dataset("cbs")
    known = obs.groupby("variable")["value"].apply(lambda v: v.notna().any())
    present = set(known[known].index)
    years_of = obs.dropna(subset=["value"]).groupby("variable")["year"].agg(lambda y: sorted(set(y)))
    named = {k.year or year: k.table_id for k in kern if k.table_id}

    def kerncijfers(years: list[int]) -> str:
        return ", ".join(f"{named.get(y) or KERNCIJFERS_TABLES.get(y, 'Kerncijfers')} ({y})" for y in years)

    kept, absent = [], []
    for ind in base.indicators:
        needs = {ind.numerator, ind.denominator} - {""}
        if needs <= present:
            ids = {"kerncijfers": kerncijfers(years_of[ind.numerator]), "misdrijven": CRIME_TABLE}
            kept.append(replace(ind, table_id=ind.table_id.format(**ids)))
        else:
            absent.append(f"{ind.id} (needs {', '.join(sorted(needs - present))})")
    report.say(f"indicators: {len(kept)} made" + (f"; absent from the input: {'; '.join(absent)}" if absent else ""))
    if not kept:
        raise ValueError("no indicator can be made from these files")
    table_ids = {"kerncijfers": kerncijfers(sorted(set(obs["year"]))), "misdrijven": CRIME_TABLE}
    return Catalog(base.themes, tuple(kept), base.open_variables), table_ids
