"""The app factory: ``create_app(warehouse_path)`` returns a ready Dash app.

Besides Dash's own routes, the server has two of ours, both same-origin and cacheable:

- ``/geo/<build_id>/<level>/<parent>.json``: simplified GeoJSON per map view, served gzipped;
  the build id in the path makes it safe to cache for a year;
- ``/export/<fmt>/kaart/<level>/<code>?...``: the view of that URL as PNG, SVG or PDF;
- ``/download/<fmt>/kaart/<level>/<code>?...``: its table as CSV or XLSX;
- ``/topojson/<name>.json``: an empty world topology for plotly's geo, so plotly never asks a
  CDN for one (our maps draw no base layer).
"""

from __future__ import annotations

import gzip
import logging
import re
from pathlib import Path

import dash
from flask import Flask, Response, abort, request

from dashboard import routes, tables
from dashboard.callbacks import areas as area_callbacks
from dashboard.callbacks import map as map_callbacks
from dashboard.figures import EMPTY_TOPOLOGY
from dashboard.i18n import t
from dashboard.layout import serve_layout
from data_pipeline.warehouse import AccessDenied, NotFound, Scope, Warehouse

log = logging.getLogger(__name__)
ASSETS = Path(__file__).with_name("assets")
SAFE_PART = re.compile(r"^[A-Za-z0-9_-]+$")


def everyone() -> Scope:
    """The viewer's scope for the current request (everything is visible for now)."""
    return Scope.everything()


def create_app(warehouse: Warehouse | Path | str, scope_of_request=everyone) -> dash.Dash:
    if not isinstance(warehouse, Warehouse):
        warehouse = Warehouse(Path(warehouse))
    server = Flask(__name__)
    # Compress callback responses and pages only: Dash's fingerprinted scripts are cached by the
    # browser anyway, and compressing the plotly bundle again on every page load costs CPU.
    server.config.update(COMPRESS_MIMETYPES=["application/json", "text/html"], COMPRESS_ALGORITHM=["gzip"])
    app = dash.Dash(
        __name__,
        server=server,
        title=t("app.title"),
        assets_folder=str(ASSETS),
        serve_locally=True,
        compress=True,
        update_title=None,
        suppress_callback_exceptions=False,
    )
    # Never ask plotly's servers for a newer Dash version (the app talks to its own host only).
    app.enable_dev_tools(debug=False, dev_tools_disable_version_check=True)
    app.layout = serve_layout(warehouse)
    map_callbacks.register(app, warehouse, scope_of_request)
    area_callbacks.register(app, warehouse, scope_of_request)
    _register_static(app.server, warehouse, scope_of_request)
    app.server.config["warehouse"] = warehouse
    return app


def run(app: dash.Dash, host: str, port: int) -> None:
    app.run(host=host, port=port, debug=False, dev_tools_disable_version_check=True)


def _register_static(server, warehouse: Warehouse, scope_of_request) -> None:
    @server.route("/geo/<build_id>/<level>/<parent>.json")
    def geometry(build_id: str, level: str, parent: str):
        if build_id != warehouse.build_id or not all(SAFE_PART.match(p) for p in (level, parent)):
            abort(404)
        try:
            body = warehouse.geometry_gzip(level, parent, scope_of_request())
        except (NotFound, AccessDenied):
            abort(404)
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
            body, meta, _ = render_state(warehouse, state, fmt, scope_of_request())
        except (NotFound, AccessDenied):
            abort(404)
        except ExportError:
            log.exception("export of %s failed", request.path)   # the cause, for the beheerder
            return Response(t("export.unavailable", state.lang), status=503, mimetype="text/plain")
        return Response(body, mimetype=MEDIA_TYPES[fmt],
                        headers={"Content-Disposition": f'attachment; filename="{filename(meta, fmt)}"'})

    @server.route(routes.DOWNLOAD_PREFIX + "<fmt>/kaart/<level>/<parent>")
    def download(fmt: str, level: str, parent: str):
        """The table of the view in the URL, with a header block naming indicator, year and sources."""
        if fmt not in tables.DOWNLOADS:
            abort(404)
        try:
            body, media_type, name = tables.download(warehouse, requested_state(level, parent), fmt,
                                                     scope_of_request())
        except (NotFound, AccessDenied):
            abort(404)
        return Response(body, mimetype=media_type, headers={"Content-Disposition": f'attachment; filename="{name}"'})

    @server.route(routes.TOPOJSON_URL + "<name>.json")
    def topojson(name: str):
        return Response(EMPTY_TOPOLOGY, mimetype="application/json",
                        headers={"Cache-Control": "public, max-age=86400"})
