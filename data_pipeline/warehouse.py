"""The DuckDB warehouse: the one home for SQL, and the data-access API every reader uses.

Layout on disk, next to each other::

    data/ondermijningsbeeld.duckdb          areas, indicators, variables, indicator_values, geometry
                                            (gzipped GeoJSON per map view), meta, ...

:mod:`data_pipeline.build` writes it (atomically); :class:`Warehouse` reads it. Every
statement, reads and builds alike, goes through :func:`query` or :func:`execute`, which log it
and pass values as parameters, never formatted into the SQL text.

The area tree (codes, levels, names, parents, water) is CBS's public area division and is
read without a scope (:meth:`Warehouse.area`, :meth:`~Warehouse.name`,
:meth:`~Warehouse.lineage`, :meth:`~Warehouse.children`). Figures and detail maps are read
with the viewer's :class:`Scope`: :meth:`~Warehouse.visible_area`, :meth:`~Warehouse.map_values`,
:meth:`~Warehouse.table`, :meth:`~Warehouse.values`, :meth:`~Warehouse.geometry`. Two reads
serve computations over a whole level (standardisation, ranks, peer medians) and are not
outputs themselves: :meth:`~Warehouse.level_values` and :meth:`~Warehouse.indicator_values`;
whatever is computed from them is shown only for areas the viewer may see.
"""

from __future__ import annotations

import gzip
import json
import logging
import os
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterator, Sequence

import duckdb
import pandas as pd

from geodata.codes import LAND_CODE, LEVELS, is_below, level_of
from geodata.coverage import label_points
from geodata.hierarchy import ANCESTOR_COLUMNS, MAP_VIEWS
from indicators.catalog import Catalog, Indicator

log = logging.getLogger(__name__)

DEFAULT_WAREHOUSE = Path("data") / "ondermijningsbeeld.duckdb"
WAREHOUSE_ENV = "ONDERMIJNINGSBEELD_WAREHOUSE"


def default_warehouse_path() -> Path:
    return Path(os.environ.get(WAREHOUSE_ENV) or DEFAULT_WAREHOUSE)


def _logged(sql: str, params) -> None:
    log.debug("sql %s %s", " ".join(sql.split())[:200], params)


def query(con: duckdb.DuckDBPyConnection, sql: str, params: list | tuple = ()) -> pd.DataFrame:
    """Run one parameterised statement and return its result as a frame."""
    _logged(sql, params)
    return con.execute(sql, params).df()


def execute(con: duckdb.DuckDBPyConnection, sql: str, params: list | tuple = ()) -> None:
    """Run one parameterised statement that returns nothing (a build step)."""
    _logged(sql, params)
    con.execute(sql, params)


@contextmanager
def registered(con: duckdb.DuckDBPyConnection, name: str, frame: pd.DataFrame) -> Iterator[None]:
    """Make ``frame`` readable as the view ``name`` by the statements inside the block."""
    log.debug("sql register %s (%d rows)", name, len(frame))
    con.register(name, frame)
    try:
        yield
    finally:
        con.unregister(name)


# --------------------------------------------------------------------------- read


#: How many map views' values (:meth:`Warehouse.map_values`) a process keeps: a few hundred
#: rows each, a national map of every gemeente at most.
MAP_VALUES_KEPT = 1024

#: Levels whose figures every viewer may see, everywhere (the detail below them is scoped).
OPEN_LEVELS = ("land", "regio", "gemeente")


@dataclass(frozen=True)
class Scope:
    """Which areas a viewer may see in detail.

    ``codes is None``: everything. Otherwise figures of wijken and buurten only inside one of
    ``codes`` (a region, a gemeente); gemeente level and above everywhere (:data:`OPEN_LEVELS`).
    """

    codes: frozenset[str] | None = None

    @classmethod
    def everything(cls) -> "Scope":
        return cls(None)

    @classmethod
    def inside(cls, *codes: str) -> "Scope":
        """Detail inside these areas only (none: gemeente level and above only)."""
        return cls(frozenset(codes))

    def allows(self, lineage: list[str]) -> bool:
        """The viewer may see the figures of the area at the end of ``lineage`` (land first)."""
        if self.codes is None or not lineage or level_of(lineage[-1]) in OPEN_LEVELS:
            return True
        return any(code in self.codes for code in lineage)

    def allows_view(self, level: str, parent_lineage: list[str]) -> bool:
        """The viewer may see the ``level`` areas inside the area at the end of ``parent_lineage``."""
        return self.codes is None or level in OPEN_LEVELS or any(code in self.codes for code in parent_lineage)

    def describe(self) -> str:
        """For the audit trail: ``everything``, or the codes of the detail."""
        return "everything" if self.codes is None else ",".join(sorted(self.codes)) or "gemeente+"


class AccessDenied(PermissionError):
    pass


class NotFound(LookupError):
    pass


class BadWarehouse(ValueError):
    """A file that is not a warehouse (corrupt, empty, another kind of file)."""


class OutdatedWarehouse(BadWarehouse):
    """A warehouse file this version will not serve."""


@dataclass(frozen=True)
class Area:
    """One area of the tree: its code, level, name, parent and the codes of the areas above it
    (an area's own level holds its own code; levels below it are ``None``)."""

    code: str
    level: str
    name: str
    parent_code: str | None
    is_water: bool
    land_code: str | None = None
    regio_code: str | None = None
    gemeente_code: str | None = None
    wijk_code: str | None = None

    def ancestor(self, level: str) -> str | None:
        """The code of the area of ``level`` this area lies in (its own code at its own level)."""
        return getattr(self, ANCESTOR_COLUMNS[level]) if level in ANCESTOR_COLUMNS else (
            self.code if level == self.level else None)


#: Columns of :meth:`Warehouse.areas_frame`.
AREA_COLUMNS = ["code", "level", "name", "parent_code", "is_water", *ANCESTOR_COLUMNS.values()]


class Warehouse:
    """Read access to one built warehouse. Cheap calls; one cursor per call (thread safe)."""

    #: The database every read runs in (an overlay of own data uses one of its own: data_pipeline.own).
    _database = "wh"

    def __init__(self, path: Path):
        self.path = Path(path)
        if not self.path.exists():
            raise FileNotFoundError(f"no warehouse at {self.path}; run `ondermijningsbeeld build --demo`")
        try:
            # A database of its own with the file attached, not duckdb.connect(path): DuckDB would
            # hand this process the database it already has open at that path, so after a rebuild
            # swapped a new file in, a new Warehouse would still read the old build.
            self._con = duckdb.connect()
            execute(self._con, "ATTACH ? AS wh (READ_ONLY)", [str(self.path)])
            execute(self._con, "USE wh")
            tables = set(query(self._con, "SELECT table_name FROM information_schema.tables "
                                          "WHERE table_catalog = 'wh'")["table_name"])
        except duckdb.Error as err:
            raise BadWarehouse(f"{self.path} is not a warehouse file ({str(err).splitlines()[0][:160]}); "
                               "build one with `ondermijningsbeeld build ...`") from None
        if not tables:
            self._con.close()
            raise BadWarehouse(f"{self.path} is an empty database, not a warehouse; build one with "
                               "`ondermijningsbeeld build ...`")
        with self.cursor() as con:
            if "observations" in tables or not {"variables", "geometry"} <= tables:
                self._con.close()
                raise OutdatedWarehouse(f"{self.path} was built by an older version (raw counts in the served "
                                        "file, polygons beside it); rebuild it (`ondermijningsbeeld build ...`)")
            self.meta: dict[str, str] = dict(query(con, "SELECT key, value FROM meta").itertuples(index=False))
            areas = query(con, f"SELECT {', '.join(AREA_COLUMNS)} FROM areas ORDER BY code")
            self.years: list[int] = [int(y) for y in query(
                con, "SELECT DISTINCT year FROM indicator_values ORDER BY year")["year"]]
            ind = query(con, "SELECT * FROM indicators ORDER BY position")
            themes = query(con, "SELECT * FROM themes ORDER BY position")
            open_variables = frozenset(query(con, "SELECT variable FROM variables WHERE is_open")["variable"])
        areas = areas.astype(object).where(areas.notna(), None)
        areas["is_water"] = areas["is_water"].astype(bool)
        self._areas = areas
        self._by_code: dict[str, Area] = {row.code: Area(*row) for row in areas.itertuples(index=False)}
        self._children: dict[str, list[Area]] = {}
        for area in self._by_code.values():   # in code order
            if area.parent_code:
                self._children.setdefault(area.parent_code, []).append(area)
        # Fields a warehouse built by an older version lacks keep their defaults.
        fields = [f for f in Indicator.__dataclass_fields__ if f in ind.columns]
        self.catalog = Catalog(
            {t.theme: {"nl": t.label_nl, "en": t.label_en} for t in themes.itertuples()},
            tuple(Indicator(**{f: getattr(row, f) for f in fields}) for row in ind.itertuples()),
            open_variables,
        )
        self._views: set[tuple[str, str]] = set(self._query("SELECT level, parent FROM geometry")
                                                .itertuples(index=False, name=None))
        self._neighbours: dict[str, pd.DataFrame] = {}
        self._labels: dict[tuple[str, str], pd.DataFrame] = {}
        #: Whether the build stored the open variables of every area (older builds did not).
        self.has_open_observations = "open_observations" in tables
        self._keep_map_values(MAP_VALUES_KEPT)

    def _keep_map_values(self, views: int) -> None:
        """A build never changes: a map's values are read from DuckDB once per view, indicator
        and year (a read costs more than everything else a map step does), the last ``views`` kept."""
        self._view_values = lru_cache(maxsize=views)(self._read_map_values)

    @contextmanager
    def cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        cur = self._con.cursor()
        try:
            cur.execute(f"USE {self._database}")   # a cursor starts in the in-memory database; a fixed name
            yield cur
        finally:
            cur.close()

    def _query(self, sql: str, params: list | tuple = ()) -> pd.DataFrame:
        with self.cursor() as con:
            return query(con, sql, params)

    def close(self) -> None:
        self._con.close()

    def __enter__(self) -> "Warehouse":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def current(self) -> "Warehouse":
        """This warehouse (what a :class:`LiveWarehouse` or a viewer's view of one is now)."""
        return self

    @property
    def build_id(self) -> str:
        return self.meta["build_id"]

    @property
    def is_demo(self) -> bool:
        return self.meta.get("kind") == "demo"

    # -- the area tree (public CBS division: no scope) ------------------------

    def has_area(self, code: object) -> bool:
        return isinstance(code, str) and code in self._by_code

    def area(self, code: str) -> Area:
        """The area ``code`` (``NotFound`` when the tree has none)."""
        try:
            return self._by_code[code]
        except (KeyError, TypeError):
            raise NotFound(f"unknown area {code!r}") from None

    def name(self, code: str) -> str:
        return self.area(code).name

    def lineage(self, code: str) -> list[str]:
        """Codes from the land down to ``code`` itself (empty for an unknown code)."""
        chain = []
        current = self._by_code.get(code) if isinstance(code, str) else None
        while current is not None:
            chain.append(current.code)
            current = self._by_code.get(current.parent_code) if current.parent_code else None
        return chain[::-1]

    def children(self, code: str, *, water: bool = False) -> list[Area]:
        """The areas directly below ``code``, in code order (water areas only with ``water``)."""
        self.area(code)
        return [a for a in self._children.get(code, []) if water or not a.is_water]

    def codes(self, level: str, inside: str | None = None, *, water: bool = False) -> list[str]:
        """The codes of the ``level`` areas (inside the area ``inside``, if given), in code
        order; water areas only with ``water``."""
        frame = self._areas[self._areas["level"] == level]
        if inside is not None:
            frame = frame[frame[ANCESTOR_COLUMNS[self.area(inside).level]] == inside]
        if not water:
            frame = frame[~frame["is_water"]]
        return frame["code"].tolist()

    def areas_frame(self, levels: Sequence[str] | None = None) -> pd.DataFrame:
        """The tree as a frame (a copy), columns :data:`AREA_COLUMNS`, in code order: for
        computations over many areas at once (search index, comparisons)."""
        frame = self._areas if levels is None else self._areas[self._areas["level"].isin(levels)]
        return frame.reset_index(drop=True).copy()

    def visible_area(self, code: str, scope: Scope) -> Area:
        """The area ``code`` after checking the viewer may see its figures (``NotFound``,
        ``AccessDenied``)."""
        area = self.area(code)
        if not scope.allows(self.lineage(code)):
            raise AccessDenied(code)
        return area

    def view_exists(self, level: str, parent: str) -> bool:
        """A map of ``level`` areas inside ``parent`` can be drawn (there are polygons for it)."""
        return (self.has_area(parent) and (level, self._by_code[parent].level) in MAP_VIEWS
                and (level, parent) in self._views)

    def view_visible(self, level: str, parent: str, scope: Scope) -> bool:
        """A map of ``level`` areas inside ``parent`` can be drawn and the viewer may see it
        (exactly when :meth:`map_values` and :meth:`geometry_gzip` answer for it)."""
        if not self.view_exists(level, parent):
            return False
        try:
            self._view_column(level, parent, scope)
        except AccessDenied:
            return False
        return True

    def views_below(self, code: str) -> list[str]:
        """The levels of the maps that can be drawn inside ``code``, nearest level first."""
        level = self.area(code).level
        return [shown for shown, parent_level in MAP_VIEWS if parent_level == level and self.view_exists(shown, code)]

    def open_observations(self, variables: Sequence[str], years: Sequence[int] | None = None) -> pd.DataFrame:
        """The open variables (public per buurt, never protected) of every area where the source
        published them or every buurt below has a value: ``code``, ``year``, ``variable``,
        ``value``; absent elsewhere (missing, never 0). Empty for a build without them."""
        if not self.has_open_observations:
            return pd.DataFrame({"code": pd.Series(dtype=object), "year": pd.Series(dtype="int64"),
                                 "variable": pd.Series(dtype=object), "value": pd.Series(dtype=float)})
        sql = """SELECT o.code, o.year, o.variable, o.value FROM open_observations o
                 JOIN variables v ON v.variable = o.variable AND v.is_open
                 WHERE o.variable IN (SELECT unnest(?::VARCHAR[]))"""
        params: list = [list(variables)]
        if years is not None:
            sql += " AND o.year IN (SELECT unnest(?::INTEGER[]))"
            params.append([int(y) for y in years])
        return self._query(sql + " ORDER BY o.code, o.variable, o.year", params)

    def attributes(self) -> pd.DataFrame:
        """Per gemeente: code, urbanity_class (1..5, may be missing) and population."""
        return self._query("SELECT * FROM area_attributes ORDER BY code")

    def neighbours(self, level: str) -> pd.DataFrame:
        """Pairs of neighbouring areas of a level (code, neighbour), both directions."""
        if level not in self._neighbours:
            self._neighbours[level] = self._query("SELECT code, neighbour FROM neighbours WHERE level = ?", [level])
        return self._neighbours[level]

    # -- geometry ----------------------------------------------------------------

    def geometry_gzip(self, level: str, parent: str, scope: Scope) -> bytes:
        """The gzipped GeoJSON of a map view, as the browser fetches it (``NotFound``, ``AccessDenied``)."""
        self._view_column(level, parent, scope)
        if (level, parent) not in self._views:
            raise NotFound(f"no {level} polygons inside {parent}")
        body = self._query("SELECT body FROM geometry WHERE level = ? AND parent = ?", [level, parent])["body"]
        return bytes(body.iloc[0])

    def geometry(self, level: str, parent: str, scope: Scope) -> dict:
        """The GeoJSON of a map view (the polygons of its ``level`` areas inside ``parent``)."""
        return json.loads(gzip.decompress(self.geometry_gzip(level, parent, scope)))

    def label_points(self, level: str, parent: str, scope: Scope) -> pd.DataFrame:
        """Where the names of a map view's areas go (:func:`geodata.coverage.label_points`),
        worked out once per view and process."""
        self._view_column(level, parent, scope)
        if (level, parent) not in self._labels:
            self._labels[(level, parent)] = label_points(self.geometry(level, parent, scope))
        return self._labels[(level, parent)]

    # -- values --------------------------------------------------------------

    def map_values(self, level: str, parent: str, indicator: str, year: int, scope: Scope) -> pd.DataFrame:
        """The ``level`` areas inside ``parent`` with their published values for one indicator/year.

        Columns: code, name, is_water, value, numerator, denominator, status, n_parts,
        n_parts_with_data. Areas without a value row get status ``missing``.
        """
        column = self._view_column(level, parent, scope)  # from a fixed list, never user text
        self.catalog.get(indicator)
        return self._view_values(level, parent, column, indicator, int(year)).copy()

    def _read_map_values(self, level: str, parent: str, column: str, indicator: str, year: int) -> pd.DataFrame:
        """:meth:`map_values` from DuckDB (kept by ``_view_values``: never modify the frame)."""
        return self._query(f"""
            SELECT a.code, a.name, a.is_water, v.value, v.numerator, v.denominator,
                   coalesce(v.status, 'missing') AS status, v.n_parts, v.n_parts_with_data
            FROM areas a
            LEFT JOIN indicator_values v ON v.code = a.code AND v.year = ? AND v.indicator = ?
            WHERE a.level = ? AND a.{column} = ?
            ORDER BY a.code""", [year, indicator, level, parent])

    def table(self, level: str, parent: str | None, indicator: str, year: int, scope: Scope) -> pd.DataFrame:
        """Rows for the CLI ``table`` command: every ``level`` area (inside ``parent`` if given)."""
        parent = parent or LAND_CODE
        if level not in LEVELS:
            raise NotFound(f"no level {level!r}")
        self.visible_area(parent, scope)
        if not scope.allows_view(level, self.lineage(parent)):
            raise AccessDenied(f"{level} inside {parent}")
        parent_level = level_of(parent)
        if level == parent_level:
            codes = [parent]
        elif level == "land" or not is_below(level, parent_level):
            raise NotFound(f"{level} areas do not lie inside {parent}")
        else:
            column = ANCESTOR_COLUMNS[parent_level]
            inside = (self._areas["level"] == level) & (self._areas[column] == parent)
            codes = self._areas.loc[inside, "code"].tolist()
        self.catalog.get(indicator)
        frame = self._query("""
            SELECT a.code, a.name, a.parent_code, ?::INTEGER AS year, ? AS indicator,
                   v.value, v.numerator, v.denominator, coalesce(v.status, 'missing') AS status,
                   v.n_parts, v.n_parts_with_data
            FROM areas a
            LEFT JOIN indicator_values v ON v.code = a.code AND v.year = ? AND v.indicator = ?
            WHERE a.code IN (SELECT unnest(?::VARCHAR[]))
            ORDER BY a.code""", [int(year), indicator, int(year), indicator, codes])
        frame.insert(2, "level", level)
        return frame

    def view_areas(self, level: str, parent: str, scope: Scope) -> pd.DataFrame:
        """The areas of a map view: code, name, is_water (in code order)."""
        column = self._view_column(level, parent, scope)
        inside = (self._areas["level"] == level) & (self._areas[column] == parent)
        return self._areas.loc[inside, ["code", "name", "is_water"]].reset_index(drop=True)

    def _view_column(self, level: str, parent: str, scope: Scope) -> str:
        """The ancestor column that selects the ``level`` areas of a map view inside ``parent``
        (after checking the view exists and the viewer may see it)."""
        parent_level = self.visible_area(parent, scope).level
        if (level, parent_level) not in MAP_VIEWS:
            raise NotFound(f"no {level} map inside {parent}")
        if not scope.allows_view(level, self.lineage(parent)):
            raise AccessDenied(f"{level} inside {parent}")
        return ANCESTOR_COLUMNS[parent_level]

    def values(self, codes: Sequence[str], indicators: Sequence[str], scope: Scope,
               years: Sequence[int] | None = None) -> pd.DataFrame:
        """The stored value rows of some areas and indicators (all years, or ``years``).

        Every code is checked against ``scope`` (``AccessDenied``) and the tree (``NotFound``);
        an unknown indicator raises ``KeyError``. Columns: ``code``, ``indicator``, ``year``,
        ``value``, ``numerator``, ``denominator``, ``status``; a combination without a row is
        absent (the caller decides it is ``missing``); the numbers are NaN unless ``ok``.
        """
        codes, ids = list(dict.fromkeys(codes)), list(dict.fromkeys(indicators))
        for code in codes:
            self.visible_area(code, scope)
        for indicator in ids:
            self.catalog.get(indicator)
        sql = """SELECT code, indicator, year, value, numerator, denominator, status FROM indicator_values
                 WHERE code IN (SELECT unnest(?::VARCHAR[])) AND indicator IN (SELECT unnest(?::VARCHAR[]))"""
        params: list = [codes, ids]
        if years is not None:
            sql += " AND year IN (SELECT unnest(?::INTEGER[]))"
            params.append([int(y) for y in years])
        frame = self._query(sql, params)
        frame["year"] = frame["year"].astype(int)
        return frame

    def level_values(self, level: str, year: int) -> pd.DataFrame:
        """The shown values (status ``ok``) of every indicator for every area of a level: long,
        columns ``code``, ``indicator``, ``value``, ``numerator``, ``denominator``. For
        computations over the whole level (the composite's standardisation); not an output."""
        return self._query("""
            SELECT v.code, v.indicator, v.value, v.numerator, v.denominator
            FROM indicator_values v JOIN areas a ON a.code = v.code
            WHERE a.level = ? AND v.year = ? AND v.status = 'ok'""", [level, int(year)])

    def indicator_values(self, indicator: str, year: int) -> pd.DataFrame:
        """Every area's shown value of one indicator in one year: ``code``, ``value`` (NaN unless
        ``ok``). For computations over all areas (ranks, peer medians); not an output."""
        self.catalog.get(indicator)
        return self._query("""
            SELECT code, CASE WHEN status = 'ok' THEN value END AS value
            FROM indicator_values WHERE indicator = ? AND year = ?""", [indicator, int(year)])


class LiveWarehouse:
    """The warehouse at a path, followed across rebuilds: :meth:`refresh` (called at the start of
    every request, at most once a second) opens the new file once a build has swapped one in.
    Requests that began on the old build finish on it; it closes when the last one lets go.
    Everything else is the current :class:`Warehouse`'s, and so are hashing and equality, so
    caches keyed by the warehouse start afresh with a new build."""

    CHECK_SECONDS = 1.0

    def __init__(self, path: Path):
        self.path = Path(path)
        self._current = Warehouse(self.path)
        self._stamp = self._stamp_now()
        self._checked = time.monotonic()
        self._lock = threading.Lock()

    def _stamp_now(self) -> tuple[int, int] | None:
        try:
            stat = self.path.stat()
        except OSError:
            return None
        return stat.st_ino, stat.st_mtime_ns

    def current(self) -> Warehouse:
        return self._current

    def refresh(self) -> bool:
        """Open the file again if a build replaced it; whether it did. A file that cannot be
        opened keeps the build before it in service (and is logged)."""
        if time.monotonic() - self._checked < self.CHECK_SECONDS:
            return False
        with self._lock:   # a request that arrives while another opens the new build waits for it
            if time.monotonic() - self._checked < self.CHECK_SECONDS:
                return False
            try:
                stamp = self._stamp_now()
                if stamp is None or stamp == self._stamp:
                    return False
                try:
                    fresh = Warehouse(self.path)
                except (BadWarehouse, OSError) as err:
                    log.error("the new warehouse at %s cannot be opened; still serving build %s: %s",
                              self.path, self._current.build_id, err)
                    return False
                log.info("warehouse %s: build %s replaces %s", self.path, fresh.build_id, self._current.build_id)
                self._current, self._stamp = fresh, stamp
                return True
            finally:
                self._checked = time.monotonic()

    def __getattr__(self, name: str):
        return getattr(self._current, name)

    def __hash__(self) -> int:
        return hash(self._current)

    def __eq__(self, other: object) -> bool:
        return self._current is (other._current if isinstance(other, LiveWarehouse) else other)

