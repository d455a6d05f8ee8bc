"""The DuckDB warehouse: building it atomically, and the data-access layer that reads it.

Layout on disk, next to each other::

    data/ondermijningsbeeld.duckdb          areas, indicators, observations, indicator_values, meta
    data/ondermijningsbeeld.geo/<build_id>/ simplified GeoJSON per map view (gzip)

A build writes a temporary database and a new geometry folder, then swaps the database in
with one ``os.replace``. A build that fails leaves the previous warehouse as it was.

All reads go through :func:`query` with parameters; every read takes the viewer's
:class:`Scope`.
"""

from __future__ import annotations

import gzip
import logging
import os
import shutil
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

import duckdb
import pandas as pd

from data_pipeline.aggregate import aggregate_indicator_values
from data_pipeline.sources import Source
from data_pipeline.validation import validate_areas, validate_observations
from geodata.codes import LAND_CODE, is_below, level_of
from geodata.coverage import feature_collection, to_display
from geodata.hierarchy import ANCESTOR_COLUMNS, MAP_VIEWS, with_ancestors
from indicators.catalog import Catalog, Indicator

log = logging.getLogger(__name__)

DEFAULT_WAREHOUSE = Path("data") / "ondermijningsbeeld.duckdb"
WAREHOUSE_ENV = "ONDERMIJNINGSBEELD_WAREHOUSE"
GEO_BUILDS_KEPT = 2


def default_warehouse_path() -> Path:
    return Path(os.environ.get(WAREHOUSE_ENV) or DEFAULT_WAREHOUSE)


def geo_root(path: Path) -> Path:
    return path.with_name(path.stem + ".geo")


def query(con: duckdb.DuckDBPyConnection, sql: str, params: list | tuple = ()) -> pd.DataFrame:
    """Run one parameterised statement and return its result; every read goes through here."""
    log.debug("sql %s %s", " ".join(sql.split())[:200], params)
    return con.execute(sql, params).df()


# --------------------------------------------------------------------------- build


@dataclass
class BuildReport:
    path: Path
    build_id: str
    steps: list[tuple[str, float]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)   # what joined and what did not
    join_file: Path | None = None                     # the unmatched codes, one per row


class StepLog:
    """Times named steps and tells an optional progress display when each starts and ends."""

    def __init__(self, progress=None):
        self.progress = progress
        self.steps: list[tuple[str, float]] = []

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        if self.progress:
            self.progress.start(name)
        start = time.perf_counter()
        yield
        self.steps.append((name, time.perf_counter() - start))
        if self.progress:
            self.progress.done(name)


BUILD_STEPS = ("validate", "areas", "observations", "aggregate", "geometry", "neighbours", "swap")


def build_warehouse(source: Source, path: Path, log_steps: StepLog | None = None) -> BuildReport:
    """Build the warehouse for ``source`` at ``path``; atomic: all or nothing."""
    steps = log_steps or StepLog()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    build_id = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
    tmp = path.with_name(f".{path.name}.{build_id}.tmp")
    geo_dir = geo_root(path) / build_id
    report = BuildReport(path, build_id)
    try:
        with steps.step("validate"):
            validate_areas(source.areas, source.origin)
            validate_observations(source.observations, source.catalog.variables(),
                                  set(source.areas["code"]), source.origin)
        con = duckdb.connect(str(tmp))
        try:
            with steps.step("areas"):
                tree = _write_areas(con, source)
                _write_catalog(con, source.catalog)
            with steps.step("observations"):
                obs = source.observations[["code", "year", "variable", "value"]]
                con.register("obs_frame", obs)
                con.execute("CREATE TABLE observations AS SELECT code::VARCHAR AS code, year::INTEGER AS year,"
                            " variable::VARCHAR AS variable, value::DOUBLE AS value FROM obs_frame")
                con.unregister("obs_frame")
            with steps.step("aggregate"):
                aggregate_indicator_values(con)
                _write_attributes(con, source)
            with steps.step("geometry"):
                report.counts["geometry_files"] = write_geometry(source, tree, geo_dir)
            with steps.step("neighbours"):
                _write_neighbours(con, source)
            _write_meta(con, source, build_id)
            report.counts.update(dict(query(con, "SELECT level, count(*) AS n FROM areas GROUP BY level")
                                      .itertuples(index=False)))
            con.execute("CHECKPOINT")
        finally:
            con.close()
        with steps.step("swap"):
            os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        shutil.rmtree(geo_dir, ignore_errors=True)
        raise
    _prune_geo_builds(geo_root(path), keep=build_id)
    report.steps = steps.steps
    return report


def _write_areas(con: duckdb.DuckDBPyConnection, source: Source) -> pd.DataFrame:
    tree = with_ancestors(source.areas)
    tree["boundary_year"] = source.boundary_year
    cols = ["code", "level", "name", "parent_code", "is_water", "boundary_year", *ANCESTOR_COLUMNS.values()]
    con.register("areas_frame", tree[cols])
    con.execute("CREATE TABLE areas AS SELECT * FROM areas_frame ORDER BY code")
    con.unregister("areas_frame")
    return tree


def _write_catalog(con: duckdb.DuckDBPyConnection, catalog: Catalog) -> None:
    con.register("ind_frame", catalog.to_frame().reset_index(names="position"))
    con.execute("CREATE TABLE indicators AS SELECT * FROM ind_frame")
    con.unregister("ind_frame")
    themes = pd.DataFrame([{"theme": k, "position": i, "label_nl": v["nl"], "label_en": v["en"]}
                           for i, (k, v) in enumerate(catalog.themes.items())])
    con.register("theme_frame", themes)
    con.execute("CREATE TABLE themes AS SELECT * FROM theme_frame")
    con.unregister("theme_frame")


def _write_attributes(con: duckdb.DuckDBPyConnection, source: Source) -> None:
    """Per gemeente: urbanity class (when the source has it) and inhabitants in the latest year,
    the two things that define its peer group."""
    urbanity = source.urbanity if source.urbanity is not None else pd.Series(dtype="Int64")
    frame = pd.DataFrame({"code": urbanity.index.astype(str), "urbanity_class": urbanity.to_numpy()})
    con.register("urbanity_frame", frame)
    con.execute("""
        CREATE TABLE area_attributes AS
        WITH population AS (
            SELECT code, value AS population FROM indicator_values
            WHERE indicator = 'inwoners' AND year = (SELECT max(year) FROM indicator_values
                                                      WHERE indicator = 'inwoners' AND status = 'ok')
            UNION ALL
            SELECT a.gemeente_code, sum(o.value) FROM observations o JOIN areas a USING (code)
            WHERE NOT EXISTS (SELECT 1 FROM indicators WHERE id = 'inwoners')
              AND o.variable = 'inwoners' AND a.level = 'buurt'
              AND o.year = (SELECT max(year) FROM observations WHERE variable = 'inwoners')
            GROUP BY ALL)
        SELECT a.code, u.urbanity_class::INTEGER AS urbanity_class, p.population
        FROM areas a
        LEFT JOIN urbanity_frame u ON u.code = a.code
        LEFT JOIN population p ON p.code = a.code
        WHERE a.level = 'gemeente'""")
    con.unregister("urbanity_frame")


def _write_meta(con: duckdb.DuckDBPyConnection, source: Source, build_id: str) -> None:
    meta = {
        "kind": source.kind,
        "description": source.description,
        "boundary_year": str(source.boundary_year),
        "attribution": source.attribution,
        "build_id": build_id,
        "built_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        **{f"setting.{k}": v for k, v in source.settings.items()},
    }
    con.execute("CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
    con.executemany("INSERT INTO meta VALUES (?, ?)", list(meta.items()))


def write_geometry(source: Source, tree: pd.DataFrame, geo_dir: Path) -> int:
    """Write one gzipped GeoJSON per map view: the ``level`` areas inside each parent."""
    written = 0
    parents = tree.set_index("code")
    for level in dict.fromkeys(level for level, _ in MAP_VIEWS):
        if level not in source.geometry:
            continue
        display = to_display(source.geometry[level], level)
        display = display.join(parents[list(ANCESTOR_COLUMNS.values())], on="code")
        for shown, parent_level in MAP_VIEWS:
            if shown != level:
                continue
            for parent, group in display.groupby(ANCESTOR_COLUMNS[parent_level]):
                text = feature_collection(group.sort_values("code"),
                                          f"Ondermijningsbeeld {source.kind} build — generated, do not edit")
                target = geo_dir / level / f"{parent}.json.gz"
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(gzip.compress(text.encode("utf-8"), compresslevel=6, mtime=0))
                written += 1
    return written


#: Levels whose neighbours are stored, for hotspot analysis.
NEIGHBOUR_LEVELS = ("gemeente", "wijk", "buurt")


def _write_neighbours(con: duckdb.DuckDBPyConnection, source: Source) -> None:
    """Queen contiguity (a shared border or corner) per level, both directions."""
    from indicators.hotspots import contiguity

    frames = []
    for level in NEIGHBOUR_LEVELS:
        if level in source.geometry:
            pairs = contiguity(source.geometry[level][["code", "geometry"]])
            frames.append(pairs.assign(level=level)[["level", "code", "neighbour"]])
    pairs = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["level", "code", "neighbour"])
    con.register("pairs_frame", pairs)
    con.execute("CREATE TABLE neighbours AS SELECT level::VARCHAR AS level, code::VARCHAR AS code, "
                "neighbour::VARCHAR AS neighbour FROM pairs_frame ORDER BY level, code")
    con.unregister("pairs_frame")


def _prune_geo_builds(root: Path, keep: str) -> None:
    """Keep the newest geometry builds (a running server may still use the previous one)."""
    if not root.exists():
        return
    builds = sorted((p for p in root.iterdir() if p.is_dir()), key=lambda p: p.name, reverse=True)
    kept = [b for b in builds if b.name == keep] + [b for b in builds if b.name != keep][: GEO_BUILDS_KEPT - 1]
    for build in builds:
        if build not in kept:
            shutil.rmtree(build, ignore_errors=True)


# --------------------------------------------------------------------------- read


@dataclass(frozen=True)
class Scope:
    """Which areas a viewer may see in detail. ``None`` means everything (the only scope for now)."""

    codes: frozenset[str] | None = None

    @classmethod
    def everything(cls) -> "Scope":
        return cls(None)

    def allows(self, lineage: list[str]) -> bool:
        return self.codes is None or any(code in self.codes for code in lineage)


class AccessDenied(PermissionError):
    pass


class NotFound(LookupError):
    pass


class Warehouse:
    """Read access to one built warehouse. Cheap calls; one cursor per call (thread safe)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        if not self.path.exists():
            raise FileNotFoundError(f"no warehouse at {self.path}; run `ondermijningsbeeld build --demo`")
        self._con = duckdb.connect(str(self.path), read_only=True)
        with self.cursor() as con:
            self.meta: dict[str, str] = dict(query(con, "SELECT key, value FROM meta").itertuples(index=False))
            self.areas = query(con, "SELECT * FROM areas").set_index("code", drop=False).rename_axis(None)
            self.years: list[int] = query(con, "SELECT DISTINCT year FROM observations ORDER BY year")["year"].tolist()
            ind = query(con, "SELECT * FROM indicators ORDER BY position")
            themes = query(con, "SELECT * FROM themes ORDER BY position")
        # Fields a warehouse built by an older version lacks keep their defaults.
        fields = [f for f in Indicator.__dataclass_fields__ if f in ind.columns]
        self.catalog = Catalog(
            {t.theme: {"nl": t.label_nl, "en": t.label_en} for t in themes.itertuples()},
            tuple(Indicator(**{f: getattr(row, f) for f in fields}) for row in ind.itertuples()),
        )
        self.geo_dir = geo_root(self.path) / self.meta["build_id"]
        self._neighbours: dict[str, pd.DataFrame] = {}

    @contextmanager
    def cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        cur = self._con.cursor()
        try:
            yield cur
        finally:
            cur.close()

    def close(self) -> None:
        self._con.close()

    def __enter__(self) -> "Warehouse":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- areas ---------------------------------------------------------------

    def area(self, code: str, scope: Scope) -> pd.Series:
        if code not in self.areas.index:
            raise NotFound(f"unknown area {code!r}")
        if not scope.allows(self.lineage(code)):
            raise AccessDenied(code)
        return self.areas.loc[code]

    def lineage(self, code: str) -> list[str]:
        """Codes from the land down to ``code`` itself."""
        chain = []
        current = code
        while isinstance(current, str) and current in self.areas.index:
            chain.append(current)
            current = self.areas.at[current, "parent_code"]
        return chain[::-1]

    def view_exists(self, level: str, parent: str) -> bool:
        """A map of ``level`` areas inside ``parent`` can be drawn (there are polygons for it)."""
        return (parent in self.areas.index and (level, self.areas.at[parent, "level"]) in MAP_VIEWS
                and self.geometry_file(level, parent).exists())

    def attributes(self) -> pd.DataFrame:
        """Per gemeente: code, urbanity_class (1..5, may be missing) and population."""
        with self.cursor() as con:
            return query(con, "SELECT * FROM area_attributes ORDER BY code")

    def neighbours(self, level: str) -> pd.DataFrame:
        """Pairs of neighbouring areas of a level (code, neighbour), both directions."""
        if level not in self._neighbours:
            with self.cursor() as con:
                self._neighbours[level] = query(con, "SELECT code, neighbour FROM neighbours WHERE level = ?",
                                                [level])
        return self._neighbours[level]

    def geometry_file(self, level: str, parent: str) -> Path:
        return self.geo_dir / level / f"{parent}.json.gz"

    # -- values --------------------------------------------------------------

    def map_values(self, level: str, parent: str, indicator: str, year: int, scope: Scope) -> pd.DataFrame:
        """The ``level`` areas inside ``parent`` with their published values for one indicator/year.

        Columns: code, name, is_water, value, numerator, denominator, status, n_parts,
        n_parts_with_data. Areas without a value row get status ``missing``.
        """
        column = self._view_column(level, parent, scope)  # from a fixed list, never user text
        self.catalog.get(indicator)
        sql = f"""
            SELECT a.code, a.name, a.is_water, v.value, v.numerator, v.denominator,
                   coalesce(v.status, 'missing') AS status, v.n_parts, v.n_parts_with_data
            FROM areas a
            LEFT JOIN indicator_values v ON v.code = a.code AND v.year = ? AND v.indicator = ?
            WHERE a.level = ? AND a.{column} = ?
            ORDER BY a.code"""
        with self.cursor() as con:
            return query(con, sql, [int(year), indicator, level, parent])

    def table(self, level: str, parent: str | None, indicator: str, year: int, scope: Scope) -> pd.DataFrame:
        """Rows for the CLI ``table`` command: every ``level`` area (inside ``parent`` if given)."""
        parent = parent or LAND_CODE
        self.area(parent, scope)
        parent_level = level_of(parent)
        if level == parent_level:
            codes = [parent]
        elif level == "land" or not is_below(level, parent_level):
            raise NotFound(f"{level} areas do not lie inside {parent}")
        else:
            column = ANCESTOR_COLUMNS[parent_level]
            codes = self.areas.loc[(self.areas["level"] == level) & (self.areas[column] == parent), "code"].tolist()
        frame = self._values_for_codes(codes, indicator, year)
        frame.insert(2, "level", level)
        return frame

    def view_areas(self, level: str, parent: str, scope: Scope) -> pd.DataFrame:
        """The areas of a map view: code, name, is_water (in code order)."""
        column = self._view_column(level, parent, scope)
        inside = (self.areas["level"] == level) & (self.areas[column] == parent)
        return self.areas.loc[inside, ["code", "name", "is_water"]].sort_values("code").reset_index(drop=True)

    def _view_column(self, level: str, parent: str, scope: Scope) -> str:
        """The ancestor column that selects the ``level`` areas of a map view inside ``parent``
        (after checking the view exists and the viewer may see it)."""
        parent_level = self.area(parent, scope)["level"]
        if (level, parent_level) not in MAP_VIEWS:
            raise NotFound(f"no {level} map inside {parent}")
        return ANCESTOR_COLUMNS[parent_level]

    def _values_for_codes(self, codes: list[str], indicator: str, year: int) -> pd.DataFrame:
        self.catalog.get(indicator)
        sql = """
            SELECT a.code, a.name, a.parent_code, ?::INTEGER AS year, ? AS indicator,
                   v.value, v.numerator, v.denominator, coalesce(v.status, 'missing') AS status,
                   v.n_parts, v.n_parts_with_data
            FROM areas a
            LEFT JOIN indicator_values v ON v.code = a.code AND v.year = ? AND v.indicator = ?
            WHERE a.code IN (SELECT unnest(?::VARCHAR[]))
            ORDER BY a.code"""
        with self.cursor() as con:
            return query(con, sql, [int(year), indicator, int(year), indicator, codes])

