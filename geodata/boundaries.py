"""Area polygons from official boundary files (CBS/PDOK), whatever their packaging.

:func:`read_boundary_file` reads the CBS/PDOK *Wijk- en Buurtkaart* GeoPackage (layers
``gemeenten``, ``wijken``, ``buurten`` in RD New), CBS *gebiedsindelingen* GeoJSON and
TopoJSON in WGS84, and similar files, into one :class:`BoundaryLayer` per layer that holds
gemeente, wijk or buurt polygons.

Everything is recognised from the content, never from the file name:

- the file type from its first bytes (SQLite header, TopoJSON ``Topology``, GeoJSON);
- the level and the code column from the values: the column whose values are CBS codes of
  the finest level (``buurtcode`` beats ``wijkcode`` beats ``gemeentecode``); layers without
  such a column (veiligheidsregio's, the country outline) are skipped;
- the name column from a list of published names for that level (``buurtnaam``,
  ``BU_NAAM``, ``statnaam``, ``naam``, ...);
- the boundary year from ``jaar``, ``jrstatcode`` (``"2023GM0014"``) or a CBS feature id
  (``"cbs_buurt_2019_gegeneraliseerd.1"``); when the features do not say, from a GeoJSON's
  top-level ``"metadata": {"year": 2024}`` object (read from the head of the file only).

A file that looks like a GeoPackage, GeoJSON or TopoJSON but that GDAL cannot read (for
example a truncated download) raises ``ValueError`` with the path and GDAL's own message;
:func:`read_problem` gives that message without raising, so a caller that sniffs files can
tell "not a boundary file" from "a boundary file GDAL cannot read".

Geometry always ends up in RD New (EPSG:28992): TopoJSON has no CRS tag and is taken as
WGS84 lon/lat, GeoJSON is lon/lat by definition (RFC 7946), and the transformation keeps
that axis order. Invalid polygons are repaired with ``make_valid`` keeping only their
polygonal parts, and empty geometries are dropped. Numeric attributes keep their published
names; CBS sentinels (``-99995`` .. ``-99999`` and older ``-99999999``: missing, secret or not
applicable) become NaN and never numbers.
"""

from __future__ import annotations

import json
import logging
import re
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import shapely
from shapely.geometry import MultiPolygon, Polygon

from geodata.codes import CODE_PATTERNS
from geodata.coverage import RD_NEW, WGS84

#: Levels a boundary layer can have, finest first: the finest code column names the layer.
BOUNDARY_LEVELS: tuple[str, ...] = ("buurt", "wijk", "gemeente")

#: CBS marks missing, secret and not-applicable figures with large negative numbers.
SENTINEL_MAX = -99995

#: Column names that hold an area code, most specific first (compared in lower case).
CODE_COLUMN_HINTS: tuple[str, ...] = (
    "buurtcode", "wijkcode", "gemeentecode", "statcode", "cbscode", "bu_code", "wk_code",
    "gm_code", "code", "wijkenenbuurten", "codering",
)

#: Name columns per level (lower case), then names that fit any level.
NAME_COLUMN_HINTS: dict[str, tuple[str, ...]] = {
    "buurt": ("buurtnaam", "bu_naam"),
    "wijk": ("wijknaam", "wk_naam"),
    "gemeente": ("gemeentenaam", "gm_naam"),
}
GENERIC_NAME_HINTS: tuple[str, ...] = ("statnaam", "naam", "name", "titel", "title")

#: Numeric columns that describe the record or its geometry, not the area.
TECHNICAL_COLUMNS = frozenset({
    "id", "fid", "ogc_fid", "objectid", "jaar", "volgnummer", "shape_length", "shape_area",
    "shape_leng",
})

#: Where RD New coordinates of the Netherlands (incl. its territorial waters) can lie.
RD_ENVELOPE = (-30_000.0, 270_000.0, 330_000.0, 660_000.0)

LOG = logging.getLogger(__name__)

_CBS_FEATURE_ID_YEAR = re.compile(r"cbs_(?:gemeente|wijk|buurt)_(\d{4})")
_JSON_COLON = re.compile(r"\s*:\s*")


@dataclass(frozen=True)
class BoundaryLayer:
    """Polygons of one level read from one layer of an official file.

    Attributes
    ----------
    level : str
        ``"gemeente"``, ``"wijk"`` or ``"buurt"``.
    year : int or None
        Boundary year read from the content, ``None`` when the file does not say.
    frame : geopandas.GeoDataFrame
        ``code, name, is_water, geometry`` in EPSG:28992; valid (Multi)Polygons only.
    attributes : pandas.DataFrame
        ``code`` plus every numeric attribute as published (float, sentinels as NaN);
        an empty frame when the layer has none.
    origin : str
        ``"path"`` for a single-layer file, ``"path:layer"`` otherwise.
    """

    level: str
    year: int | None
    frame: gpd.GeoDataFrame
    attributes: pd.DataFrame
    origin: str


def read_boundary_file(path: Path) -> list[BoundaryLayer]:
    """Read every gemeente, wijk or buurt layer of a boundary file.

    Parameters
    ----------
    path : Path
        A GeoPackage, GeoJSON or TopoJSON file (or another format GDAL opens).

    Returns
    -------
    list of BoundaryLayer
        One per recognised layer, in file order.

    Raises
    ------
    ValueError
        When the file holds no layer with a column of gemeente, wijk or buurt codes, or GDAL
        cannot read it (the message names the path and carries GDAL's own words, e.g.
        ``line 17, character 352: Unterminated string``).
    """
    path = Path(path)
    source = gdal_source(path)
    layer_names = list_layer_names(source, path)
    metadata = geojson_metadata_year(path) if file_kind(path) == "geojson" else None
    layers = []
    for layer in layer_names:
        origin = str(path) if len(layer_names) == 1 else f"{path}:{layer}"
        boundary = _read_layer(source, layer, origin, metadata)
        if boundary is not None:
            layers.append(boundary)
    if not layers:
        raise ValueError(
            f"{path}: no layer with gemeente, wijk or buurt polygons; looked in layer(s) "
            f"{', '.join(layer_names) or '(none)'} for a column of codes like GM0014, "
            f"WK001400 or BU00140000 (e.g. {', '.join(CODE_COLUMN_HINTS[:5])})"
        )
    return layers


def recognised_layers(path: Path, sample_rows: int = 25) -> dict[str, str]:
    """Cheaply tell which layers of a file hold gemeente, wijk or buurt codes.

    Only the first ``sample_rows`` records of each layer are read, without geometry.

    Returns
    -------
    dict
        Layer name -> level, for recognised layers; empty when there are none or the file
        is not a vector file GDAL can open (:func:`read_problem` tells which).
    """
    return _sniff(Path(path), sample_rows)[0]


def read_problem(path: Path, sample_rows: int = 25) -> str | None:
    """Why GDAL cannot read a file that looks like a boundary file, or ``None``.

    A file whose content looks like a GeoPackage, GeoJSON or TopoJSON but that GDAL fails to
    open or read (a truncated download, a damaged GeoPackage) gives the path and GDAL's own
    message. Any other file gives ``None``: it either reads (whether or not it holds area
    codes) or is not a geographic file at all (CSV, PDF, other JSON).

    Parameters
    ----------
    path : Path
        The file.
    sample_rows : int
        Records read per layer, as in :func:`recognised_layers`.

    Returns
    -------
    str or None
        E.g. ``"wijken.geojson: GDAL cannot open it as a vector file (Failed to read
        GeoJSON data; At line 17, character 352: Unterminated string)"``.
    """
    return _sniff(Path(path), sample_rows)[1]


def _sniff(path: Path, sample_rows: int) -> tuple[dict[str, str], str | None]:
    """Recognised layers (name -> level) and the reading problem of a would-be boundary file."""
    looks_geographic = file_kind(path) in ("sqlite", "geojson", "topojson")
    try:
        source = gdal_source(path)
        names = list_layer_names(source, path)
    except ValueError as err:
        return {}, (str(err) if looks_geographic else None)
    found, problems = {}, []
    for layer in names:
        with _quiet_gdal():
            try:
                table = pyogrio.read_dataframe(source, layer=layer, read_geometry=False,
                                               max_features=sample_rows)
            except Exception as err:  # noqa: BLE001 - GDAL raises several error types
                problems.append(f"layer {layer!r}: {err}")
                continue
        match = find_code_column(table)
        if match is not None:
            found[layer] = match[1]
    problem = None
    if problems and looks_geographic:
        problem = f"{path}: GDAL cannot read {'; '.join(problems)}"
    return found, problem


# -- file types ------------------------------------------------------------------------------

def file_kind(path: Path, head_bytes: int = 65_536) -> str:
    """Classify a file by its first bytes.

    Returns
    -------
    str
        ``"sqlite"`` (GeoPackage), ``"topojson"``, ``"geojson"``, ``"json"`` (other JSON),
        ``"text"`` (other UTF-8 text, e.g. CSV) or ``"binary"``.
    """
    with Path(path).open("rb") as handle:
        head = handle.read(head_bytes)
    if head.startswith(b"SQLite format 3\x00"):
        return "sqlite"
    try:
        text = head.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        if err.start < len(head) - 4:   # not just a multi-byte character cut off at the end
            return "binary"
        text = head[: err.start].decode("utf-8-sig", errors="ignore")
    stripped = text.lstrip()
    if not stripped.startswith(("{", "[")):
        return "text"
    return _json_kind(stripped)


def _json_kind(text: str) -> str:
    """Tell TopoJSON, GeoJSON and other JSON apart from the start of a JSON text."""
    first = re.match(r'\{\s*"([^"]+)"\s*:\s*(?:"([^"]*)")?', text)
    if first:
        key, value = first.groups()
        if key == "type":
            if value == "Topology":
                return "topojson"
            if value in ("FeatureCollection", "Feature"):
                return "geojson"
        if key in ("arcs", "objects", "transform"):
            return "topojson"
    if re.search(r'"type"\s*:\s*"Topology"', text):
        return "topojson"
    if re.search(r'"type"\s*:\s*"FeatureCollection"|"features"\s*:\s*\[', text):
        return "geojson"
    return "json"


def gdal_source(path: Path) -> str:
    """The string to hand GDAL for ``path``, with a driver prefix where GDAL needs one.

    Raises
    ------
    ValueError
        For text and non-geographic JSON, which GDAL would read as attribute-only tables.
    """
    kind = file_kind(path)
    if kind == "topojson":
        return f"TopoJSON:{path}"
    if kind in ("sqlite", "geojson", "binary"):
        return str(path)
    raise ValueError(f"{path}: not a GeoPackage, GeoJSON or TopoJSON file (content looks like {kind})")


def list_layer_names(source: str, path: Path) -> list[str]:
    """Names of the vector layers GDAL finds in ``source``."""
    with _quiet_gdal():
        try:
            layers = pyogrio.list_layers(source)
        except Exception as err:  # noqa: BLE001 - GDAL raises several error types
            raise ValueError(f"{path}: GDAL cannot open it as a vector file ({err})") from err
    return [str(name) for name, _ in layers]


@contextmanager
def _quiet_gdal():
    """Silence GDAL's warning that a GeoPackage lacks the ``.gpkg`` extension."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*non conformant file extension.*")
        yield


# -- recognising columns ----------------------------------------------------------------------

def find_code_column(table: pd.DataFrame) -> tuple[str, str] | None:
    """The column holding the finest CBS area codes, and their level.

    A column counts when most of its non-empty values (after stripping) are codes of one
    level; among columns of the finest level found, the published code names win
    (:data:`CODE_COLUMN_HINTS`), then the leftmost.

    >>> find_code_column(pd.DataFrame({"gemeentecode": ["GM0014"], "wijkcode": ["WK001400"]}))
    ('wijkcode', 'wijk')
    >>> find_code_column(pd.DataFrame({"code": ["VR01"]})) is None
    True
    """
    candidates: dict[str, list[str]] = {level: [] for level in BOUNDARY_LEVELS}
    for column in table.columns:
        level = _code_level(table[column])
        if level is not None:
            candidates[level].append(str(column))
    for level in BOUNDARY_LEVELS:
        if candidates[level]:
            return _preferred(candidates[level], CODE_COLUMN_HINTS), level
    return None


def _code_level(values: pd.Series) -> str | None:
    """The level whose code pattern most non-empty string values match, if more than half."""
    if values.dtype.kind in "biufcmM" or isinstance(values, gpd.GeoSeries):
        return None
    texts = values.dropna()
    texts = texts[texts.map(lambda v: isinstance(v, str))].str.strip()
    texts = texts[texts != ""]
    if texts.empty:
        return None
    for level in BOUNDARY_LEVELS:
        if texts.str.match(CODE_PATTERNS[level].pattern).mean() > 0.5:
            return level
    return None


def _preferred(columns: list[str], hints: tuple[str, ...]) -> str:
    """The column whose lower-case name comes first in ``hints``; else the leftmost."""
    rank = {hint: i for i, hint in enumerate(hints)}
    return min(columns, key=lambda c: (rank.get(c.lower(), len(hints)), columns.index(c)))


def find_name_column(columns: list[str], level: str) -> str | None:
    """The column holding the area's own name for a layer of ``level``, if any.

    >>> find_name_column(["wijkcode", "gemeentenaam", "wijknaam"], "wijk")
    'wijknaam'
    >>> find_name_column(["statcode", "statnaam"], "buurt")
    'statnaam'
    """
    hints = NAME_COLUMN_HINTS[level] + GENERIC_NAME_HINTS
    matches = [c for c in columns if c.lower() in hints]
    return _preferred(matches, hints) if matches else None


def boundary_year(table: pd.DataFrame) -> int | None:
    """The boundary year stated in the content: ``jaar``, ``jrstatcode`` or a CBS feature id.

    >>> boundary_year(pd.DataFrame({"jrstatcode": ["2023GM0014", "2023GM0034"]}))
    2023
    >>> boundary_year(pd.DataFrame({"id": ["cbs_buurt_2019_gegeneraliseerd.1"]}))
    2019
    """
    by_name = {str(c).lower(): c for c in table.columns}
    candidates: list[pd.Series] = []
    if "jaar" in by_name:
        candidates.append(pd.to_numeric(table[by_name["jaar"]], errors="coerce"))
    if "jrstatcode" in by_name:
        prefix = table[by_name["jrstatcode"]].astype("string").str.strip().str.extract(r"^(\d{4})")[0]
        candidates.append(pd.to_numeric(prefix, errors="coerce"))
    for name in ("id", "fid"):
        if name in by_name and table[by_name[name]].dtype.kind not in "biuf":
            found = table[by_name[name]].astype("string").str.extract(_CBS_FEATURE_ID_YEAR)[0]
            candidates.append(pd.to_numeric(found, errors="coerce"))
    for years in candidates:
        years = years.dropna()
        years = years[(years >= 1900) & (years <= 2100)]
        if not years.empty:
            return int(years.mode().iloc[0])
    return None


def geojson_metadata_year(path: Path, head_bytes: int = 65_536) -> int | None:
    """The year of a GeoJSON's top-level ``metadata`` object, read from the head of the file.

    Some exports of the Wijk- en Buurtkaart carry no ``jaar`` per feature but a
    ``"metadata": {"year": 2024, ...}`` member beside ``features``. Only the first
    ``head_bytes`` are read, and only a ``metadata`` member of the top-level object counts
    (not one inside a feature's properties); a ``metadata`` member after the features, beyond
    the head, is not seen.

    Returns
    -------
    int or None
        The ``year`` (or ``jaar``) of that object when it is a plausible year, else ``None``.
    """
    with Path(path).open("rb") as handle:
        head = handle.read(head_bytes).decode("utf-8-sig", errors="ignore")
    metadata = _top_level_member(head, "metadata")
    if not isinstance(metadata, dict):
        return None
    for key in ("year", "jaar"):
        value = metadata.get(key)
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value.strip())
        if isinstance(value, int) and not isinstance(value, bool) and 1900 <= value <= 2100:
            return value
    return None


def _top_level_member(text: str, wanted: str):
    """The JSON value of member ``wanted`` of the top-level object in ``text`` (a prefix).

    Scans keys at depth one only, skipping strings and nested values; ``None`` when the member
    is absent from ``text`` or its value is cut off.

    >>> _top_level_member('{"type": "FeatureCollection", "metadata": {"year": 2024}, "features": [', "metadata")
    {'year': 2024}
    >>> _top_level_member('{"features": [{"properties": {"metadata": {"year": 1999}}}]}', "metadata") is None
    True
    """
    decoder = json.JSONDecoder()
    depth, i, n = 0, 0, len(text)
    while i < n:
        char = text[i]
        if char == '"':
            try:
                key, end = decoder.raw_decode(text, i)
            except ValueError:
                return None
            after = _JSON_COLON.match(text, end)
            if depth == 1 and after is not None and key == wanted:
                try:
                    return decoder.raw_decode(text, after.end())[0]
                except ValueError:
                    return None
            i = end
            continue
        if char in "{[":
            depth += 1
        elif char in "}]":
            depth -= 1
        i += 1
    return None


# -- reading one layer -----------------------------------------------------------------------

def _read_layer(source: str, layer: str, origin: str, default_year: int | None = None) -> BoundaryLayer | None:
    """Read one layer, or ``None`` when it holds no gemeente, wijk or buurt codes.

    ``default_year`` (from the file's metadata) is the year when the features state none.
    """
    with _quiet_gdal():
        try:
            table = gpd.read_file(source, layer=layer, engine="pyogrio")
        except Exception as err:  # noqa: BLE001 - GDAL raises several error types
            raise ValueError(f"{origin}: GDAL cannot read this layer ({err})") from err
    match = find_code_column(table)
    if (match is None or not isinstance(table, gpd.GeoDataFrame)
            or shapely.is_missing(table.geometry.values).all()):
        return None
    code_column, level = match
    codes = _checked_codes(table[code_column], level, origin, code_column)
    frame = _area_frame(table, codes, level, origin)
    keep = ~shapely.is_missing(frame.geometry.values)
    if not keep.all():
        dropped = frame.loc[~keep, "code"].tolist()
        LOG.warning("%s: dropped %d %s(s) without polygon area (empty or collapsed), e.g. %s",
                    origin, len(dropped), level, ", ".join(dropped[:5]))
    year = boundary_year(table)
    return BoundaryLayer(level=level, year=default_year if year is None else year,
                         frame=frame[keep].reset_index(drop=True),
                         attributes=numeric_attributes(table[keep], codes[keep]), origin=origin)


def _area_frame(table: gpd.GeoDataFrame, codes: pd.Series, level: str, origin: str) -> gpd.GeoDataFrame:
    """``code, name, is_water, geometry`` in RD New (geometry ``None`` where nothing is left)."""
    columns = [str(c) for c in table.columns if c != table.geometry.name]
    name_column = find_name_column(columns, level)
    names = (_stripped(table[name_column]) if name_column is not None
             else pd.Series(pd.NA, index=table.index, dtype="string"))
    return gpd.GeoDataFrame(
        {"code": codes, "name": names, "is_water": _water_flags(table)},
        geometry=to_rd_new(table.geometry, origin).values, crs=RD_NEW, index=table.index,
    )


def _stripped(values: pd.Series) -> pd.Series:
    """String values with surrounding spaces removed; empty strings become missing."""
    out = values.astype("string").str.strip()
    return out.mask(out == "")


def _checked_codes(values: pd.Series, level: str, origin: str, column: str) -> pd.Series:
    """Stripped codes, or ``ValueError`` naming the values that are not ``level`` codes."""
    codes = _stripped(values)
    bad = codes[codes.isna() | ~codes.fillna("").str.match(CODE_PATTERNS[level].pattern)]
    if not bad.empty:
        shown = ", ".join(repr(v) for v in values[bad.index][:5].tolist())
        raise ValueError(f"{origin}: column {column!r} holds {level} codes, but {len(bad)} "
                         f"value(s) are not: {shown}")
    duplicated = codes[codes.duplicated()]
    if not duplicated.empty:
        raise ValueError(f"{origin}: column {column!r} repeats code(s) "
                         f"{', '.join(sorted(set(duplicated))[:5])}")
    return codes


def _water_flags(table: pd.DataFrame) -> pd.Series:
    """``True`` where the published ``water`` flag says ``JA``; ``False`` without a flag."""
    for column in table.columns:
        if str(column).lower() != "water" or table[column].dtype.kind in "biufc":
            continue
        flags = table[column].astype("string").str.strip().str.upper()
        if flags.dropna().isin(["JA", "NEE"]).all():
            return (flags == "JA").fillna(False).astype(bool)
    return pd.Series(False, index=table.index)


def numeric_attributes(table: pd.DataFrame, codes: pd.Series) -> pd.DataFrame:
    """``code`` plus every numeric non-technical column as float, sentinels as NaN.

    >>> t = pd.DataFrame({"aantal_inwoners": [120, -99997], "jaar": [2023, 2023]})
    >>> numeric_attributes(t, pd.Series(["BU00010000", "BU00010001"]))["aantal_inwoners"].tolist()
    [120.0, nan]
    """
    columns = [c for c in table.columns
               if table[c].dtype.kind in "iuf" and str(c).lower() not in TECHNICAL_COLUMNS]
    if not columns:
        return pd.DataFrame()
    values = table[columns].astype("float64").reset_index(drop=True)
    values = values.mask(values <= SENTINEL_MAX)
    return pd.concat([pd.Series(codes.to_numpy(), name="code", dtype="string"), values], axis=1)


# -- geometry --------------------------------------------------------------------------------

def to_rd_new(geometry: gpd.GeoSeries, origin: str) -> gpd.GeoSeries:
    """Valid polygonal geometry in RD New; ``None`` where nothing polygonal is left.

    A series without CRS is taken as WGS84 lon/lat (TopoJSON) or RD New when its
    coordinates can only be RD New.
    """
    if geometry.crs is None:
        geometry = geometry.set_crs(_guess_crs(geometry, origin))
    projected = geometry.to_crs(RD_NEW)
    _check_in_netherlands(projected, origin)
    repaired = [_polygonal(geom) for geom in projected.values]
    return gpd.GeoSeries(repaired, index=geometry.index, crs=RD_NEW)


def _guess_crs(geometry: gpd.GeoSeries, origin: str) -> str:
    """WGS84 when the coordinates fit lon/lat, RD New when they fit RD New."""
    xmin, ymin, xmax, ymax = geometry.total_bounds
    if -180 <= xmin and xmax <= 180 and -90 <= ymin and ymax <= 90:
        return WGS84
    rx0, ry0, rx1, ry1 = RD_ENVELOPE
    if rx0 <= xmin and xmax <= rx1 and ry0 <= ymin and ymax <= ry1:
        return RD_NEW
    raise ValueError(f"{origin}: no CRS given and coordinates ({xmin:.0f}, {ymin:.0f}) .. "
                     f"({xmax:.0f}, {ymax:.0f}) are neither lon/lat nor RD New")


def _check_in_netherlands(geometry: gpd.GeoSeries, origin: str) -> None:
    """Fail loudly when reprojected coordinates land outside the Netherlands (swapped axes)."""
    arr = geometry.values
    present = geometry[~(shapely.is_missing(arr) | shapely.is_empty(arr))]
    if present.empty:
        return
    xmin, ymin, xmax, ymax = present.total_bounds
    rx0, ry0, rx1, ry1 = RD_ENVELOPE
    if not (rx0 <= xmin and xmax <= rx1 and ry0 <= ymin and ymax <= ry1):
        raise ValueError(f"{origin}: coordinates fall outside the Netherlands in RD New "
                         f"(x {xmin:.0f}..{xmax:.0f}, y {ymin:.0f}..{ymax:.0f}); "
                         "wrong CRS or swapped lat/lon?")


def _polygonal(geom):
    """Repair ``geom`` with ``make_valid`` and keep its polygonal parts (``None`` if none)."""
    if geom is None or geom.is_empty:
        return None
    if not geom.is_valid:
        try:
            geom = shapely.make_valid(geom)
        except shapely.errors.GEOSException:
            # Degenerate rings (too few points after quantisation) defeat the linework
            # method; the structure method drops them.
            geom = shapely.make_valid(geom, method="structure", keep_collapsed=False)
    if isinstance(geom, (Polygon, MultiPolygon)):
        return None if geom.is_empty else geom
    parts = shapely.get_parts(shapely.get_parts(geom))
    polygons = [part for part in parts if isinstance(part, Polygon) and not part.is_empty]
    if not polygons:
        return None
    return polygons[0] if len(polygons) == 1 else shapely.union_all(polygons)

