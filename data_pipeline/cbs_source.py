"""A :class:`~data_pipeline.sources.Source` from a folder of official CBS, PDOK and politie files.

The workflow of an analyst in a closed network: download the files once, put them in a folder,
run ``ondermijningsbeeld build --from-files DIR --year YEAR``. Every file is recognised by its
content (:func:`data_pipeline.cbs_files.sniff`), never by its name.

What joins and what does not is reported, never silently dropped: per level, how many area
codes have polygons, which polygons found no area, which figures found no area, and which
indicators could not be made because their variables are absent.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from data_pipeline.cbs_files import (KerncijfersTable, Metadata, RegionalTable, StatlineTable, normalise_crime_type,
                                     peek_csv, stem_of, read_area_names, read_crime, read_kerncijfers, read_metadata,
                                     read_national_crime, read_region_mapping, read_regional, read_statline, sniff)
from data_pipeline.kwb import KwbYearUnknown, kwb_figures
from data_pipeline.sources import Source
from data_pipeline.validation import Problem, ValidationError
from geodata.boundaries import BoundaryLayer, read_boundary_file, read_problem
from geodata.names import former_gemeente, match_gemeente_names
from geodata.codes import CODE_PATTERNS, LAND_CODE, LEVELS, gemeente_of, is_valid_code, wijk_of
from geodata.coverage import RD_NEW, dissolve
from indicators.catalog import Catalog, load_catalog

#: CBS table ids of Kerncijfers wijken en buurten per year (PRODUCT.md §3).
KERNCIJFERS_TABLES = {2021: "85039NED", 2022: "85318NED", 2023: "85618NED", 2024: "85984NED", 2025: "86165NED"}
ATTRIBUTION = "Bron: CBS en politie (open data, CC BY 4.0)"
UNKNOWN_LOCATION = "BU00000000"  # crime of unknown location in 47018NED


@dataclass(frozen=True)
class Count:
    """A published count, or the sum of several."""
    stems: tuple[str, ...]

    def needs(self) -> tuple[str, ...]:
        return self.stems

    def compute(self, frame: pd.DataFrame) -> pd.Series | None:
        if not all(s in frame for s in self.stems):
            return None
        return frame[list(self.stems)].sum(axis=1, min_count=len(self.stems))


@dataclass(frozen=True)
class ShareOf:
    """A published percentage turned back into a count: ``pct / 100 * base``; ``stems`` are the
    percentage's names in different years (the first present is used)."""
    stems: tuple[str, ...]
    base: str

    def needs(self) -> tuple[str, ...]:
        return (*self.stems, self.base)

    def compute(self, frame: pd.DataFrame) -> pd.Series | None:
        stem = next((s for s in self.stems if s in frame), None)
        if stem is None or self.base not in frame:
            return None
        return (frame[stem] / 100 * frame[self.base]).round()


@dataclass(frozen=True)
class Scaled:
    stem: str
    factor: float

    def needs(self) -> tuple[str, ...]:
        return (self.stem,)

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
    "woningen_onbewoond": ShareOf(("PercentageOnbewoond", "OnbewoondeWoningen"), "Woningvoorraad"),
    "woningen_particuliere_huur": ShareOf(("InBezitOverigeVerhuurders",), "Woningvoorraad"),
    "huishoudens_laag_inkomen": ShareOf(("HuishoudensMetEenLaagInkomen",), "HuishoudensTotaal"),
    "huishoudens_sociaal_minimum": ShareOf(("HuishOnderOfRondSociaalMinimum",), "HuishoudensTotaal"),
    "inwoners_bijstand": Count(("PersonenPerSoortUitkeringBijstand",)),
    "vestigingen": Count(("BedrijfsvestigingenTotaal",)),
    "vestigingen_handel_horeca": Count(("GIHandelEnHoreca",)),
    "land_km2": Scaled("OppervlakteLand", 0.01),  # published in hectares
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


#: CBS's code for "Buitenland" (abroad): published with the polygons and figures, never an area.
ABROAD_GEMEENTE = "GM0998"
#: Which table wins where two give the same figure (lower first): a table of the figures
#: themselves before the key figures that PDOK publishes with the polygons.
PRECEDENCE = {"kerncijfers": 0, "crime": 0, "statline": 0, "kwb": 1}
#: A file whose figures cover less than this share of the codes its level has in the same
#: boundary year, inside the gemeenten it covers (when those are at least MIN_CODES), is taken to
#: be cut off or mangled.
MIN_COVERAGE, MIN_CODES = 0.5, 50
#: Text files beside the data (a README, a licence) are listed, never read as figures.
DOCUMENTATION_SUFFIXES = (".md", ".txt", ".pdf", ".html", ".rst")


class FilesRefused(ValueError):
    """The folder cannot be built as it is; the message says which file and why."""


@dataclass
class JoinReport:
    """What each file gave, what joined and what did not; written beside the warehouse (also when
    a build fails). ``rows`` has one row per code that did not join, ``files`` one per file."""

    directory: str = ""
    lines: list[str] = field(default_factory=list)
    rows: list[dict] = field(default_factory=list)
    files: list[dict] = field(default_factory=list)
    matched: dict[str, int] = field(default_factory=dict)
    outcome: str = "not built"

    def say(self, line: str) -> None:
        self.lines.append(line)

    def file(self, path, status: str, what: str) -> None:
        """``status``: ``used``, ``not used``, ``ignored`` or ``refused``."""
        self.files.append({"file": str(path), "status": status, "what": what})
        self.say(f"{status}: {path}: {what}")

    def unmatched(self, level: str, codes, side: str, origin: str, reason: str, names=None) -> None:
        names = names or {}
        for code in sorted(codes):
            self.rows.append({"level": level, "code": code, "name": names.get(code, ""), "side": side,
                              "origin": origin, "reason": reason})

    def not_used(self, path, why: str) -> None:
        """A file read and listed as used that gives nothing after all (every figure of a later
        year than the build's last)."""
        for entry in self.files:
            if entry["file"] == str(path) and entry["status"] == "used":
                entry.update(status="not used", what=f"{entry['what']}; {why}")

    def unmatched_name(self, level: str, name: str, origin: str, reason: str) -> None:
        """A row of a file keyed by name that found no area: no code, the name as published."""
        self.rows.append({"level": level, "code": "", "name": name, "side": "figures", "origin": origin,
                          "reason": reason})

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows, columns=["level", "code", "name", "side", "origin", "reason"])

    def summary(self, files: bool = True) -> list[str]:
        """Per level: codes that joined and, per reason, those that did not; then (``files``) the
        files not used."""
        out = [f"join report of {self.directory}: {self.outcome}"]
        frame = self.frame()
        for level in ("gemeente", "wijk", "buurt"):
            joined = ", ".join(f"{n:,} {what}" for (lvl, what), n in self.matched.items() if lvl == level)
            reasons = frame[frame["level"] == level].groupby("reason").size().sort_values(ascending=False)
            missed = "; ".join(f"{n:,} {reason}" for reason, n in reasons.items())
            if joined or missed:
                out.append(f"{level}: {joined or 'nothing joined'}" + (f"; did not join: {missed}" if missed else ""))
        for entry in self.files if files else ():
            if entry["status"] != "used":
                out.append(f"{entry['status']}: {entry['file']} ({entry['what']})")
        return out

    def write(self, path: Path) -> Path:
        """The summary and then everything the build said as ``#`` lines, then one CSV row per
        code that did not join."""
        said = [*self.summary(), "", "what the build said:", *self.lines]
        header = "".join(f"# {' '.join(line.split())}\n" for line in said)
        Path(path).write_text(header + self.frame().to_csv(index=False), encoding="utf-8")
        return path


def read_join_report(path: Path) -> pd.DataFrame:
    """The rows of a join report (its ``#`` summary skipped)."""
    return pd.read_csv(path, comment="#", dtype=str, keep_default_na=False)


@dataclass(frozen=True)
class _Figures:
    """Figures of one file: ``code, year, variable, value`` with the table they come from."""
    origin: str
    kind: str
    table_id: str | None
    frame: pd.DataFrame


@dataclass
class _Inputs:
    layers: list[BoundaryLayer] = field(default_factory=list)
    figures: list[_Figures] = field(default_factory=list)
    mappings: list[pd.DataFrame] = field(default_factory=list)
    names: list[pd.DataFrame] = field(default_factory=list)
    statline: list[StatlineTable] = field(default_factory=list)
    kerncijfers: list[KerncijfersTable] = field(default_factory=list)
    metadata: list[Metadata] = field(default_factory=list)


def _is_documentation(path: Path) -> bool:
    return path.suffix.lower() in DOCUMENTATION_SUFFIXES


def _folders(directory) -> list[Path]:
    """One folder or several (``--from-files real real-more``)."""
    return [Path(directory)] if isinstance(directory, (str, Path)) else [Path(d) for d in directory]


def collect(directory, report: JoinReport, year: int | None = None,
            skip_unrecognised: bool = False) -> _Inputs:
    """Read every file under ``directory`` (one folder or several); each is used or refused,
    never skipped in silence.

    ``year`` dates the figures of a file whose content states no year. A file that is not
    recognised stops the build (unless ``skip_unrecognised``), as does any file that cannot be
    read: every problem of every file is raised at once, as a ValidationError.
    """
    inputs, problems = _Inputs(), []
    files = [p for folder in _folders(directory)
             for p in sorted(folder.rglob("*")) if p.is_file() and not p.name.startswith(".")]
    for path in files:
        kind = sniff(path)
        if kind is None:
            problems += _not_recognised(path, report, skip_unrecognised)
            continue
        try:
            status, what = _read(path, kind, inputs, year, report)
        except ValidationError as err:
            problems += err.problems
            report.file(path, "refused", str(err.problems[0]) if err.problems else kind)
        except ValueError as err:       # boundary files: GDAL's own message, with the path
            problems.append(Problem(str(path), None, None, str(err).removeprefix(f"{path}: ")))
            report.file(path, "refused", str(err))
        else:
            report.file(path, status, f"{kind}: {what}")
    if problems:
        raise ValidationError(problems)
    _describe_topics(inputs, report)
    return inputs


def _not_recognised(path: Path, report: JoinReport, skip: bool) -> list[Problem]:
    broken = read_problem(path)
    if broken:
        report.file(path, "refused", broken)
        return [Problem(str(path), None, None, broken.removeprefix(f"{path}: "))]
    if _is_documentation(path):
        report.file(path, "ignored", "documentation, not figures")
        return []
    why = ("not recognised: not a CBS, PDOK or politie table, boundary file or region mapping this "
           "tool reads" + _single_column_hint(path))
    if skip:
        report.file(path, "ignored", why + " (--skip-unrecognised)")
        return []
    report.file(path, "refused", why)
    return [Problem(str(path), None, None, why + "; remove it from the folder or pass --skip-unrecognised")]


def _single_column_hint(path: Path) -> str:
    try:
        columns, rows = peek_csv(path)
    except (OSError, ValueError, csv.Error):
        return ""
    if len(columns) == 1 and rows and any(ch in columns[0] for ch in "|:\t ,;"):
        return f" (its header {columns[0][:60]!r} is one column: separated by something other than ';' or ','?)"
    return ""


def _read(path: Path, kind: str, inputs: _Inputs, year: int | None, report: JoinReport) -> tuple[str, str]:
    """Read one recognised file into ``inputs``; say whether it is used and what it gave."""
    if kind == "boundaries":
        layers = read_boundary_file(path)
        inputs.layers.extend(layers)
        parts = []
        for layer in layers:
            parts.append(f"{len(layer.frame):,} {layer.level} polygons, boundary year {layer.year or 'unknown'}")
            if not layer.attributes.empty:
                parts.append(_kwb(layer, inputs, report))
        return "used", "; ".join(parts)
    if kind == "kerncijfers":
        table = read_kerncijfers(path)
        inputs.kerncijfers.append(table)
        return "used", _add(inputs, _kerncijfers_figures(table, year, report))
    if kind == "regional":
        return "used", _add(inputs, _regional_figures(read_regional(path), report))
    if kind == "crime":
        return "used", _add(inputs, _crime_figures(read_crime(path), str(path), year, report))
    if kind == "statline":
        table = read_statline(path)
        inputs.statline.append(table)
        years = ", ".join(map(str, sorted(table.frame["year"].unique())))
        return "used", (f"{table.table_id or 'table unknown'} ({years}): {table.frame['label'].nunique()} rows "
                        f"keyed by name, topics {', '.join(sorted(table.frame['topic'].unique()))}")
    if kind == "region_mapping":
        mapping = read_region_mapping(path)
        inputs.mappings.append(mapping)
        return "used", f"{len(mapping)} gemeenten in {mapping['regio_code'].nunique()} politie regionale eenheden"
    if kind == "metadata":
        return "used", _metadata(read_metadata(path), inputs)
    if kind == "national_crime":
        crime = read_national_crime(path)
        return "not used", (f"national registered crime, {crime['soort_misdrijf'].nunique()} crime types, "
                            f"{crime['year'].min()}–{crime['year'].max()}: figures of Nederland only (no gemeente, "
                            "wijk or buurt) and no table id in the content")
    names = read_area_names(path)
    inputs.names.append(names)
    return "used", f"{len(names):,} area names"


#: What this tool takes each SoortMisdrijf key of :data:`CRIME_VARIABLES` to be: a code list
#: that titles a key otherwise stops the build (3.1.2 is mensensmokkel, not drugs).
CRIME_TITLES = {"0.0.0": "totaal misdrijven", "3.1.1": "drugshandel", "3.1.3": "wapenhandel",
                "1.6.3": "mensenhandel", "1.6.1": "brand/ontploffing", "1.4.7": "overval"}


def _metadata(meta: Metadata, inputs: _Inputs) -> str:
    """Metadata describe the figures: DataProperties title the topics (and tell repeated stems
    apart), TableInfos name a table, a SoortMisdrijf code list checks the crime keys read."""
    inputs.metadata.append(meta)
    if meta.kind == "TableInfos":
        return f"TableInfos of {meta.table_id}: {meta.title!r} ({meta.entries['group'].iloc[0]})"
    keys = meta.entries["key"].map(normalise_crime_type)
    if meta.kind == "code list" and keys.notna().all():
        titles = dict(zip(keys, meta.entries["title"].str.lower()))
        wrong = [f"{key} is {titles[key]!r} here, read as {want!r}"
                 for key, want in CRIME_TITLES.items() if key in titles and want not in titles[key]]
        if wrong:
            raise ValidationError([Problem(meta.origin, None, "Title", "SoortMisdrijf keys do not mean what this "
                                                                    "tool reads them as: " + "; ".join(wrong))])
        return (f"SoortMisdrijf code list, {len(keys)} crime types; the {len(CRIME_TITLES)} this tool reads "
                "agree with their titles")
    return f"{meta.kind}: {len(meta.entries)} keys with titles"


def _describe_topics(inputs: _Inputs, report: JoinReport) -> None:
    """Name, from DataProperties covering a Kerncijfers file, the topics it holds under repeated
    stems and those not yet published."""
    for table in inputs.kerncijfers:
        keys = set(table.repeated) | set(table.unpublished)
        for meta in inputs.metadata:
            titles = meta.entries.set_index("key")
            if meta.kind != "DataProperties" or not keys or not keys <= set(titles.index):
                continue
            report.say(f"{meta.origin} titles the topics of {table.origin}: "
                       + "; ".join(f"{key} = {titles.at[key, 'group']} / {titles.at[key, 'title']}"
                                   for key in table.repeated))


def _add(inputs: _Inputs, figures: _Figures) -> str:
    inputs.figures.append(figures)
    return _describe(figures)


def _describe(figures: _Figures) -> str:
    frame = figures.frame
    if frame.empty:
        return f"{figures.table_id or 'table unknown'}: no figures we use"
    levels = frame.drop_duplicates("code")["code"].map(_level).value_counts()
    years = ", ".join(map(str, sorted(frame["year"].unique())))
    return (f"{figures.table_id or 'table unknown'} ({years}): {frame['variable'].nunique()} variables for "
            + ", ".join(f"{levels[l]:,} {l}" for l in LEVELS if l in levels))


def _kwb(layer: BoundaryLayer, inputs: _Inputs, report: JoinReport) -> str:
    """The key figures a Wijk- en Buurtkaart layer carries, as figures of its year."""
    try:
        found = kwb_figures(layer)
    except KwbYearUnknown as err:
        return str(err).removeprefix(f"{layer.origin}: ")
    for note in found.notes:
        report.say(f"{layer.origin}: {note}")
    if found.observations.empty:
        return f"no key figures we use (attributes {', '.join(found.unused[:8]) or 'none'})"
    inputs.figures.append(_Figures(layer.origin, "kwb", found.table_id, found.observations))
    unused = f"; not used: {', '.join(found.unused)}" if found.unused else ""
    return (f"key figures {found.year} ({found.table_id or 'table unknown'}): "
            f"{', '.join(sorted(found.variables()))}{unused}")


def _dated(frame: pd.DataFrame, origin: str, year: int | None, report: JoinReport) -> pd.DataFrame:
    """Rows whose year the file does not state get ``year`` (``--year``); without it, refused."""
    undated = frame["year"].isna()
    if undated.any():
        if year is None:
            raise ValidationError([Problem(origin, None, None, "the content does not say which year these "
                                                               "figures are: give --year")])
        report.say(f"{origin}: the content states no year; taken as {year} (--year)")
        frame = frame.assign(year=frame["year"].fillna(year))
    return frame.astype({"year": "int64"})


def _kerncijfers_figures(table: KerncijfersTable, year: int | None, report: JoinReport) -> _Figures:
    if table.evidence and table.evidence != "stated in the file":
        report.say(f"{table.origin}: table {table.table_id} {table.evidence}")
    if table.unpublished:
        report.say(f"{table.origin}: {len(table.unpublished)} topics are empty on every row, not yet published in "
                   f"{table.table_id or 'this table'} (missing, never 0): {', '.join(table.unpublished)}")
        empty = {stem_of(key): key for key in table.unpublished}
        waiting = {variable: keys for variable, rule in KERNCIJFERS_VARIABLES.items()
                   if (keys := [empty[s] for s in rule.needs() if s in empty])}
        if waiting:
            report.say(f"{table.origin}: not yet published, so not made from this table: " + "; ".join(
                f"{variable} ({', '.join(keys)})" for variable, keys in waiting.items()))
    if table.repeated:
        report.say(f"{table.origin}: stems that name several topics, kept apart by their full keys: "
                   f"{', '.join(table.repeated)}")
    if table.ignored:
        report.say(f"{table.origin}: columns that are no CBS topic, not used: {', '.join(table.ignored)}")
    frame = _our_variables(table.frame.assign(year=pd.Series(table.year, index=table.frame.index, dtype="Int64")))
    return _Figures(table.origin, "kerncijfers", table.table_id, _dated(frame, table.origin, year, report))


def _our_variables(wide: pd.DataFrame) -> pd.DataFrame:
    """``code, year, variable, value`` of :data:`KERNCIJFERS_VARIABLES` from a frame of stems."""
    frames = []
    for variable, rule in KERNCIJFERS_VARIABLES.items():
        values = rule.compute(wide)
        if values is not None:
            frames.append(pd.DataFrame({"code": wide["code"].to_numpy(), "year": wide["year"].to_numpy(),
                                        "variable": variable, "value": values.to_numpy(dtype="float64")}))
    frame = pd.concat(frames, ignore_index=True) if frames else _empty_figures()
    frame["year"] = frame["year"].astype("Int64")
    return frame


def _regional_figures(table: RegionalTable, report: JoinReport) -> _Figures:
    """A regional table's gemeente and land figures; other classifications and periods said."""
    if table.other_levels:
        report.say(f"{table.origin}: rows of classifications this tool does not show, not used: "
                   + ", ".join(f"{n:,} {prefix}" for prefix, n in sorted(table.other_levels.items())))
    if table.other_periods:
        report.say(f"{table.origin}: {table.other_periods:,} rows of quarters or months, not used (whole years only)")
    if table.unpublished:
        report.say(f"{table.origin}: topics empty on every row (not published, missing, never 0): "
                   f"{', '.join(table.unpublished)}")
    frame = _our_variables(table.frame).astype({"year": "int64"})
    return _Figures(table.origin, "kerncijfers", table.table_id, frame)


def _crime_figures(crime: pd.DataFrame, origin: str, year: int | None, report: JoinReport) -> _Figures:
    frames = []
    for variable, soort in CRIME_VARIABLES.items():
        part = crime[crime["soort_misdrijf"] == soort]
        if len(part):
            frames.append(pd.DataFrame({"code": part["code"].to_numpy(), "year": part["year"].to_numpy(),
                                        "variable": variable, "value": part["count"].to_numpy(dtype="float64")}))
    frame = pd.concat(frames, ignore_index=True) if frames else _empty_figures()
    frame["year"] = frame["year"].astype("Int64")
    return _Figures(origin, "crime", crime.attrs["table_id"], _dated(frame, origin, year, report))


def _empty_figures() -> pd.DataFrame:
    return pd.DataFrame({"code": pd.Series(dtype="string"), "year": pd.Series(dtype="Int64"),
                         "variable": pd.Series(dtype="object"), "value": pd.Series(dtype="float64")})


def _by_closeness(layers: list[BoundaryLayer], year: int) -> list[BoundaryLayer]:
    """Layers closest to ``year`` first (newer wins a tie); layers of unknown year last."""
    return sorted(layers, key=lambda l: (l.year is None, abs((l.year or 0) - year), -(l.year or 0)))


def files_source(directories, year: int | None = None, report: JoinReport | None = None,
                 skip_unrecognised: bool = False) -> tuple[Source, JoinReport]:
    """Assemble a Source from the official files in ``directories`` (a folder or several).

    Every year the files hold is built; ``year`` is the last year built and the year of the
    area tree (the boundaries the figures are shown on), and dates figures whose file states
    no year. Without ``year`` the latest year found is. ``report`` (made here when not given)
    is filled as far as the build got, so a caller can write it when this raises.

    Raises
    ------
    ValidationError
        A file that is not recognised or cannot be read, a mapping that does not cover every
        gemeente with figures or polygons, a file that seems cut off.
    FilesRefused
        A year that is not in the files, or no figures at all.
    """
    report = report if report is not None else JoinReport()
    directory = ", ".join(map(str, _folders(directories)))
    report.directory = directory
    inputs = collect(directories, report, year, skip_unrecognised)
    mapping = _mapping(inputs, directory)
    inputs.figures += [_statline_figures(t, _gemeente_names(mapping, inputs.layers), report) for t in inputs.statline]
    figures = _figures_of_years(_combined(inputs.figures, report), year, directory, report)
    tree_year = year if year is not None else int(figures["year"].max())

    areas = _area_tree(tree_year, mapping, figures, inputs, report)
    _check_coverage(inputs, figures, areas, tree_year)
    geometry, geometry_years = _geometry(areas, mapping, inputs.layers, tree_year, report)
    observations = _observations(areas, figures, tree_year, report, _names_in_files(inputs))
    catalog, table_ids = _catalog(observations, figures, report)
    observations = observations[observations["variable"].isin(catalog.variables())].reset_index(drop=True)
    years = sorted(observations["year"].unique())
    source = Source(
        kind="cbs",
        description=f"CBS en politie open data, {years[0]}–{years[-1]}" if len(years) > 1
        else f"CBS en politie open data, {years[0]}",
        boundary_year=tree_year,
        areas=areas,
        geometry=geometry,
        observations=observations,
        catalog=catalog,
        attribution=ATTRIBUTION,
        origin=str(directory),
        settings={"boundary_years": ", ".join(f"{lvl} {yrs}" for lvl, yrs in geometry_years.items()),
                  **{f"table.{k}": v for k, v in table_ids.items()}},
        urbanity=_urbanity(inputs.layers, tree_year),
    )
    return source, report


def _mapping(inputs: _Inputs, directory) -> pd.DataFrame:
    if not inputs.mappings:
        raise FilesRefused(
            f"no gemeente → politie regionale eenheid mapping in {directory}: add a CBS 'Gebieden in "
            "Nederland' export or a CSV with gemeentecode and politie_regionale_eenheid_code "
            "(`ondermijningsbeeld fetch` downloads it)")
    mapping = pd.concat(inputs.mappings, ignore_index=True).drop_duplicates(["gemeente_code", "regio_code"])
    twice = mapping[mapping["gemeente_code"].duplicated(keep=False)]
    if len(twice):
        raise FilesRefused("the region mappings disagree: " + "; ".join(
            f"{g} in {', '.join(sorted(r['regio_code']))}" for g, r in twice.groupby("gemeente_code")))
    return mapping.reset_index(drop=True)


#: StatLine topics (with the crime type of its filter) that are our crime counts.
STATLINE_CRIME_TOPICS = ("geregistreerde misdrijven",)


def _gemeente_names(mapping: pd.DataFrame, layers: list[BoundaryLayer]) -> pd.DataFrame:
    """Gemeente codes and names to match name-keyed files on: the mapping's, then the polygons'."""
    frames = [mapping[["gemeente_code", "gemeente_name"]].set_axis(["code", "name"], axis=1)]
    frames += [l.frame[["code", "name"]] for l in layers if l.level == "gemeente"]
    names = pd.concat(frames, ignore_index=True).dropna()
    return names[names["code"].isin(set(mapping["gemeente_code"]))].drop_duplicates()


def _statline_figures(table: StatlineTable, reference: pd.DataFrame, report: JoinReport) -> _Figures:
    """A StatLine download keyed by names: gemeenten, regional units and the land by code; rows
    that are no area (niet in te delen, Buitenland) and names that match no gemeente reported."""
    soort = next((normalise_crime_type(f.split(":", 1)[1]) for f in table.filters
                  if f.lower().startswith("soort misdrijf:")), "0.0.0")
    variable = next((v for v, key in CRIME_VARIABLES.items() if key == soort), None)
    frame = table.frame
    matched = match_gemeente_names(frame["label"].drop_duplicates(), reference).set_index("label")
    frame = frame.join(matched, on="label")
    for kind, rows in frame[~frame["kind"].isin(["gemeente", "land", "regio"])].groupby("kind"):
        for label, reason in rows.drop_duplicates("label")[["label", "reason"]].itertuples(index=False):
            report.unmatched_name("gemeente", label, table.origin, reason)
    used = frame[frame["kind"].isin(["gemeente", "land", "regio"])
                 & frame["topic"].str.lower().isin(STATLINE_CRIME_TOPICS)]
    codes = used["code"].where(used["kind"] != "land", LAND_CODE)
    out = pd.DataFrame({"code": codes.to_numpy(), "year": used["year"].to_numpy(), "variable": variable,
                        "value": used["value"].to_numpy(dtype="float64")})
    if variable is None:
        report.say(f"{table.origin}: soort misdrijf {soort} is none of ours: not used")
        out = out.iloc[0:0]
    per_year = used[used["kind"] == "gemeente"].groupby("year")["code"].nunique()
    report.say(f"{table.origin}: {', '.join(f'{y}: {n} gemeenten' for y, n in per_year.items())} matched by name")
    return _Figures(table.origin, "statline", table.table_id, out.astype({"year": "int64"}))


def _combined(parts: list[_Figures], report: JoinReport) -> pd.DataFrame:
    """One value per code, year and variable. Where files overlap, the kind of table of
    :data:`PRECEDENCE` wins; among tables of one kind, the one with figures for the most areas of
    that variable and year wins everywhere it has them, so a map shows one table wherever it can
    (a gemeente's excerpt of 47018NED does not replace 47013NED's figure for that one gemeente);
    then the first file. Where two tables give different values the report says so."""
    frames = [f.frame.assign(table_id=f.table_id, origin=f.origin, kind=f.kind, rank=PRECEDENCE[f.kind], order=i)
              for i, f in enumerate(parts) if not f.frame.empty]
    if not frames:
        raise FilesRefused("none of the files holds figures this tool uses (Kerncijfers wijken en buurten, "
                           "registered crime, or key figures with the polygons)")
    all_rows = pd.concat(frames, ignore_index=True)
    all_rows["code"] = all_rows["code"].astype("string").str.replace(r"^NL\d{2}$", LAND_CODE, regex=True)
    all_rows["areas"] = -all_rows.groupby(["order", "variable", "year"])["code"].transform("size")
    all_rows = all_rows.sort_values(["rank", "areas", "order"], kind="stable").drop(columns="areas")
    keys = ["code", "year", "variable"]
    kept = all_rows.drop_duplicates(keys, keep="first")
    others = all_rows[all_rows.duplicated(keys, keep="first")].merge(
        kept[keys + ["value", "origin"]], on=keys, suffixes=("", "_used"))
    differ = others[~np.isclose(others["value"], others["value_used"], equal_nan=True)]
    for (origin, used, variable, year), rows in differ.groupby(["origin", "origin_used", "variable", "year"]):
        report.say(f"{variable} {year}: {len(rows):,} values of {origin} differ from {used}, which is used "
                   f"(e.g. {rows['code'].iloc[0]}: {rows['value'].iloc[0]:g} vs {rows['value_used'].iloc[0]:g})")
    return kept.drop(columns=["rank", "order"]).reset_index(drop=True)


def _figures_of_years(figures: pd.DataFrame, year: int | None, directory, report: JoinReport) -> pd.DataFrame:
    found = sorted(int(y) for y in figures["year"].unique())
    if year is None:
        return figures
    if year not in found:
        raise FilesRefused(f"no figures of {year} in {directory}; the files hold {', '.join(map(str, found))}")
    later = figures[figures["year"] > year]
    kept = set(figures.loc[figures["year"] <= year, "origin"])
    for origin, rows in later.groupby("origin"):
        why = (f"figures of {', '.join(map(str, sorted(rows['year'].unique())))} left out "
               f"(--year {year} is the last year built)")
        report.say(f"{origin}: {why}")
        if origin not in kept:
            report.not_used(origin, why)
    return figures[figures["year"] <= year].reset_index(drop=True)


def _level(code: object) -> str | None:
    """The level of an area code, or ``None`` for what is not one."""
    return next((level for level, pattern in CODE_PATTERNS.items()
                 if isinstance(code, str) and pattern.match(code)), None)


def _codes(values, level: str) -> set[str]:
    return {c for c in values if is_valid_code(c, level)}


def _area_tree(year, mapping, figures: pd.DataFrame, inputs: _Inputs, report: JoinReport) -> pd.DataFrame:
    """Land, regions, the mapping's gemeenten, and the wijken and buurten of ``year``: from the
    figures of that year, the code lists, and the polygons of that boundary year."""
    names = pd.concat([pd.DataFrame(columns=["code", "name"]), *inputs.names], ignore_index=True)
    now = set(figures.loc[figures["year"] == year, "code"])
    layers_now = [l for l in inputs.layers if l.year == year]
    buurten = _codes(now, "buurt") | _codes(names["code"], "buurt") | {
        c for l in layers_now if l.level == "buurt" for c in l.frame["code"]}
    if UNKNOWN_LOCATION in buurten:
        report.unmatched("buurt", [UNKNOWN_LOCATION], "figures", "crime", "crime of unknown location (no area)")
        buurten.discard(UNKNOWN_LOCATION)

    wijk_layers = _by_closeness([l for l in inputs.layers if l.level == "wijk"], year)
    wijk_extra = wijk_layers[0].frame[["code", "name", "is_water"]] if wijk_layers else pd.DataFrame(
        columns=["code", "name", "is_water"])
    wijken = {wijk_of(b) for b in buurten} | _codes(now, "wijk") | set(wijk_extra["code"])
    gemeenten = set(mapping["gemeente_code"])
    implied = {gemeente_of(c) for c in wijken | buurten} | _codes(now, "gemeente") | {
        c for l in layers_now if l.level == "gemeente" for c in l.frame["code"]}
    abroad = {c for c in wijken | buurten if gemeente_of(c) == ABROAD_GEMEENTE}
    if abroad:
        report.unmatched("wijk", abroad, "figures", "area list", "Buitenland (GM0998): not an area of the map")
        wijken -= abroad
        buurten -= abroad
    _check_mapping(mapping, implied - {ABROAD_GEMEENTE}, year)

    # names: code lists and the figures' own titles first, then the polygons' names (closest
    # boundary year first), then the mapping's
    candidates = ([names[["code", "name"]]] + [t.frame[["code", "name"]] for t in inputs.kerncijfers]
                  + [l.frame[["code", "name"]] for l in _by_closeness(inputs.layers, year)]
                  + [mapping[["gemeente_code", "gemeente_name"]].set_axis(["code", "name"], axis=1)])
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
    report.say(f"areas ({year}): " + ", ".join(f"{counts.get(l, 0):,} {l}" for l in ("regio", "gemeente", "wijk", "buurt")))
    return areas


def _check_mapping(mapping: pd.DataFrame, gemeenten: set[str], year: int) -> None:
    """The mapping must place every gemeente that has figures or polygons of ``year``."""
    missing = sorted(gemeenten - set(mapping["gemeente_code"]))
    if missing:
        raise FilesRefused(
            f"the gemeente → regionale eenheid mapping covers {len(gemeenten) - len(missing)} of the "
            f"{len(gemeenten)} gemeenten with figures or polygons of {year}; missing: "
            f"{', '.join(missing[:10])}{' …' if len(missing) > 10 else ''} (a mapping cut off, or of another year?)")


def _check_coverage(inputs: _Inputs, figures: pd.DataFrame, areas: pd.DataFrame, year: int) -> None:
    """A file whose figures of ``year`` cover clearly fewer codes of a level than the code lists
    and polygons of that boundary year have, inside the gemeenten it covers, is cut off."""
    reference = {level: set(areas.loc[areas["level"] == level, "code"]) - set(areas.loc[areas["is_water"], "code"])
                 for level in ("wijk", "buurt")}
    problems = []
    for part in inputs.figures:
        rows = part.frame[part.frame["year"] == year]
        for level, known in reference.items():
            codes = _codes(rows["code"], level) & known
            if not codes:
                continue
            touched = {gemeente_of(c) for c in codes}
            inside = {c for c in known if gemeente_of(c) in touched}
            if len(inside) >= MIN_CODES and len(codes) < MIN_COVERAGE * len(inside):
                problems.append(Problem(part.origin, None, None,
                                        f"figures for {len(codes):,} of the {len(inside):,} {level} codes of {year} "
                                        "in the gemeenten it covers: cut off?"))
    if problems:
        raise ValidationError(problems)


def _geometry(areas, mapping, layers: list[BoundaryLayer], year: int, report: JoinReport):
    """Polygons per level: per code the closest boundary year that has it."""
    geometry: dict[str, gpd.GeoDataFrame] = {}
    years: dict[str, str] = {}
    name_of = dict(zip(areas["code"], areas["name"]))
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
                                 f"has no {level} in the {year} figures/area list",
                                 dict(zip(layer.frame["code"], layer.frame["name"].fillna(""))))
        if not found:
            report.say(f"{level}: no polygons")
            continue
        missing = wanted - set(found)
        report.matched[(level, "with a polygon")] = len(found)
        report.say(f"{level}: {len(found)} of {len(wanted)} codes have a polygon"
                   + (f" (boundary years {', '.join(f'{y}: {n}' for y, n in used.items())})" if used else ""))
        if missing:
            report.unmatched(level, missing, "figures", "area list", "no polygon for this code", name_of)
        geometry[level] = gpd.GeoDataFrame({"code": list(found)}, geometry=list(found.values()), crs=RD_NEW)
        years[level] = "/".join(str(y) for y in sorted(used, key=lambda y: (y is None, y)))
    if "gemeente" in geometry:
        gm = geometry["gemeente"].merge(mapping[["gemeente_code", "regio_code"]], left_on="code",
                                        right_on="gemeente_code")
        geometry["regio"] = dissolve(gm, "regio_code")
        gm["land_code"] = LAND_CODE
        geometry["land"] = dissolve(gm, "land_code")
    return geometry, years


def _names_in_files(inputs: _Inputs) -> dict[str, str]:
    """Every code's name in any file (code lists and figures first), to name what did not join."""
    frames = ([*inputs.names] + [t.frame[["code", "name"]] for t in inputs.kerncijfers]
              + [l.frame[["code", "name"]] for l in inputs.layers])
    pairs = pd.concat([pd.DataFrame(columns=["code", "name"]), *frames], ignore_index=True).dropna()
    return dict(zip(pairs["code"].iloc[::-1], pairs["name"].astype(str).str.strip().iloc[::-1]))


def _observations(areas: pd.DataFrame, figures: pd.DataFrame, year: int, report: JoinReport,
                  names: dict[str, str]) -> pd.DataFrame:
    """The figures of the tree's areas; those of other codes are reported with the reason and
    their name where a file gives one (a former gemeente with the year of its merger)."""
    known = set(areas["code"])
    inside = figures["code"].isin(known)
    stray = figures[~inside & (figures["code"] != UNKNOWN_LOCATION)
                    & (figures["code"].map(gemeente_of) != ABROAD_GEMEENTE)]
    for (origin, code_year), rows in stray.groupby(["origin", "year"]):
        for level in LEVELS:
            codes = set(rows["code"][rows["code"].map(_level) == level])
            if not codes:
                continue
            reason = (f"{level} code of {code_year}, not in the areas of {year}" if code_year != year
                      else f"{level} code not in the areas of {year} (not in the region mapping's gemeenten)")
            former = {c for c in codes if level == "gemeente" and former_gemeente(names.get(c, ""))}
            for code in sorted(former):
                report.unmatched(level, [code], "figures", origin, f"{reason}: {former_gemeente(names[code])}", names)
            report.unmatched(level, codes - former, "figures", origin, reason, names)
    obs = figures[inside].copy()
    for level in ("gemeente", "wijk", "buurt"):
        n = obs.loc[obs["code"].map(_level) == level, "code"].nunique()
        if n:
            report.matched[(level, "with figures")] = n
    report.say(f"variables present: {', '.join(sorted(obs['variable'].unique()))}")
    return obs.reset_index(drop=True)


def _urbanity(layers: list[BoundaryLayer], year: int) -> pd.Series | None:
    """CBS urbanity class (1..5) per gemeente, from the polygons' key figures when published."""
    for layer in _by_closeness([l for l in layers if l.level == "gemeente"], year):
        for column in layer.attributes.columns:
            if re.sub(r"[^a-z0-9]", "", column.lower()) in ("stedelijkheidadressenperkm2", "matevanstedelijkheid",
                                                         "stedelijkheid"):
                classes = layer.attributes.set_index("code")[column].dropna()
                return classes[classes.between(1, 5)].astype(int).rename("urbanity_class")
    return None


def _tables(figures: pd.DataFrame, variables: set[str], kinds: tuple[str, ...]) -> str:
    """``"85984NED (2024), 85618NED (2023)"``: the tables and years the variables come from."""
    rows = figures[figures["variable"].isin(variables) & figures["kind"].isin(kinds) & figures["value"].notna()]
    rows = rows.assign(table=rows["table_id"].fillna("tabel onbekend"))
    by_table = rows.groupby("table")["year"].agg(lambda y: sorted(set(int(v) for v in y)))
    ordered = sorted(by_table.items(), key=lambda item: -item[1][-1])
    return ", ".join(f"{table} ({', '.join(map(str, years))})" for table, years in ordered)


def _catalog(obs: pd.DataFrame, figures: pd.DataFrame, report: JoinReport) -> tuple[Catalog, dict[str, str]]:
    """The cbs indicators whose variables are present, each naming the tables and years of its figures."""
    base = load_catalog().for_dataset("cbs")
    known = obs.groupby("variable")["value"].apply(lambda v: v.notna().any())
    present = set(known[known].index)
    used = obs[["code", "year", "variable"]].merge(figures, on=["code", "year", "variable"])
    kept, absent = [], []
    for ind in base.indicators:
        needs = {ind.numerator, ind.denominator} - {""}
        if needs <= present:
            ids = {"kerncijfers": _tables(used, needs, ("kerncijfers", "kwb")),
                   "misdrijven": _tables(used, needs, ("crime", "statline"))}
            kept.append(replace(ind, table_id=ind.table_id.format(**ids)))
        else:
            absent.append(f"{ind.id} (needs {', '.join(sorted(needs - present))})")
    report.say(f"indicators: {len(kept)} made" + (f"; absent from the input: {'; '.join(absent)}" if absent else ""))
    if not kept:
        raise FilesRefused("no indicator can be made from these files")
    every = set(obs["variable"])
    table_ids = {"kerncijfers": _tables(used, every, ("kerncijfers", "kwb")),
                 "misdrijven": _tables(used, every, ("crime", "statline"))}
    return Catalog(base.themes, tuple(kept), base.open_variables), {k: v for k, v in table_ids.items() if v}
