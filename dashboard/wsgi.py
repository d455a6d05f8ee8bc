"""The WSGI entry of a production server: ``gunicorn dashboard.wsgi:server`` (or ``ondermijningsbeeld
serve --workers N``, which runs gunicorn with the settings below).

Each worker process builds its own app when gunicorn loads it, configured like ``serve`` by the
environment:
``ONDERMIJNINGSBEELD_WAREHOUSE`` (default ``data/ondermijningsbeeld.duckdb``, never built here),
``ONDERMIJNINGSBEELD_ACCESS`` (default beside the warehouse) and ``ONDERMIJNINGSBEELD_OPEN=1``
for a warehouse of real figures without sign-in. Workers are ``gthread``: a slow client holds one
thread, not a worker.
"""

from __future__ import annotations

import os
from pathlib import Path

from gunicorn.app.base import BaseApplication

from dashboard.signin import Gate
from data_pipeline.access import AccessFile, default_access_path
from data_pipeline.audit import AuditLog, default_audit_path
from data_pipeline.warehouse import LiveWarehouse, Warehouse, default_warehouse_path

THREADS = 8
OPEN_ENV = "ONDERMIJNINGSBEELD_OPEN"


def serving_gate(warehouse: Warehouse | LiveWarehouse, access_path: Path, open_access: bool):
    """Who may see what on this server: the users of the access file; else the demo, open; else
    open access only when asked for (``--open``). ``None``: refuse to serve."""
    access = AccessFile(access_path)
    audit = AuditLog(default_audit_path(access_path))
    if access.exists():
        return Gate.from_environment(access, audit)
    if open_access:
        return Gate(audit=audit, note="access.open")
    if warehouse.is_demo:
        return Gate(note="access.demo")
    return None


class RefusedToServe(ValueError):
    """A warehouse of real figures with nobody to sign in and no ``--open``."""


def _refusal(warehouse_path: Path, access_path: Path) -> RefusedToServe:
    return RefusedToServe(
        f"{warehouse_path} holds real figures and there is no access file at {access_path}: add users first "
        "(`ondermijningsbeeld users add NAME --role ... --password-stdin`), or serve it to anyone who can "
        "reach the port with `serve --open`.")


def check_servable(warehouse_path: Path, access_path: Path, open_access: bool) -> None:
    """``RefusedToServe`` before any worker starts (opens nothing that outlives the check)."""
    with Warehouse(warehouse_path) as warehouse:
        if serving_gate(warehouse, access_path, open_access) is None:
            raise _refusal(warehouse_path, access_path)


def serving_app(warehouse_path: Path, access_path: Path, open_access: bool):
    """The app a server runs: the warehouse followed across rebuilds, behind its gate
    (``RefusedToServe`` when there is none)."""
    from dashboard.app import create_app

    warehouse = LiveWarehouse(warehouse_path)
    gate = serving_gate(warehouse, access_path, open_access)
    if gate is None:
        warehouse.close()
        raise _refusal(warehouse_path, access_path)
    return create_app(warehouse, gate)


def make_server(warehouse: Path | None = None, access: Path | None = None, open_access: bool | None = None):
    """The Flask server under the app, for one worker."""
    warehouse = Path(warehouse or default_warehouse_path())
    return serving_app(warehouse, Path(access or default_access_path(warehouse)),
                       os.environ.get(OPEN_ENV) == "1" if open_access is None else open_access).server


class _Gunicorn(BaseApplication):
    def __init__(self, load, options: dict):
        self._load, self.options = load, options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        return self._load()


def run_gunicorn(warehouse: Path, access: Path, open_access: bool, host: str, port: int, workers: int) -> None:
    """Serve with gunicorn: ``workers`` processes of :data:`THREADS` threads, each its own app."""
    _Gunicorn(lambda: make_server(warehouse, access, open_access), {
        "bind": f"{host}:{port}", "workers": workers, "worker_class": "gthread", "threads": THREADS,
        "timeout": 60, "graceful_timeout": 20, "keepalive": 5, "preload_app": False,
        "limit_request_line": 8190, "accesslog": None, "errorlog": "-", "loglevel": "warning",
    }).run()


def __getattr__(name: str):
    """``dashboard.wsgi:server``: made when gunicorn asks for it, in each worker (not at import,
    so ``serve --workers`` can import this module without opening anything)."""
    if name == "server":
        return make_server()
    raise AttributeError(name)
