"""Users, API tokens, kiosk tokens and the audit log of one store.

They live in a SQLite file beside the DuckDB store (``demo.duckdb`` → ``demo.auth.sqlite``), not in it:
the store is read-only to the web app and replaced whole by every ingest, while logins, token use and
denied requests are written by every web worker at any moment. SQLite in WAL mode lets several processes
write small rows concurrently, and the command line manages users while the dashboard serves.

Secrets are never stored: passwords as argon2id hashes, tokens as SHA-256 of 256-bit random values (a
slow hash adds nothing to a random token and would cost every API request).
"""
from __future__ import annotations

import hashlib
import secrets
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

ROLES = ("leader", "planner", "station_chief", "admin")
API_TOKEN_PREFIX = "gis_"
# Failed logins per user name within the window before further attempts for that name are refused, and per
# client address (higher: a station's computers may share one address behind NAT, and one person's typos
# must not lock out the rest; it still stops one machine from spraying passwords over many names).
MAX_FAILED_LOGINS = 5
MAX_FAILED_LOGINS_PER_ADDRESS = 30
FAILED_LOGIN_WINDOW = timedelta(minutes=15)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    name          TEXT PRIMARY KEY,
    role          TEXT NOT NULL,       -- leader | planner | station_chief | admin
    station_id    TEXT,                -- the station of a station_chief
    password_hash TEXT NOT NULL,       -- argon2id
    disabled      INTEGER NOT NULL DEFAULT 0,
    session_epoch INTEGER NOT NULL DEFAULT 0,   -- bumped on disable / password change: ends open sessions
    created_at    TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS api_tokens (
    id           INTEGER PRIMARY KEY,
    token_sha256 TEXT UNIQUE NOT NULL,
    user_name    TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    revoked_at   TEXT
);
CREATE TABLE IF NOT EXISTS kiosk_tokens (
    id           INTEGER PRIMARY KEY,
    token_sha256 TEXT UNIQUE NOT NULL,
    scope        TEXT NOT NULL,        -- 'all' or a station id
    created_at   TEXT NOT NULL,
    revoked_at   TEXT
);
CREATE TABLE IF NOT EXISTS audit_log (
    id      INTEGER PRIMARY KEY,
    at      TEXT NOT NULL,             -- local time of the server, ISO seconds
    event   TEXT NOT NULL,             -- login | logout | kiosk | token_use | export | denied
    outcome TEXT NOT NULL,             -- ok | failed | throttled | revoked | forbidden ...
    actor   TEXT,                      -- user name, kiosk:<id> or token:<id>; NULL when unknown
    ip      TEXT,
    path    TEXT,
    detail  TEXT
);
CREATE INDEX IF NOT EXISTS audit_at ON audit_log (at);
CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""
_hasher = PasswordHasher()


class AccountError(ValueError):
    """A user-management request that cannot be done (unknown user, bad role, ...)."""


@dataclass(frozen=True)
class User:
    name: str
    role: str
    station_id: str | None
    disabled: bool
    session_epoch: int


@dataclass(frozen=True)
class Kiosk:
    id: int
    scope: str          # 'all' or a station id
    revoked: bool


def accounts_path(store: str | Path) -> Path:
    """The accounts file that belongs to a store."""
    store = Path(store)
    return store.with_name(store.stem + ".auth.sqlite")


class Accounts:
    """The accounts file of a store; one instance per process is enough (connections are per call)."""

    def __init__(self, store: str | Path):
        self.path = accounts_path(store)
        with self._connect() as con:
            con.execute("PRAGMA journal_mode=WAL")
            con.executescript(_SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        # A short-lived connection per call: safe across threads and forked workers.
        con = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        con.execute("PRAGMA busy_timeout=10000")
        return con

    def _one(self, query: str, params=()) -> tuple | None:
        with self._connect() as con:
            return con.execute(query, params).fetchone()

    def _all(self, query: str, params=()) -> list[tuple]:
        with self._connect() as con:
            return con.execute(query, params).fetchall()

    def _write(self, query: str, params=()) -> int:
        with self._connect() as con:
            return con.execute(query, params).rowcount

    # -- settings ------------------------------------------------------------------------------------------
    def secret_key(self) -> str:
        """The key that signs session and kiosk cookies, made once and shared by every worker."""
        self._write("INSERT OR IGNORE INTO settings VALUES ('secret_key', ?)", (secrets.token_hex(32),))
        return self._one("SELECT value FROM settings WHERE key = 'secret_key'")[0]

    # -- users ---------------------------------------------------------------------------------------------
    def add_user(self, name: str, role: str, password: str, station_id: str | None = None) -> User:
        if role not in ROLES:
            raise AccountError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
        if (role == "station_chief") != (station_id is not None):
            raise AccountError("a station_chief needs --station, and only a station_chief has one")
        if not name or not name.strip() or len(password) < 8:
            raise AccountError("a user needs a name and a password of at least 8 characters")
        try:
            self._write("INSERT INTO users (name, role, station_id, password_hash, created_at) VALUES (?,?,?,?,?)",
                        (name, role, station_id, _hasher.hash(password), _now()))
        except sqlite3.IntegrityError:
            raise AccountError(f"user {name!r} exists already") from None
        return self.user(name)

    def user(self, name: str) -> User | None:
        row = self._one("SELECT name, role, station_id, disabled, session_epoch FROM users WHERE name = ?", (name,))
        return User(row[0], row[1], row[2], bool(row[3]), row[4]) if row else None

    def users(self) -> list[User]:
        rows = self._all("SELECT name, role, station_id, disabled, session_epoch FROM users ORDER BY name")
        return [User(r[0], r[1], r[2], bool(r[3]), r[4]) for r in rows]

    def set_disabled(self, name: str, disabled: bool = True) -> None:
        """Disable (or enable) a user: open sessions end at their next request, tokens stop working."""
        if not self._write("UPDATE users SET disabled = ?, session_epoch = session_epoch + 1 WHERE name = ?",
                           (int(disabled), name)):
            raise AccountError(f"no user {name!r}")

    def check_password(self, name: str, password: str) -> User | None:
        """The user, if the password is theirs and they are enabled."""
        row = self._one("SELECT password_hash FROM users WHERE name = ?", (name,))
        if row is None:
            _hasher.hash(password)          # the same work as for a real user: no timing hint
            return None
        try:
            _hasher.verify(row[0], password)
        except (VerificationError, InvalidHashError):
            return None
        user = self.user(name)
        return None if user.disabled else user

    # -- API tokens ----------------------------------------------------------------------------------------
    def new_api_token(self, name: str) -> str:
        """A new bearer token for the user (shown once; only its hash is kept)."""
        if self.user(name) is None:
            raise AccountError(f"no user {name!r}")
        token = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
        self._write("INSERT INTO api_tokens (token_sha256, user_name, created_at) VALUES (?,?,?)",
                    (_sha256(token), name, _now()))
        return token

    def token_user(self, token: str) -> tuple[int, User] | None:
        """(token id, user) of a valid token of an enabled user."""
        row = self._one("SELECT id, user_name FROM api_tokens WHERE token_sha256 = ? AND revoked_at IS NULL",
                        (_sha256(token),))
        user = self.user(row[1]) if row else None
        return (row[0], user) if user and not user.disabled else None

    def revoke_api_tokens(self, name: str) -> int:
        return self._write("UPDATE api_tokens SET revoked_at = ? WHERE user_name = ? AND revoked_at IS NULL",
                           (_now(), name))

    # -- kiosk tokens --------------------------------------------------------------------------------------
    def new_kiosk(self, scope: str) -> tuple[int, str]:
        """(id, token) of a new kiosk link for a wall display; scope 'all' or a station id."""
        token = secrets.token_urlsafe(32)
        with self._connect() as con:
            cur = con.execute("INSERT INTO kiosk_tokens (token_sha256, scope, created_at) VALUES (?,?,?)",
                              (_sha256(token), scope, _now()))
            return cur.lastrowid, token

    def kiosk_by_token(self, token: str) -> Kiosk | None:
        row = self._one("SELECT id, scope, revoked_at FROM kiosk_tokens WHERE token_sha256 = ?", (_sha256(token),))
        return Kiosk(row[0], row[1], row[2] is not None) if row else None

    def kiosk(self, kiosk_id: int) -> Kiosk | None:
        row = self._one("SELECT id, scope, revoked_at FROM kiosk_tokens WHERE id = ?", (kiosk_id,))
        return Kiosk(row[0], row[1], row[2] is not None) if row else None

    def kiosks(self) -> list[tuple]:
        return self._all("SELECT id, scope, created_at, revoked_at FROM kiosk_tokens ORDER BY id")

    def revoke_kiosk(self, kiosk_id: int) -> None:
        if not self._write("UPDATE kiosk_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                           (_now(), kiosk_id)):
            raise AccountError(f"no active kiosk link {kiosk_id}")

    # -- audit ---------------------------------------------------------------------------------------------
    def audit(self, event: str, outcome: str, actor: str | None = None, ip: str | None = None,
              path: str | None = None, detail: str | None = None) -> None:
        self._write("INSERT INTO audit_log (at, event, outcome, actor, ip, path, detail) VALUES (?,?,?,?,?,?,?)",
                    (_now(), event, outcome, actor, ip, path, detail))

    def audit_entries(self, limit: int = 200, event: str | None = None) -> list[tuple]:
        """The newest audit entries: (at, event, outcome, actor, ip, path, detail)."""
        return self._all("SELECT at, event, outcome, actor, ip, path, detail FROM audit_log "
                         "WHERE ? IS NULL OR event = ? ORDER BY id DESC LIMIT ?", (event, event, limit))

    def login_throttled(self, name: str, ip: str | None) -> bool:
        """Too many failed logins for this user name, or from this address, within the window."""
        since = (datetime.now() - FAILED_LOGIN_WINDOW).isoformat(timespec="seconds")
        by_name, by_ip = self._one(
            "SELECT count(*) FILTER (WHERE actor = ?), count(*) FILTER (WHERE ip = ?) FROM audit_log "
            "WHERE event = 'login' AND outcome = 'failed' AND at >= ?", (name, ip, since))
        return by_name >= MAX_FAILED_LOGINS or by_ip >= MAX_FAILED_LOGINS_PER_ADDRESS


# The demo store's accounts (README, "Demo users"): one per role and one chief per station, all with this
# password. Only build-demo creates them, and only in the demo store's accounts file.
DEMO_PASSWORD = "demo-pass-2026"
DEMO_USERS = (("admin", "admin"), ("leader", "leader"), ("planner", "planner"))


def demo_chief_name(station_id: str) -> str:
    """chief-01 for station 511181-01."""
    return "chief-" + station_id.rsplit("-", 1)[-1]


def create_demo_users(store: str | Path, station_ids: list[str]) -> list[str]:
    """The documented demo users (those not there yet); returns the names created."""
    accounts = Accounts(store)
    wanted = [(name, role, None) for name, role in DEMO_USERS]
    wanted += [(demo_chief_name(sid), "station_chief", sid) for sid in station_ids]
    created = []
    for name, role, station in wanted:
        if accounts.user(name) is None:
            accounts.add_user(name, role, DEMO_PASSWORD, station)
            created.append(name)
    return created


def _sha256(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _now() -> str:
    return datetime.now().isoformat(timespec="seconds")
