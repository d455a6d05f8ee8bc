"""Download the official CBS, politie and PDOK files for one year, for users who have internet.

    ondermijningsbeeld fetch --year 2024 --to data/bronnen/2024
    ondermijningsbeeld build --from-files data/bronnen/2024 --year 2024

The product itself never goes online (PRODUCT.md §5). This module is the one, explicit,
user-started exception: it fetches the three files a real build needs into a folder, and when
that is impossible (no internet, a proxy, a closed government network) it fails within seconds
with a message that says exactly which URL to open by hand and where to save the result.

Files, per year
---------------
=============== ====================================== ==========================================
name            saved as (in the target folder)        what
=============== ====================================== ==========================================
kerncijfers     ``<TABLE>_TypedDataSet.json``          CBS Kerncijfers wijken en buurten, every
                (e.g. ``85984NED_TypedDataSet.json``)  area (NL, GM, WK, BU), all columns
misdrijven      ``47018NED_<YEAR>JJ00_TypedDataSet.    politie/CBS registered crime per wijk and
                json``                                 buurt, one year, the SoortMisdrijf codes
                                                       in :data:`CRIME_CODES`
wijkbuurtkaart  ``wijkenbuurten_<YEAR>.gpkg``          CBS Wijk- en Buurtkaart, GeoPackage with
                                                       layers gemeenten, wijken, buurten
=============== ====================================== ==========================================

The two JSON files are OData v3 "JSON light" documents exactly as CBS serves one page,
``{"odata.metadata": "...", "value": [row, ...]}``, with the rows of every page concatenated and
no ``odata.nextLink``. CBS serves at most 10,000 rows per page, so someone downloading by hand
saves page *n* > 1 next to the first as :func:`page_filename` says
(``85984NED_TypedDataSet_page2.json``, ...). A loader therefore reads ``<name>.json`` plus any
``<name>_page<n>.json`` and concatenates their ``value`` lists; a fetched folder simply has no
page files.

Sources and how sure we are (checked with stored public code and docs, never live)
-------------------------------------------------------------------------------------
* **Kerncijfers** — ``https://opendata.cbs.nl/ODataFeed/odata/<TABLE>/TypedDataSet?$format=json``.
  The *Feed* service, not ``ODataApi``: CBS documents the Api for tables under 10,000 rows and
  the Feed for larger ones (the 2014 "Handleiding CBS Open Data Services", summarised in the
  py2cbs write-up); the Api caps a query at 10,000 rows while the Feed pages with
  ``odata.nextLink``, which the reference client ``cbsodata`` (J535D165/cbsodata,
  ``cbsodata3.py``: ``BULK = "ODataFeed/odata"``, loop on ``res['odata.nextLink']``) follows.
  The Feed answers Atom XML unless asked for ``$format=json``. Table ids 2021 85039NED,
  2022 85318NED, 2023 85618NED, 2024 85984NED, 2025 86165NED agree across several independent
  projects (85318NED verified: it is the 2022 table). Confidence: high.
* **Misdrijven** — ``https://dataderden.cbs.nl/ODataFeed/odata/47018NED/TypedDataSet`` with
  ``$filter=Perioden eq '2024JJ00' and (SoortMisdrijf eq '0.0.0 ' or ...)``. 47018NED is a
  politie table in CBS's *dataderden* catalogue (not opendata.cbs.nl). Period keys are
  ``YYYYJJ00``; SoortMisdrijf keys are padded to six characters (``'0.0.0 '``, ``'2.6.10'``),
  as public clients note and filter for; region keys are space-padded too (strip them). The
  value column is ``GeregistreerdeMisdrijven_1``. Confidence: high for host, table, period and
  code format; medium that the padded-key filter stays exactly as is (if CBS ever trims keys
  the filter matches nothing, and the download fails with "no rows" rather than saving an
  empty file).
* **Wijk- en Buurtkaart** — the PDOK Atom download service,
  ``https://service.pdok.nl/cbs/wijkenbuurten/<YEAR>/atom/downloads/<FILE>.gpkg``: one
  GeoPackage, no zip, replaced in place when CBS publishes a new version (the CBS zips,
  ``https://geodata.cbs.nl/files/Wijkenbuurtkaart/WijkBuurtkaart_<YEAR>_v<N>.zip``, change name
  with every version and old versions disappear). File names: 2024 and 2025
  ``wijkenbuurten_<YEAR>.gpkg`` (several sources, high); 2022 and 2023
  ``wijkenbuurten_<YEAR>_v1.gpkg`` (several sources, medium-high), with the unversioned name
  tried next on HTTP 404; 2021 ``wijkenbuurten_2021.gpkg`` (one source only: *low* — if it
  404s, take the GeoPackage from the CBS page "Wijk- en buurtkaart 2021" and save it under the
  same name).

Robustness
----------
Every file is written to a hidden temporary name in the target folder and renamed only when
*all* files have arrived, so after a failure nothing new is in the folder (older files there
are untouched). HTTP goes through ``requests`` (:func:`data_pipeline.http_client.new_session`). Connecting (DNS lookup
included) is bounded by ``timeout`` in total; once connected, a slow server gets
:data:`READ_TIMEOUT` seconds per read. urllib3's ``Retry`` tries a request up to
``RETRIES`` more times, with a short exponential backoff, when a
connection is refused or reset, or breaks off before the answer, and on HTTP 429, 502, 503 and
504 (waiting as long as a ``Retry-After`` header asks, within a limit).
A name lookup that fails (no network: the fetch fails at once), a timeout and a failed TLS
handshake are not retried, and neither is any other HTTP error; each aborts the whole fetch.
"""

from __future__ import annotations

import argparse
import functools
import itertools
import json
import os
import shlex
import socket
import ssl
import sys
import tempfile
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import requests
import urllib3.exceptions

from data_pipeline.http_client import new_session

__all__ = ["CRIME_CODES", "GEBIEDEN_TABLES", "SUPPORTED_YEARS", "Download", "FetchError", "add_arguments",
           "downloads_for_year", "fetch_year", "page_filename", "run"]

#: Kerncijfers wijken en buurten (CBS StatLine) per boundary year.
KERNCIJFERS_TABLES: dict[int, str] = {
    2021: "85039NED",
    2022: "85318NED",
    2023: "85618NED",
    2024: "85984NED",
    2025: "86165NED",
}
SUPPORTED_YEARS: tuple[int, ...] = tuple(sorted(KERNCIJFERS_TABLES))

#: CBS *Gebieden in Nederland* per year: the regional classifications of each gemeente, among
#: them its politie regionale eenheid (= RIEC region), which ``build`` needs.
GEBIEDEN_TABLES: dict[int, str] = {
    2021: "84929NED",
    2022: "85067NED",
    2023: "85385NED",
    2024: "85755NED",
    2025: "86059NED",
}

#: Politie "Geregistreerde misdrijven; wijk en buurt" (yearly), in CBS's dataderden catalogue.
CRIME_TABLE = "47018NED"

#: The SoortMisdrijf codes fetched from 47018NED: the total plus what bears on ondermijning.
#: Witwassen has no own code; it is part of 2.7.2. Afval van drugslabs is part of 2.6.2.
CRIME_CODES: dict[str, str] = {
    "0.0.0": "Totaal misdrijven",
    "1.4.4": "Bedreiging",
    "1.4.7": "Overval",
    "1.6.1": "Brand/ontploffing",
    "1.6.2": "Overige vermogensdelicten (o.a. heling, afpersing)",
    "1.6.3": "Mensenhandel",
    "2.1.1": "Drugs/drankoverlast",
    "2.6.2": "Bodem (o.a. afval drugslab)",
    "2.7.2": "Bijzondere wetten (o.a. witwassen)",
    "3.1.1": "Drugshandel",
    "3.1.2": "Mensensmokkel",
    "3.1.3": "Wapenhandel",
    "3.9.1": "Horizontale fraude (o.a. vastgoedfraude)",
}

ODATA_FEED = "https://opendata.cbs.nl/ODataFeed/odata/{table}/TypedDataSet"
DATADERDEN_FEED = "https://dataderden.cbs.nl/ODataFeed/odata/{table}/TypedDataSet"
PDOK_WIJKENBUURTEN = "https://service.pdok.nl/cbs/wijkenbuurten/{year}/atom/downloads/{file}"

#: PDOK file names per year, best documented first; later names are tried on HTTP 404/410.
GEOPACKAGE_FILES: dict[int, tuple[str, ...]] = {
    2021: ("wijkenbuurten_2021.gpkg",),
    2022: ("wijkenbuurten_2022_v1.gpkg", "wijkenbuurten_2022.gpkg"),
    2023: ("wijkenbuurten_2023_v1.gpkg", "wijkenbuurten_2023.gpkg"),
    2024: ("wijkenbuurten_2024.gpkg",),
    2025: ("wijkenbuurten_2025.gpkg",),
}

#: Seconds a connected server may take per read (the first byte of a big OData page can be slow).
READ_TIMEOUT = 60.0
#: Rows CBS serves per OData page; only used in the manual-download text.
ODATA_PAGE_ROWS = 10_000
MAX_PAGES = 5_000
SQLITE_MAGIC = b"SQLite format 3\x00"
CHUNK = 1 << 20

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Download:
    """One file to fetch.

    ``kind`` is ``"odata"`` (OData v3 JSON pages, concatenated into one document) or
    ``"geopackage"`` (one binary file, checked to be SQLite). ``mirrors`` are further URLs for
    the same file, tried in order only when the previous one answers HTTP 404 or 410.
    """

    name: str
    table_id: str
    url: str
    filename: str
    description: str
    kind: str = "odata"
    mirrors: tuple[str, ...] = ()

    @property
    def urls(self) -> tuple[str, ...]:
        return (self.url, *self.mirrors)


class FetchError(RuntimeError):
    """A download failed; nothing was written. ``str(err)`` tells the user what to do by hand."""

    def __init__(self, reason: str, *, year: int, to_dir: Path, downloads: list[Download],
                 failed: Download | None = None):
        self.reason = reason
        self.year = year
        self.to_dir = Path(to_dir)
        self.downloads = list(downloads)
        self.failed = failed
        super().__init__(manual_download_text(reason, year, self.to_dir, self.downloads, failed))


class _Failure(Exception):
    """Internal: why one download failed, in words for the user."""


def _odata_url(base: str, table: str, filter_: str | None = None) -> str:
    url = base.format(table=table) + "?$format=json"
    if filter_:
        url += "&$filter=" + urllib.parse.quote(filter_, safe="'(),")
    return url


def crime_filter(year: int, codes=CRIME_CODES) -> str:
    """The OData ``$filter`` for one year of 47018NED and the given SoortMisdrijf codes.

    >>> crime_filter(2024, ["0.0.0", "2.6.10"])
    "Perioden eq '2024JJ00' and (SoortMisdrijf eq '0.0.0 ' or SoortMisdrijf eq '2.6.10')"
    """
    keys = " or ".join(f"SoortMisdrijf eq '{code.ljust(6)}'" for code in codes)
    return f"Perioden eq '{year}JJ00' and ({keys})"


def downloads_for_year(year: int) -> list[Download]:
    """The files a real build for ``year`` needs, in download order.

    >>> [(d.name, d.filename) for d in downloads_for_year(2024)]  # doctest: +NORMALIZE_WHITESPACE
    [('kerncijfers', '85984NED_TypedDataSet.json'),
     ('misdrijven', '47018NED_2024JJ00_TypedDataSet.json'),
     ('wijkbuurtkaart', 'wijkenbuurten_2024.gpkg'),
     ('gebieden', '85755NED_TypedDataSet.json')]
    >>> downloads_for_year(2019)
    Traceback (most recent call last):
    ...
    ValueError: no official downloads known for 2019; supported years: 2021, 2022, 2023, 2024, 2025
    """
    if isinstance(year, bool) or not isinstance(year, int) or year not in KERNCIJFERS_TABLES:
        raise ValueError(f"no official downloads known for {year}; supported years: "
                         + ", ".join(str(y) for y in SUPPORTED_YEARS))
    table = KERNCIJFERS_TABLES[year]
    gpkg = [PDOK_WIJKENBUURTEN.format(year=year, file=f) for f in GEOPACKAGE_FILES[year]]
    return [
        Download(
            name="kerncijfers",
            table_id=table,
            url=_odata_url(ODATA_FEED, table),
            filename=f"{table}_TypedDataSet.json",
            description=f"CBS Kerncijfers wijken en buurten {year} ({table}), all areas, OData JSON",
        ),
        Download(
            name="misdrijven",
            table_id=CRIME_TABLE,
            url=_odata_url(DATADERDEN_FEED, CRIME_TABLE, crime_filter(year)),
            filename=f"{CRIME_TABLE}_{year}JJ00_TypedDataSet.json",
            description=(f"Politie/CBS geregistreerde misdrijven per wijk en buurt {year} "
                         f"({CRIME_TABLE}), {len(CRIME_CODES)} soorten incl. totaal, OData JSON"),
        ),
        Download(
            name="wijkbuurtkaart",
            table_id=f"wijkbuurtkaart_{year}",
            url=gpkg[0],
            filename=f"wijkenbuurten_{year}.gpkg",
            description=f"CBS/PDOK Wijk- en Buurtkaart {year}, GeoPackage (gemeenten, wijken, buurten)",
            kind="geopackage",
            mirrors=tuple(gpkg[1:]),
        ),
        Download(
            name="gebieden",
            table_id=GEBIEDEN_TABLES[year],
            url=_odata_url(ODATA_FEED, GEBIEDEN_TABLES[year]),
            filename=f"{GEBIEDEN_TABLES[year]}_TypedDataSet.json",
            description=(f"CBS Gebieden in Nederland {year} ({GEBIEDEN_TABLES[year]}): per gemeente its "
                         "politie regionale eenheid (= RIEC region), OData JSON"),
        ),
    ]


def page_filename(filename: str, page: int) -> str:
    """Where page ``page`` of a by-hand OData download goes (page 1 is the file itself).

    >>> page_filename("85984NED_TypedDataSet.json", 1), page_filename("85984NED_TypedDataSet.json", 2)
    ('85984NED_TypedDataSet.json', '85984NED_TypedDataSet_page2.json')
    """
    if page <= 1:
        return filename
    path = Path(filename)
    return f"{path.stem}_page{page}{path.suffix}"


def manual_download_text(reason: str, year: int, to_dir: Path, downloads: list[Download],
                         failed: Download | None = None) -> str:
    """The message of a :class:`FetchError`: what failed, and how to do it by hand."""
    folder = Path(to_dir).absolute()
    where = f" ({failed.name})" if failed else ""
    lines = [f"Could not download the official files for {year}{where}: {reason}",
             f"Nothing was written to {folder}.",
             "",
             f"Download these {len(downloads)} files by hand (for example in a browser on a computer "
             f"with internet) and save them in {folder} under exactly these names:",
             ""]
    for number, d in enumerate(downloads, 1):
        lines.append(f"{number}. {d.name}: {d.description}")
        lines.append(f"   URL:     {d.url}")
        for mirror in d.mirrors:
            lines.append(f"   or:      {mirror}")
        lines.append(f"   save as: {folder / d.filename}")
        if d.kind == "odata":
            lines.append(f"   CBS serves at most {ODATA_PAGE_ROWS:,} rows per page: while a page ends with "
                         f"\"odata.nextLink\", open that link too and save it beside the first as "
                         f"{page_filename(d.filename, 2)}, {page_filename(d.filename, 3)}, ...")
    lines += ["",
              "Then build from that folder:",
              f"  ondermijningsbeeld build --from-files {shlex.quote(str(folder))} --year {year}"]
    return "\n".join(lines)


# --- fetching -----------------------------------------------------------------------------------

def _host(url: str) -> str:
    return urllib.parse.urlsplit(url).netloc or url


def _odata_error_text(body: bytes) -> str:
    try:
        error = json.loads(body)["odata.error"]
        return str(error["message"]["value"])
    except Exception:  # noqa: BLE001 - best effort only
        return ""


def _causes(err: BaseException) -> list[BaseException]:
    """``err`` and what it wraps, outermost first: requests wraps urllib3, which wraps the socket."""
    chain: list[BaseException] = []
    while isinstance(err, BaseException) and err not in chain:
        chain.append(err)
        inner = getattr(err, "reason", None)                   # urllib3's MaxRetryError
        if not isinstance(inner, BaseException):
            inner = getattr(err, "original_error", None)       # urllib3's ProxyError
        if not isinstance(inner, BaseException):
            inner = err.__cause__ or (err.args[0] if err.args else None)
        err = inner
    return chain


def _describe(err: BaseException, url: str, timeout: float) -> str:
    host = _host(url)
    if isinstance(err, requests.HTTPError) and err.response is not None:
        response = err.response
        text = f"{url} answered HTTP {response.status_code} {response.reason}"
        try:
            detail = _odata_error_text(next(response.iter_content(20_000), b""))
        except Exception:  # noqa: BLE001
            detail = ""
        return text + (f" ({detail})" if detail else "")
    chain = _causes(err)
    root = chain[-1]

    def found(*types) -> bool:
        return any(isinstance(e, types) for e in chain)

    errors = urllib3.exceptions
    if found(requests.ConnectTimeout) or (found(errors.ConnectTimeoutError)
                                          and not found(errors.NewConnectionError)):
        return f"no answer from {host} within {timeout:g} s ({root or 'timed out'})"
    if found(requests.Timeout, errors.ReadTimeoutError) or isinstance(root, TimeoutError):
        return f"{host} stopped answering ({root or 'timed out'}; allowed {READ_TIMEOUT:g} s per read)"
    if found(ssl.SSLError, errors.SSLError, requests.exceptions.SSLError):
        return f"secure connection to {host} failed ({root}); a proxy or firewall may be in the way"
    if found(errors.NewConnectionError, socket.gaierror, ConnectionRefusedError):
        return f"cannot reach {host} ({getattr(root, 'strerror', None) or root})"
    if found(requests.RequestException, errors.HTTPError, OSError):
        return f"the connection to {host} broke off ({type(root).__name__}: {root})"
    return f"{type(err).__name__} while fetching {url}: {err}"


def _get(session: requests.Session, url: str, timeout: float, consume):
    """GET ``url`` (retried as :func:`new_session` says) and hand the response to ``consume``."""
    try:
        with session.get(url, timeout=(timeout, READ_TIMEOUT), stream=True) as response:
            try:
                response.raise_for_status()
            except requests.HTTPError as err:      # described while the body can still be read
                raise _Failure(_describe(err, url, timeout)) from err
            return consume(response)
    except _Failure:
        raise
    except Exception as err:  # noqa: BLE001 - any failure of a request aborts the whole fetch
        raise _Failure(_describe(err, url, timeout)) from err


def _next_url(current: str, next_link: str) -> str:
    url = urllib.parse.urljoin(current, next_link)
    query = urllib.parse.urlsplit(url).query
    if "$format=" not in urllib.parse.unquote(query):
        url += ("&" if query else "?") + "$format=json"
    return url


def _fetch_odata(d: Download, out, session: requests.Session, timeout: float, say: Progress) -> int:
    """Follow ``odata.nextLink`` from ``d.url`` and write one OData JSON document to ``out``."""
    url, seen, rows, page = d.url, set(), 0, 0

    def read_page(response):
        body = response.content
        try:
            doc = json.loads(body)
        except (ValueError, UnicodeDecodeError) as err:
            start = bytes(body[:60]).decode("utf-8", "replace")
            raise _Failure(f"{url} did not answer OData JSON (it starts with {start!r})") from err
        if not isinstance(doc, dict) or not isinstance(doc.get("value"), list):
            detail = _odata_error_text(body) if isinstance(doc, dict) else ""
            raise _Failure(f"{url} answered JSON without a \"value\" list"
                           + (f" ({detail})" if detail else ""))
        return doc

    while url:
        if url in seen or page >= MAX_PAGES:
            raise _Failure(f"{_host(url)} keeps sending more pages ({page} so far); stopped")
        seen.add(url)
        doc = _get(session, url, timeout, read_page)
        if page == 0:
            out.write(b'{"odata.metadata":' + json.dumps(doc.get("odata.metadata")).encode() + b',"value":[')
        for row in doc["value"]:
            out.write((b"," if rows else b"") + json.dumps(row, ensure_ascii=False,
                                                           separators=(",", ":")).encode("utf-8"))
            rows += 1
        page += 1
        say(f"{d.name}: page {page}, {rows:,} rows")
        next_link = doc.get("odata.nextLink") or doc.get("@odata.nextLink")
        url = _next_url(url, next_link) if next_link else None
    out.write(b"]}")
    if rows == 0:
        raise _Failure(f"{d.table_id} returned no rows for this request; the year may not be "
                       f"published yet ({d.url})")
    return rows


def _fetch_file(d: Download, out, session: requests.Session, timeout: float, say: Progress) -> int:
    """Stream one binary file to ``out``; try mirrors on HTTP 404/410."""

    def copy(response):
        out.seek(0)
        out.truncate()
        chunks = response.iter_content(CHUNK)
        first, total, reported = next(chunks, b""), 0, 0
        if d.kind == "geopackage" and first[:16] != SQLITE_MAGIC:
            start = first[:60].decode("utf-8", "replace")
            raise _Failure(f"{url} did not send a GeoPackage (it starts with {start!r})")
        for chunk in itertools.chain([first], chunks):
            out.write(chunk)
            total += len(chunk)
            if total - reported >= 16 * CHUNK:
                say(f"{d.name}: {total / CHUNK:,.0f} MB")
                reported = total
        say(f"{d.name}: {total / CHUNK:,.1f} MB, done")
        return total

    for number, url in enumerate(d.urls, 1):
        try:
            return _get(session, url, timeout, copy)
        except _Failure as failure:
            cause = failure.__cause__
            status = cause.response.status_code if isinstance(cause, requests.HTTPError) else None
            if status not in (404, 410) or number == len(d.urls):
                raise
            say(f"{d.name}: not at {url} (HTTP {status}), trying {d.urls[number]}")
    raise AssertionError("unreachable")


def fetch_year(year: int, to_dir: Path, *, timeout: float = 5.0, session: requests.Session | None = None,
               progress: Progress | None = None) -> list[Path]:
    """Download every file of :func:`downloads_for_year` into ``to_dir``; return their paths.

    Parameters
    ----------
    year
        A boundary year in :data:`SUPPORTED_YEARS` (else ``ValueError``).
    to_dir
        Target folder, created when missing (and removed again when the fetch fails).
    timeout
        Seconds allowed for reaching a host (DNS lookup plus connect) per request.
    session
        The ``requests`` session to use (the caller closes it); tests mount loopback adapters
        on one. Default: a :func:`new_session`, closed at the end.
    progress
        Called with one line of text per page or per 16 MB.

    Raises
    ------
    FetchError
        On the first failure of any request. Nothing new is left in ``to_dir``; the message
        lists every URL to download by hand, where to save it and the build command.
    """
    downloads = downloads_for_year(year)
    to_dir = Path(to_dir)
    say = progress or (lambda text: None)
    if to_dir.exists() and not to_dir.is_dir():
        raise NotADirectoryError(f"{to_dir} exists and is not a folder")
    created = [p for p in (to_dir, *to_dir.parents) if not p.exists()]
    to_dir.mkdir(parents=True, exist_ok=True)

    own_session = session is None
    session = new_session() if own_session else session
    parts: list[Path] = []
    current: Download | None = None
    done = False
    try:
        for current in downloads:
            fd, name = tempfile.mkstemp(dir=to_dir, prefix=f".{current.filename}.", suffix=".part")
            parts.append(Path(name))
            with os.fdopen(fd, "wb") as out:
                say(f"{current.name}: {current.url}")
                fetch = _fetch_odata if current.kind == "odata" else _fetch_file
                fetch(current, out, session, timeout, say)
        current = None
        targets = [to_dir / d.filename for d in downloads]
        for part, target in zip(parts, targets):
            os.replace(part, target)
        done = True
        return targets
    except _Failure as failure:
        raise FetchError(str(failure), year=year, to_dir=to_dir, downloads=downloads,
                         failed=current) from failure.__cause__
    except OSError as err:
        raise FetchError(f"could not write to {to_dir} ({err})", year=year, to_dir=to_dir,
                         downloads=downloads, failed=current) from err
    finally:
        if own_session:
            session.close()
        for part in parts:
            part.unlink(missing_ok=True)
        if not done:
            for folder in created:       # innermost first; only folders we made and left empty
                try:
                    folder.rmdir()
                except OSError:
                    break


# --- command line -------------------------------------------------------------------------------

def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add the options of ``ondermijningsbeeld fetch`` to ``parser`` (a subcommand parser)."""
    parser.add_argument("--year", type=int, required=True, choices=SUPPORTED_YEARS, metavar="YEAR",
                        help="boundary year: " + ", ".join(str(y) for y in SUPPORTED_YEARS))
    parser.add_argument("--to", type=Path, required=True, metavar="DIR",
                        help="folder to save the files in (created when missing)")
    parser.add_argument("--timeout", type=float, default=5.0, metavar="SECONDS",
                        help="seconds to reach each server before giving up (default: 5)")
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    """Run ``fetch``: progress on stderr, saved paths on stdout; 1 on a failed download."""
    progress = functools.partial(print, file=sys.stderr, flush=True)
    try:
        paths = fetch_year(args.year, args.to, timeout=getattr(args, "timeout", 5.0), progress=progress)
    except FetchError as err:
        print(err, file=sys.stderr)
        return 1
    except (ValueError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    for path in paths:
        print(path)
    print(f"Next: ondermijningsbeeld build --from-files {shlex.quote(str(args.to))} --year {args.year}",
          file=sys.stderr)
    return 0

