"""What some tests need from the machine, and what happens when it is absent.

Locally such tests skip with a reason; on CI (``CI`` set) they fail, so a missing install step
cannot hide behind a green run.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
# Chromium calls home on its own at start (update checks, time, search engine pings); a proxy on a
# closed loopback port refuses all of that on this machine. Loopback addresses bypass proxies, so
# the pages under test still reach our server.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--proxy-server=127.0.0.1:9",
                 "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"]


def unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"required on CI: {reason}")
    pytest.skip(reason)


def chromium_path() -> str:
    path = CHROMIUM if CHROMIUM.exists() else shutil.which("chromium")
    if not path:
        unavailable("headless Chromium is not installed (apt-get install -y chromium chromium-driver)")
    return str(path)


def export_browser_path() -> str:
    """Chromium and kaleido for image export, or skip (locally) / fail (on CI) with the reason."""
    path = chromium_path()
    if importlib.util.find_spec("kaleido") is None:
        unavailable("kaleido 1.x is not installed (pip install 'kaleido>=1,<2')")
    return path


def program(name: str, package: str) -> str:
    """The path of a program from Debian (``redis-server``, ``nginx``), or skip / fail on CI."""
    path = shutil.which(name) or next((p for p in (f"/usr/sbin/{name}", f"/usr/bin/{name}") if Path(p).exists()), None)
    if not path:
        unavailable(f"{name} is not installed (apt-get install -y {package})")
    return path
