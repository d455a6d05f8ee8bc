"""A network guard for a browser: an HTTP proxy on loopback that records and refuses everything.

Point Chromium at it (``--proxy-server``): any http/https/ws request the page makes arrives
here as ``GET http://host/...`` or ``CONNECT host:443``, is recorded, and gets a 502. Nothing
is forwarded, so nothing leaves the machine, and the test sees what would have.
"""

from __future__ import annotations

import socketserver
import threading


class RecordingProxy:
    def __init__(self):
        self.requests: list[str] = []
        proxy = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self):
                line = self.rfile.readline(8192).decode("latin-1").strip()
                if line:
                    proxy.requests.append(line)
                self.wfile.write(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")

        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return "http://127.0.0.1:%d" % self._server.server_address[1]

    def __enter__(self) -> "RecordingProxy":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
