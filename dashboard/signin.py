"""Sign-in and the gate every request passes: who is asking, what they may see, and the audit.

:class:`Gate` is what the routes and callbacks ask: :meth:`Gate.scope` for the viewer's
:class:`~data_pipeline.warehouse.Scope` (handed to every warehouse read) and :meth:`Gate.record`
for the audit trail. Three ways to run:

- **signed in** (an access file exists): every route but ``/login`` and the static assets needs a
  signed-in user; pages redirect (302) to ``/login``, everything else gets 401. Sessions are
  Flask-Login's, in a cookie that is HttpOnly, SameSite=Strict, Secure behind TLS
  (``ONDERMIJNINGSBEELD_TLS=1``) and expires after ``ONDERMIJNINGSBEELD_IDLE_MINUTES`` (30)
  without a request. Failed sign-ins are rate limited per address and per user name
  (Flask-Limiter) and audited.
- **trusted header** (``ONDERMIJNINGSBEELD_TRUSTED_HEADER``, e.g. ``X-Remote-User``): an identity
  proxy in front signs people in; the header is believed only from the addresses in
  ``ONDERMIJNINGSBEELD_TRUSTED_PROXIES``. Role and area still come from the access file.
- **open** (no access file): the demo, or a warehouse served with ``--open``; everyone sees
  everything and every page says so.
"""

from __future__ import annotations

import html
import os
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import quote, urlsplit

from flask import Flask, Response, current_app, redirect, request, session
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user

from dashboard.i18n import t
from dashboard.look import LABEL, SIGNIN_COMPONENTS, heading, vendored_css
from data_pipeline.access import AccessFile, User, scope_of
from data_pipeline.audit import AuditLog
from data_pipeline.warehouse import Scope

TRUSTED_HEADER_ENV = "ONDERMIJNINGSBEELD_TRUSTED_HEADER"
TRUSTED_PROXIES_ENV = "ONDERMIJNINGSBEELD_TRUSTED_PROXIES"
IDLE_ENV = "ONDERMIJNINGSBEELD_IDLE_MINUTES"
TLS_ENV = "ONDERMIJNINGSBEELD_TLS"
REDIS_ENV = "REDIS_URL"
#: Reachable without signing in: the form itself and the static files it and Dash load.
PUBLIC_PREFIXES = ("/login", "/assets/", "/_dash-component-suites/", "/favicon.ico")
#: Paths that are pages (a browser navigating): redirected to the form instead of 401.
PAGE_PREFIXES = ("/kaart", "/gemeente", "/eigen-gegevens")
SIGNIN_LIMITS = "10 per minute"


class _Account(UserMixin):
    def __init__(self, user: User):
        self.user = user

    def get_id(self) -> str:
        return self.user.name


@dataclass
class Gate:
    """The viewer of the current request. ``access=None``: open to everyone (``note`` says how)."""

    access: AccessFile | None = None
    audit: AuditLog | None = None
    note: str | None = None                 # i18n key of the banner of an open server
    trusted_header: str | None = None
    trusted_proxies: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def from_environment(cls, access: AccessFile, audit: AuditLog) -> "Gate":
        proxies = os.environ.get(TRUSTED_PROXIES_ENV, "")
        return cls(access=access, audit=audit, trusted_header=os.environ.get(TRUSTED_HEADER_ENV) or None,
                   trusted_proxies=frozenset(p.strip() for p in proxies.split(",") if p.strip()))

    @property
    def signs_in(self) -> bool:
        return self.access is not None

    def user(self) -> User | None:
        if not self.signs_in:
            return None
        return current_user.user if current_user.is_authenticated else None

    def scope(self) -> Scope:
        """What the viewer of this request may see (nothing when signing in is needed and
        nobody is signed in: the guard has already refused such a request)."""
        if not self.signs_in:
            return Scope.everything()
        user = self.user()
        return scope_of(user) if user else Scope.inside()

    def record(self, action: str, obj: str = "", result: str = "ok", user: str | None = None) -> None:
        if self.audit is None:
            return
        viewer = self.user()
        self.audit.append(user=user or (viewer.name if viewer else "-"), role=viewer.role if viewer else "-",
                          scope=self.scope().describe(), action=action, object=obj,
                          address=request.remote_addr or "", result=result)

    def install(self, server: Flask) -> None:
        """Sign-in, sign-out and the guard, on the Flask server under Dash."""
        if not self.signs_in:
            return
        server.secret_key = self.access.secret_key
        # The cookie's flags (HttpOnly, SameSite=Strict, Secure behind TLS) are set with the
        # other security headers, in dashboard.app._harden.
        server.config.update(
            PERMANENT_SESSION_LIFETIME=timedelta(minutes=int(os.environ.get(IDLE_ENV) or 30)),
            SESSION_REFRESH_EACH_REQUEST=True, REMEMBER_COOKIE_DURATION=timedelta(0))
        manager = LoginManager(server)
        manager.session_protection = "strong"

        @manager.user_loader
        def load(name: str):
            user = self.access.get(name)
            return _Account(user) if user else None

        @manager.request_loader
        def from_proxy(req):
            if not self.trusted_header or _peer(req) not in self.trusted_proxies:
                return None
            user = self.access.get(req.headers.get(self.trusted_header, "").strip().lower())
            return _Account(user) if user else None

        # Shared by every worker and instance when REDIS_URL is set, else per process.
        limiter = Limiter(get_remote_address, app=server, storage_uri=os.environ.get(REDIS_ENV) or "memory://",
                          default_limits=[], headers_enabled=False)

        @server.before_request
        def guard():
            if request.path.startswith(PUBLIC_PREFIXES) or current_user.is_authenticated:
                return None
            if self.trusted_header and request.headers.get(self.trusted_header):
                self.record("signin", request.headers.get(self.trusted_header, "")[:64], "denied",
                            user=request.headers.get(self.trusted_header, "-")[:64])
            if request.method == "GET" and (request.path == "/" or request.path.startswith(PAGE_PREFIXES)):
                return redirect("/login?next=" + _quote_next(request.full_path))
            return Response("sign in first\n", status=401, mimetype="text/plain",
                            headers={"WWW-Authenticate": 'FormBased realm="ondermijningsbeeld"'})

        def username_key() -> str:
            return "user:" + (request.form.get("username") or "")[:64].strip().lower()

        @server.route("/login", methods=["GET", "POST"])
        @limiter.limit(SIGNIN_LIMITS, methods=["POST"])
        @limiter.limit(SIGNIN_LIMITS, key_func=username_key, methods=["POST"])
        def signin():
            lang = "en" if request.args.get("taal") == "en" else "nl"
            target = _safe_next(request.args.get("next"))
            if request.method == "GET":
                return _form(lang, target)
            name = (request.form.get("username") or "")[:64].strip().lower()
            user = self.access.verify(name, (request.form.get("password") or "")[:1024])
            if user is None:
                self.record("signin", name, "failed", user=name or "-")
                return _form(lang, target, error=t("signin.failed", lang)), 401
            login_user(_Account(user))
            session.permanent = True
            self.record("signin", name, "ok", user=name)
            return redirect(target)

        @server.errorhandler(429)
        def too_many(_err):
            name = (request.form.get("username") or "")[:64].strip().lower()
            self.record("signin", name, "denied", user=name or "-")
            lang = "en" if request.args.get("taal") == "en" else "nl"
            return _form(lang, "/", error=t("signin.too_many", lang)), 429

        @server.route("/logout")
        def signout():
            self.record("signout")
            logout_user()
            return redirect("/login")


def _peer(req) -> str | None:
    """The address that connected to us (the proxy itself, also after ProxyFix put the client's
    address in ``remote_addr``)."""
    return req.environ.get("werkzeug.proxy_fix.orig", {}).get("REMOTE_ADDR", req.remote_addr)


def _safe_next(target: str | None) -> str:
    """Only a path on this server (never another host) to return to after signing in."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return "/"
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else "/"


def _quote_next(path: str) -> str:
    return quote(path.rstrip("?"), safe="")


def _form(lang: str, target: str, error: str | None = None) -> Response:
    """The sign-in page: a plain form, no script, under the page header of the dashboard (the
    organisation, when one is configured, and the product name)."""
    message = f'<p class="signin-error" role="alert">{html.escape(error)}</p>' if error else ""
    organisation = current_app.config.get("ORGANISATION") or ""
    brand = f'<p class="organisation">{html.escape(organisation)}</p>' if organisation else ""
    styles = "".join(f'<link rel="stylesheet" href="/assets/{name}">'
                     for name in (*map(vendored_css, SIGNIN_COMPONENTS), "style.css"))
    textbox = "utrecht-textbox utrecht-textbox--html-input"
    button = "utrecht-button utrecht-button--primary-action utrecht-button--submit"
    body = f"""<!DOCTYPE html>
<html lang="{lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(t("signin.title", lang))} — {html.escape(t("app.title", lang))}</title>
{styles}</head>
<body class="signin"><header class="utrecht-page-header header">
<div class="utrecht-page-header__content header-content"><div class="header-brand">{brand}<h1 class="product-name {heading(1)}">{html.escape(t("app.title", lang))}</h1></div>
</div></header>
<main class="signin-box">
<h2 class="{heading(2)}">{html.escape(t("signin.title", lang))}</h2>{message}
<form method="post" action="/login?next={quote(target, safe='')}{'&amp;taal=en' if lang == 'en' else ''}">
<label class="{LABEL}" for="username">{html.escape(t("signin.username", lang))}</label>
<input class="{textbox}" id="username" name="username" autocomplete="username" required maxlength="64" autofocus>
<label class="{LABEL}" for="password">{html.escape(t("signin.password", lang))}</label>
<input class="{textbox} utrecht-textbox--password" id="password" name="password" type="password"
 autocomplete="current-password" required maxlength="1024">
<button class="{button}" type="submit">{html.escape(t("signin.submit", lang))}</button>
</form></main></body></html>"""
    return Response(body, mimetype="text/html")
