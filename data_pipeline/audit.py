"""The audit trail: who saw what, append-only JSON lines with a hash chain.

Each line is one event: ``time`` (Europe/Amsterdam, ISO 8601), ``user``, ``role``, ``scope``,
``action``, ``object``, ``address``, ``result`` (``ok``, ``denied``, ``failed``) and ``prev``,
the SHA-256 of the line before it (64 zeros for the first). The hash of the last line is kept in
a head file beside the log, so :func:`verify` notices an edited, inserted or removed line, the
last one included. Writers in several processes take an exclusive lock on the head file.

Path: beside the access file (``<access>.audit.jsonl``, head ``<access>.audit.head``).
"""

from __future__ import annotations

import fcntl
import getpass
import hashlib
import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pandas as pd

from data_pipeline.warehouse import query

ZONE = ZoneInfo("Europe/Amsterdam")
GENESIS = "0" * 64
FIELDS = ["time", "user", "role", "scope", "action", "object", "address", "result"]
RESULTS = ("ok", "denied", "failed")


def default_audit_path(access: Path) -> Path:
    return access.with_name(access.name.removesuffix(".json") + ".audit.jsonl")


def _digest(line: bytes) -> str:
    return hashlib.sha256(line.rstrip(b"\n")).hexdigest()


@dataclass
class AuditLog:
    path: Path

    @property
    def head(self) -> Path:
        return self.path.with_suffix(".head")

    def append(self, *, user: str, role: str, scope: str, action: str, object: str = "", address: str = "",
               result: str = "ok") -> None:
        if result not in RESULTS:
            raise ValueError(f"result {result!r}: one of {RESULTS}")
        event = {"time": datetime.now(ZONE).isoformat(timespec="milliseconds"), "user": user, "role": role,
                 "scope": scope, "action": action, "object": str(object)[:500], "address": address,
                 "result": result}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.head, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            prev = os.read(fd, 64).decode("ascii") or GENESIS
            line = (json.dumps({**event, "prev": prev}, ensure_ascii=False) + "\n").encode("utf-8")
            log = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)   # owner only, from the start
            try:
                os.write(log, line)
            finally:
                os.close(log)
            os.lseek(fd, 0, os.SEEK_SET)
            os.write(fd, _digest(line).encode("ascii"))
            os.ftruncate(fd, 64)
        finally:
            os.close(fd)   # releases the lock

    def append_local(self, action: str, object: str = "") -> None:
        """An action on the command line (user changes, exports, briefings), as the system user."""
        self.append(user=getpass.getuser(), role="cli", scope="everything", action=action, object=object,
                    address="local")

    def verify(self) -> list[str]:
        """Problems with the chain (empty when intact): line numbers and what is wrong."""
        if not self.path.exists():
            return [] if not self.head.exists() else [f"{self.path} is missing but its head file exists"]
        problems, prev = [], GENESIS
        with open(self.path, "rb") as log:
            for number, line in enumerate(log, start=1):
                try:
                    claimed = json.loads(line)["prev"]
                except (ValueError, KeyError, TypeError):
                    problems.append(f"line {number}: not an audit event")
                    claimed = None
                if claimed is not None and claimed != prev:
                    problems.append(f"line {number}: the line before it was changed, inserted or removed")
                prev = _digest(line)
        head = self.head.read_text(encoding="ascii") if self.head.exists() else GENESIS
        if head != prev:
            problems.append("the last line was changed or removed (it does not match the head file)")
        return problems

    def read(self, user: str | None = None, since: str | None = None, action: str | None = None) -> pd.DataFrame:
        """The events, oldest first, filtered by user, action and a date or time (``since``)."""
        if not self.path.exists() or self.path.stat().st_size == 0:
            return pd.DataFrame(columns=FIELDS)
        where, params = [], [str(self.path)]
        if user:
            where.append("\"user\" = ?")
            params.append(user)
        if action:
            where.append("action = ?")
            params.append(action)
        if since:
            start = datetime.fromisoformat(since)
            start = start if start.tzinfo else start.replace(tzinfo=ZONE)
            where.append("time::TIMESTAMPTZ >= ?::TIMESTAMPTZ")
            params.append(start.isoformat())
        columns = ", ".join(f'"{f}"' for f in FIELDS)
        with duckdb.connect() as con:
            return query(con, f"""SELECT {columns} FROM read_json(?, format = 'newline_delimited',
                                          columns = {{{', '.join(f"'{f}': 'VARCHAR'" for f in FIELDS)}}})
                                  {'WHERE ' + ' AND '.join(where) if where else ''}""", params)
