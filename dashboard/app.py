"""The app factory: ``create_app(warehouse_path)`` returns a ready Dash app.

Besides Dash's own routes, the server has two of ours, both same-origin and cacheable:

- ``/geo/<build_id>/<level>/<parent>.json``: simplified GeoJSON per map view, served gzipped;
  the build id in the path makes it safe to cache for a year;
- ``/export/<fmt>/kaart/<level>/<code>?...``: the view of that URL as PNG, SVG or PDF;
- ``/download/<fmt>/kaart/<level>/<code>?...``: its table as CSV or XLSX;
- ``/rapport/<fmt>/<code>?jaar=&sinds=&taal=``: the report of a gemeente or region as PDF or Word;
- ``/topojson/<name>.json``: an empty world topology for plotly's geo, so plotly never asks a
  CDN for one (our maps draw no base layer);
- ``/login``, ``/logout`` when users sign in (:mod:`dashboard.signin`).

Every route and callback asks the :class:`~dashboard.signin.Gate` for the viewer's scope and
writes what it showed (or refused) to the audit trail. A request for detail outside the scope
gets 403.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import logging
import os
import re
import threading
from functools import partial
from pathlib import Path

import dash
from flask import Flask, Response, abort, g, has_request_context, request
from flask_talisman import Talisman
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.serving import WSGIRequestHandler

from dashboard import own_page, routes, tables
from dashboard.callbacks import areas as area_callbacks
from dashboard.callbacks import map as map_callbacks
from dashboard.figures import EMPTY_TOPOLOGY
from dashboard.i18n import t
from dashboard.layout import serve_layout
from dashboard.look import DASH_ASSETS_IGNORE
from dashboard.signin import REDIS_ENV, TLS_ENV, Gate
from data_pipeline.analysis import share_computations
from data_pipeline.own import overlay, own_root
from data_pipeline.warehouse import AccessDenied, LiveWarehouse, NotFound, Warehouse

log = logging.getLogger(__name__)
ASSETS = Path(__file__).with_name("assets")
SAFE_PART = re.compile(r"^[A-Za-z0-9_-]+$")
#: The largest request body (a callback is a few kB); uploads will set their own.
MAX_REQUEST_BYTES = 1024 * 1024
#: A signed-in user's callbacks: the own-data page sends its file (base64) with each step.
MAX_UPLOAD_REQUEST_BYTES = own_page.MAX_CONTENTS + MAX_REQUEST_BYTES
MAX_REQUEST_ENV = "ONDERMIJNINGSBEELD_MAX_REQUEST_BYTES"
BEHIND_PROXY_ENV = "ONDERMIJNINGSBEELD_BEHIND_PROXY"
#: The organisation that runs this server, named in the page header (e.g. "RIEC Rotterdam"); none by default.
ORGANISATION_ENV = "ONDERMIJNINGSBEELD_ORGANISATIE"


def create_app(warehouse: Warehouse | LiveWarehouse | Path | str, gate: Gate | None = None,
               organisation: str | None = None, own_data: Path | None = None) -> dash.Dash:
    """The app on ``warehouse`` (a path is followed across rebuilds: every request after a swap
    reads the new build); ``gate`` says who may see what (default: open to everyone, with the
    banner of the demo or of open access); ``organisation`` is named in the page header and on
    the sign-in form (default: ``ONDERMIJNINGSBEELD_ORGANISATIE``; empty: none); ``own_data``
    is where the organisations' own layers are kept (default: beside the warehouse,
    :func:`data_pipeline.own.own_root`), used only when users sign in."""
    if organisation is None:
        organisation = os.environ.get(ORGANISATION_ENV, "")
    organisation = " ".join(organisation.split())   # one line of plain text
    if not isinstance(warehouse, (Warehouse, LiveWarehouse)):
        warehouse = LiveWarehouse(Path(warehouse))   # a path: followed across rebuilds
    gate = gate or (Gate(note="access.demo") if warehouse.is_demo else Gate(note="access.open"))
    server = Flask(__name__)
    server.config["ORGANISATION"] = organisation   # for the sign-in form (dashboard.signin)
    if os.environ.get(BEHIND_PROXY_ENV) == "1":
        # Behind nginx: the client's address (audit trail, sign-in limits) from X-Forwarded-For,
        # one hop, and the scheme from X-Forwarded-Proto. Only when the app listens on loopback.
        server.wsgi_app = ProxyFix(server.wsgi_app, x_for=1, x_proto=1)
    gate.install(server)
    share_computations(os.environ.get(REDIS_ENV))   # every worker and instance computes a comparison once
    if isinstance(warehouse, LiveWarehouse):
        warm_up_in_background(warehouse)

        @server.before_request
        def follow_rebuilds() -> None:
            if warehouse.refresh():
                warm_up_in_background(warehouse)
    # Compress callback responses and pages only: Dash's fingerprinted scripts are cached by the
    # browser anyway, and compressing the plotly bundle again on every page load costs CPU.
    server.config.update(COMPRESS_MIMETYPES=["application/json", "text/html"], COMPRESS_ALGORITHM=["gzip"],
                         MAX_CONTENT_LENGTH=int(os.environ.get(MAX_REQUEST_ENV) or MAX_REQUEST_BYTES))
    app = dash.Dash(
        __name__,
        server=server,
        title=t("app.title"),
        assets_folder=str(ASSETS),
        assets_ignore=DASH_ASSETS_IGNORE,   # the sign-in form's own stylesheets (dashboard.look)
        serve_locally=True,
        compress=True,
        update_title=None,
        suppress_callback_exceptions=False,
    )
    # Never ask plotly's servers for a newer Dash version (the app talks to its own host only).
    app.enable_dev_tools(debug=False, dev_tools_disable_version_check=True)
    _harden(app)
    if gate.signs_in:
        # The own-data page sends the file with its steps: those requests may be larger.
        @server.before_request
        def allow_uploads() -> None:
            if request.path.endswith("_dash-update-component") and gate.user() is not None:
                request.max_content_length = MAX_UPLOAD_REQUEST_BYTES
    own_data = Path(own_data) if own_data else own_root(warehouse.path)
    viewed = ViewerWarehouse(warehouse, gate, own_data) if gate.signs_in else warehouse
    # per page: the years and indicators of the build (and of the viewer's own layers)
    app.layout = partial(serve_layout, viewed, gate.note, gate.signs_in, organisation)
    map_callbacks.register(app, viewed, gate)
    area_callbacks.register(app, viewed, gate)
    own_page.register(app, viewed, gate, own_data)
    _register_static(app.server, viewed, gate)
    app.server.config["warehouse"] = warehouse
    return app


class ViewerWarehouse:
    """The warehouse as the viewer of the current request sees it: the open data and the own
    layers of the viewer's organisation (:func:`data_pipeline.own.overlay`; for ``liec`` also
    the layers shared with it). Outside a request, or for nobody signed in, the warehouse itself.
    Everything else, hashing and equality too, is that warehouse's, so caches keyed by it keep
    one organisation's figures apart from another's."""

    def __init__(self, warehouse: Warehouse | LiveWarehouse, gate: Gate, own_data: Path):
        self._warehouse, self._gate, self._own_data = warehouse, gate, own_data

    def current(self) -> Warehouse:
        """Worked out once per request (every read of a callback asks), the same all through it."""
        if not has_request_context():
            return self._warehouse.current()
        seen = g.get("viewed_warehouse")
        if seen is None:
            user, base = self._gate.user(), self._warehouse.current()
            seen = base if user is None else overlay(base, self._own_data, user.organisation,
                                                       liec=user.role == "liec")
            g.viewed_warehouse = seen
        return seen

    def __getattr__(self, name: str):
        return getattr(self.current(), name)

    def __hash__(self) -> int:
        return hash(self.current())

    def __eq__(self, other: object) -> bool:
        return self.current() == (other.current() if isinstance(other, ViewerWarehouse) else other)


def warm_up_in_background(warehouse: LiveWarehouse) -> threading.Thread:
    """:func:`data_pipeline.analysis.warm_up` on a thread of its own: the server answers meanwhile."""
    from data_pipeline.analysis import warm_up

    def run() -> None:
        try:
            warm_up(warehouse)
        except Exception:   # a warm-up is an optimisation: a failure must never stop the server
            log.exception("warm-up of %s failed", warehouse.path)

    thread = threading.Thread(target=run, name="warm-up", daemon=True)
    thread.start()
    return thread


def content_security_policy(app: dash.Dash) -> dict:
    """Only our own host: scripts from files, plus Dash's one inline line by its hash; styles
    inline too (plotly sets them on its elements); images also as data/blob URLs (plotly's
    icons and its own image download); never framed."""
    renderer = base64.b64encode(hashlib.sha256(app.renderer.encode("utf-8")).digest()).decode("ascii")
    return {"default-src": "'self'", "script-src": ["'self'", f"'sha256-{renderer}'"],
            "style-src": ["'self'", "'unsafe-inline'"], "img-src": ["'self'", "data:", "blob:"],
            "font-src": "'self'", "connect-src": "'self'", "object-src": "'none'", "base-uri": "'self'",
            "form-action": "'self'", "frame-ancestors": "'none'"}


def _harden(app: dash.Dash) -> None:
    """Security headers on every response (Flask-Talisman): the policy above, no framing, no
    sniffing, no referrer; HTTPS only when served behind TLS (``ONDERMIJNINGSBEELD_TLS=1``)."""
    tls = os.environ.get(TLS_ENV) == "1"
    Talisman(app.server, force_https=tls, strict_transport_security=tls, session_cookie_secure=tls,
             session_cookie_samesite="Strict", session_cookie_http_only=True,
             content_security_policy=content_security_policy(app), frame_options="DENY",
             referrer_policy="no-referrer", content_security_policy_nonce_in=[])


class _QuietHandler(WSGIRequestHandler):
    """The development server without its software versions in the ``Server`` header."""

    def version_string(self) -> str:
        return "ondermijningsbeeld"


def run(app: dash.Dash, host: str, port: int) -> None:
    app.run(host=host, port=port, debug=False, dev_tools_disable_version_check=True,
            request_handler=_QuietHandler)


def _requested() -> str:
    return request.full_path.rstrip("?")


def _register_static(server, warehouse: Warehouse, gate: Gate) -> None:
    def refused(action: str, err: Exception):
        """403 for detail outside the viewer's scope (audited), 404 for what does not exist."""
        if isinstance(err, AccessDenied):
            gate.record(action, _requested(), "denied")
            abort(403)
        abort(404)

    @server.route("/geo/<build_id>/<level>/<parent>.json")
    def geometry(build_id: str, level: str, parent: str):
        if build_id != warehouse.build_id or not all(SAFE_PART.match(p) for p in (level, parent)):
            abort(404)
        try:
            body = warehouse.geometry_gzip(level, parent, gate.scope())
        except (NotFound, AccessDenied) as err:
            refused("geometry", err)
        headers = {"Cache-Control": "public, max-age=31536000, immutable", "Vary": "Accept-Encoding"}
        if "gzip" in request.headers.get("Accept-Encoding", ""):
            headers["Content-Encoding"] = "gzip"
        else:
            body = gzip.decompress(body)
        return Response(body, mimetype="application/json", headers=headers)

    def requested_state(level: str, parent: str) -> routes.MapState:
        """The view named by an export or download URL (its path tail and query string)."""
        from dashboard.views import resolve_state

        return resolve_state(warehouse, routes.parse(f"/kaart/{level}/{parent}", request.query_string.decode()))

    @server.route(routes.EXPORT_PREFIX + "<fmt>/kaart/<level>/<parent>")
    def export(fmt: str, level: str, parent: str):
        """The view in the URL as a PNG, SVG or PDF, with title, legend, sources and marking."""
        from dashboard.export import FORMATS, MEDIA_TYPES, ExportError, filename, render_state

        if fmt not in FORMATS:
            abort(404)
        state = requested_state(level, parent)
        try:
            body, meta, _ = render_state(warehouse, state, fmt, gate.scope())
        except (NotFound, AccessDenied) as err:
            refused("export", err)
        except ExportError:
            log.exception("export of %s failed", request.path)   # the cause, for the beheerder
            gate.record("export", _requested(), "failed")
            return Response(t("export.unavailable", state.lang), status=503, mimetype="text/plain")
        gate.record("export", _requested())
        return Response(body, mimetype=MEDIA_TYPES[fmt],
                        headers={"Content-Disposition": f'attachment; filename="{filename(state, fmt)}"'})

    @server.route(routes.DOWNLOAD_PREFIX + "<fmt>/kaart/<level>/<parent>")
    def download(fmt: str, level: str, parent: str):
        """The table of the view in the URL, with a header block naming indicator, year and sources."""
        if fmt not in tables.DOWNLOADS:
            abort(404)
        state = requested_state(level, parent)
        try:
            body, media_type, name = tables.download(warehouse, state, fmt, gate.scope())
        except (NotFound, AccessDenied) as err:
            refused("download", err)
        gate.record("download", _requested())
        return Response(body, mimetype=media_type, headers={"Content-Disposition": f'attachment; filename="{name}"'})

    @server.route(routes.REPORT_PREFIX + "<fmt>/<code>")
    def report(fmt: str, code: str):
        """The ondermijningsbeeld of a gemeente or region as PDF or Word (``?jaar=&sinds=&taal=``)."""
        from dashboard.export import ExportError
        from dashboard.export.document import MEDIA_TYPES, report_file
        from dashboard.export.report import report_data, report_filename, resolve_since

        area, year, since, lang = routes.parse_report(code, request.query_string.decode())
        if fmt not in routes.REPORT_FORMATS or area is None:
            abort(404)
        try:
            year = year if year in warehouse.years else None
            if since is not None:
                try:   # a first year that is not an earlier year of the data: the default
                    resolve_since(warehouse, year or warehouse.years[-1], since)
                except ValueError:
                    since = None
            content = report_data(warehouse, area, year, since, scope=gate.scope(), lang=lang)
            body = report_file(content, fmt)
        except (NotFound, AccessDenied) as err:
            refused("report", err)
        except ExportError:
            log.exception("report %s failed", request.path)
            gate.record("report", _requested(), "failed")
            return Response(t("export.unavailable", lang), status=503, mimetype="text/plain")
        gate.record("report", _requested())
        name = report_filename(warehouse, content.code, content.year, fmt)
        return Response(body, mimetype=MEDIA_TYPES[fmt], headers={"Content-Disposition": f'attachment; filename="{name}"'})

    @server.route(routes.TOPOJSON_URL + "<name>.json")
    def topojson(name: str):
        return Response(EMPTY_TOPOLOGY, mimetype="application/json",
                        headers={"Cache-Control": "public, max-age=86400"})
