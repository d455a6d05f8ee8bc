"""Figures to PNG, SVG and PDF bytes in Debian's Chromium, through kaleido's persistent server.

One Chromium stays open for the life of the process: the first export starts it (a second or
two, including one tiny warm-up render that proves it works), later exports reuse it and take
a fraction of a second. It is kaleido's own *sync server* (``kaleido.start_sync_server``,
``kaleido.calc_fig_sync``, ``kaleido.stop_sync_server``): we run no event loop and hold no tab.
:class:`Renderer` is the thin wrapper around it that keeps our guarantees.

Offline by construction:

- kaleido gets an explicit browser path, so it never looks for or downloads a Chrome of its
  own (``get_chrome`` is never called). The path is a small launcher in our work directory
  that records the browser's process id and then becomes (``exec``) the Chromium
  :func:`find_browser` found, with :data:`QUIET_FLAGS` (no background networking, pings,
  updates, network time; no host name resolves);
- MathJax is off and plotly.js is the vendored bundle the dashboard serves
  (``dashboard/assets``), loaded from a file;
- plotly's geo asks for a world topojson even when nothing of it is drawn: ``topojson=``
  points it at a local directory holding :data:`dashboard.figures.EMPTY_TOPOLOGY` under
  every name plotly.js may ask for;
- the rendering page may load ``file:``, ``data:`` and ``blob:`` URLs only: a script of ours
  on kaleido's page (``PageGenerator(others=[...])``) gives it a Content-Security-Policy
  (:data:`PAGE_POLICY`) before the figure is drawn;
- all of Chromium's own traffic goes to ``proxy_server``: by default a loopback port that is
  bound but never listens, so whatever Chromium still tries fails on this machine. Tests pass
  a recording proxy (``tests/recording_proxy.py``) to see what would have left.

What kaleido's public API leaves to us, and how it is kept:

- *Extra Chromium flags*: kaleido passes none through, and choreographer's ``browser_cls``
  would mean subclassing its ``Chromium``; the launcher adds them (public ``path=``).
- *PDF page margins*: kaleido prints with 0.1 inch margins around a page the size of the
  figure, which shifts the figure and cuts its right and bottom edge. The page script adds
  ``@page { margin: 0 }`` (CSS page margins win) and the title "Ondermijningsbeeld", without
  subclassing ``PageGenerator``.
- *Seeing the page's requests*: the sync server exposes no tab, so the old per-request log
  (DevTools ``Network`` events) is gone. The policy blocks in the page, before the network;
  the tests check from outside, with the recording proxy and a negative control.
- *A browser that does not start*: the server thread waits in ``Kaleido.open()`` for ever,
  or dies when ``Kaleido()`` fails, after which ``calc_fig_sync`` waits for ever and
  ``stop_sync_server`` joins that thread. So every call into kaleido runs on a helper thread,
  waited for with a timeout on our side (``start_timeout``; for a render kaleido's own
  ``render_timeout`` plus :data:`GRACE`), while the launcher's process id tells whether
  Chromium is still there. After a timeout, or any failure that is not the figure's own,
  Chromium's processes are killed (which lets kaleido's thread end), the server is stopped,
  again with a timeout, and the next export starts afresh; a browser that died while idle is
  replaced before the next render. A helper left waiting in a dead server's queue stays
  parked (a daemon thread: no CPU, no browser).
- *A server that never stops* (the one private use): a browser ended in the middle of a
  render can leave kaleido's server coroutine waiting for ever, and the singleton cannot be
  restarted through the public API; :func:`_abandon_server` then marks it stopped and puts a
  fresh instance in its place.
- *One server per process*: kaleido's sync server is a process-wide singleton, and its
  ``call_function`` is not safe for concurrent callers (results are matched by order). All
  calls go through one lock; a second :class:`Renderer` (tests make several) takes the server
  over, stopping the first, which starts again when next used. ``calc_fig_sync`` would fall
  back to a one-shot browser with kaleido's defaults when no server runs, so each call first
  re-asserts ours (``start_sync_server(..., silence_warnings=True)``: a no-op while it runs).
"""

from __future__ import annotations

import atexit
import concurrent.futures
import logging
import os
import shlex
import shutil
import signal
import socket
import tempfile
import threading
import time
from pathlib import Path
from typing import Literal

import plotly.graph_objects as go

from dashboard.figures import EMPTY_TOPOLOGY

Format = Literal["png", "svg", "pdf"]
FORMATS = ("png", "svg", "pdf")
MEDIA_TYPES = {"png": "image/png", "svg": "image/svg+xml", "pdf": "application/pdf"}

#: Optional override of the browser; otherwise BROWSER_PATH, /usr/bin/chromium, then PATH.
BROWSER_ENV = "ONDERMIJNINGSBEELD_CHROMIUM"
BROWSER_CANDIDATES = ("/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
PLOTLY_JS = Path(__file__).resolve().parents[1] / "assets" / "plotly-geo-4.1.1.min.js"
#: Every name plotly.js's geo may fetch: ``<scope>_<resolution>m.json``.
TOPOJSON_NAMES = tuple(f"{scope}_{res}m" for scope in ("world", "usa", "europe", "asia", "africa",
                                                       "north-america", "south-america") for res in (110, 50))
#: Flags that keep Chromium from calling home (network time, updaters, pings); the proxy catches
#: whatever is left, and no host name resolves but loopback. choreographer already passes
#: --disable-component-update, --disable-sync and --no-first-run.
QUIET_FLAGS = ("--disable-background-networking", "--no-pings", "--disable-domain-reliability",
               "--disable-default-apps", "--disable-features=NetworkTimeServiceQuerying,Translate,"
               "OptimizationHints,MediaRouter,AutofillServerCommunication",
               "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1")
#: What the rendering page may load: local files and what it makes itself.
PAGE_POLICY = "default-src file: data: blob: 'unsafe-inline' 'unsafe-eval'"
#: Seconds for Chromium to start and render a tiny warm-up figure.
START_TIMEOUT = 20.0
#: Seconds for one render (kaleido's own timeout; ours is this plus :data:`GRACE`).
RENDER_TIMEOUT = 30.0
#: Seconds we wait beyond kaleido's own render timeout, and for kaleido's server to stop.
GRACE = 10.0

_log = logging.getLogger(__name__)


class ExportError(RuntimeError):
    """An export could not be made (no browser, browser failed, render failed or timed out)."""


def find_browser(path: str | os.PathLike | None = None) -> str:
    """The Chromium to use: ``path``, ``$ONDERMIJNINGSBEELD_CHROMIUM``, ``$BROWSER_PATH``, then the usual places.

    >>> find_browser("/no/such/chromium")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    dashboard.export.render.ExportError: No Chromium found at /no/such/chromium: ... (Debian: apt-get install -y chromium)...
    """
    for candidate in (path, os.environ.get(BROWSER_ENV), os.environ.get("BROWSER_PATH"), *BROWSER_CANDIDATES):
        if not candidate:
            continue
        found = shutil.which(str(candidate))
        if found:
            return found
        if path is not None and candidate == path:
            break  # an explicit path that is not there: say so, do not fall back
    raise ExportError(f"No Chromium found{f' at {path}' if path else ''}: image export needs a local browser "
                      "(Debian: apt-get install -y chromium). Nothing is downloaded.")


def page_script(block_requests: bool = True) -> str:
    """The script kaleido's page loads before it renders: margins, title and (normally) the policy.

    >>> "Content-Security-Policy" in page_script(), "Content-Security-Policy" in page_script(False)
    (True, False)
    """
    policy = (f'var policy = document.createElement("meta");\n'
              f'policy.httpEquiv = "Content-Security-Policy";\n'
              f'policy.content = "{PAGE_POLICY}";\n'
              f'document.head.prepend(policy);\n') if block_requests else ""
    return ("(function () {\n" + policy +
            'var style = document.createElement("style");\n'
            'style.textContent = "@page { margin: 0 }";\n'
            'document.head.appendChild(style);\n'
            'document.title = "Ondermijningsbeeld";\n'
            "})();\n")


def _launcher(browser: str, pid_file: Path) -> str:
    """A shell script that records its process id and becomes ``browser`` with :data:`QUIET_FLAGS`."""
    flags = " ".join(shlex.quote(flag) for flag in QUIET_FLAGS)
    return f'#!/bin/sh\necho $$ > {shlex.quote(str(pid_file))}\nexec {shlex.quote(browser)} {flags} "$@"\n'


def _alive(pid: int | None) -> bool:
    """Whether process ``pid`` exists and is not a zombie."""
    if pid is None:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state not in ("Z", "X")


def _submit(fn) -> concurrent.futures.Future:
    """Run ``fn()`` on a helper thread of its own: calls into kaleido may never return."""
    future: concurrent.futures.Future = concurrent.futures.Future()

    def run():
        try:
            future.set_result(fn())
        except BaseException as err:  # noqa: BLE001 - handed to the waiting thread
            future.set_exception(err)

    threading.Thread(target=run, name="kaleido-call", daemon=True).start()
    return future


def _wait(future: concurrent.futures.Future, timeout: float, alive=lambda: True) -> str:
    """``"done"`` when ``future`` finished within ``timeout`` seconds, ``"timeout"`` when it did
    not, ``"gone"`` when ``alive()`` turned false first."""
    deadline = time.monotonic() + timeout
    while True:
        done, _ = concurrent.futures.wait([future], timeout=max(0.0, min(0.1, deadline - time.monotonic())))
        if done:
            return "done"
        if not alive():
            return "gone"
        if time.monotonic() >= deadline:
            return "timeout"


_LOCK = threading.RLock()  # every call into kaleido's (process-wide) sync server
_ACTIVE: "Renderer | None" = None  # the renderer whose configuration the server runs


class Renderer:
    """The headless Chromium that renders exports, as kaleido's persistent sync server.

    Thread-safe: :meth:`render` may be called from any thread; the browser starts on the first
    call (or :meth:`start`) and is started afresh after it failed.

    Parameters
    ----------
    browser_path
        The Chromium to use (default: :func:`find_browser`).
    proxy_server
        Where Chromium's own traffic goes (default: a loopback port that refuses connections).
    topojson_url
        Where plotly's geo fetches its world topojson (default: our empty one, from a file).
    plotlyjs
        The plotly.js bundle (default: the vendored one in ``dashboard/assets``).
    block_page_requests
        Give the page its Content-Security-Policy (local URLs only); off only for tests that
        show what the policy stops.
    start_timeout, render_timeout
        Seconds for the browser to start, and for one render.
    """

    def __init__(self, browser_path: str | os.PathLike | None = None, *, proxy_server: str | None = None,
                 topojson_url: str | None = None, plotlyjs: str | os.PathLike | None = None,
                 block_page_requests: bool = True, start_timeout: float = START_TIMEOUT,
                 render_timeout: float = RENDER_TIMEOUT):
        self.browser_path = browser_path
        self.proxy_server = proxy_server
        self.topojson_url = topojson_url
        self.plotlyjs = plotlyjs
        self.block_page_requests = block_page_requests
        self.start_timeout = start_timeout
        self.render_timeout = render_timeout
        self._workdir: Path | None = None
        self._blackhole: socket.socket | None = None
        self._server_kwargs: dict | None = None
        self._topojson = ""  # our empty world topology, as a file: URL of its directory
        self._kaleido = None

    # -- state ---------------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        """Whether kaleido's server runs with this renderer's browser."""
        return _ACTIVE is self and self._server_kwargs is not None

    @property
    def browser_pid(self) -> int | None:
        """The process id of the running Chromium (``None`` when there is none)."""
        pid = self._pid()
        return pid if _alive(pid) else None

    def _pid(self) -> int | None:
        """The process id the launcher recorded, alive or not (``None``: not launched yet)."""
        try:
            return int((self._workdir / "chromium.pid").read_text())
        except (OSError, TypeError, ValueError):
            return None

    # -- life cycle ----------------------------------------------------------------------------

    def start(self) -> None:
        """Start the browser now (otherwise the first :meth:`render` does)."""
        with _LOCK:
            self._start_locked()

    def close(self) -> None:
        """Stop the browser (when it is this renderer's) and remove the work directory."""
        with _LOCK:
            if self.running:
                self._stop_locked(kill=False)
            self._cleanup()

    def render(self, figure: go.Figure | dict, *, fmt: Format, width: float, height: float,
               scale: float = 1) -> bytes:
        """``figure`` as ``fmt`` bytes, ``width`` × ``height`` CSS pixels (× ``scale`` for PNG)."""
        if fmt not in FORMATS:
            raise ValueError(f"format must be one of {FORMATS}, not {fmt!r}")
        spec = figure.to_dict() if hasattr(figure, "to_dict") else figure
        with _LOCK:
            self._start_locked()
            return self._render_locked(spec, dict(format=fmt, width=width, height=height, scale=scale),
                                       self.render_timeout + GRACE, f"Rendering the {fmt.upper()}")

    # -- inside the lock -----------------------------------------------------------------------

    def _start_locked(self) -> None:
        global _ACTIVE
        if self.running:
            if self.browser_pid is not None:
                return
            self._stop_locked(kill=True)  # it died while idle (crashed, or killed): start another
        browser = find_browser(self.browser_path)
        if _ACTIVE is not None:
            _ACTIVE._stop_locked(kill=False)  # kaleido runs one server per process: take it over
        try:
            import kaleido  # noqa: PLC0415 (only exports need it)
        except ImportError as err:  # pragma: no cover - depends on the install
            raise ExportError("Image export needs kaleido 1.x (pip install 'kaleido>=1,<2').") from err
        self._kaleido = kaleido
        self._cleanup()
        self._workdir = Path(tempfile.mkdtemp(prefix="ondermijningsbeeld-export-"))
        self._topojson = self._write_topojson(self._workdir / "topojson")
        script = self._workdir / "page.js"
        script.write_text(page_script(self.block_page_requests), encoding="utf-8")
        launcher = self._workdir / "chromium"
        launcher.write_text(_launcher(browser, self._workdir / "chromium.pid"), encoding="utf-8")
        launcher.chmod(0o700)
        proxy = self.proxy_server
        if proxy is None:
            self._blackhole = socket.socket(socket.AF_INET, socket.SOCK_STREAM)  # bound, never listening
            self._blackhole.bind(("127.0.0.1", 0))
            proxy = "http://127.0.0.1:%d" % self._blackhole.getsockname()[1]
        plotlyjs = Path(self.plotlyjs) if self.plotlyjs else PLOTLY_JS
        if not plotlyjs.is_file():
            import plotly  # noqa: PLC0415

            plotlyjs = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
        page = kaleido.PageGenerator(plotly=str(plotlyjs), mathjax=False, others=[str(script)])
        self._server_kwargs = dict(path=str(launcher), page_generator=page, timeout=self.render_timeout, n=1,
                                   proxy_server=proxy, enable_extensions=False)
        _ACTIVE = self
        kaleido.start_sync_server(**self._server_kwargs, silence_warnings=True)
        _register_shutdown()  # after kaleido's own atexit hook, so ours runs first
        warm_up = {"data": [], "layout": {"width": 10, "height": 10}}
        self._render_locked(warm_up, dict(format="svg", width=10, height=10, scale=1), self.start_timeout,
                            f"Chromium at {browser}", starting=True)

    def _render_locked(self, spec: dict, opts: dict, timeout: float, what: str, starting: bool = False) -> bytes:
        kaleido = self._kaleido
        from kaleido.errors import KaleidoError  # noqa: PLC0415

        def call():
            kaleido.start_sync_server(**self._server_kwargs, silence_warnings=True)  # no-op while it runs
            return kaleido.calc_fig_sync(spec, opts, topojson=self.topojson_url or self._topojson)

        def alive() -> bool:  # gone: the launcher ran, and its process is no more
            return self._pid() is None or self.browser_pid is not None

        future = _submit(call)
        status = _wait(future, timeout, alive)
        if status == "done":
            try:
                return future.result()
            except KaleidoError as err:  # the figure failed in the page; the browser is fine
                if starting:
                    self._stop_locked(kill=True)
                raise ExportError(f"{what} failed: {err}") from err
            except Exception as err:  # noqa: BLE001 - browser gone or broken: start afresh next time
                self._stop_locked(kill=True)
                if isinstance(err, TimeoutError):  # kaleido's own render timeout
                    raise ExportError(f"{what} took longer than {self.render_timeout:g} s") from None
                raise ExportError(f"{what} failed: {err!r}") from err
        self._stop_locked(kill=True)
        if starting:
            raise ExportError(f"{what} did not start within {timeout:g} s" if status == "timeout"
                              else f"{what} exited while starting")
        raise ExportError(f"{what} took longer than {timeout:g} s" if status == "timeout"
                          else f"{what} failed: the browser exited")

    def _stop_locked(self, *, kill: bool) -> None:
        """Stop kaleido's server; with ``kill`` (after a failure) end the browser's processes first."""
        global _ACTIVE
        pid = self.browser_pid
        group = _group_of(pid)
        if kill:
            _end_browser(pid, group)
        if self._kaleido is not None and self._server_kwargs is not None:
            stopping = _submit(lambda: self._kaleido.stop_sync_server(silence_warnings=True))
            stopped = _wait(stopping, GRACE) == "done"
            if not stopped and not kill:  # a graceful stop that hangs: end the browser, then it may finish
                _end_browser(pid, group)
                stopped = _wait(stopping, GRACE) == "done"
            if not stopped:
                _log.warning("kaleido's server thread did not stop: it is left behind, a new one starts next time")
                _abandon_server(self._kaleido)
        _end_browser(None, group, leader_too=True)  # whatever kaleido's close left running
        self._server_kwargs = None
        if _ACTIVE is self:
            _ACTIVE = None

    def _cleanup(self) -> None:
        if self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = None
        if self._blackhole is not None:
            self._blackhole.close()
            self._blackhole = None

    @staticmethod
    def _write_topojson(directory: Path) -> str:
        """:data:`EMPTY_TOPOLOGY` under every name in :data:`TOPOJSON_NAMES`; the directory's URL."""
        directory.mkdir()
        for name in TOPOJSON_NAMES:
            (directory / f"{name}.json").write_text(EMPTY_TOPOLOGY, encoding="utf-8")
        return directory.as_uri() + "/"


def _group_of(pid: int | None) -> int | None:
    """The process group of ``pid``: choreographer starts the browser's wrapper in a session of its own."""
    try:
        group = os.getpgid(pid) if pid is not None else None
    except ProcessLookupError:
        return None
    return None if group == os.getpgrp() else group  # never our own group


def _members(group: int) -> list[int]:
    """The live processes of ``group`` (from ``/proc``; empty where there is none)."""
    found = []
    for entry in Path("/proc").iterdir() if Path("/proc/self/stat").exists() else ():
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if fields[2] == str(group) and fields[0] not in ("Z", "X"):
            found.append(int(entry.name))
    return found


def _end_browser(pid: int | None, group: int | None, *, leader_too: bool = False) -> None:
    """Kill Chromium (``pid``) and the rest of its process ``group``.

    The group's leader is choreographer's wrapper: spared (unless ``leader_too``), it sees
    Chromium end and tells kaleido so (``{bye}``), which lets kaleido's thread finish; killed
    with the rest, kaleido's pipe reader would wait for ever."""
    victims = set(_members(group)) if group is not None else set()
    if group is not None and not leader_too:
        victims.discard(group)
    if pid is not None:
        victims.add(pid)
    for victim in victims:
        try:
            os.kill(victim, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    deadline = time.monotonic() + 5
    while any(_alive(v) for v in victims) and time.monotonic() < deadline:
        time.sleep(0.02)


def _abandon_server(kaleido) -> None:
    """Give kaleido a new sync server and leave the stuck one behind: the one private use here.

    A browser ended in the middle of a render can leave kaleido's server coroutine waiting for
    ever (on a DevTools reply subscribed after its broker was cleaned), and ``stop_sync_server``
    then joins that thread for ever. The singleton cannot be restarted through the public API, so
    the stuck instance is marked stopped (its ``atexit`` hook then returns at once) and a fresh
    instance takes its place; the old thread and the helper waiting on it stay parked as daemons.
    """
    from kaleido import _sync_server  # noqa: PLC0415

    stuck = kaleido._global_server
    stuck._initialized = False
    _sync_server.GlobalKaleidoServer._instance = None
    kaleido._global_server = _sync_server.GlobalKaleidoServer()


def _shutdown() -> None:
    with _LOCK:
        if _ACTIVE is not None:
            _ACTIVE.close()


def _register_shutdown() -> None:
    atexit.unregister(_shutdown)
    atexit.register(_shutdown)


_DEFAULT: Renderer | None = None


def renderer() -> Renderer:
    """The process-wide renderer (Chromium starts lazily on the first export)."""
    global _DEFAULT
    with _LOCK:
        if _DEFAULT is None:
            _DEFAULT = Renderer()
        return _DEFAULT
