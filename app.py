"""The entry point: ``python app.py`` serves the dashboard; ``ondermijningsbeeld`` is the same
program with subcommands.

    python app.py                     serve on 127.0.0.1:8050 (``HOST``, ``PORT`` override);
                                      builds the synthetic demo warehouse first when there is none
    ondermijningsbeeld build --demo   (see ``ondermijningsbeeld --help`` for every command)

The parser is composed here, at the top of the layers: :mod:`data_pipeline.cli` registers the
data commands (build, fetch, indicators, table, check-disclosure), :mod:`dashboard.cli` the dashboard's (serve,
export, briefing). The warehouse path comes from ``--warehouse`` (before or after the
command), else ``ONDERMIJNINGSBEELD_WAREHOUSE``, else ``data/ondermijningsbeeld.duckdb``.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from dashboard import cli as dashboard_cli
from data_pipeline import cli as data_cli
from data_pipeline.access import AccessError, default_access_path
from data_pipeline.attack import DisclosureError
from data_pipeline.build import BuildLocked
from data_pipeline.cbs_source import FilesRefused
from data_pipeline.validation import ValidationError
from data_pipeline.warehouse import WAREHOUSE_ENV, AccessDenied, NotFound, default_warehouse_path

WAREHOUSE_HELP = "warehouse file (default: $ONDERMIJNINGSBEELD_WAREHOUSE or data/ondermijningsbeeld.duckdb)"
ACCESS_HELP = "access file with the users (default: $ONDERMIJNINGSBEELD_ACCESS or beside the warehouse)"


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="ondermijningsbeeld",
                                description="Neighbourhood-level undermining pictures on maps, offline.")
    p.add_argument("--warehouse", type=Path, default=None, help=WAREHOUSE_HELP)
    p.add_argument("--access", type=Path, default=None, help=ACCESS_HELP)
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    data_cli.register(sub)
    dashboard_cli.register(sub)
    for command in sub.choices.values():   # --warehouse also after the command
        command.add_argument("--warehouse", type=Path, default=argparse.SUPPRESS, help=WAREHOUSE_HELP)
        command.add_argument("--access", type=Path, default=argparse.SUPPRESS, help=ACCESS_HELP)
    return p


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    p = parser()
    args = p.parse_args(argv)
    if args.command is None:   # no command: serve
        args = p.parse_args([*argv, "serve"])
    args.warehouse_given = args.warehouse is not None or bool(os.environ.get(WAREHOUSE_ENV))
    args.warehouse = args.warehouse or default_warehouse_path()
    args.access = args.access or default_access_path(args.warehouse)
    try:
        return args.func(args)
    except BrokenPipeError:      # the reader went away (`| head`): stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except AccessError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except (ValidationError, DisclosureError, BuildLocked, FilesRefused) as err:
        print(err, file=sys.stderr)
        print("Nothing was written; the previous warehouse is unchanged.", file=sys.stderr)
    except (FileNotFoundError, NotFound, KeyError, AccessDenied, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
