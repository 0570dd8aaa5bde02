"""``python app.py users …`` and ``python app.py kiosk …``: accounts of a store (a contract: extend, never break).

- ``users add NAME --role ROLE [--station ID]`` (password: one line on stdin)
- ``users token NAME`` (prints a new API token alone on its last line)
- ``users list``, ``users disable NAME``, ``users enable NAME``, ``users revoke-tokens NAME``
- ``kiosk create --scope all|STATION`` (prints the kiosk URL path), ``kiosk list``, ``kiosk revoke ID``
- ``audit [--limit N] [--event E]``

Each takes ``--db PATH`` (the store whose accounts it manages; default the demo store) and works while the
dashboard serves (the accounts file is SQLite in WAL mode; the store itself is only read).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import duckdb

import queries
from auth.accounts import ROLES, AccountError, Accounts

DEFAULT_DB = Path("data/demo.duckdb")


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    if not args.db.exists():
        print(f"error: {args.db}: no store here", file=sys.stderr)
        return 2
    try:
        return args.handler(Accounts(args.db), args)
    except AccountError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python app.py", description="accounts of a store")
    sub = parser.add_subparsers(dest="group", required=True)
    users = sub.add_parser("users", help="dashboard users and their API tokens").add_subparsers(dest="cmd",
                                                                                            required=True)
    add = users.add_parser("add", help="add a user (password: one line on stdin)")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=ROLES)
    add.add_argument("--station", help="the station id of a station_chief")
    add.set_defaults(handler=cmd_add)
    for name, handler, text in (("token", cmd_token, "print a new API token"),
                                ("disable", cmd_disable, "disable a user (sessions and tokens stop at once)"),
                                ("enable", cmd_enable, "enable a disabled user"),
                                ("revoke-tokens", cmd_revoke_tokens, "revoke all API tokens of a user")):
        p = users.add_parser(name, help=text)
        p.add_argument("name")
        p.set_defaults(handler=handler)
    users.add_parser("list", help="list users").set_defaults(handler=cmd_list)

    kiosk = sub.add_parser("kiosk", help="wall-display links").add_subparsers(dest="cmd", required=True)
    create = kiosk.add_parser("create", help="create a kiosk link (prints its URL path)")
    create.add_argument("--scope", required=True, help="all, or a station id")
    create.set_defaults(handler=cmd_kiosk_create)
    kiosk.add_parser("list", help="list kiosk links").set_defaults(handler=cmd_kiosk_list)
    revoke = kiosk.add_parser("revoke", help="revoke a kiosk link: its displays lose access at once")
    revoke.add_argument("id", type=int)
    revoke.set_defaults(handler=cmd_kiosk_revoke)

    audit = sub.add_parser("audit", help="print the newest audit entries")
    audit.add_argument("--limit", type=int, default=50)
    audit.add_argument("--event")
    audit.set_defaults(handler=cmd_audit)
    for p in (*users.choices.values(), *kiosk.choices.values(), audit):
        p.add_argument("--db", type=Path, default=DEFAULT_DB)
    return parser


def cmd_add(accounts: Accounts, args) -> int:
    if args.station is not None and args.station not in store_stations(args.db):
        raise AccountError(f"no station {args.station!r} in {args.db}")
    password = sys.stdin.readline().rstrip("\r\n")
    user = accounts.add_user(args.name, args.role, password, args.station)
    print(f"added {user.name} ({user.role}{' ' + user.station_id if user.station_id else ''})")
    return 0


def cmd_token(accounts: Accounts, args) -> int:
    token = accounts.new_api_token(args.name)
    print(f"API token for {args.name} (shown once; send it as 'Authorization: Bearer <token>'):")
    print(token)
    return 0


def cmd_list(accounts: Accounts, args) -> int:
    for user in accounts.users():
        state = "disabled" if user.disabled else "active"
        print(f"{user.name}\t{user.role}\t{user.station_id or '-'}\t{state}")
    return 0


def cmd_disable(accounts: Accounts, args) -> int:
    accounts.set_disabled(args.name, True)
    print(f"disabled {args.name}")
    return 0


def cmd_enable(accounts: Accounts, args) -> int:
    accounts.set_disabled(args.name, False)
    print(f"enabled {args.name}")
    return 0


def cmd_revoke_tokens(accounts: Accounts, args) -> int:
    print(f"revoked {accounts.revoke_api_tokens(args.name)} token(s) of {args.name}")
    return 0


def cmd_kiosk_create(accounts: Accounts, args) -> int:
    if args.scope != "all" and args.scope not in store_stations(args.db):
        raise AccountError(f"scope must be 'all' or a station id of {args.db}, not {args.scope!r}")
    kiosk_id, token = accounts.new_kiosk(args.scope)
    print(f"kiosk link {kiosk_id} (scope {args.scope}); open this path on the display's browser:")
    print(f"/kiosk/{token}")
    return 0


def cmd_kiosk_list(accounts: Accounts, args) -> int:
    for kiosk_id, scope, created, revoked in accounts.kiosks():
        print(f"{kiosk_id}\t{scope}\tcreated {created}\t{'revoked ' + revoked if revoked else 'active'}")
    return 0


def cmd_kiosk_revoke(accounts: Accounts, args) -> int:
    accounts.revoke_kiosk(args.id)
    print(f"revoked kiosk link {args.id}")
    return 0


def cmd_audit(accounts: Accounts, args) -> int:
    for row in accounts.audit_entries(args.limit, args.event):
        print("\t".join("" if v is None else str(v) for v in row))
    return 0


def store_stations(db: Path) -> set[str]:
    """Station ids of the store (read-only: the dashboard may be serving it)."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {sid for sid, _name in queries.run(con, "station_list", stations=None, scope=None).fetchall()}
    finally:
        con.close()
