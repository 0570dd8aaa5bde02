"""Login, sessions, kiosk links, bearer tokens, the audit trail and security headers for the Flask server.

Every request is authenticated before anything else runs (``before_request``): a bearer token, else the
session cookie of a login, else a wall display's kiosk cookie. The caller becomes ``g.principal``; the pages
and the API read the store only through ``scoped_store()``, which hands out connections bound to the
principal's stations (see ``queries.ScopedConnection``), so the scope is applied where data is read.
"""
from __future__ import annotations

import os
import secrets
from datetime import timedelta
from urllib.parse import urlencode, urlsplit

from flask import Flask, Response, abort, current_app, g, jsonify, redirect, request, session
from itsdangerous import BadSignature, URLSafeSerializer

from auth.accounts import Accounts
from auth.login_page import denied_page, login_page
from auth.principal import DATA_ROLES, Principal
from queries import ScopeDenied

KIOSK_COOKIE = "gis_kiosk"
# Browsers cap cookie lifetimes at 400 days; a display that loses it simply opens its link again.
KIOSK_COOKIE_DAYS = 400
# A working shift: a login lasts this long, then the user logs in again.
SESSION_HOURS = 12
# Served to everyone: the login form and its styles, Dash's own scripts, the liveness probe.
PUBLIC_PREFIXES = ("/login", "/kiosk/", "/assets/", "/_dash-component-suites/", "/_favicon.ico",
                   "/api/v1/health")


def install(server: Flask, accounts: Accounts, csp) -> None:
    """Wire authentication, authorisation, CSRF checks, the audit trail and security headers into ``server``.

    ``csp()`` gives the Content-Security-Policy for a response.
    """
    server.config.update(
        ACCOUNTS=accounts, SECRET_KEY=accounts.secret_key(), CSP=csp,
        SESSION_COOKIE_NAME="gis_session", SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
        # Behind the bureau's HTTPS proxy, cookies must never travel in clear: GIS_SECURE_COOKIES=1.
        SESSION_COOKIE_SECURE=os.environ.get("GIS_SECURE_COOKIES") == "1",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=SESSION_HOURS))
    server.before_request(authenticate)
    server.after_request(security_headers)
    server.add_url_rule("/login", "login", login, methods=["GET", "POST"])
    server.add_url_rule("/logout", "logout", logout, methods=["POST"])
    server.add_url_rule("/kiosk/<token>", "kiosk", open_kiosk)
    server.register_error_handler(ScopeDenied, scope_denied)
    server.register_error_handler(PermissionError, forbidden)


def accounts() -> Accounts:
    return current_app.config["ACCOUNTS"]


def current_principal() -> Principal | None:
    return g.get("principal")


def scoped_store():
    """A store connection limited to what the current caller may read."""
    principal = current_principal()
    if principal is None:
        abort(401)
    return current_app.config["STORE_READER"].cursor(principal.stations)


def audit(event: str, outcome: str, detail: str | None = None, actor: str | None = None) -> None:
    principal = current_principal()
    accounts().audit(event, outcome, actor or (principal.name if principal else None), request.remote_addr,
                     request.path, detail)


# -- who is asking -----------------------------------------------------------------------------------------
def authenticate():
    g.principal = principal_from_bearer() or principal_from_session() or principal_from_kiosk()
    if request.method not in ("GET", "HEAD", "OPTIONS") and not same_origin():
        audit("denied", "cross_origin", request.headers.get("Origin"))
        return _error(403, "cross-origin request refused")
    if request.path.startswith(PUBLIC_PREFIXES):
        return None
    if g.principal is None:
        if request.authorization is not None:
            return _error(401, "invalid or revoked token")
        if request.path.startswith(("/api/", "/_dash-")):
            return _error(401, "authentication required")
        return redirect("/login?" + urlencode({"next": request.full_path.rstrip("?")}))
    return authorise(g.principal)


def principal_from_bearer() -> Principal | None:
    auth = request.authorization
    if auth is None or auth.type != "bearer" or not auth.token:
        return None
    found = accounts().token_user(auth.token)
    if found is None:
        accounts().audit("token_use", "failed", None, request.remote_addr, request.path)
        return None
    token_id, user = found
    principal = Principal(user.name, user.role, user.station_id, via="token")
    accounts().audit("token_use", "ok", user.name, request.remote_addr, request.full_path, f"token {token_id}")
    return principal


def principal_from_session() -> Principal | None:
    name = session.get("user")
    if name is None:
        return None
    user = accounts().user(name)
    if user is None or user.disabled or user.session_epoch != session.get("epoch"):
        session.pop("user", None)
        return None
    return Principal(user.name, user.role, user.station_id)


def principal_from_kiosk() -> Principal | None:
    signed = request.cookies.get(KIOSK_COOKIE)
    if not signed:
        return None
    try:
        kiosk_id = _kiosk_signer().loads(signed)
    except BadSignature:
        return None
    kiosk = accounts().kiosk(kiosk_id)
    if kiosk is None or kiosk.revoked:
        return None
    return Principal(f"kiosk:{kiosk.id}", "kiosk", None if kiosk.scope == "all" else kiosk.scope, via="kiosk")


def authorise(principal: Principal):
    """Page and API permissions by role (the data itself is limited by scope wherever it is read)."""
    path = request.path
    if path.startswith("/api/"):
        if principal.role not in DATA_ROLES:
            audit("denied", "forbidden", f"role {principal.role}")
            return _error(403, "this account does not read incident data")
        return None
    if path.startswith("/_dash-") or principal.may_open(path):
        return None
    if principal.role == "kiosk" or path == "/":
        return redirect(principal.home)
    audit("denied", "forbidden", f"page {path} for role {principal.role}")
    return Response(denied_page(_lang()), status=403, mimetype="text/html")


def same_origin() -> bool:
    """Requests that change state must come from our own pages (an Origin header, where sent, says so)."""
    origin = request.headers.get("Origin")
    if origin is None:
        return True
    return urlsplit(origin).netloc == request.host


# -- login, logout, kiosk ----------------------------------------------------------------------------------
def login():
    lang = _lang()
    if request.method == "GET":
        session.setdefault("csrf", secrets.token_urlsafe(24))
        return login_page(lang, session["csrf"], _next())
    if not secrets.compare_digest(request.form.get("csrf", ""), session.get("csrf", "")):
        audit("login", "csrf")
        return Response(login_page(lang, _new_csrf(), _next(), "error_csrf"), status=400, mimetype="text/html")
    name, password = request.form.get("username", "").strip(), request.form.get("password", "")
    if accounts().login_throttled(name, request.remote_addr):
        audit("login", "throttled", actor=name)
        return Response(login_page(lang, _new_csrf(), _next(), "error_throttled"), status=429,
                        mimetype="text/html")
    user = accounts().check_password(name, password)
    if user is None:
        audit("login", "failed", actor=name)
        return Response(login_page(lang, _new_csrf(), _next(), "error_login"), status=401, mimetype="text/html")
    session.clear()
    session.permanent = True
    session.update(user=user.name, epoch=user.session_epoch, csrf=secrets.token_urlsafe(24))
    audit("login", "ok", actor=user.name)
    return redirect(_next() or Principal(user.name, user.role).home)


def logout():
    if not secrets.compare_digest(request.form.get("csrf", ""), session.get("csrf", "")):
        return _error(400, "missing or wrong CSRF token")
    audit("logout", "ok")
    session.clear()
    response = redirect("/login")
    response.delete_cookie(KIOSK_COOKIE)
    return response


def open_kiosk(token: str):
    kiosk = accounts().kiosk_by_token(token)
    if kiosk is None or kiosk.revoked:
        audit("kiosk", "revoked" if kiosk else "unknown", actor=f"kiosk:{kiosk.id}" if kiosk else None)
        return Response(denied_page(_lang()), status=403, mimetype="text/html")
    audit("kiosk", "ok", f"scope {kiosk.scope}", actor=f"kiosk:{kiosk.id}")
    response = redirect("/wall")
    response.set_cookie(KIOSK_COOKIE, _kiosk_signer().dumps(kiosk.id), max_age=KIOSK_COOKIE_DAYS * 86400,
                        httponly=True, samesite="Lax",
                        secure=request.is_secure or current_app.config["SESSION_COOKIE_SECURE"])
    return response


def scope_denied(err: ScopeDenied):
    """A request for data outside the caller's scope (a forged callback, API call or export)."""
    audit("denied", "scope", str(err))
    return _error(403, "outside your jurisdiction")


def forbidden(err: PermissionError):
    """A role reading what it may not (e.g. the audit log by a non-administrator, through a forged callback)."""
    audit("denied", "forbidden", str(err))
    return _error(403, "not allowed for this account")


def csrf_token() -> str:
    """The session's CSRF token, for forms the pages render (logout)."""
    return session.setdefault("csrf", secrets.token_urlsafe(24))


# -- responses ---------------------------------------------------------------------------------------------
def security_headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", current_app.config["CSP"]())
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    # same-origin, not no-referrer: with no-referrer Chrome sends "Origin: null" on our own form posts.
    response.headers["Referrer-Policy"] = "same-origin"
    if request.path.startswith(("/login", "/kiosk/", "/api/", "/_dash-")):
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def _error(status: int, message: str) -> Response:
    response = jsonify(error=message)
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="gis"'
    return response


def _kiosk_signer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="kiosk")


def _new_csrf() -> str:
    session["csrf"] = secrets.token_urlsafe(24)
    return session["csrf"]


def _next() -> str | None:
    """Where to go after login: a path on this site only (never another host)."""
    target = request.values.get("next", "")
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else None


def _lang() -> str:
    return "en" if request.values.get("lang") == "en" else "zh"
