"""The ``ondermijningsbeeld`` command line.

    ondermijningsbeeld build --demo            build the warehouse from the synthetic demo country
    ondermijningsbeeld indicators [--format csv]
    ondermijningsbeeld table --level gemeente --parent RE01 --indicator ID --year 2024
    ondermijningsbeeld serve [--host 127.0.0.1] [--port 8050]

The warehouse path comes from ``--warehouse``, else ``ONDERMIJNINGSBEELD_WAREHOUSE``, else
``data/ondermijningsbeeld.duckdb``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tqdm import tqdm

from data_pipeline import cbs_download
from data_pipeline.validation import ValidationError
from data_pipeline.warehouse import (BUILD_STEPS, AccessDenied, NotFound, Scope, StepLog, Warehouse,
                                     build_warehouse, default_warehouse_path)
from geodata.codes import LEVELS

TABLE_COLUMNS = ["code", "name", "level", "parent_code", "year", "indicator", "value", "numerator",
                 "denominator", "status", "n_parts", "n_parts_with_data"]
METHOD_COLUMNS = ["parent_value", "regio_value", "nl_value", "peer_group", "peer_value", "rank", "n_ranked", "percentile", "class", "hotspot",
                  "score", "score_coverage", "contribution"]


class ProgressBar:
    """A tqdm bar over build steps, naming the step in progress."""

    def __init__(self, total: int, desc: str, out):
        self.bar = tqdm(total=total, desc=desc, unit="stap", file=out,
                        bar_format="{desc} {n_fmt}/{total_fmt} |{bar:30}| {elapsed} {postfix}")

    def start(self, name: str) -> None:
        self.bar.set_postfix_str(name)

    def done(self, name: str) -> None:
        self.bar.update()

    def close(self) -> None:
        self.bar.close()


def build_demo(path: Path, seed: int = 2024, scale: float = 1.0, out=sys.stderr):
    """Generate the demo country and build the warehouse with a progress bar; return the report."""
    from data_pipeline.sources import demo_source

    progress = ProgressBar(1 + len(BUILD_STEPS), "Demoland bouwen", out)
    steps = StepLog(progress)
    try:
        with steps.step("generate"):
            source = demo_source(seed=seed, scale=scale)
        return build_warehouse(source, path, steps)
    finally:
        progress.close()


def build_from_files(path: Path, directory: Path, year: int, out=sys.stderr):
    """Build the warehouse from a folder of official files; write the join report beside it."""
    from data_pipeline.cbs_source import files_source

    progress = ProgressBar(1 + len(BUILD_STEPS), f"Bouwen uit {directory}", out)
    steps = StepLog(progress)
    try:
        with steps.step("read files"):
            source, joins = files_source(directory, year)
        report = build_warehouse(source, path, steps)
    finally:
        progress.close()
    report.notes = joins.lines
    report.join_file = joins.write(join_report_path(path))
    return report


def join_report_path(path: Path) -> Path:
    return path.with_name(path.stem + ".join-report.csv")


def _print_report(report, out) -> None:
    print(f"Warehouse: {report.path.resolve()}", file=out)
    for name, seconds in report.steps:
        print(f"  {name:<13} {seconds:7.2f} s", file=out)
    print(f"  {'total':<13} {sum(s for _, s in report.steps):7.2f} s", file=out)
    counts = ", ".join(f"{report.counts[l]} {l}" for l in LEVELS if l in report.counts)
    print(f"Areas: {counts}; {report.counts.get('geometry_files', 0)} geometry files", file=out)
    for line in report.notes:
        print(f"  {line}", file=out)
    if report.join_file:
        print(f"Codes that did not join: {report.join_file.resolve()}", file=out)


def cmd_build(args) -> int:
    if args.from_files:
        if args.year is None:
            print("--from-files needs --year (the year of the figures, e.g. 2024)", file=sys.stderr)
            return 2
        report = build_from_files(args.warehouse, args.from_files, args.year)
    elif args.demo:
        report = build_demo(args.warehouse, seed=args.seed, scale=args.scale)
    else:
        print("Say what to build from: --demo or --from-files DIR --year YEAR.", file=sys.stderr)
        return 2
    _print_report(report, sys.stdout)
    return 0


def cmd_indicators(args) -> int:
    from indicators.catalog import load_catalog

    frame = load_catalog().to_frame()
    columns = ["id", "theme", "label_nl", "unit_nl", "source", "table_id", "numerator", "denominator",
               "multiplier", "direction", "min_denominator", "dataset"]
    if args.warehouse.exists():
        frame = Warehouse(args.warehouse).catalog.to_frame()
    if args.format == "csv":
        frame[columns].to_csv(sys.stdout, index=False)
    else:
        for row in frame.itertuples():
            print(f"{row.id:<44} {row.theme:<14} {row.label_nl} ({row.unit_nl}) — {row.source} {row.table_id}")
    return 0


def cmd_table(args) -> int:
    from data_pipeline.analysis import method_columns

    wh = Warehouse(args.warehouse)
    year = args.year if args.year is not None else wh.years[-1]
    frame = wh.table(args.level, args.parent, args.indicator, year, Scope.everything())
    frame = method_columns(wh, frame, args.level, args.indicator, year)
    themes = [c for c in frame.columns if c.startswith("theme_")]
    frame[TABLE_COLUMNS + METHOD_COLUMNS + themes].to_csv(sys.stdout, index=False, float_format="%.6g")
    return 0


def _jobs(wh: Warehouse, args, name: str) -> list[tuple[str, Path]]:
    """(area code, output file) for ``--area`` or for every sub-area of ``--all-in``."""
    if bool(args.area) == bool(args.all_in):
        raise ValueError("give either --area CODE or --all-in REGION_OR_GEMEENTE")
    if args.area:
        return [(args.area.upper(), args.output)]
    parent = wh.area(args.all_in.upper(), Scope.everything())["code"]
    kids = wh.areas[(wh.areas["parent_code"] == parent) & ~wh.areas["is_water"]]["code"]
    args.output.mkdir(parents=True, exist_ok=True)
    return [(code, args.output / name.format(code=code)) for code in kids]


def _write_all(jobs: list[tuple[str, Path]], render, desc: str) -> int:
    """Render each job with a progress bar; a browser that cannot start ends the run clearly."""
    from dashboard.export import ExportError

    try:
        for code, target in tqdm(jobs, desc=desc, unit="bestand", file=sys.stderr, disable=len(jobs) < 2):
            result = render(code)
            if result is None:
                print(f"skipped {code}: no map of smaller areas", file=sys.stderr)
                continue
            data, title = result
            target.write_bytes(data)
            print(f"{target} ({len(data):,} bytes): {title}")
    except ExportError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0


def cmd_export(args) -> int:
    """The map of an area (its sub-areas) as an image, as the dashboard's export links make it;
    with ``--all-in`` one image per sub-area of that region or gemeente, into a folder."""
    from dashboard import routes
    from dashboard.export import render_state
    from dashboard.views import resolve_state

    wh = Warehouse(args.warehouse)
    wh.catalog.get(args.indicator)  # KeyError "unknown indicator" before any file is written
    base = routes.MapState(indicator=args.indicator, year=args.year)

    def render(code):
        state = resolve_state(wh, routes.view_showing(base, code))
        if not wh.view_exists(state.level, state.parent):
            return None
        data, _, view = render_state(wh, state, args.format, Scope.everything())
        return data, view.heading

    return _write_all(_jobs(wh, args, f"{{code}}-{args.indicator}.{args.format}"), render, "Exporteren")


def cmd_briefing(args) -> int:
    """A one-page A4 briefing sheet (PDF) per area: map, key indicators against region and NL,
    trends and sources."""
    from dashboard.export import briefing_pdf

    wh = Warehouse(args.warehouse)
    year = args.year or wh.years[-1]
    render = lambda code: (briefing_pdf(wh, code, year, scope=Scope.everything()),  # noqa: E731
                           f"{wh.areas.at[code, 'name']} ({code}), {year}")
    return _write_all(_jobs(wh, args, f"{{code}}-briefing-{year}.pdf"), render, "Briefings")


def ensure_warehouse(path: Path) -> Path:
    """Build the demo warehouse at ``path`` when there is none yet (first run)."""
    if not path.exists():
        print(f"No warehouse at {path} yet: building the synthetic demo country first.", file=sys.stderr)
        _print_report(build_demo(path), sys.stderr)
    return path


def cmd_serve(args) -> int:
    from dashboard import create_app, run

    run(create_app(ensure_warehouse(args.warehouse)), args.host, args.port)
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="ondermijningsbeeld", description=__doc__.split("\n\n")[0])
    p.add_argument("--warehouse", type=Path, default=None,
                   help="warehouse file (default: $ONDERMIJNINGSBEELD_WAREHOUSE or data/ondermijningsbeeld.duckdb)")
    sub = p.add_subparsers(dest="command", required=True)

    b = sub.add_parser("build", help="build the warehouse")
    source = b.add_mutually_exclusive_group()
    source.add_argument("--demo", action="store_true", help="from the synthetic demo country")
    source.add_argument("--from-files", type=Path, metavar="DIR",
                        help="from official CBS/PDOK/politie files in DIR (recognised by content)")
    b.add_argument("--year", type=int, help="with --from-files: the year of the figures")
    b.add_argument("--seed", type=int, default=2024)
    b.add_argument("--scale", type=float, default=1.0, help="demo size relative to the Netherlands")
    b.set_defaults(func=cmd_build)

    i = sub.add_parser("indicators", help="list the indicator catalog")
    i.add_argument("--format", choices=["text", "csv"], default="text")
    i.set_defaults(func=cmd_indicators)

    t = sub.add_parser("table", help="indicator values as CSV on stdout")
    t.add_argument("--level", choices=LEVELS, required=True)
    t.add_argument("--parent", help="only areas inside this area code (default: the whole country)")
    t.add_argument("--indicator", required=True)
    t.add_argument("--year", type=int)
    t.set_defaults(func=cmd_table)

    cbs_download.add_arguments(sub.add_parser(
        "fetch", help="download the official CBS/PDOK/politie files for a year (needs internet)"))

    e = sub.add_parser("export", help="the map of an area as PNG, SVG or PDF")
    e.add_argument("--area", help="area code: its sub-areas are drawn (a buurt: its wijk)")
    e.add_argument("--all-in", metavar="CODE", help="one file per sub-area of this region or gemeente (-o is a folder)")
    e.add_argument("--indicator", required=True)
    e.add_argument("--year", type=int)
    e.add_argument("--format", choices=["png", "svg", "pdf"], default="pdf")
    e.add_argument("-o", "--output", type=Path, required=True)
    e.set_defaults(func=cmd_export)

    br = sub.add_parser("briefing", help="a one-page A4 briefing sheet (PDF) per area")
    br.add_argument("--area", help="gemeente, wijk or regio code (a buurt: its wijk)")
    br.add_argument("--all-in", metavar="CODE", help="one sheet per sub-area of this region or gemeente (-o is a folder)")
    br.add_argument("--year", type=int)
    br.add_argument("-o", "--output", type=Path, required=True)
    br.set_defaults(func=cmd_briefing)

    s = sub.add_parser("serve", help="serve the dashboard")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=8050)
    s.set_defaults(func=cmd_serve)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    args.warehouse = args.warehouse or default_warehouse_path()
    try:
        return args.func(args)
    except ValidationError as err:
        print(err, file=sys.stderr)
        print("Nothing was written; the previous warehouse is unchanged.", file=sys.stderr)
    except (FileNotFoundError, NotFound, KeyError, AccessDenied, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
