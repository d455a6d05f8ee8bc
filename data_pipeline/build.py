"""Building the warehouse from a :class:`~data_pipeline.sources.Source`, atomically.

A build validates the source and computes everything in an in-memory database: the raw
observations, the unprotected aggregates and the checks of published against summed figures
exist only there. The built-in attacker (:mod:`data_pipeline.attack`) then checks what would be
published; a build it finds anything in is refused. Only the tables of :data:`SERVED_TABLES`
are copied into a temporary file (no number of a hidden value is among them), which is
swapped in with one ``os.replace``; the map polygons are inside it, so one file is one build. A
build that fails leaves the previous warehouse byte-identical. One build per warehouse at a time
(a lock beside it); the next build removes what a killed one left. Every statement goes through the
logged, parameterised helpers of :mod:`data_pipeline.warehouse`.
"""

from __future__ import annotations

import fcntl
import gzip
import os
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
from data_pipeline.attack import check_published
from data_pipeline.sources import Source
from data_pipeline.validation import validate_areas, validate_observations
from data_pipeline.warehouse import execute, query, registered
from geodata.coverage import feature_collection, to_display
from geodata.hierarchy import ANCESTOR_COLUMNS, MAP_VIEWS, with_ancestors
from indicators.catalog import Catalog
from indicators.hotspots import contiguity

#: Levels whose neighbours are stored, for hotspot analysis.
NEIGHBOUR_LEVELS = ("gemeente", "wijk", "buurt")
BUILD_STEPS = ("validate", "areas", "observations", "aggregate", "check", "geometry", "neighbours", "own-data",
               "swap")
#: The tables of the served file: what the server may read. Raw observations never leave the build.
SERVED_TABLES = ("meta", "areas", "themes", "indicators", "variables", "indicator_values",
                 "area_attributes", "neighbours", "geometry", "open_observations")


@dataclass
class BuildReport:
    path: Path
    build_id: str
    steps: list[tuple[str, float]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)   # what joined and what did not
    join_file: Path | None = None                     # the unmatched codes, one per row
    protection: pd.DataFrame | None = None            # shown shares per indicator and level


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


def build_warehouse(source: Source, path: Path, log_steps: StepLog | None = None) -> BuildReport:
    """Build the warehouse for ``source`` at ``path``; atomic: all or nothing. One build per
    path at a time (:class:`BuildLocked` otherwise); what a killed build left is removed first."""
    steps = log_steps or StepLog()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    build_id = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
    tmp = path.with_name(f".{path.name}.{build_id}.tmp")
    report = BuildReport(path, build_id)
    with build_lock(path):
        report.notes.extend(_remove_debris(path))
        try:
            with steps.step("validate"):
                validate_areas(source.areas, source.origin)
                validate_observations(source.observations, source.catalog.variables(),
                                      set(source.areas["code"]), source.origin)
            con = duckdb.connect()   # in memory: raw counts are never written to disk
            try:
                with steps.step("areas"):
                    tree = _write_areas(con, source)
                    _write_catalog(con, source.catalog)
                with steps.step("observations"):
                    with registered(con, "obs_frame", source.observations[["code", "year", "variable", "value"]]):
                        execute(con, "CREATE TABLE observations AS SELECT code::VARCHAR AS code, "
                                     "year::INTEGER AS year, variable::VARCHAR AS variable, value::DOUBLE AS value "
                                     "FROM obs_frame")
                with steps.step("aggregate"):
                    report.protection = aggregate_indicator_values(con)
                    _write_attributes(con, source)
                    _write_open_observations(con)
                with steps.step("check"):
                    check_published(con)
                with steps.step("geometry"):
                    report.counts["geometry_files"] = _write_geometry(con, source, tree)
                with steps.step("neighbours"):
                    _write_neighbours(con, source)
                _write_meta(con, source, build_id)
                report.counts.update(dict(query(con, "SELECT level, count(*) AS n FROM areas GROUP BY level")
                                          .itertuples(index=False)))
                _write_served(con, tmp)
            finally:
                con.close()
            with steps.step("own-data"):
                report.notes.extend(_rejoin_own_layers(tmp, path))
            with steps.step("swap"):
                os.replace(tmp, path)
        except BaseException:
            _unlink_with_wal(tmp)
            raise
    report.steps = steps.steps
    return report


class BuildLocked(RuntimeError):
    """Another build of the same warehouse is running."""


@contextmanager
def build_lock(path: Path) -> Iterator[None]:
    """An exclusive lock on ``<warehouse>.lock`` for the time of a build (released if the process
    dies, since the operating system drops it)."""
    lock = path.with_name(path.name + ".lock")
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode("ascii", "replace").strip() or "?"
            raise BuildLocked(f"another build of {path} is running (process {holder}); wait for it to end") from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode("ascii"))
        yield
    finally:
        os.close(fd)


def _remove_debris(path: Path) -> list[str]:
    """Remove the temporary files of builds that were killed (we hold the lock: none is running)."""
    removed = []
    for debris in sorted(path.parent.glob(f".{path.name}.*.tmp*")):
        size = debris.stat().st_size
        debris.unlink(missing_ok=True)
        removed.append(f"removed {debris.name} ({size:,} bytes), left by a build that did not finish")
    return removed


def _unlink_with_wal(tmp: Path) -> None:
    for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
        leftover.unlink(missing_ok=True)


def _write_served(con: duckdb.DuckDBPyConnection, target: Path) -> None:
    """Copy the served tables, and nothing else, into a new database file."""
    execute(con, "ATTACH ? AS served", [str(target)])
    try:
        for table in SERVED_TABLES:   # fixed names, never user text
            execute(con, f"CREATE TABLE served.{table} AS SELECT * FROM main.{table}")
        execute(con, "CHECKPOINT served")
    finally:
        execute(con, "DETACH served")


def _write_areas(con: duckdb.DuckDBPyConnection, source: Source) -> pd.DataFrame:
    tree = with_ancestors(source.areas)
    tree["boundary_year"] = source.boundary_year
    cols = ["code", "level", "name", "parent_code", "is_water", "boundary_year", *ANCESTOR_COLUMNS.values()]
    with registered(con, "areas_frame", tree[cols]):
        execute(con, "CREATE TABLE areas AS SELECT * FROM areas_frame ORDER BY code")
    return tree


def _write_catalog(con: duckdb.DuckDBPyConnection, catalog: Catalog) -> None:
    with registered(con, "ind_frame", catalog.to_frame().reset_index(names="position")):
        execute(con, "CREATE TABLE indicators AS SELECT * FROM ind_frame")
    with registered(con, "var_frame", catalog.variables_frame()):
        execute(con, "CREATE TABLE variables AS SELECT variable::VARCHAR AS variable, is_open::BOOLEAN AS is_open "
                     "FROM var_frame ORDER BY variable")
    themes = pd.DataFrame([{"theme": k, "position": i, "label_nl": v["nl"], "label_en": v["en"]}
                           for i, (k, v) in enumerate(catalog.themes.items())])
    with registered(con, "theme_frame", themes):
        execute(con, "CREATE TABLE themes AS SELECT * FROM theme_frame")


def _write_attributes(con: duckdb.DuckDBPyConnection, source: Source) -> None:
    """Per gemeente: urbanity class (when the source has it) and inhabitants in the latest year,
    the two things that define its peer group."""
    urbanity = source.urbanity if source.urbanity is not None else pd.Series(dtype="Int64")
    frame = pd.DataFrame({"code": urbanity.index.astype(str), "urbanity_class": urbanity.to_numpy()})
    with registered(con, "urbanity_frame", frame):
        execute(con, """
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


def _write_open_observations(con: duckdb.DuckDBPyConnection) -> None:
    """The open variables (public per buurt, never protected: the catalog's ``[variables] open``)
    of every area: as published, else the sum over the buurten below when every (land) buurt
    below has a value, else absent (missing, never 0). The denominators of own data
    (:mod:`data_pipeline.own`)."""
    execute(con, """
        CREATE TABLE open_observations AS
        WITH open_obs AS (
            SELECT o.code, o.year, o.variable, o.value FROM observations o
            JOIN variables v ON v.variable = o.variable AND v.is_open
            WHERE o.value IS NOT NULL),
        below AS (   -- every land buurt under each of its ancestors
            SELECT code AS buurt, unnest([wijk_code, gemeente_code, regio_code, land_code]) AS up
            FROM areas WHERE level = 'buurt' AND NOT is_water),
        n_below AS (SELECT up, count(*) AS n FROM below WHERE up IS NOT NULL GROUP BY up),
        summed AS (
            SELECT b.up AS code, o.year, o.variable, sum(o.value) AS value
            FROM below b JOIN open_obs o ON o.code = b.buurt JOIN n_below n ON n.up = b.up
            GROUP BY b.up, o.year, o.variable, n.n
            HAVING count(*) = n.n)
        SELECT code, year::INTEGER AS year, variable, value FROM open_obs
        UNION ALL
        SELECT s.code, s.year, s.variable, s.value FROM summed s
        WHERE NOT EXISTS (SELECT 1 FROM open_obs p WHERE p.code = s.code AND p.year = s.year
                          AND p.variable = s.variable)
        ORDER BY code, variable, year""")


def _rejoin_own_layers(tmp: Path, path: Path) -> list[str]:
    """Every own layer beside the warehouse, re-joined to the new build's areas and computed for
    its build id before the swap (so a server never sees the new build without them); the join
    report of each layer as lines."""
    from data_pipeline.own import rejoin_all

    return rejoin_all(tmp, path)


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
    frame = pd.DataFrame({"key": list(meta), "value": [str(v) for v in meta.values()]})
    with registered(con, "meta_frame", frame):
        execute(con, "CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
        execute(con, "INSERT INTO meta SELECT key, value FROM meta_frame")


def geometry_frame(source: Source, tree: pd.DataFrame) -> pd.DataFrame:
    """One gzipped GeoJSON per map view (``level``, ``parent``, ``body``): the ``level`` areas
    inside each parent, as the browser fetches them."""
    rows = []
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
                rows.append((level, parent, gzip.compress(text.encode("utf-8"), compresslevel=6, mtime=0)))
    return pd.DataFrame(rows, columns=["level", "parent", "body"])


def _write_geometry(con: duckdb.DuckDBPyConnection, source: Source, tree: pd.DataFrame) -> int:
    """The map views' polygons inside the warehouse: one file is one build, so a rebuild never
    takes polygons away from a server that still shows the build before it."""
    frame = geometry_frame(source, tree)
    with registered(con, "geometry_frame", frame):
        execute(con, "CREATE TABLE geometry AS SELECT level::VARCHAR AS level, parent::VARCHAR AS parent, "
                     "body::BLOB AS body FROM geometry_frame ORDER BY level, parent")
    return len(frame)


def _write_neighbours(con: duckdb.DuckDBPyConnection, source: Source) -> None:
    """Queen contiguity (a shared border or corner) per level, both directions."""
    frames = []
    for level in NEIGHBOUR_LEVELS:
        if level in source.geometry:
            pairs = contiguity(source.geometry[level][["code", "geometry"]])
            frames.append(pairs.assign(level=level)[["level", "code", "neighbour"]])
    pairs = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["level", "code", "neighbour"])
    with registered(con, "pairs_frame", pairs):
        execute(con, "CREATE TABLE neighbours AS SELECT level::VARCHAR AS level, code::VARCHAR AS code, "
                     "neighbour::VARCHAR AS neighbour FROM pairs_frame ORDER BY level, code")


