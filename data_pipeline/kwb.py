"""The key figures inside a CBS/PDOK *Wijk- en Buurtkaart* file, as our count variables.

Every layer of a Wijk- en Buurtkaart (gemeenten, wijken, buurten; GeoPackage, GeoJSON or
TopoJSON) carries the *Kerncijfers wijken en buurten* of its year as attributes.
:func:`geodata.boundaries.read_boundary_file` keeps them as published
(:attr:`~geodata.boundaries.BoundaryLayer.attributes`); :func:`kwb_figures` turns them into
observations ``code, year, variable, value`` of our variables (the names of
``data_pipeline.cbs_source.KERNCIJFERS_VARIABLES``).

Attributes are matched on meaning, never on position: :data:`KWB_FIGURES` lists per published
figure the attribute names it goes by, and names are compared after lower-casing and removing
separators, so the shapefile names (``AANT_INW``), the GeoPackage/PDOK names
(``aantal_inwoners``) and the PDOK API names (``aantalInwoners``) all find the same figure. The
name styles per schema year:

=========  ==================================================================================
years      attribute names
=========  ==================================================================================
2019-2020  shapefile (DBF, upper case, at most 10 characters): ``BU_CODE``, ``AANT_INW``,
           ``AANTAL_HH``, ``P_15_24_JR``, ``WONINGEN``, ``P_HUUROVVH``, ``OPP_LAND`` ...
2021-2025  GeoPackage and PDOK service, lower snake case: ``aantal_inwoners``,
           ``woningvoorraad``, ``percentage_leegstand_woningen``,
           ``perc_huurwoningen_in_bezit_overige_verhuurders``, ``oppervlakte_land_in_ha`` ...
           (defined in CBS's *Toelichting Wijk- en Buurtkaart 2022, 2023 en 2024*; 2021 and
           2025 assumed the same)
2021-2023  the shapefile names as well, in the shapefile downloads of those years
=========  ==================================================================================

PDOK's OGC API publishes the snake case names in camelCase (``percentagePersonen15Tot25Jaar``,
``oppervlakteLandInHa``), which compare equal. Simplified third-party exports of the PDOK
service shorten some names (``huishoudens``, ``15_25``); those are listed too.

Conversions (:class:`KwbVariable`): counts are taken as published; a percentage becomes a
count ``round(pct / 100 * base)`` with ``base`` our count variable from the same layer
(inwoners, huishoudens or woningen), rounded half to even as ``ShareOf`` does for the
Kerncijfers table (pandas ``round``); several percentages of one variable (the three age
bands of ``inwoners_15_64``) are added before that single rounding; hectares become km². A
missing figure (NaN, and any CBS sentinel ``<= -99995`` that might still be there) stays NaN,
never 0. The figures mean the same at buurt, wijk and gemeente level.

The year comes from the content only (:attr:`BoundaryLayer.year`: ``jaar``, ``jrstatcode``, a
CBS feature id or a GeoJSON's metadata), never from a file name; a layer of unknown year raises
:class:`KwbYearUnknown`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from geodata.boundaries import SENTINEL_MAX, BoundaryLayer

#: The Kerncijfers wijken en buurten table whose figures the Wijk- en Buurtkaart of each year
#: carries (CBS StatLine ids).
KWB_TABLES: dict[int, str] = {
    2019: "84583NED", 2020: "84799NED", 2021: "85039NED", 2022: "85318NED",
    2023: "85618NED", 2024: "85984NED", 2025: "86165NED",
}

#: Schema years this module knows the attribute names of.
SCHEMA_YEARS = range(2019, 2026)

# Where a name is published, with the schema years it is known in.
_SHAPEFILE = ("shapefile", 2019, 2023)
_GEOPACKAGE = ("GeoPackage / PDOK", 2021, 2025)
_PDOK_API = ("PDOK OGC API (camelCase)", 2021, 2025)
_SIMPLIFIED = ("simplified PDOK export", 2024, 2024)
# Names of older shapefiles (seen in third-party code for the shapefiles of the 2010s); that the
# 2019 and 2020 shapefiles still use them is not verified.
_OLDER_SHAPEFILE = ("older shapefile", 2019, 2020)


@dataclass(frozen=True)
class Published:
    """One attribute name of a figure, as CBS/PDOK publish it.

    Attributes
    ----------
    name : str
        The name as published (case and separators as in the file).
    where : str
        The publication form, e.g. ``"shapefile"`` or ``"GeoPackage / PDOK"``.
    first, last : int
        The schema years the name is known in (documentation, not a filter).
    only_with : str or None
        Another published name that must be present in the same layer for this name to mean
        this figure (compared normalised); for names whose meaning is only unambiguous beside
        their sibling.
    """

    name: str
    where: str
    first: int
    last: int
    only_with: str | None = None

    @property
    def key(self) -> str:
        return normalised_name(self.name)


def _names(*entries: tuple) -> tuple[Published, ...]:
    """``(name, (where, first, last))`` or ``(name, (where, first, last), only_with)`` entries."""
    out = []
    for entry in entries:
        name, (where, first, last), *rest = entry
        out.append(Published(name, where, first, last, rest[0] if rest else None))
    return tuple(out)


@dataclass(frozen=True)
class KwbFigure:
    """A figure of the Wijk- en Buurtkaart under all its published names.

    Attributes
    ----------
    id : str
        Our name for the figure.
    label : str
        CBS's label with its unit, as in the Toelichting.
    unit : str
        ``"aantal"`` (a count), ``"%"`` or ``"ha"``.
    names : tuple of Published
        Every name the figure is published under.
    """

    id: str
    label: str
    unit: str
    names: tuple[Published, ...]


#: Every figure we use, by our id.
KWB_FIGURES: dict[str, KwbFigure] = {f.id: f for f in (
    KwbFigure("aantal_inwoners", "Aantal inwoners [aantal]", "aantal", _names(
        ("AANT_INW", _SHAPEFILE), ("aantal_inwoners", _GEOPACKAGE), ("aantalInwoners", _PDOK_API))),
    KwbFigure("aantal_huishoudens", "Huishoudens totaal [aantal]", "aantal", _names(
        ("AANTAL_HH", _SHAPEFILE), ("aantal_huishoudens", _GEOPACKAGE), ("aantalHuishoudens", _PDOK_API),
        ("huishoudens", _SIMPLIFIED))),
    KwbFigure("pct_huishoudens_met_kinderen", "Huishoudens met kinderen [%]", "%", _names(
        ("P_HH_M_K", _SHAPEFILE), ("percentage_huishoudens_met_kinderen", _GEOPACKAGE),
        ("percentageHuishoudensMetKinderen", _PDOK_API))),
    KwbFigure("pct_15_25", "Personen 15 tot 25 jaar [%]", "%", _names(
        ("P_15_24_JR", _SHAPEFILE), ("percentage_personen_15_tot_25_jaar", _GEOPACKAGE),
        ("percentagePersonen15Tot25Jaar", _PDOK_API), ("15_25", _SIMPLIFIED))),
    KwbFigure("pct_25_45", "Personen 25 tot 45 jaar [%]", "%", _names(
        ("P_25_44_JR", _SHAPEFILE), ("percentage_personen_25_tot_45_jaar", _GEOPACKAGE),
        ("percentagePersonen25Tot45Jaar", _PDOK_API), ("25_45", _SIMPLIFIED))),
    KwbFigure("pct_45_65", "Personen 45 tot 65 jaar [%]", "%", _names(
        ("P_45_64_JR", _SHAPEFILE), ("percentage_personen_45_tot_65_jaar", _GEOPACKAGE),
        ("percentagePersonen45Tot65Jaar", _PDOK_API), ("45_65", _SIMPLIFIED))),
    KwbFigure("woningvoorraad", "Woningvoorraad [aantal]", "aantal", _names(
        ("WONINGEN", _SHAPEFILE), ("woningvoorraad", _GEOPACKAGE))),
    # CBS defines "leegstand" here as dwellings where nobody is registered on 1 January:
    # the Kerncijfers' PercentageOnbewoond.
    KwbFigure("pct_onbewoond", "Leegstand woningen / onbewoond [%]", "%", _names(
        ("P_LEEGSW", _SHAPEFILE), ("percentage_leegstand_woningen", _GEOPACKAGE),
        ("percentage_onbewoond", ("GeoPackage / PDOK (seen in third-party lists)", 2021, 2021)))),
    KwbFigure("pct_overige_verhuurders", "Huurwoningen in bezit overige verhuurders [% of all dwellings]",
              "%", _names(
        ("P_HUUROVVH", _SHAPEFILE), ("perc_huurwoningen_in_bezit_overige_verhuurders", _GEOPACKAGE))),
    # "met laag inkomen" is ambiguous in snake case: CBS's Toelichting 2022-2024 uses it for the
    # low-income threshold and "met laagste inkomen" for the lowest 40%, but files without the
    # latter may mean the lowest 40%; so that name counts only beside its sibling.
    KwbFigure("pct_huishoudens_laag_inkomen", "Huishoudens met een laag inkomen [%]", "%", _names(
        ("P_LIK_HH", _OLDER_SHAPEFILE),
        ("percentage_huishoudens_met_een_laag_inkomen", _GEOPACKAGE),
        ("percentage_huishoudens_met_laag_inkomen", ("GeoPackage / PDOK", 2022, 2025),
         "percentage_huishoudens_met_laagste_inkomen"))),
    KwbFigure("pct_huishoudens_sociaal_minimum", "Huishoudens onder of rond sociaal minimum [%]", "%", _names(
        ("P_SOCMINH", _OLDER_SHAPEFILE),
        ("percentage_huishoudens_onder_of_rond_sociaal_minimum", ("GeoPackage / PDOK", 2021, 2023)))),
    KwbFigure("bijstand", "Algemene bijstandsuitkeringen totaal [aantal]", "aantal", _names(
        ("WWB_UITTOT", _OLDER_SHAPEFILE),
        ("aantal_personen_met_een_alg_bijstandsuitkering_tot", _GEOPACKAGE),
        ("aantal_personen_met_een_algemene_bijstandsuitkering_totaal",
         ("GeoPackage / PDOK (seen in third-party lists)", 2021, 2025)))),
    KwbFigure("bedrijfsvestigingen", "Bedrijfsvestigingen totaal [aantal]", "aantal", _names(
        ("A_BEDV", _SHAPEFILE), ("aantal_bedrijfsvestigingen", _GEOPACKAGE))),
    KwbFigure("bedrijven_handel_horeca", "G+I Handel en horeca [aantal]", "aantal", _names(
        ("A_BED_GI", _SHAPEFILE), ("aantal_bedrijven_handel_en_horeca", _GEOPACKAGE))),
    KwbFigure("oppervlakte_land", "Oppervlakte land [ha]", "ha", _names(
        ("OPP_LAND", _SHAPEFILE), ("oppervlakte_land_in_ha", _GEOPACKAGE), ("oppervlakteLandInHa", _PDOK_API))),
)}


@dataclass(frozen=True)
class KwbVariable:
    """How one of our variables is made from Wijk- en Buurtkaart figures.

    Attributes
    ----------
    variable : str
        Our variable name.
    figures : tuple of str
        Ids in :data:`KWB_FIGURES`, added up (all of one unit); every one must be present.
    base : str or None
        For percentages: our count variable they are a percentage of.
    """

    variable: str
    figures: tuple[str, ...]
    base: str | None = None

    @property
    def unit(self) -> str:
        return KWB_FIGURES[self.figures[0]].unit


#: Our variables, counts (the bases) first.
KWB_VARIABLES: dict[str, KwbVariable] = {v.variable: v for v in (
    KwbVariable("inwoners", ("aantal_inwoners",)),
    KwbVariable("huishoudens", ("aantal_huishoudens",)),
    KwbVariable("woningen", ("woningvoorraad",)),
    KwbVariable("inwoners_bijstand", ("bijstand",)),
    KwbVariable("vestigingen", ("bedrijfsvestigingen",)),
    KwbVariable("vestigingen_handel_horeca", ("bedrijven_handel_horeca",)),
    KwbVariable("land_km2", ("oppervlakte_land",)),
    KwbVariable("huishoudens_met_kinderen", ("pct_huishoudens_met_kinderen",), "huishoudens"),
    KwbVariable("jongeren_15_25", ("pct_15_25",), "inwoners"),
    KwbVariable("inwoners_15_64", ("pct_15_25", "pct_25_45", "pct_45_65"), "inwoners"),
    KwbVariable("woningen_onbewoond", ("pct_onbewoond",), "woningen"),
    KwbVariable("woningen_particuliere_huur", ("pct_overige_verhuurders",), "woningen"),
    KwbVariable("huishoudens_laag_inkomen", ("pct_huishoudens_laag_inkomen",), "huishoudens"),
    KwbVariable("huishoudens_sociaal_minimum", ("pct_huishoudens_sociaal_minimum",), "huishoudens"),
)}

HECTARES_PER_KM2 = 100.0


def normalised_name(name: str) -> str:
    """An attribute name lower-cased with every separator removed.

    >>> normalised_name("P_15_24_JR"), normalised_name("percentagePersonen15Tot25Jaar")
    ('p1524jr', 'percentagepersonen15tot25jaar')
    """
    return re.sub(r"[^a-z0-9]", "", str(name).lower())


def _index() -> dict[str, tuple[KwbFigure, Published]]:
    """Normalised name -> (figure, published name); one figure per name."""
    index: dict[str, tuple[KwbFigure, Published]] = {}
    for figure in KWB_FIGURES.values():
        for published in figure.names:
            seen = index.get(published.key)
            if seen is not None and seen[0].id != figure.id:
                raise ValueError(f"{published.name!r} would mean both {seen[0].id} and {figure.id}")
            index.setdefault(published.key, (figure, published))
    return index


_BY_NAME = _index()


def published_names(variable: str, year: int) -> tuple[str, ...]:
    """The attribute names a Wijk- en Buurtkaart of ``year`` is known to publish ``variable`` by.

    >>> published_names("inwoners", 2019)
    ('AANT_INW',)
    >>> published_names("land_km2", 2024)
    ('oppervlakte_land_in_ha', 'oppervlakteLandInHa')
    """
    names = []
    for figure_id in KWB_VARIABLES[variable].figures:
        names += [p.name for p in KWB_FIGURES[figure_id].names if p.first <= year <= p.last]
    return tuple(dict.fromkeys(names))


class KwbYearUnknown(ValueError):
    """A layer's year is not stated in its content, so its figures cannot be dated."""


@dataclass(frozen=True)
class KwbFigures:
    """Our variables from the key figures of one Wijk- en Buurtkaart layer.

    Attributes
    ----------
    level : str
        ``"gemeente"``, ``"wijk"`` or ``"buurt"``.
    year : int
        The layer's year, read from its content.
    table_id : str or None
        The Kerncijfers wijken en buurten table the figures are from (:data:`KWB_TABLES`);
        ``None`` for a year outside 2019-2025.
    observations : pandas.DataFrame
        ``code, year, variable, value``: one row per area and variable made; ``value`` float,
        NaN where CBS publishes no figure (never a sentinel, never 0 in its place).
    used : dict
        Published attribute -> the variables made from it.
    unused : tuple of str
        Numeric attributes of the layer that went into no variable, so nothing vanishes in
        silence.
    notes : tuple of str
        Why a known figure did not make a variable (its base or a sibling is absent).
    origin : str
        The layer's origin (``path`` or ``path:layer``).
    """

    level: str
    year: int
    table_id: str | None
    observations: pd.DataFrame
    used: dict[str, tuple[str, ...]]
    unused: tuple[str, ...]
    notes: tuple[str, ...]
    origin: str

    def variables(self) -> list[str]:
        """The variables made, in :data:`KWB_VARIABLES` order."""
        made = set(self.observations["variable"])
        return [v for v in KWB_VARIABLES if v in made]


def kwb_figures(layer: BoundaryLayer) -> KwbFigures:
    """Our variables from the key figures a Wijk- en Buurtkaart layer carries.

    Parameters
    ----------
    layer : BoundaryLayer
        A gemeente, wijk or buurt layer from :func:`geodata.boundaries.read_boundary_file`.

    Returns
    -------
    KwbFigures
        Observations of every variable whose figures (and base) the layer has; the attributes
        used and unused.

    Raises
    ------
    KwbYearUnknown
        When the layer's content states no year (no ``jaar``, ``jrstatcode``, CBS feature id
        or metadata year): the figures cannot be dated, and a year from a file name is not
        trusted.
    """
    if layer.year is None:
        raise KwbYearUnknown(
            f"{layer.origin}: the {layer.level} figures are not used because the content states no "
            "year (no jaar, jrstatcode, CBS feature id or GeoJSON metadata year)")
    year = int(layer.year)
    attributes = layer.attributes
    columns = [c for c in attributes.columns if c != "code"] if not attributes.empty else []
    matched = _match(columns)
    values = {figure_id: _without_sentinels(attributes[column]) for figure_id, column in matched.items()}

    made: dict[str, pd.Series] = {}
    used: dict[str, list[str]] = {}
    notes: list[str] = []
    for rule in KWB_VARIABLES.values():
        present = [f for f in rule.figures if f in values]
        if not present:
            continue
        if len(present) < len(rule.figures):
            absent = [f for f in rule.figures if f not in values]
            notes.append(f"{rule.variable} not made: {', '.join(matched[f] for f in present)} present "
                         f"but no {', '.join(KWB_FIGURES[f].label for f in absent)}")
            continue
        if rule.base is not None and rule.base not in made:
            notes.append(f"{rule.variable} not made: {', '.join(matched[f] for f in present)} is a "
                         f"percentage of {rule.base}, which the layer lacks")
            continue
        made[rule.variable] = _convert(rule, [values[f] for f in rule.figures], made)
        for figure_id in rule.figures:
            used.setdefault(matched[figure_id], []).append(rule.variable)

    if year not in KWB_TABLES:
        notes.append(f"year {year} is outside the schema years {SCHEMA_YEARS.start}-{SCHEMA_YEARS.stop - 1}: "
                     "attributes matched by name, Kerncijfers table unknown")
    codes = attributes["code"].astype("string") if not attributes.empty else pd.Series(dtype="string")
    frames = [pd.DataFrame({"code": codes.to_numpy(), "year": year, "variable": variable,
                            "value": series.to_numpy(dtype="float64")})
              for variable, series in made.items()]
    observations = (pd.concat(frames, ignore_index=True) if frames else
                    pd.DataFrame({"code": pd.Series(dtype="string"), "year": pd.Series(dtype="int64"),
                                  "variable": pd.Series(dtype="object"), "value": pd.Series(dtype="float64")}))
    observations["year"] = observations["year"].astype("int64")
    return KwbFigures(
        level=layer.level, year=year, table_id=KWB_TABLES.get(year), observations=observations,
        used={column: tuple(variables) for column, variables in used.items()},
        unused=tuple(c for c in columns if c not in used), notes=tuple(notes), origin=layer.origin,
    )


def _match(columns: list[str]) -> dict[str, str]:
    """Figure id -> the layer's attribute for it (the first, in column order)."""
    present = {normalised_name(c) for c in columns}
    matched: dict[str, str] = {}
    for column in columns:
        found = _BY_NAME.get(normalised_name(column))
        if found is None:
            continue
        figure, published = found
        if published.only_with is not None and normalised_name(published.only_with) not in present:
            continue
        matched.setdefault(figure.id, column)
    return matched


def _without_sentinels(values: pd.Series) -> pd.Series:
    """Float values with any CBS sentinel (``<= -99995``) as NaN."""
    numbers = pd.to_numeric(values, errors="coerce").astype("float64")
    return numbers.mask(numbers <= SENTINEL_MAX)


def _convert(rule: KwbVariable, parts: list[pd.Series], made: dict[str, pd.Series]) -> pd.Series:
    """A count from the figures of ``rule``: summed, then scaled or turned from % into a count."""
    total = pd.concat(parts, axis=1).sum(axis=1, min_count=len(parts))
    if rule.unit == "ha":
        return total / HECTARES_PER_KM2
    if rule.unit == "%":
        return (total / 100 * made[rule.base]).round()
    return total.astype("float64")


__all__ = [
    "KWB_FIGURES", "KWB_TABLES", "KWB_VARIABLES", "KwbFigure", "KwbFigures", "KwbVariable",
    "KwbYearUnknown", "Published", "kwb_figures", "normalised_name", "published_names",
]
