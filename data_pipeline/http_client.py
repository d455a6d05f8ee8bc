"""The HTTP client of ``ondermijningsbeeld fetch``: a ``requests`` session with retries and a
connect timeout that also bounds the name lookup.

Retried (:data:`RETRIES` more times, urllib3's backoff): a refused or reset connection, a
connection dropped before the answer, and HTTP 429/502/503/504, honouring ``Retry-After`` up to
:data:`RETRY_AFTER_MAX` seconds. Not retried: a failed name lookup, a timeout, a failed TLS
handshake, which is what having no network (or a closed government network) looks like, so
that ``fetch`` says at once what to download by hand.

urllib3 bounds the connect but not ``getaddrinfo``, which can hang for as long as the resolver
likes; :class:`_BoundedConnect` replaces urllib3's ``HTTPConnection._new_conn`` (a private
method, pinned by ``urllib3>=2.6.3,<3`` and by the tests) so that lookup and connect share one
deadline, directly and through an HTTP(S) proxy.
"""

from __future__ import annotations

import socket
import threading
import time

import requests
import urllib3.exceptions
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.poolmanager import ProxyManager
from urllib3.util.retry import Retry

USER_AGENT = "ondermijningsbeeld-fetch/0.1 (+python-requests)"
#: Answers worth asking again: too many requests, and a gateway or server that is busy or down.
RETRY_STATUSES = frozenset({429, 502, 503, 504})
#: Further tries of a request (connection refused or reset, or one of :data:`RETRY_STATUSES`).
RETRIES = 3
#: urllib3's backoff factor: no wait before the first retry, then 2x, 4x ... this many seconds.
RETRY_BACKOFF = 0.2
#: The longest wait a ``Retry-After`` header gets, in seconds.
RETRY_AFTER_MAX = 30


def _resolve(host: str, port: int, timeout: float):
    """``getaddrinfo`` with a deadline (it ignores socket timeouts and can hang for ages)."""
    result: dict = {}

    def work():
        try:
            result["addresses"] = socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM)
        except BaseException as err:  # noqa: BLE001 - handed to the waiting thread
            result["error"] = err

    worker = threading.Thread(target=work, name=f"resolve {host}", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        raise TimeoutError(f"looking up {host} took longer than {timeout:g} s")
    if "error" in result:
        raise result["error"]
    return result["addresses"]


def _bounded_create_connection(address, timeout, source_address=None, socket_options=None):
    """Like ``socket.create_connection``, but DNS lookup plus connect share one deadline."""
    host, port = address
    deadline = time.monotonic() + timeout
    last: OSError | None = None
    for family, type_, proto, _, sockaddr in _resolve(host.strip("[]"), port, timeout):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        sock = socket.socket(family, type_, proto)
        try:
            for option in socket_options or ():
                sock.setsockopt(*option)
            sock.settimeout(remaining)
            if source_address:
                sock.bind(source_address)
            sock.connect(sockaddr)
            sock.settimeout(timeout)       # for the TLS handshake
            return sock
        except OSError as err:
            last = err
            sock.close()
    raise last or TimeoutError(f"could not connect to {host}:{port} within {timeout:g} s")


class _BoundedConnect:
    """A urllib3 connection whose DNS lookup and connect share the connect timeout.

    urllib3 bounds only the connect: its name lookup can hang for as long as the resolver likes,
    which is what a closed network without DNS does. The errors are urllib3's own, as in
    ``urllib3.connection.HTTPConnection._new_conn``, which this replaces.
    """

    def _new_conn(self):
        try:
            return _bounded_create_connection((self._dns_host, self.port), self.timeout,
                                              self.source_address, self.socket_options)
        except socket.gaierror as err:
            raise urllib3.exceptions.NameResolutionError(self.host, self, err) from err
        except TimeoutError as err:
            raise urllib3.exceptions.ConnectTimeoutError(
                self, f"Connection to {self.host} timed out. (connect timeout={self.timeout})") from err
        except OSError as err:
            raise urllib3.exceptions.NewConnectionError(
                self, f"Failed to establish a new connection: {err}") from err


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = type("_HTTPConnection", (_BoundedConnect, HTTPConnection), {})


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = type("_HTTPSConnection", (_BoundedConnect, HTTPSConnection), {})


_POOLS = {"http": _HTTPPool, "https": _HTTPSPool}


class _Adapter(HTTPAdapter):
    """requests' adapter with the bounded connect, directly and through an HTTP(S) proxy."""

    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _POOLS

    def proxy_manager_for(self, proxy, **proxy_kwargs):
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if type(manager) is ProxyManager:          # not a SOCKS proxy: it has its own connections
            manager.pool_classes_by_scheme = _POOLS
        return manager


class _Retry(Retry):
    """urllib3's ``Retry``, except that some errors end the request at once.

    A failed name lookup is what having no network looks like, and retrying it only delays the
    message that says what to download by hand; a timeout would multiply the wait; a failed TLS
    handshake (a proxy that inspects traffic, a wrong clock) does not heal by itself.
    """

    def increment(self, method=None, url=None, response=None, error=None, _pool=None, _stacktrace=None):
        if _is_final(error):
            raise urllib3.exceptions.MaxRetryError(_pool, url, error) from error
        return super().increment(method, url, response, error, _pool, _stacktrace)


def _is_final(error: BaseException | None) -> bool:
    if isinstance(error, urllib3.exceptions.ProxyError):
        error = error.original_error
    errors = urllib3.exceptions
    timed_out = isinstance(error, errors.TimeoutError) and not isinstance(error, errors.NewConnectionError)
    return timed_out or isinstance(error, (errors.NameResolutionError, errors.SSLError))


def new_session() -> requests.Session:
    """A ``requests`` session: our user agent, retries, a bounded connect.

    Proxies from the environment (``https_proxy``, ``no_proxy``) are used, as requests does.
    """
    retry = _Retry(total=RETRIES, other=0, backoff_factor=RETRY_BACKOFF, status_forcelist=RETRY_STATUSES,
                   allowed_methods={"GET"}, respect_retry_after_header=True,
                   retry_after_max=RETRY_AFTER_MAX, raise_on_status=False)
    session = requests.Session()
    session.headers["User-Agent"] = USER_AGENT
    adapter = _Adapter(max_retries=retry)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session
