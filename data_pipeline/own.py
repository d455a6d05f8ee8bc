"""The analyst's own data beside the open data: layer specs, the own-data store, own indicator
values and the per-viewer overlay warehouse.

An organisation uploads a file (read and joined to the warehouse's areas by
:mod:`data_pipeline.own_files`) and says per value column what it is (:class:`LayerSpec`,
also as TOML for repeatable imports). The columns become ordinary
:class:`~indicators.catalog.Indicator`\\ s of dataset ``eigen`` whose values the same engine as
open data computes (:func:`data_pipeline.aggregate.aggregate_indicator_values`: ratio of sums up
the tree, published figures of a level win, disclosure control over the whole tree, the built-in
attacker of :mod:`data_pipeline.attack` after it):

- ``rate``: a count per ``per`` units of an open variable of the warehouse (inwoners, woningen,
  ...; :func:`denominators`), stored by the build per area (``open_observations``);
- ``count``: the count as such;
- ``value``: a ready value (a score, a rate) shown only at the level it was given, never
  aggregated; with ``weight_column`` a weighted mean up the tree (value × weight / weight).

Stored apart (:func:`own_root`: ``<warehouse stem>.eigen/`` beside the warehouse), one pair of
files per organisation: ``<org>.duckdb``, the only file the server reads, holds the layers and
their *disclosed* values per warehouse build; ``<org>.raw.duckdb`` holds the uploaded cells,
needed to join a layer again after a rebuild, and is never opened by the server. Every write
copies both to temporary files, changes those and swaps them in with ``os.replace`` under a lock
per organisation: a failed write leaves both byte-identical. The open-data warehouse is never
written. Removing is soft (``removed_at``): a layer can be restored for :data:`RESTORE_DAYS`
days; replacing a layer keeps its previous version, which :meth:`OwnStore.restore` brings back.

:func:`overlay` gives the warehouse as a viewer of an organisation sees it: its catalog, years
and every SQL read include the visible own layers (another organisation's are unknown ids).
:func:`rejoin_all` (run by every build before its swap) joins every layer again to the new areas
and computes its values for the new build.
"""

from __future__ import annotations

import fcntl
import json
import logging
import math
import os
import re
import shutil
import threading
import tomllib
import unicodedata
import uuid
import weakref
from collections import OrderedDict
from contextlib import contextmanager
from dataclasses import asdict, dataclass, fields, replace
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path
from typing import Iterator, Sequence

import duckdb
import numpy as np
import pandas as pd

from data_pipeline.aggregate import aggregate_indicator_values
from data_pipeline.attack import check_published
from data_pipeline.own_files import Joined, OwnInputError, OwnTable, join, recognise
from data_pipeline.warehouse import Warehouse, execute, query, registered
from indicators.catalog import DIRECTIONS, Catalog, Indicator

log = logging.getLogger(__name__)

KINDS = ("rate", "count", "value")
OWN_THEME = "eigen"
OWN_THEME_LABELS = {"nl": "Eigen gegevens", "en": "Own data"}
OWN_DATASET = "eigen"
#: Days a removed layer (or a replaced version) can be restored.
RESTORE_DAYS = 30
#: The smallest denominator shown at wijk and buurt level, per open variable (as the catalog's).
DEFAULT_MIN_DENOMINATOR = {"inwoners": 100.0, "inwoners_15_64": 100.0, "huishoudens": 50.0, "woningen": 50.0,
                           "huishoudens_met_kinderen": 50.0, "jongeren_12_24": 50.0, "jongeren_15_25": 50.0,
                           "vestigingen": 20.0, "land_km2": 0.5}
#: A count of 1 up to this less one is hidden at wijk and buurt level (own signals are small and sensitive).
DEFAULT_MIN_COUNT = 5.0
#: The smallest weight of a weighted mean shown at wijk and buurt level.
DEFAULT_MIN_WEIGHT = 10.0
_SLUG = re.compile(r"[^a-z0-9]+")
_VALUE_COLUMNS = ["code", "year", "indicator", "value", "numerator", "denominator", "status", "n_parts",
                  "n_parts_with_data", "origin"]


class OwnError(ValueError):
    """A spec, store or layer operation that cannot be done; the message says why."""


def slug(text: str) -> str:
    """``"RIEC Oost-Nederland"`` -> ``"riec-oost-nederland"`` (ASCII, lower case, dashes)."""
    ascii_text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode("ascii")
    return _SLUG.sub("-", ascii_text.lower()).strip("-")


def _now() -> datetime:
    return datetime.now(timezone.utc)


# --------------------------------------------------------------------------- the spec


@dataclass(frozen=True)
class ColumnSpec:
    """What one value column of an uploaded file is, and how it is shown."""

    column: str
    kind: str
    label: str
    denominator: str | None = None
    per: float = 1000.0
    theme: str = OWN_THEME
    direction: str = "higher_is_worse"
    min_denominator: float | None = None   # None: the default of the kind and denominator
    min_count: float | None = None
    weight_column: str | None = None
    in_composite: bool = False
    weight: float = 1.0

    def __post_init__(self) -> None:
        where = f"column {self.column!r}"
        if not isinstance(self.column, str) or not self.column.strip():
            raise OwnError("columns: every column needs a 'column' (the file's column name)")
        if self.kind not in KINDS:
            raise OwnError(f"{where}: kind {self.kind!r} is not one of {', '.join(KINDS)}")
        if not isinstance(self.label, str) or not self.label.strip():
            raise OwnError(f"{where}: label must be a non-empty text")
        if self.kind == "rate" and not self.denominator:
            raise OwnError(f"{where}: kind 'rate' needs a denominator (an open variable such as inwoners)")
        if self.kind != "rate" and self.denominator:
            raise OwnError(f"{where}: denominator is only for kind 'rate', not {self.kind!r}")
        if self.weight_column and self.kind != "value":
            raise OwnError(f"{where}: weight_column is only for kind 'value'")
        if self.weight_column == self.column:
            raise OwnError(f"{where}: weight_column must be another column")
        if not _positive(self.per):
            raise OwnError(f"{where}: per must be a positive number (1, 100, 1000, 10000)")
        if self.direction not in DIRECTIONS:
            raise OwnError(f"{where}: direction {self.direction!r} is not one of {', '.join(DIRECTIONS)}")
        if not isinstance(self.theme, str) or not self.theme.strip():
            raise OwnError(f"{where}: theme must be a theme id (e.g. {OWN_THEME!r})")
        if not isinstance(self.in_composite, bool):
            raise OwnError(f"{where}: in_composite must be true or false")
        if self.in_composite and (self.kind == "count" or self.direction == "neutral"):
            raise OwnError(f"{where}: in_composite needs a rate or a value with a direction "
                           "(a count depends on the size of an area; 'neutral' is context)")
        if not (_number(self.weight) and math.isfinite(self.weight) and self.weight > 0):
            raise OwnError(f"{where}: weight must be a number above 0")
        for name, default in (("min_denominator", self._default_min_denominator()),
                              ("min_count", DEFAULT_MIN_COUNT if self.kind in ("rate", "count") else 0.0)):
            value = getattr(self, name)
            if value is None:
                object.__setattr__(self, name, float(default))
            elif not (_number(value) and math.isfinite(value) and value >= 0):
                raise OwnError(f"{where}: {name} must be a number of 0 or more")
            else:
                object.__setattr__(self, name, float(value))
        object.__setattr__(self, "per", float(self.per))
        object.__setattr__(self, "weight", float(self.weight))

    def _default_min_denominator(self) -> float:
        if self.kind == "rate":
            return DEFAULT_MIN_DENOMINATOR.get(self.denominator or "", 50.0)
        return DEFAULT_MIN_WEIGHT if self.weight_column else 0.0


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _positive(value) -> bool:
    return _number(value) and math.isfinite(value) and value > 0


_LAYER_KEYS = {"name", "area_column", "year_column", "year", "sheet", "shared_with_liec", "columns"}
_COLUMN_KEYS = {f.name for f in fields(ColumnSpec)}


@dataclass(frozen=True)
class LayerSpec:
    """The choices of an import: area and year, and per value column a :class:`ColumnSpec`."""

    name: str
    area_column: str
    columns: tuple[ColumnSpec, ...]
    year_column: str | None = None
    year: int | None = None
    sheet: str | None = None
    shared_with_liec: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise OwnError("name: the layer needs a name")
        if not isinstance(self.area_column, str) or not self.area_column.strip():
            raise OwnError("area_column: name the column with the area codes or gemeente names")
        object.__setattr__(self, "columns", tuple(self.columns))
        if not self.columns:
            raise OwnError("columns: name at least one value column ([[columns]])")
        names = [c.column for c in self.columns]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise OwnError(f"columns: {', '.join(map(repr, twice))} listed twice")
        if self.area_column in names or (self.year_column and self.year_column in names):
            raise OwnError("columns: the area or year column cannot be a value column")
        if self.year_column is None and self.year is None:
            raise OwnError("year_column / year: name the year column or give the year of every row")
        if self.year_column is not None and self.year is not None:
            raise OwnError("year_column / year: give one of them, not both")
        if self.year is not None and (not isinstance(self.year, int) or isinstance(self.year, bool)
                                      or not 1900 <= self.year <= 2100):
            raise OwnError(f"year: {self.year!r} is not a year")
        if not isinstance(self.shared_with_liec, bool):
            raise OwnError("shared_with_liec must be true or false")

    @property
    def used_columns(self) -> list[str]:
        """The file's value columns the layer reads (weights included)."""
        used = []
        for c in self.columns:
            used += [c.column] + ([c.weight_column] if c.weight_column else [])
        return list(dict.fromkeys(used))

    @property
    def count_columns(self) -> list[str]:
        """Columns that must not be negative (counts and weights)."""
        return [c.column for c in self.columns if c.kind in ("rate", "count")] + [
            c.weight_column for c in self.columns if c.weight_column]

    @classmethod
    def from_toml(cls, text: str) -> "LayerSpec":
        """Parse a spec; every error names the key."""
        try:
            raw = tomllib.loads(text)
        except tomllib.TOMLDecodeError as err:
            raise OwnError(f"spec is not valid TOML: {err}") from None
        unknown = sorted(set(raw) - _LAYER_KEYS)
        if unknown:
            raise OwnError(f"spec: unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(_LAYER_KEYS))}")
        columns = raw.get("columns")
        if not isinstance(columns, list) or not all(isinstance(c, dict) for c in columns):
            raise OwnError("columns: give each value column as a [[columns]] table")
        specs = []
        for number, entry in enumerate(columns, start=1):
            unknown = sorted(set(entry) - _COLUMN_KEYS)
            if unknown:
                raise OwnError(f"columns[{number}]: unknown key(s) {', '.join(unknown)}; "
                               f"known: {', '.join(sorted(_COLUMN_KEYS))}")
            missing = [k for k in ("column", "kind", "label") if k not in entry]
            if missing:
                raise OwnError(f"columns[{number}]: {', '.join(missing)} missing")
            for key in ("column", "kind", "label", "denominator", "theme", "direction", "weight_column"):
                if key in entry and not isinstance(entry[key], str):
                    raise OwnError(f"columns[{number}].{key} must be a text")
            for key in ("per", "min_denominator", "min_count", "weight"):
                if key in entry and not _number(entry[key]):
                    raise OwnError(f"columns[{number}].{key} must be a number")
            try:
                specs.append(ColumnSpec(**entry))
            except OwnError as err:
                raise OwnError(f"columns[{number}]: {err}") from None
        for key in ("name", "area_column", "year_column", "sheet"):
            if key in raw and not isinstance(raw[key], str):
                raise OwnError(f"{key} must be a text")
        if "name" not in raw or "area_column" not in raw:
            raise OwnError("name and area_column are required")
        return cls(**{**{k: v for k, v in raw.items() if k != "columns"}, "columns": tuple(specs)})

    def to_toml(self) -> str:
        """The spec as TOML that :meth:`from_toml` reads back to an equal spec."""
        lines = ["# Own data layer: edit and import again with --spec FILE", ""]
        for key in ("name", "area_column", "year_column", "year", "sheet", "shared_with_liec"):
            value = getattr(self, key)
            if value is not None:
                lines.append(f"{key} = {_toml_value(value)}")
        for c in self.columns:
            lines += ["", "[[columns]]"]
            for f in fields(ColumnSpec):
                value = getattr(c, f.name)
                if value is not None:
                    lines.append(f"{f.name} = {_toml_value(value)}")
        return "\n".join(lines) + "\n"


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return json.dumps(str(value), ensure_ascii=False)   # a JSON string is a TOML basic string


@lru_cache(maxsize=16)
def _denominators(warehouse: Warehouse) -> tuple[str, ...]:
    found = warehouse.open_observations(sorted(warehouse.catalog.open_variables))
    return tuple(sorted(found["variable"].unique()))


def denominators(warehouse: Warehouse) -> list[str]:
    """The open variables the warehouse holds per area (the denominators of kind ``rate``); empty
    for a warehouse built before they were stored."""
    return list(_denominators(open_data(warehouse)))


def open_data(warehouse: Warehouse) -> Warehouse:
    """The open-data warehouse under a live, per-viewer or own-data one: own values are joined
    to, computed on and stored for that build, whoever's view of it an import comes through."""
    current = warehouse.current()
    return current.base if isinstance(current, OwnOverlay) else current


def propose(table: OwnTable, warehouse: Warehouse) -> LayerSpec:
    """A spec from what :func:`data_pipeline.own_files.recognise` finds: every value column a
    count per 1,000 inwoners when it holds whole numbers of 0 or more (and the warehouse has
    inwoners), a count otherwise of whole numbers, else a ready value."""
    warehouse = open_data(warehouse)
    found = recognise(table, warehouse)
    if not found.area_column:
        raise OwnInputError(table.file_name, None, None, "no column of area codes or gemeente names found",
                            "geen kolom met gebiedscodes of gemeentenamen gevonden")
    if not found.value_columns:
        raise OwnInputError(table.file_name, None, None, "no column of numbers found",
                            "geen kolom met getallen gevonden")
    year = None if found.year_column else (max(warehouse.years) if warehouse.years else None)
    joined = join(table, warehouse, area_column=found.area_column, value_columns=found.value_columns,
                  year_column=found.year_column, year=year)
    has_inwoners = "inwoners" in denominators(warehouse)
    columns = []
    for column in found.value_columns:
        values = joined.values.loc[joined.values["column"] == column, "value"].dropna()
        whole = bool(len(values)) and bool(((values >= 0) & (values == np.round(values))).all())
        if whole and has_inwoners:
            columns.append(ColumnSpec(column, "rate", column, denominator="inwoners", per=1000.0))
        else:
            columns.append(ColumnSpec(column, "count" if whole else "value", column))
    return LayerSpec(name=Path(table.file_name).stem, area_column=found.area_column, columns=tuple(columns),
                     year_column=found.year_column, year=year, sheet=table.sheet)


# --------------------------------------------------------------------------- computing values


def indicator_id(layer_id: str, column: str) -> str:
    return f"eigen_{layer_id}_{slug(column).replace('-', '_') or 'kolom'}"


#: What the open variables a rate can be per are called, in Dutch and English (unit texts, choices).
BASE_WORDS = {
    "inwoners": {"nl": "inwoners", "en": "inhabitants"},
    "woningen": {"nl": "woningen", "en": "dwellings"},
    "huishoudens": {"nl": "huishoudens", "en": "households"},
    "vestigingen": {"nl": "vestigingen", "en": "establishments"},
    "jongeren_12_24": {"nl": "jongeren van 12 tot 25 jaar", "en": "young people aged 12 to 24"},
    "jongeren_15_25": {"nl": "jongeren van 15 tot 25 jaar", "en": "young people aged 15 to 24"},
    "inwoners_15_64": {"nl": "inwoners van 15 tot 65 jaar", "en": "inhabitants aged 15 to 64"},
    "huishoudens_met_kinderen": {"nl": "huishoudens met kinderen", "en": "households with children"},
    "land_km2": {"nl": "km² land", "en": "km² of land"},
}


def base_word(variable: str, lang: str) -> str:
    """``inwoners`` -> "inhabitants" in English; a variable without words keeps its name."""
    return BASE_WORDS.get(variable, {}).get(lang, variable)


def _per_text(per: float, lang: str) -> str:
    whole = f"{int(per):,}" if per == int(per) else f"{per:g}"
    return whole.replace(",", ".") if lang == "nl" else whole


def layer_indicators(layer: "Layer") -> list[Indicator]:
    """The own indicators of a layer version (ids stable across versions)."""
    out = []
    ids = _column_ids(layer.id, layer.spec)
    for c in layer.spec.columns:
        ind_id = ids[c.column]
        if c.kind == "rate":
            units = tuple(f"per {_per_text(c.per, lang)} {base_word(c.denominator, lang)}" for lang in ("nl", "en"))
            denominator, multiplier, how = c.denominator, c.per, units
        elif c.kind == "count":
            units, denominator, multiplier, how = ("aantal", "count"), "", 1.0, ("als aantal", "as a count")
        elif c.weight_column:
            units, denominator, multiplier = ("gewogen gemiddelde", "weighted mean"), f"{ind_id}__gewicht", 1.0
            how = (f"gewogen met {c.weight_column}", f"weighted by {c.weight_column}")
        else:
            units, denominator, multiplier = ("waarde", "value"), f"{ind_id}__een", 1.0
            how = ("alleen op het niveau waarop het is aangeleverd", "only at the level it was given")
        out.append(Indicator(
            id=ind_id, theme=c.theme, label_nl=c.label, label_en=c.label, unit_nl=units[0], unit_en=units[1],
            numerator=ind_id, denominator=denominator, multiplier=multiplier, direction=c.direction,
            min_denominator=float(c.min_denominator), dataset=OWN_DATASET, source=layer.source_line(), source_en=layer.source_line("en"),
            table_id=f"EIGEN-{layer.id} v{layer.version}", min_count=float(c.min_count),
            explain_nl=(f"Eigen gegevens van {layer.organisation} uit {layer.file_name} (kolom {c.column!r}), "
                        f"{how[0]}. Alleen zichtbaar voor {layer.organisation}."),
            explain_en=(f"Own data of {layer.organisation} from {layer.file_name} (column {c.column!r}), "
                        f"{how[1]}. Visible to {layer.organisation} only."),
            in_composite=c.in_composite, weight=c.weight))
    return out


def _column_ids(layer_id: str, spec: LayerSpec) -> dict[str, str]:
    ids: dict[str, str] = {}
    for c in spec.columns:
        base = candidate = indicator_id(layer_id, c.column)
        n = 2
        while candidate in ids.values():
            candidate, n = f"{base}_{n}", n + 1
        ids[c.column] = candidate
    return ids


def compute_values(warehouse: Warehouse, layer: "Layer", joined: pd.DataFrame) -> pd.DataFrame:
    """The disclosed values of a layer's indicators on ``warehouse`` from its joined rows
    (``code``, ``level``, ``year``, ``column``, ``value``), through the engine of open data.

    Raises :class:`OwnError` for a rate whose denominator the warehouse lacks, and
    :class:`~data_pipeline.attack.DisclosureError` if the attacker found anything (it never should).
    """
    for column in layer.spec.columns:
        if column.kind == "rate" and column.denominator not in denominators(warehouse):
            have = ", ".join(denominators(warehouse))
            raise OwnError(f"column {column.column!r}: the warehouse has no denominator {column.denominator!r}; "
                           + (f"it has: {have}" if have else "it was built before own data had denominators: "
                              "rebuild it (`ondermijningsbeeld build ...`) to use kind 'rate'"))
    indicators = layer_indicators(layer)
    years = sorted(int(y) for y in joined["year"].unique())
    rows = joined.dropna(subset=["value"])
    wide = rows.pivot_table(index=["code", "year"], columns="column", values="value", aggfunc="first")
    observations, variables = [], {}
    for ind, column in zip(indicators, layer.spec.columns):   # in the spec's order
        if column.column not in wide.columns:
            continue
        value = wide[column.column]
        if column.kind == "value" and column.weight_column:
            weight = wide[column.weight_column] if column.weight_column in wide.columns else value * np.nan
            both = value.notna() & weight.notna()
            observations += [_obs(value[both] * weight[both], ind.numerator), _obs(weight[both], ind.denominator)]
            variables.update({ind.numerator: False, ind.denominator: False})
        elif column.kind == "value":
            value = value.dropna()
            observations += [_obs(value, ind.numerator), _obs(value * 0 + 1.0, ind.denominator)]
            variables.update({ind.numerator: False, ind.denominator: True})
        else:
            observations.append(_obs(value.dropna(), ind.numerator))
            variables[ind.numerator] = False
            if column.kind == "rate":
                variables[column.denominator] = True
    bases = sorted(v for v, is_open in variables.items() if is_open and v in warehouse.catalog.open_variables)
    if bases:
        observations.append(warehouse.open_observations(bases, years))
    obs = pd.concat(observations, ignore_index=True) if observations else pd.DataFrame(
        columns=["code", "year", "variable", "value"])
    con = duckdb.connect()   # in memory: the raw own counts are never written anywhere
    try:
        areas = warehouse.areas_frame()[["code", "level", "parent_code", "is_water"]]
        frame = pd.DataFrame([asdict(i) for i in indicators]).reset_index(names="position")
        with registered(con, "areas_frame", areas), registered(con, "ind_frame", frame), \
                registered(con, "obs_frame", obs[["code", "year", "variable", "value"]]), \
                registered(con, "var_frame", pd.DataFrame({"variable": list(variables),
                                                           "is_open": list(variables.values())})):
            execute(con, "CREATE TABLE areas AS SELECT code, level, parent_code, is_water::BOOLEAN AS is_water "
                         "FROM areas_frame")
            execute(con, "CREATE TABLE indicators AS SELECT * FROM ind_frame")
            execute(con, "CREATE TABLE variables AS SELECT variable::VARCHAR AS variable, is_open::BOOLEAN AS is_open "
                         "FROM var_frame")
            execute(con, "CREATE TABLE observations AS SELECT code::VARCHAR AS code, year::INTEGER AS year, "
                         "variable::VARCHAR AS variable, value::DOUBLE AS value FROM obs_frame")
        aggregate_indicator_values(con)
        check_published(con)
        values = query(con, f"SELECT {', '.join(_VALUE_COLUMNS)} FROM indicator_values WHERE status <> 'missing'")
    finally:
        con.close()
    ready = [i.id for i, c in zip(indicators, layer.spec.columns) if c.kind == "value" and not c.weight_column]
    # A ready value is shown only where it was given: never a sum (or mean) of ready values.
    values = values[~values["indicator"].isin(ready) | values["origin"].eq("published")]
    return values.reset_index(drop=True)


def _obs(series: pd.Series, variable: str) -> pd.DataFrame:
    frame = series.rename("value").reset_index()
    frame["variable"] = variable
    return frame[["code", "year", "variable", "value"]]


# --------------------------------------------------------------------------- layers and the store


@dataclass(frozen=True)
class Layer:
    id: str
    version: int
    organisation: str
    name: str
    file_name: str
    uploader: str
    uploaded_at: str
    rows: int
    matched: int
    years: tuple[int, ...]
    removed_at: str | None
    shared_with_liec: bool
    spec: LayerSpec
    indicators: tuple[str, ...] = ()
    removed_by: str | None = None
    report: tuple[str, ...] = ()   # the join report's lines (of the last join)

    @property
    def match_rate(self) -> float:
        return self.matched / self.rows if self.rows else 0.0

    @property
    def is_removed(self) -> bool:
        return self.removed_at is not None

    def source_line(self, lang: str = "nl") -> str:
        return f"{OWN_THEME_LABELS[lang]} — {self.organisation}, {self.file_name}, {self.uploaded_at[:10]}"


def own_root(warehouse_path: Path) -> Path:
    """The folder of own data beside a warehouse: ``<warehouse stem>.eigen/``."""
    path = Path(warehouse_path)
    return path.with_name(path.stem + ".eigen")


_LAYER_TABLE = """CREATE TABLE IF NOT EXISTS s.layers (
    id VARCHAR, version INTEGER, organisation VARCHAR, name VARCHAR, file_name VARCHAR, uploader VARCHAR,
    uploaded_at VARCHAR, rows INTEGER, matched INTEGER, years VARCHAR, removed_at VARCHAR, removed_by VARCHAR,
    shared_with_liec BOOLEAN, spec VARCHAR, indicators VARCHAR, report VARCHAR)"""
_VALUES_TABLE = """CREATE TABLE IF NOT EXISTS s.own_values (
    build_id VARCHAR, layer VARCHAR, version INTEGER, code VARCHAR, year INTEGER, indicator VARCHAR,
    value DOUBLE, numerator DOUBLE, denominator DOUBLE, status VARCHAR, n_parts INTEGER,
    n_parts_with_data INTEGER, origin VARCHAR)"""
_RAW_TABLE = """CREATE TABLE IF NOT EXISTS r.uploads (
    layer VARCHAR, version INTEGER, position INTEGER, file_name VARCHAR, kind VARCHAR, sheet VARCHAR,
    sheets VARCHAR, columns VARCHAR, title VARCHAR, notes VARCHAR, cells VARCHAR)"""


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _read(path: Path, sql: str, params: list | tuple = ()) -> pd.DataFrame:
    """One statement on ``path`` attached read-only as ``s``, in a connection of its own (never
    DuckDB's shared instance of the path, which would keep showing a file that was swapped)."""
    con = duckdb.connect()
    try:
        execute(con, "ATTACH ? AS s (READ_ONLY)", [str(path)])
        return query(con, sql, params)
    finally:
        con.close()


def _served_files(root: Path) -> list[Path]:
    """The file the server reads of each organisation with own data under ``root`` (not the raw ones)."""
    root = Path(root)
    return sorted(p for p in root.glob("*.duckdb") if not p.name.endswith(".raw.duckdb")) if root.exists() else []


class OwnStore:
    """One organisation's own layers under ``root`` (see the module docstring)."""

    def __init__(self, root: Path, organisation: str):
        if not isinstance(organisation, str) or not organisation.strip():
            raise OwnError("own data needs an organisation (--owner ORG)")
        key = slug(organisation)
        if not key or len(key) > 80:
            raise OwnError(f"organisation {organisation!r}: give a name of letters and digits (at most 80)")
        self.root = Path(root)
        self.organisation = organisation.strip()
        self.key = key
        self.path = self.root / f"{key}.duckdb"          # what the server reads: disclosed values only
        self.raw_path = self.root / f"{key}.raw.duckdb"  # the uploaded cells: never read by the server
        self._lock = self.root / f".{key}.lock"

    # -- reading --------------------------------------------------------------

    def _frame(self, sql: str, params: list | tuple = ()) -> pd.DataFrame:
        return _read(self.path, sql, params) if self.path.exists() else pd.DataFrame()

    def versions(self) -> list[Layer]:
        """Every stored version of every layer of the organisation, removed ones too."""
        frame = self._frame("SELECT * FROM s.layers WHERE organisation = ? ORDER BY id::INTEGER, version",
                            [self.organisation])
        return [_layer_of(row) for row in frame.itertuples(index=False)]

    def layers(self, *, include_removed: bool = False) -> list[Layer]:
        """The current version of each layer (with ``include_removed`` also removed layers: their
        latest version)."""
        latest: dict[str, Layer] = {}
        for layer in self.versions():
            current = latest.get(layer.id)
            if current is None or (current.is_removed, -current.version) > (layer.is_removed, -layer.version):
                latest[layer.id] = layer
        return [layer for layer in latest.values() if include_removed or not layer.is_removed]

    def layer(self, layer_id: str) -> Layer:
        """The current (else latest removed) version of a layer; KeyError for an unknown id."""
        for layer in self.layers(include_removed=True):
            if layer.id == str(layer_id):
                return layer
        raise KeyError(f"no own layer {layer_id!r} of {self.organisation}")

    def values(self, build_id: str, layers: Sequence[Layer]) -> pd.DataFrame:
        """The disclosed values of some layer versions for a build."""
        if not layers:
            return pd.DataFrame(columns=_VALUE_COLUMNS)
        keys = [f"{layer.id}/{layer.version}" for layer in layers]
        return self._frame(f"""SELECT {', '.join(_VALUE_COLUMNS)} FROM s.own_values
                               WHERE build_id = ? AND layer || '/' || version IN (SELECT unnest(?::VARCHAR[]))""",
                           [build_id, keys])

    def built_for(self, layer: Layer) -> list[str]:
        """The warehouse builds a layer version has values for."""
        frame = self._frame("SELECT DISTINCT build_id FROM s.own_values WHERE layer = ? AND version = ? ORDER BY 1",
                            [layer.id, layer.version])
        return frame["build_id"].tolist() if len(frame) else []

    def state(self) -> tuple | None:
        """Changes whenever the served file does (for caches)."""
        return _stat(self.path)

    # -- adding ---------------------------------------------------------------

    def preview_join(self, table: OwnTable | Sequence[OwnTable], spec: LayerSpec, warehouse: Warehouse) -> Joined:
        """Join ``table`` (one file or several of the same layout) as ``spec`` says and compute its
        values once, so that everything that could fail fails here; stores nothing."""
        warehouse = open_data(warehouse)
        joined = join_tables(table, spec, warehouse)
        compute_values(warehouse, self._draft(spec, joined, "0", 1, uploader="preview"), joined.values)
        return joined

    def add(self, table: OwnTable | Sequence[OwnTable], spec: LayerSpec, warehouse: Warehouse, *,
            uploader: str, replace: str | None = None) -> Layer:
        """Store a new layer (or a new version of ``replace``): all or nothing."""
        warehouse = open_data(warehouse)
        tables = _as_tables(table)
        joined = join_tables(tables, spec, warehouse)
        with _locked(self.root / ".ids.lock"), _locked(self._lock):
            if replace is not None:
                previous = self.layer(str(replace))
                if previous.is_removed:
                    raise OwnError(f"layer {replace} is removed; restore it first (`own restore {replace}`)")
                layer_id, version = previous.id, max(v.version for v in self.versions() if v.id == previous.id) + 1
            else:
                layer_id, version = str(_next_id(self.root)), 1
            layer = self._draft(spec, joined, layer_id, version, uploader=uploader)
            values = compute_values(warehouse, layer, joined.values)
            when = layer.uploaded_at

            def change(con: duckdb.DuckDBPyConnection) -> None:
                if replace is not None:
                    execute(con, """UPDATE s.layers SET removed_at = ?, removed_by = ?
                                    WHERE id = ? AND removed_at IS NULL""", [when, f"replaced by v{version}", layer_id])
                _insert_layer(con, layer)
                _insert_values(con, warehouse.build_id, layer, values)
                _insert_raw(con, layer, tables)

            self._write(change)
        return layer

    def _draft(self, spec: LayerSpec, joined: Joined, layer_id: str, version: int, *, uploader: str) -> Layer:
        layer = Layer(id=layer_id, version=version, organisation=self.organisation, name=spec.name,
                      file_name=joined.file_name, uploader=uploader,
                      uploaded_at=_now().isoformat(timespec="seconds"), rows=joined.rows, matched=joined.matched,
                      years=tuple(joined.years), removed_at=None, shared_with_liec=spec.shared_with_liec, spec=spec,
                      report=tuple(joined.summary("en")))
        return replace(layer, indicators=tuple(i.id for i in layer_indicators(layer)))

    # -- removing and restoring -----------------------------------------------

    def remove(self, layer_id: str, *, by: str) -> Layer:
        """Hide a layer; restorable for :data:`RESTORE_DAYS` days."""
        with _locked(self._lock):
            layer = self.layer(str(layer_id))
            if layer.is_removed:
                raise OwnError(f"layer {layer.id} was already removed on {layer.removed_at[:10]}")
            when = _now().isoformat(timespec="seconds")
            self._write(lambda con: execute(con, """UPDATE s.layers SET removed_at = ?, removed_by = ?
                                                    WHERE id = ? AND version = ?""",
                                            [when, by, layer.id, layer.version]))
        return replace(layer, removed_at=when, removed_by=by)

    def restore(self, layer_id: str, *, by: str) -> Layer:
        """Bring back the most recently removed version of a layer (a removed layer, or the version a
        replacement took the place of; the version shown now is then removed in its turn)."""
        with _locked(self._lock):
            versions = [v for v in self.versions() if v.id == str(layer_id)]
            if not versions:
                raise KeyError(f"no own layer {layer_id!r} of {self.organisation}")
            removed = [v for v in versions if v.is_removed]
            if not removed:
                raise OwnError(f"layer {layer_id} is not removed and has no earlier version to restore")
            chosen = max(removed, key=lambda v: (v.removed_at, v.version))
            since = datetime.fromisoformat(chosen.removed_at)
            if _now() - since > timedelta(days=RESTORE_DAYS):
                raise OwnError(f"layer {layer_id} v{chosen.version} was removed on {chosen.removed_at[:10]}, more "
                               f"than {RESTORE_DAYS} days ago; it can no longer be restored: import the file again")
            shown = [v for v in versions if not v.is_removed]
            when = _now().isoformat(timespec="seconds")

            def change(con: duckdb.DuckDBPyConnection) -> None:
                for v in shown:
                    execute(con, "UPDATE s.layers SET removed_at = ?, removed_by = ? WHERE id = ? AND version = ?",
                            [when, f"v{chosen.version} restored by {by}", v.id, v.version])
                execute(con, "UPDATE s.layers SET removed_at = NULL, removed_by = NULL WHERE id = ? AND version = ?",
                        [chosen.id, chosen.version])

            self._write(change)
        return replace(chosen, removed_at=None, removed_by=None)

    # -- after a rebuild ------------------------------------------------------

    def rejoin(self, warehouse: Warehouse) -> list[str]:
        """Join every restorable layer version again to ``warehouse`` (a new build) and store its
        values for that build; keep the values of the build before it, drop older ones. Returns
        the join report per layer version, as lines."""
        lines: list[str] = []
        with _locked(self._lock):
            computed: list[tuple[Layer, pd.DataFrame]] = []
            for layer in self.versions():
                if layer.is_removed and _now() - datetime.fromisoformat(layer.removed_at) > timedelta(days=RESTORE_DAYS):
                    continue
                title = f"own layer {layer.id} v{layer.version} of {layer.organisation} ({layer.file_name})"
                try:
                    joined = join_tables(self._tables(layer), layer.spec, warehouse)
                    fresh = replace(layer, rows=joined.rows, matched=joined.matched, years=tuple(joined.years),
                                    report=tuple(joined.summary("en")))
                    computed.append((fresh, compute_values(warehouse, fresh, joined.values)))
                except (OwnInputError, OwnError, RuntimeError) as err:
                    lines.append(f"{title}: not joined to build {warehouse.build_id}: {err}; it shows no "
                                 "values on that build")
                    continue
                lines.append(f"{title}: joined again to build {warehouse.build_id}:")
                lines += [f"  {line}" for line in fresh.report]
                unmatched = joined.report
                if len(unmatched):
                    keys = ", ".join(f"{r.key} ({r.reason})" for r in unmatched.head(5).itertuples())
                    lines.append(f"  {len(unmatched)} rows not joined, e.g. {keys}")

            def change(con: duckdb.DuckDBPyConnection) -> None:
                builds = query(con, "SELECT DISTINCT build_id FROM s.own_values WHERE build_id <> ? ORDER BY 1",
                               [warehouse.build_id])["build_id"].tolist()
                execute(con, "DELETE FROM s.own_values WHERE build_id <> ? AND build_id <> ?",
                        [warehouse.build_id, builds[-1] if builds else ""])
                execute(con, "DELETE FROM s.own_values WHERE build_id = ?", [warehouse.build_id])
                for layer, values in computed:
                    execute(con, "UPDATE s.layers SET rows = ?, matched = ?, years = ?, report = ? "
                                 "WHERE id = ? AND version = ?",
                            [layer.rows, layer.matched, json.dumps(list(layer.years)), json.dumps(list(layer.report)),
                             layer.id, layer.version])
                    _insert_values(con, warehouse.build_id, layer, values)

            if self.path.exists():
                self._write(change, raw=False)
        return lines

    def _tables(self, layer: Layer) -> list[OwnTable]:
        frame = _read(self.raw_path, "SELECT * FROM s.uploads WHERE layer = ? AND version = ? ORDER BY position",
                      [layer.id, layer.version])
        tables = []
        for row in frame.itertuples(index=False):
            split = json.loads(row.cells)
            cells = pd.DataFrame(split["data"], index=split["index"], columns=split["columns"], dtype=object)
            tables.append(OwnTable(file_name=row.file_name, kind=row.kind, sheet=row.sheet,
                                   sheets=tuple(json.loads(row.sheets)), columns=tuple(json.loads(row.columns)),
                                   cells=cells, title=row.title, notes=tuple(json.loads(row.notes))))
        if not tables:
            raise OwnError(f"the uploaded rows of layer {layer.id} v{layer.version} are missing from {self.raw_path}")
        return tables

    # -- writing --------------------------------------------------------------

    def _write(self, change, *, raw: bool = True) -> None:
        """Run ``change(con)`` on copies of the served file (``s``) and the raw file (``r``) and swap
        both in; on any error both stay byte-identical. The caller holds the organisation's lock."""
        self.root.mkdir(parents=True, exist_ok=True)
        token = uuid.uuid4().hex[:8]
        pairs = [(self.path, self.path.with_name(f".{self.path.name}.{token}.tmp"), "s")]
        if raw:
            pairs.append((self.raw_path, self.raw_path.with_name(f".{self.raw_path.name}.{token}.tmp"), "r"))
        try:
            con = duckdb.connect()
            try:
                for target, tmp, alias in pairs:
                    if target.exists():
                        shutil.copyfile(target, tmp)
                    execute(con, f"ATTACH ? AS {alias}", [str(tmp)])   # a fixed alias, never user text
                execute(con, _LAYER_TABLE)
                execute(con, _VALUES_TABLE)
                if raw:
                    execute(con, _RAW_TABLE)
                change(con)   # on copies: the swap below is what makes it all or nothing
                for _, _, alias in pairs:
                    execute(con, f"CHECKPOINT {alias}")
                    execute(con, f"DETACH {alias}")
            finally:
                con.close()
            for target, tmp, _ in reversed(pairs):   # the raw file first: the served one names what it holds
                os.replace(tmp, target)
        finally:
            for _, tmp, _ in pairs:
                for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
                    leftover.unlink(missing_ok=True)


def _stat(path: Path) -> tuple | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_ino, st.st_mtime_ns, st.st_size


def _as_tables(table: OwnTable | Sequence[OwnTable]) -> list[OwnTable]:
    tables = [table] if isinstance(table, OwnTable) else list(table)
    if not tables:
        raise OwnError("no file given")
    return tables


def join_tables(table: OwnTable | Sequence[OwnTable], spec: LayerSpec, warehouse: Warehouse) -> Joined:
    """Join one file, or several of the same layout as one (e.g. one per year), as ``spec`` says."""
    tables = _as_tables(table)
    parts = [join(t, warehouse, area_column=spec.area_column, value_columns=spec.used_columns,
                  year_column=spec.year_column, year=spec.year, counts=spec.count_columns) for t in tables]
    if len(parts) == 1:
        return parts[0]
    values = pd.concat([p.values.assign(file=p.file_name) for p in parts], ignore_index=True)
    twice = values[values.duplicated(["code", "year", "column"], keep=False)]
    if len(twice):
        first = twice.iloc[0]
        files = sorted(set(twice.loc[(twice["code"] == first["code"]) & (twice["year"] == first["year"]), "file"]))
        listed = ", ".join(files)
        raise OwnInputError(files[0], None, str(first["column"]),
                            f"area {first['code']} in {first['year']} is in more than one file ({listed}): "
                            "give each area and year once",
                            f"gebied {first['code']} in {first['year']} staat in meer dan één bestand ({listed}): "
                            "geef elk gebied en jaar één keer")
    levels: dict[str, int] = {}
    for p in parts:
        for level, n in p.levels.items():
            levels[level] = levels.get(level, 0) + n
    merged = Joined(file_name=", ".join(p.file_name for p in parts), values=values.drop(columns="file"),
                    report=pd.concat([p.report.assign(file=p.file_name) for p in parts], ignore_index=True),
                    rows=sum(p.rows for p in parts), matched=sum(p.matched for p in parts), levels=levels,
                    years=tuple(sorted({y for p in parts for y in p.years})), boundary_year=parts[0].boundary_year)
    return merged


def _next_id(root: Path) -> int:
    """One more than the highest layer id of any organisation under ``root`` (ids are unique there,
    so a viewer who sees layers of several organisations never meets one id twice)."""
    highest = 0
    for path in _served_files(root):
        found = _read(path, "SELECT max(id::INTEGER) AS m FROM s.layers")["m"].iloc[0]
        highest = max(highest, 0 if pd.isna(found) else int(found))
    return highest + 1


def _insert_layer(con: duckdb.DuckDBPyConnection, layer: Layer) -> None:
    execute(con, "INSERT INTO s.layers VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [layer.id, layer.version, layer.organisation, layer.name, layer.file_name, layer.uploader,
             layer.uploaded_at, layer.rows, layer.matched, json.dumps(list(layer.years)), layer.removed_at,
             layer.removed_by, layer.shared_with_liec, layer.spec.to_toml(), json.dumps(list(layer.indicators)),
             json.dumps(list(layer.report))])


def _insert_values(con: duckdb.DuckDBPyConnection, build_id: str, layer: Layer, values: pd.DataFrame) -> None:
    frame = values[_VALUE_COLUMNS].assign(build_id=build_id, layer=layer.id, version=layer.version)
    with registered(con, "values_frame", frame):
        execute(con, """INSERT INTO s.own_values
                         SELECT build_id, layer, version, code, year, indicator, value, numerator, denominator,
                                status, n_parts, n_parts_with_data, origin FROM values_frame""")


def _insert_raw(con: duckdb.DuckDBPyConnection, layer: Layer, tables: Sequence[OwnTable]) -> None:
    for position, t in enumerate(tables):
        execute(con, "INSERT INTO r.uploads VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [layer.id, layer.version, position, t.file_name, t.kind, t.sheet, json.dumps(list(t.sheets)),
                 json.dumps(list(t.columns)), t.title, json.dumps(list(t.notes)), t.cells.to_json(orient="split")])


def _layer_of(row) -> Layer:
    return Layer(id=row.id, version=int(row.version), organisation=row.organisation, name=row.name,
                 file_name=row.file_name, uploader=row.uploader, uploaded_at=row.uploaded_at, rows=int(row.rows),
                 matched=int(row.matched), years=tuple(json.loads(row.years)),
                 removed_at=None if pd.isna(row.removed_at) else row.removed_at,
                 shared_with_liec=bool(row.shared_with_liec), spec=LayerSpec.from_toml(row.spec),
                 indicators=tuple(json.loads(row.indicators)),
                 removed_by=None if pd.isna(row.removed_by) else row.removed_by, report=tuple(json.loads(row.report)))


def organisations(root: Path) -> list[OwnStore]:
    """A store per organisation with own data under ``root``."""
    return [OwnStore(root, name) for path in _served_files(root)
            for name in _read(path, "SELECT DISTINCT organisation FROM s.layers ORDER BY 1")["organisation"]]


def rejoin_all(new_warehouse: Path, warehouse_path: Path) -> list[str]:
    """Join every own layer beside ``warehouse_path`` again to the build at ``new_warehouse``
    (the build's temporary file, before its swap) and compute its values for that build."""
    root = own_root(warehouse_path)
    stores = organisations(root)
    if not stores:
        return []
    lines = []
    with Warehouse(new_warehouse) as wh:
        for store in stores:
            lines += store.rejoin(wh)
    return lines


# --------------------------------------------------------------------------- the overlay


class OwnOverlay(Warehouse):
    """A warehouse with own layers beside its open values: the base's tree, polygons and
    caches, and a database of its own in the base's connection whose views union the base's
    tables with the own ones, so every read of :class:`Warehouse` works unchanged."""

    _counter = 0
    _counter_lock = threading.Lock()

    def __init__(self, base: Warehouse, indicators: list[Indicator], values: pd.DataFrame, key: str):
        with OwnOverlay._counter_lock:
            OwnOverlay._counter += 1
            self._database = f"eigen_{OwnOverlay._counter}"   # a fixed pattern, never user text
        self.base, self.path, self.meta = base, base.path, base.meta
        self._con = base._con
        self._key = key
        for name in ("_areas", "_by_code", "_children", "_views", "_neighbours", "_labels", "has_open_observations"):
            setattr(self, name, getattr(base, name))
        self._keep_map_values(OVERLAY_MAP_VALUES_KEPT)   # its own: its views hold the own values too
        own = Catalog({}, tuple(indicators))
        themes = dict(base.catalog.themes)
        if any(i.theme == OWN_THEME for i in indicators) and OWN_THEME not in themes:
            themes[OWN_THEME] = dict(OWN_THEME_LABELS)
        self.catalog = Catalog(themes, base.catalog.indicators + own.indicators, base.catalog.open_variables)
        self.years = sorted(set(base.years) | {int(y) for y in values["year"].unique()})
        own_vars = own.variables_frame()
        own_vars = own_vars[~own_vars["variable"].isin(base.catalog.variables())]   # the base has those already
        own_vars["is_open"] = (own_vars["variable"].isin(base.catalog.open_variables)
                               | own_vars["variable"].str.endswith("__een"))
        own_themes = pd.DataFrame([{"theme": t, "position": 1000 + n, "label_nl": themes[t]["nl"],
                                    "label_en": themes[t]["en"]}
                                   for n, t in enumerate(t for t in themes if t not in base.catalog.themes)],
                                  columns=["theme", "position", "label_nl", "label_en"])
        own_ind = own.to_frame().reset_index(names="position")
        own_ind["position"] += 100000
        db = self._database
        with base.cursor() as con:
            execute(con, f"ATTACH ':memory:' AS {db}")
            tables = query(con, "SELECT table_name FROM information_schema.tables WHERE table_catalog = 'wh'")
            own_tables = {"indicator_values": values[_VALUE_COLUMNS], "indicators": own_ind,
                          "variables": own_vars, "themes": own_themes}
            for table in tables["table_name"]:
                if table in own_tables:
                    with registered(con, "own_frame", own_tables[table]):
                        execute(con, f'CREATE TABLE {db}.main."own_{table}" AS SELECT * FROM own_frame')
                    execute(con, f'CREATE VIEW {db}.main."{table}" AS SELECT * FROM wh.main."{table}" '
                                 f'UNION ALL BY NAME SELECT * FROM {db}.main."own_{table}"')
                else:
                    execute(con, f'CREATE VIEW {db}.main."{table}" AS SELECT * FROM wh.main."{table}"')
        weakref.finalize(self, _detach, base, db)

    @property
    def build_id(self) -> str:
        """The base's build and the own data seen: the key of shared computations (analysis.py)."""
        return f"{self.base.build_id}+{self._key}"

    def close(self) -> None:   # the connection is the base's
        pass


def _detach(base: Warehouse, database: str) -> None:
    try:
        with base.cursor() as con:
            execute(con, f"DETACH {database}")
    except duckdb.Error:   # the base is closed already
        pass


_overlays: OrderedDict[tuple, Warehouse] = OrderedDict()
_overlays_lock = threading.Lock()
OVERLAY_CACHE = 32
#: Map views' values an overlay keeps (:meth:`Warehouse.map_values`): fewer than a warehouse, as
#: there are up to :data:`OVERLAY_CACHE` of them.
OVERLAY_MAP_VALUES_KEPT = 128


def _store_state(root: Path, organisation: str, liec: bool) -> tuple:
    if not liec:
        return (_stat(root / f"{slug(organisation)}.duckdb"),)
    return tuple((path.name, _stat(path)) for path in _served_files(root))


def overlay(warehouse: Warehouse, root: Path, organisation: str | None, *, liec: bool = False) -> Warehouse:
    """The warehouse as a viewer of ``organisation`` sees it (see the module docstring); the same
    object back when it sees no own layer. Cached per build, organisation, liec and store state."""
    if not organisation:
        return warehouse
    base = open_data(warehouse)
    root = Path(root)
    key = (base, str(root), organisation, bool(liec), _store_state(root, organisation, liec))
    with _overlays_lock:
        found = _overlays.get(key)
        if found is not None:
            _overlays.move_to_end(key)
            return warehouse if found is base else found
    made = _make_overlay(base, root, organisation, liec)
    with _overlays_lock:
        _overlays[key] = made
        while len(_overlays) > OVERLAY_CACHE:
            _overlays.popitem(last=False)
    return warehouse if made is base else made


def visible_layers(root: Path, organisation: str, *, liec: bool = False) -> list[tuple[OwnStore, Layer]]:
    """The layers a viewer of ``organisation`` sees: its own, and for ``liec`` also those others share."""
    stores = organisations(root) if liec else [OwnStore(root, organisation)]
    seen = []
    for store in stores:
        own = store.organisation == organisation.strip()
        seen += [(store, layer) for layer in store.layers() if own or layer.shared_with_liec]
    return seen


def _make_overlay(base: Warehouse, root: Path, organisation: str, liec: bool) -> Warehouse:
    indicators, frames, keys = [], [], []
    by_store: dict[str, tuple[OwnStore, list[Layer]]] = {}
    for store, layer in visible_layers(root, organisation, liec=liec):
        by_store.setdefault(store.key + "/" + store.organisation, (store, []))[1].append(layer)
    for store, layers in by_store.values():
        values = store.values(base.build_id, layers)
        for layer in layers:
            mine = values[values["indicator"].isin(layer.indicators)] if len(values) else values
            if not len(mine):
                log.warning("own layer %s v%s of %s has no values for build %s (rebuild to join it again)",
                            layer.id, layer.version, layer.organisation, base.build_id)
                continue
            indicators += layer_indicators(layer)
            frames.append(mine)
            keys.append(f"{layer.id}v{layer.version}")
    if not indicators:
        return base
    values = pd.concat(frames, ignore_index=True)
    # Deterministic, so every worker shares the computations of the same own data (analysis.py).
    key = f"eigen:{slug(organisation)}{':liec' if liec else ''}:{'.'.join(keys)}"
    return OwnOverlay(base, indicators, values, key)


def own_indicators(warehouse: Warehouse) -> pd.DataFrame:
    """The catalog of ``warehouse`` with the own indicators of every organisation's visible
    layers beside it (for the CLI): :meth:`Catalog.to_frame` with an ``owner`` column ("" for
    open data)."""
    frame = warehouse.catalog.to_frame().assign(owner="")
    for store in organisations(own_root(warehouse.path)):
        for layer in store.layers():
            frame = pd.concat([frame, Catalog({}, tuple(layer_indicators(layer))).to_frame()
                               .assign(owner=layer.organisation)], ignore_index=True)
    return frame
