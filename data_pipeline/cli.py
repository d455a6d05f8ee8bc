"""The data commands of ``ondermijningsbeeld``: build, fetch, indicators, table, check-disclosure.

    ondermijningsbeeld build --demo            build the warehouse from the synthetic demo country
    ondermijningsbeeld build --from-files DIR [--year 2024] [--skip-unrecognised]
    ondermijningsbeeld fetch --year 2024 --to DIR
    ondermijningsbeeld indicators [--format csv]
    ondermijningsbeeld table --level gemeente --parent RE01 --indicator ID --year 2024
    ondermijningsbeeld check-disclosure [--year 2024]
    ondermijningsbeeld users add NAME --role riec --area RE01 --password-stdin
    ondermijningsbeeld audit [--user U] [--since DATE] [--action A] [--format csv|json] [--verify]
    ondermijningsbeeld import FILE [FILE ...] [--spec SPEC.toml] --owner ORG [--replace ID] [--dry-run]
    ondermijningsbeeld own list|remove ID|restore ID [--owner ORG] [--all]

:func:`register` adds them to the top-level parser that ``app.py`` composes (the dashboard's
commands come from :mod:`dashboard.cli`).
"""

from __future__ import annotations

import getpass
import sys
from pathlib import Path

from tqdm import tqdm

from data_pipeline import cbs_download
from data_pipeline.build import BUILD_STEPS, StepLog, build_warehouse
from data_pipeline.access import ROLES, AccessError, AccessFile
from data_pipeline.warehouse import OutdatedWarehouse, Scope, Warehouse
from geodata.codes import LEVELS

TABLE_COLUMNS = ["code", "name", "level", "parent_code", "year", "indicator", "value", "numerator",
                 "denominator", "status", "n_parts", "n_parts_with_data"]
METHOD_COLUMNS = ["parent_value", "regio_value", "nl_value", "peer_group", "peer_value", "rank", "n_ranked", "percentile", "class", "hotspot",
                  "score", "score_coverage", "contribution"]


class ProgressBar:
    """A tqdm bar over build steps, naming the step in progress."""

    def __init__(self, total: int, desc: str, out):
        self.bar = tqdm(total=total, desc=desc, unit="step", file=out,
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

    path = Path(path)
    progress = ProgressBar(1 + len(BUILD_STEPS), "Building the demo country", out)
    steps = StepLog(progress)
    try:
        with steps.step("generate"):
            source = demo_source(seed=seed, scale=scale)
        return build_warehouse(source, path, steps)
    finally:
        progress.close()


def build_from_files(path: Path, directory, year: int | None = None, out=sys.stderr,
                     skip_unrecognised: bool = False):
    """Build the warehouse from a folder (or several) of official files; write the join report beside it,
    also when the build fails (then the previous warehouse stays as it was)."""
    from data_pipeline.cbs_source import JoinReport, files_source

    folders = [Path(directory)] if isinstance(directory, (str, Path)) else [Path(d) for d in directory]
    path, joins = Path(path), JoinReport()
    progress = ProgressBar(1 + len(BUILD_STEPS), f"Building from {', '.join(map(str, folders))}", out)
    steps = StepLog(progress)
    try:
        with steps.step("read files"):
            source, _ = files_source(folders, year, joins, skip_unrecognised)
        report = build_warehouse(source, path, steps)
    except BaseException as err:
        joins.outcome = f"failed: {' '.join(str(err).split())[:300]}"
        path.parent.mkdir(parents=True, exist_ok=True)
        print(f"Join report: {joins.write(join_report_path(path)).resolve()}", file=out)
        raise
    finally:
        progress.close()
    joins.outcome = f"built {path.name} ({report.build_id})"
    report.notes = [*report.notes, *joins.summary(files=False)[1:], *joins.lines]
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
        print(f"Join report: {report.join_file.resolve()}", file=out)
    _print_protection(report.protection, out)


def cmd_build(args) -> int:
    if args.from_files:
        report = build_from_files(args.warehouse, args.from_files, args.year,
                                  skip_unrecognised=args.skip_unrecognised)
    elif args.demo:
        report = build_demo(args.warehouse, seed=args.seed, scale=args.scale)
    else:
        print("Say what to build from: --demo or --from-files DIR [--year YEAR].", file=sys.stderr)
        return 2
    _print_report(report, sys.stdout)
    return 0


def _print_protection(protection, out) -> None:
    """Shown shares of wijk and buurt values, after primary suppression and after protection."""
    if protection is None or not len(protection):
        return
    print("Shown wijk and buurt values (small figures hidden -> after protection):", file=out)
    for row in protection.itertuples():
        print(f"  {row.indicator:<44} {row.level:<6} {row.shown_primary_pct:5.1f}% -> {row.shown_pct:5.1f}%"
              f"  of {row.with_data}", file=out)


def cmd_indicators(args) -> int:
    from indicators.catalog import load_catalog

    frame = load_catalog().to_frame()
    columns = ["id", "theme", "label_nl", "unit_nl", "source", "table_id", "numerator", "denominator",
               "multiplier", "direction", "min_denominator", "dataset", "owner"]
    frame["owner"] = ""
    if args.warehouse.exists():
        from data_pipeline.own import own_indicators

        with Warehouse(args.warehouse) as wh:
            frame = own_indicators(wh)
    if args.format == "csv":
        frame[columns].to_csv(sys.stdout, index=False)
    else:
        for row in frame.itertuples():
            print(f"{row.id:<44} {row.theme:<14} {row.label_nl} ({row.unit_nl}) — {row.source} {row.table_id}")
    return 0


def table_problem(wh: Warehouse, indicator: str, year: int | None, parent: str | None) -> str | None:
    """Why ``table`` cannot answer (an indicator, year or area the warehouse does not have, with
    the ones it does), or ``None``."""
    ids = [i.id for i in wh.catalog.indicators]
    if indicator not in ids:
        return f"no indicator {indicator!r} in {wh.path}; its indicators: {', '.join(ids)}"
    if year is not None and year not in wh.years:
        return f"no figures for {year} in {wh.path}; its years: {', '.join(map(str, wh.years))}"
    if parent is not None and not wh.has_area(parent):
        return (f"no area {parent!r} in {wh.path}; codes look like RE01, GM0014, WK001400 or BU00140000 "
                "(`table --level gemeente --indicator ...` lists the gemeenten)")
    return None


def cmd_table(args) -> int:
    from data_pipeline.analysis import method_columns
    from data_pipeline.downloads import exact_numbers

    wh = Warehouse(args.warehouse)
    if args.owner:
        from data_pipeline.own import overlay, own_root

        wh = overlay(wh, own_root(wh.path), args.owner)
    problem = table_problem(wh, args.indicator, args.year, args.parent)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    year = args.year if args.year is not None else wh.years[-1]
    frame = wh.table(args.level, args.parent, args.indicator, year, Scope.everything())
    frame = method_columns(wh, frame, args.level, args.indicator, year)
    themes = [c for c in frame.columns if c.startswith("theme_")]
    exact_numbers(frame[TABLE_COLUMNS + METHOD_COLUMNS + themes]).to_csv(sys.stdout, index=False)
    return 0


def ensure_warehouse(path: Path, may_build: bool = True) -> Path:
    """Build the demo warehouse at ``path`` when there is none yet (first run), or when the demo
    there was built by an older version. ``may_build`` is false for a path the user gave: a typo
    is an error, never a fresh demo served in its place."""
    if path.exists():
        try:
            Warehouse(path).close()
            return path
        except OutdatedWarehouse as err:
            if not (may_build and _is_demo_file(path)):
                raise
            print(f"{err}: rebuilding the synthetic demo country.", file=sys.stderr)
    elif not may_build:
        raise FileNotFoundError(f"no warehouse at {path}; build one there with `ondermijningsbeeld build ...`")
    else:
        print(f"No warehouse at {path} yet: building the synthetic demo country first.", file=sys.stderr)
    _print_report(build_demo(path), sys.stderr)
    return path


def _is_demo_file(path: Path) -> bool:
    import duckdb

    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute("SELECT value FROM meta WHERE key = 'kind'").fetchone() == ("demo",)


def cmd_check_disclosure(args) -> int:
    """Run the built-in attacker on a warehouse; exit 1 when it pins down or narrows anything."""
    from data_pipeline.attack import describe, find_exposures, summary, unserved_tables
    from data_pipeline.build import SERVED_TABLES

    wh = Warehouse(args.warehouse)
    if args.year is not None and args.year not in wh.years:
        print(f"no figures for {args.year}; years: {', '.join(map(str, wh.years))}", file=sys.stderr)
        return 2
    with wh.cursor() as con:
        extra = unserved_tables(con, SERVED_TABLES)
        found = find_exposures(con, None if args.year is None else [args.year])
    years = ", ".join(map(str, [args.year] if args.year is not None else wh.years))
    print(f"Disclosure check of {wh.path} ({years}): every hidden wijk and buurt figure, every level, "
          f"indicator and change between years.")
    if extra:
        print(f"Tables the server must not read: {', '.join(extra)}")
    if not len(found):
        print("0 hidden figures pinned down or narrowed below their protection range.")
        return 1 if extra else 0
    print(f"{len(found)} hidden figures pinned down or narrowed:")
    for row in summary(found).itertuples():
        print(f"  {row.indicator:<44} {row.level:<6} {row.attack:<32} {row.cells:>6}  e.g. {row.examples}")
    print("Examples: " + describe(found.head(5)))
    return 1


def _cli_audit(args, action: str, obj: str) -> None:
    """A user change made on the command line, in the audit trail (as the system user)."""
    from data_pipeline.audit import AuditLog, default_audit_path

    AuditLog(default_audit_path(args.access)).append_local(action, obj)


def cmd_import(args) -> int:
    """Import one file, or several of the same layout, as one own layer of ``--owner``."""
    from data_pipeline.own import LayerSpec, OwnStore, own_root, propose
    from data_pipeline.own_files import read_upload

    if not args.owner and not args.dry_run:
        raise ValueError("import needs --owner ORG: the organisation whose users may see the layer")
    spec = LayerSpec.from_toml(_read_text(args.spec)) if args.spec else None
    wh = Warehouse(args.warehouse)
    tables = [read_upload(file.name, _read_bytes(file), sheet=spec.sheet if spec else None) for file in args.files]
    if spec is None:
        spec = propose(tables[0], wh)
        print(f"# No --spec given: the spec used (save it, edit it and import again with --spec FILE)\n"
              f"{spec.to_toml()}")
    store = OwnStore(own_root(wh.path), args.owner or "dry-run")
    joined = store.preview_join(tables, spec, wh)
    print("Join report:")
    for line in joined.summary("en"):
        print(f"  {line}")
    for row in joined.report.itertuples():
        print(f"  row {row.row}: {row.key!s} — {row.reason}")
    if args.dry_run:
        print("Dry run: nothing stored.")
        return 0
    layer = store.add(tables, spec, wh, uploader=args.uploader or getpass.getuser(), replace=args.replace)
    _cli_audit(args, "own.import", f"{layer.organisation} layer {layer.id} v{layer.version} {layer.file_name}")
    print(f"Stored layer {layer.id} v{layer.version} of {layer.organisation} in {store.path}: "
          f"{layer.matched} of {layer.rows} rows joined, years {', '.join(map(str, layer.years))}; "
          f"indicators {', '.join(layer.indicators)}")
    return 0


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise ValueError(f"{path}: cannot read the spec ({err})") from None


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as err:
        raise ValueError(f"{path}: cannot read the file ({err.strerror})") from None


def cmd_own(args) -> int:
    """own list / remove ID / restore ID: the own layers beside the warehouse."""
    from data_pipeline.own import OwnStore, organisations, own_root

    root = own_root(args.warehouse)
    if args.action == "list":
        stores = [OwnStore(root, args.owner)] if args.owner else organisations(root)
        print("id  version  organisation  name  file  uploader  uploaded  rows  matched  years  removed")
        for store in stores:
            for layer in store.layers(include_removed=args.all):
                print(f"{layer.id}  v{layer.version}  {layer.organisation}  {layer.name}  {layer.file_name}  "
                      f"{layer.uploader}  {layer.uploaded_at}  {layer.rows}  {layer.match_rate:.0%}  "
                      f"{'-'.join(map(str, (min(layer.years), max(layer.years)))) if layer.years else ''}  "
                      f"{layer.removed_at or ''}")
        return 0
    if not args.id or not args.owner:
        raise ValueError(f"own {args.action} needs a layer ID and --owner ORG")
    store = OwnStore(root, args.owner)
    if args.action == "remove":
        layer = store.remove(args.id, by=getpass.getuser())
        _cli_audit(args, "own.remove", f"{layer.organisation} layer {layer.id} v{layer.version}")
        print(f"removed layer {layer.id} of {layer.organisation}; `own restore {layer.id} --owner ...` "
              f"brings it back within 30 days")
    else:
        layer = store.restore(args.id, by=getpass.getuser())
        _cli_audit(args, "own.restore", f"{layer.organisation} layer {layer.id} v{layer.version}")
        print(f"restored layer {layer.id} v{layer.version} of {layer.organisation}")
    return 0


def _read_password(args) -> str:
    if not args.password_stdin:
        raise AccessError("give the password on standard input with --password-stdin")
    return sys.stdin.readline().rstrip("\r\n")


def cmd_users(args) -> int:
    """users add / list / remove / passwd: the accounts of the access file."""
    access = AccessFile(args.access)
    if args.action == "list":
        for user in access.users():
            print(f"{user.name:<24} {user.role:<10} {user.area or '-':<8} {user.organisation}")
        return 0
    if not args.name:
        print(f"users {args.action} needs a NAME", file=sys.stderr)
        return 2
    if args.action == "add":
        organisation = args.organisation
        if args.area and args.warehouse.exists():
            with Warehouse(args.warehouse) as wh:
                if not wh.has_area(args.area):
                    raise AccessError(f"area {args.area} is not in the warehouse {args.warehouse}")
                organisation = organisation or wh.name(args.area)
        user = access.add(args.name, args.role or "", _read_password(args), args.area, organisation)
        _cli_audit(args, "user.add", f"{user.name} {user.role} {user.area or ''}".strip())
        print(f"added {user.name} ({user.role}{', ' + user.area if user.area else ''}) to {access.path}")
    elif args.action == "remove":
        access.remove(args.name)
        _cli_audit(args, "user.remove", args.name)
        print(f"removed {args.name}")
    else:
        access.set_password(args.name, _read_password(args))
        _cli_audit(args, "user.passwd", args.name)
        print(f"new password for {args.name}")
    return 0


def cmd_audit(args) -> int:
    """Read the audit trail, or check its chain (--verify)."""
    from data_pipeline.audit import AuditLog, default_audit_path

    log = AuditLog(default_audit_path(args.access))
    if args.verify:
        problems = log.verify()
        for problem in problems:
            print(problem)
        print(f"{log.path}: " + ("the chain is broken" if problems else "intact"))
        return 1 if problems else 0
    try:
        events = log.read(args.user, args.since, args.action)
    except ValueError as err:
        print(f"--since: {err}", file=sys.stderr)
        return 2
    if args.format == "json":
        events.to_json(sys.stdout, orient="records", lines=True, force_ascii=False)
    else:
        events.to_csv(sys.stdout, index=False)
    return 0


def register(sub) -> None:
    """Add ``build``, ``fetch``, ``indicators``, ``table``, ``check-disclosure``, ``users``,
    ``audit``, ``import`` and ``own`` to the subcommands ``sub``."""
    b = sub.add_parser("build", help="build the warehouse")
    source = b.add_mutually_exclusive_group()
    source.add_argument("--demo", action="store_true", help="from the synthetic demo country")
    source.add_argument("--from-files", type=Path, metavar="DIR", nargs="+",
                        help="from official CBS/PDOK/politie files in DIR (one folder or several; "
                             "recognised by content)")
    b.add_argument("--year", type=int, help="with --from-files: the last year to build (default: the latest in the "
                                            "files) and the year of figures whose file does not state one")
    b.add_argument("--skip-unrecognised", action="store_true",
                   help="with --from-files: list files that are not recognised instead of stopping")
    b.add_argument("--seed", type=int, default=2024)
    b.add_argument("--scale", type=float, default=1.0, help="demo size relative to the Netherlands")
    b.set_defaults(func=cmd_build)

    cbs_download.add_arguments(sub.add_parser(
        "fetch", help="download the official CBS/PDOK/politie files for a year (needs internet)"))

    i = sub.add_parser("indicators", help="list the indicator catalog")
    i.add_argument("--format", choices=["text", "csv"], default="text")
    i.set_defaults(func=cmd_indicators)

    c = sub.add_parser("check-disclosure", help="run the built-in attacker on a warehouse (exit 1 on any finding)")
    c.add_argument("--year", type=int, help="only the hidden figures of this year (changes: every year)")
    c.set_defaults(func=cmd_check_disclosure)

    u = sub.add_parser("users", help="accounts of the access file (--access)")
    u.add_argument("action", choices=["add", "list", "remove", "passwd"])
    u.add_argument("name", nargs="?")
    u.add_argument("--role", choices=ROLES)
    u.add_argument("--area", help="riec: REnn; gemeente: GMxxxx; beheerder: optional")
    u.add_argument("--organisation", help="the RIEC or gemeente the user works for (default: the area)")
    u.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    u.set_defaults(func=cmd_users)

    a = sub.add_parser("audit", help="read the audit trail, or check it (--verify)")
    a.add_argument("--user")
    a.add_argument("--since", help="a date or time, e.g. 2026-12-01 or 2026-12-01T09:00")
    a.add_argument("--action")
    a.add_argument("--format", choices=["csv", "json"], default="csv")
    a.add_argument("--verify", action="store_true", help="exit 1 when a line was changed or removed")
    a.set_defaults(func=cmd_audit)

    m = sub.add_parser("import", help="import own data (CSV, StatLine download, XLSX) as a layer of an organisation")
    m.add_argument("files", type=Path, nargs="+", metavar="FILE", help="one file, or several of the same layout")
    m.add_argument("--spec", type=Path, help="the layer spec (TOML); without it one is proposed and printed")
    m.add_argument("--owner", help="the organisation whose users may see the layer")
    m.add_argument("--uploader", help="who imports it (default: the system user)")
    m.add_argument("--replace", metavar="ID", help="a new version of layer ID (the previous one stays restorable)")
    m.add_argument("--dry-run", action="store_true", help="show the spec and the join report; store nothing")
    m.set_defaults(func=cmd_import)

    o = sub.add_parser("own", help="own data layers: list, remove, restore")
    o.add_argument("action", choices=["list", "remove", "restore"])
    o.add_argument("id", nargs="?")
    o.add_argument("--owner", help="the organisation")
    o.add_argument("--all", action="store_true", help="list: also removed layers")
    o.set_defaults(func=cmd_own)

    t = sub.add_parser("table", help="indicator values as CSV on stdout")
    t.add_argument("--level", choices=LEVELS, required=True)
    t.add_argument("--parent", help="only areas inside this area code (default: the whole country)")
    t.add_argument("--indicator", required=True)
    t.add_argument("--year", type=int)
    t.add_argument("--owner", help="with the own layers of this organisation")
    t.set_defaults(func=cmd_table)
