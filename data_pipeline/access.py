"""Accounts, roles and scopes, in an access file kept outside the warehouse.

The access file (JSON, owner-only permissions, replaced atomically on every change) holds the
session secret and one entry per user: role, area, organisation and an Argon2id password hash
(argon2-cffi; never the password). Roles and what they may see (:func:`scope_of`):

- ``liec``: everything;
- ``riec`` with an ``REnn`` area: wijk and buurt detail inside that region; gemeente level and
  above everywhere;
- ``gemeente`` with a ``GMxxxx`` area: detail inside that gemeente; gemeente level and above
  everywhere;
- ``beheerder``: manages users and reads the audit trail; sees figures of gemeente level and
  above, and the detail of its area when it is given one.

Path: ``--access PATH``, else ``ONDERMIJNINGSBEELD_ACCESS``, else beside the warehouse
(``<warehouse>.access.json``).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import tempfile
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from data_pipeline.warehouse import Scope

ACCESS_ENV = "ONDERMIJNINGSBEELD_ACCESS"
ROLES = ("liec", "riec", "gemeente", "beheerder")
NAME = re.compile(r"^[a-z0-9][a-z0-9._@-]{1,63}$")
AREA_OF_ROLE = {"riec": re.compile(r"^RE\d{2}$"), "gemeente": re.compile(r"^GM\d{4}$")}
AREA = re.compile(r"^(RE\d{2}|GM\d{4})$")
MIN_PASSWORD = 12
_HASHER = PasswordHasher()   # Argon2id with the library's current recommended parameters


@cache
def _dummy_hash() -> str:
    """Verifying against this keeps a sign-in for an unknown name as slow as for a known one."""
    return _HASHER.hash(secrets.token_hex(16))


class AccessError(ValueError):
    """A user command that cannot be carried out (the message says why)."""


@dataclass(frozen=True)
class User:
    name: str
    role: str
    area: str | None
    organisation: str
    password_hash: str
    created: str = ""

    @property
    def is_beheerder(self) -> bool:
        return self.role == "beheerder"


def default_access_path(warehouse: Path) -> Path:
    return Path(os.environ.get(ACCESS_ENV) or warehouse.with_name(warehouse.stem + ".access.json"))


def scope_of(user: User) -> Scope:
    """What ``user`` may see in detail (see the module docstring)."""
    if user.role == "liec":
        return Scope.everything()
    return Scope.inside(user.area) if user.area else Scope.inside()


class AccessFile:
    """The users of one installation. Reads are cached and refreshed when the file changes, so
    ``users remove`` takes effect in a running server at the next request."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._stamp: tuple[int, int] | None = None
        self._data: dict = {}

    def exists(self) -> bool:
        return self.path.exists()

    def _load(self) -> dict:
        if not self.path.exists():
            return {"secret_key": None, "users": {}}
        stat = self.path.stat()
        stamp = (stat.st_mtime_ns, stat.st_size)
        if stamp != self._stamp:
            try:
                data = json.loads(self.path.read_text(encoding="utf-8"))
                if not isinstance(data.get("users"), dict) or not isinstance(data.get("secret_key"), str):
                    raise ValueError("no users or secret_key")
            except (ValueError, OSError) as err:
                raise AccessError(f"access file {self.path} is unreadable: {err}") from None
            self._data, self._stamp = data, stamp
        return self._data

    def _save(self, data: dict) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.", suffix=".tmp")
        try:
            os.fchmod(fd, 0o600)   # owner only: it holds the session secret and the hashes
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(data, out, indent=1, sort_keys=True)
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self._stamp = None

    @property
    def secret_key(self) -> str:
        key = self._load().get("secret_key")
        if not key:
            raise AccessError(f"no access file at {self.path}; add a user first (`ondermijningsbeeld users add`)")
        return key

    def users(self) -> list[User]:
        return [User(**entry) for _, entry in sorted(self._load()["users"].items())]

    def get(self, name: object) -> User | None:
        entry = self._load()["users"].get(name) if isinstance(name, str) else None
        return User(**entry) if entry else None

    def add(self, name: str, role: str, password: str, area: str | None = None,
            organisation: str | None = None) -> User:
        data = self._load()
        data = {"secret_key": data.get("secret_key") or secrets.token_hex(32), "users": dict(data["users"])}
        if not NAME.match(name or ""):
            raise AccessError(f"user name {name!r}: 2-64 lower-case letters, digits and . _ @ -")
        if name in data["users"]:
            raise AccessError(f"user {name!r} exists; use `users passwd` or `users remove`")
        if role not in ROLES:
            raise AccessError(f"role {role!r}: one of {', '.join(ROLES)}")
        pattern = AREA_OF_ROLE.get(role)
        if pattern and not (area and pattern.match(area)):
            raise AccessError(f"role {role} needs --area {'REnn (a RIEC region)' if role == 'riec' else 'GMxxxx'}")
        if role == "liec" and area:
            raise AccessError("role liec sees everything: give no --area")
        if area and not AREA.match(area):
            raise AccessError(f"area {area!r}: a region (REnn) or gemeente (GMxxxx) code")
        user = User(name=name, role=role, area=area or None,
                    organisation=organisation or area or role.upper(),
                    password_hash=_hash(password),
                    created=datetime.now(timezone.utc).isoformat(timespec="seconds"))
        data["users"][name] = asdict(user)
        self._save(data)
        return user

    def remove(self, name: str) -> None:
        data = self._load()
        if name not in data["users"]:
            raise AccessError(f"no user {name!r}")
        self._save({**data, "users": {k: v for k, v in data["users"].items() if k != name}})

    def set_password(self, name: str, password: str) -> None:
        data = self._load()
        if name not in data["users"]:
            raise AccessError(f"no user {name!r}")
        users = dict(data["users"])
        users[name] = {**users[name], "password_hash": _hash(password)}
        self._save({**data, "users": users})

    def verify(self, name: object, password: object) -> User | None:
        """The user when ``password`` is theirs, else ``None`` (as slow either way)."""
        user = self.get(name)
        try:
            _HASHER.verify(user.password_hash if user else _dummy_hash(), str(password))
        except (VerificationError, InvalidHashError):
            return None
        return user


def _hash(password: str) -> str:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        raise AccessError(f"a password needs at least {MIN_PASSWORD} characters")
    return _HASHER.hash(password)
