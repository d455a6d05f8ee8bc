"""The dashboard's commands of ``ondermijningsbeeld``: serve, export, briefing and rapport.

    ondermijningsbeeld serve [--host 127.0.0.1] [--port 8050]
    ondermijningsbeeld export --area CODE --indicator ID [--year Y] --format pdf -o FILE
    ondermijningsbeeld briefing --area CODE [--year Y] -o FILE
    ondermijningsbeeld rapport --area GMxxxx|REnn [--year Y] [--since Y0] [--format pdf|docx] [--lang nl|en] -o FILE

:func:`register` adds them to the top-level parser that ``app.py`` composes.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from tqdm import tqdm

from data_pipeline.audit import AuditLog, default_audit_path
from data_pipeline.cli import ensure_warehouse
from data_pipeline.warehouse import Scope, Warehouse


def _jobs(wh: Warehouse, args, name: str) -> list[tuple[str, Path]]:
    """(area code, output file) for ``--area`` or for every sub-area of ``--all-in``."""
    if bool(args.area) == bool(args.all_in):
        raise ValueError("give either --area CODE or --all-in REGION_OR_GEMEENTE")
    if args.area:
        return [(args.area.upper(), args.output)]
    kids = wh.children(args.all_in.upper())
    args.output.mkdir(parents=True, exist_ok=True)
    return [(kid.code, args.output / name.format(code=kid.code)) for kid in kids]


def _write_all(jobs: list[tuple[str, Path]], render, desc: str, audit: AuditLog, action: str) -> int:
    """Render each job with a progress bar, each file in the audit trail; a browser that cannot
    start ends the run clearly."""
    from dashboard.export import ExportError

    try:
        for code, target in tqdm(jobs, desc=desc, unit="file", file=sys.stderr, disable=len(jobs) < 2):
            result = render(code)
            if result is None:
                print(f"skipped {code}: no map of smaller areas", file=sys.stderr)
                continue
            data, title = result
            target.write_bytes(data)
            audit.append_local(action, f"{code} {target}")
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

    return _write_all(_jobs(wh, args, f"{{code}}-{args.indicator}.{args.format}"), render, "Exporting",
                      AuditLog(default_audit_path(args.access)), "export")


def cmd_briefing(args) -> int:
    """A one-page A4 briefing sheet (PDF) per area: map, key indicators against region and NL,
    trends and sources."""
    from dashboard.export import briefing_pdf

    wh = Warehouse(args.warehouse)
    year = args.year or wh.years[-1]

    def render(code):
        return briefing_pdf(wh, code, year, scope=Scope.everything()), f"{wh.name(code)} ({code}), {year}"

    return _write_all(_jobs(wh, args, f"{{code}}-briefing-{year}.pdf"), render, "Briefings",
                      AuditLog(default_audit_path(args.access)), "briefing")


def cmd_rapport(args) -> int:
    """The ondermijningsbeeld of a gemeente or region as a document (PDF or editable Word); with
    ``--all-in REGION`` one per gemeente of that region, into a folder."""
    from dashboard.export.briefing import resolve_year
    from dashboard.export.document import report_file
    from dashboard.export.report import report_data, resolve_since

    wh = Warehouse(args.warehouse)
    year = resolve_year(wh, args.year)
    resolve_since(wh, year, args.since)  # a bad first year is an error before any file is written
    if args.all_in and (not wh.has_area(args.all_in.upper()) or wh.area(args.all_in.upper()).level != "regio"):
        raise ValueError("--all-in takes a RIEC region (REnn): one report per gemeente")

    def render(code):
        report = report_data(wh, code, year, args.since, scope=Scope.everything(), lang=args.lang)
        return report_file(report, args.format), report.title

    return _write_all(_jobs(wh, args, f"{{code}}-rapport-{year}.{args.format}"), render, "Rapporten",
                      AuditLog(default_audit_path(args.access)), "rapport")


def cmd_serve(args) -> int:
    from dashboard.app import run
    from dashboard.wsgi import RefusedToServe, check_servable, run_gunicorn, serving_app

    path = ensure_warehouse(args.warehouse, may_build=not args.warehouse_given)
    try:
        if args.workers:
            check_servable(path, args.access, args.open)   # before any worker starts; each opens its own
            run_gunicorn(path, args.access, args.open, args.host, args.port, args.workers)
        else:
            run(serving_app(path, args.access, args.open), args.host, args.port)
    except RefusedToServe as err:
        print(err, file=sys.stderr)
        return 2
    return 0


def register(sub) -> None:
    """Add ``serve``, ``export``, ``briefing`` and ``rapport`` to the subcommands ``sub``."""
    s = sub.add_parser("serve", help="serve the dashboard (the default when no command is given)")
    s.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"), help="default: $HOST or 127.0.0.1")
    s.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8050")), help="default: $PORT or 8050")
    s.add_argument("--open", action="store_true", default=os.environ.get("ONDERMIJNINGSBEELD_OPEN") == "1",
                   help="serve a warehouse of real figures without sign-in (every page says so; "
                        "$ONDERMIJNINGSBEELD_OPEN=1)")
    s.add_argument("--workers", type=int, default=0, metavar="N",
                   help="run N worker processes under gunicorn (threads each, so a slow client blocks none)")
    s.set_defaults(func=cmd_serve)

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

    rp = sub.add_parser("rapport", help="the ondermijningsbeeld of a gemeente or region as PDF or Word")
    rp.add_argument("--area", help="gemeente (GMxxxx) or RIEC region (REnn) code")
    rp.add_argument("--all-in", metavar="REGION", help="one report per gemeente of this region (-o is a folder)")
    rp.add_argument("--year", type=int)
    rp.add_argument("--since", type=int, help="first year of the trends (default: the first year with data)")
    rp.add_argument("--format", choices=["pdf", "docx"], default="pdf")
    rp.add_argument("--lang", choices=["nl", "en"], default="nl")
    rp.add_argument("-o", "--output", type=Path, required=True)
    rp.set_defaults(func=cmd_rapport)
