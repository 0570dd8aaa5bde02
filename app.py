"""Composition root: ``python app.py [--db PATH] [--host H] [--port N] [--workers N]``.

Builds the Dash app (pages from ``pages/``, the read API from ``api/``, sign-in from ``auth/``) over a store,
and serves it with gunicorn. Without ``--db`` and without a demo store, the demo store is built first.
``python app.py users|kiosk|audit …`` manages the store's accounts (see ``auth/cli.py``).
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from urllib.parse import urlsplit

import dash
from flask_compress import Compress

from api.routes import api
from auth.accounts import Accounts
from auth.cli import main as accounts_cli
from auth.web import install
from data_pipeline.__main__ import DEFAULT_DB
from data_pipeline.__main__ import main as pipeline
from data_pipeline.upgrade import upgrade
from layers.reader import StoreReader

ACCOUNT_COMMANDS = ("users", "kiosk", "audit")
# Gunicorn workers: DuckDB queries release the GIL, so two cores serve well with a few processes.
DEFAULT_WORKERS = 3


def create_app(db: str | Path = DEFAULT_DB) -> dash.Dash:
    """The Dash app over the store at ``db``; its Flask server is ``app.server``."""
    app = dash.Dash(__name__, use_pages=True, pages_folder="pages", serve_locally=True, compress=False,
                    title="治安态势感知", update_title=None, suppress_callback_exceptions=True)
    app.server.config["STORE_READER"] = StoreReader(db)
    app.server.config["TILE_URL"] = os.environ.get("GIS_TILE_URL", "")   # intranet tiles; off by default
    app.server.register_blueprint(api)
    Compress(app.server)
    app.layout = dash.html.Div([dash.page_container])
    # Dash adds inline scripts (clientside callbacks of the pages) while it sets itself up at the first
    # request, so the policy is computed per response rather than now.
    install(app.server, Accounts(db), lambda: content_security_policy(app, app.server.config["TILE_URL"]))
    return app


def content_security_policy(app: dash.Dash, tile_url: str) -> str:
    """Only our own origin (and the bureau's intranet tile server, when one is configured).

    Dash's index page runs two small inline scripts: they are allowed by their hashes, nothing else inline.
    Inline styles stay allowed: Dash components and Leaflet set element styles at run time.
    """
    tiles = urlsplit(tile_url.replace("{s}", "a")) if tile_url else None
    tile_origin = f" {tiles.scheme}://{tiles.netloc}" if tiles and tiles.netloc else ""
    scripts = " ".join(app.csp_hashes())          # each already quoted: 'sha256-…'
    return ("default-src 'self'; "
            f"script-src 'self' {scripts}; style-src 'self' 'unsafe-inline'; "
            f"img-src 'self' data: blob:{tile_origin}; font-src 'self' data:; connect-src 'self'; "
            "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")


def serve(db: Path, host: str, port: int, workers: int) -> None:
    from gunicorn.app.base import BaseApplication

    class _Server(BaseApplication):
        def load_config(self):
            for key, value in {"bind": f"{host}:{port}", "workers": workers, "timeout": 120,
                               "accesslog": None, "graceful_timeout": 5,
                               # one control socket per host would be shared by every instance
                               "control_socket_disable": True}.items():
                self.cfg.set(key, value)

        def load(self):
            return create_app(db).server

    # DuckDB's import-time default connection starts threads that do not survive gunicorn's fork:
    # close it in the master so workers start (and stop) clean.
    import duckdb

    duckdb.default_connection().close()
    print(f"dashboard: http://{'127.0.0.1' if host in ('0.0.0.0', '') else host}:{port}/", flush=True)
    _Server().run()


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in ACCOUNT_COMMANDS:
        return accounts_cli(argv)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=DEFAULT_DB)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8050)
    parser.add_argument("--workers", type=int, default=DEFAULT_WORKERS)
    args = parser.parse_args(argv)
    if not args.db.exists():
        if args.db != DEFAULT_DB:
            print(f"error: {args.db}: no store here", file=sys.stderr)
            return 2
        status = pipeline(["build-demo", "--db", str(args.db)])
        if status:
            return status
    for step in upgrade(args.db):
        print(f"store upgraded: {step}", flush=True)
    serve(args.db, args.host, args.port, args.workers)
    return 0


if __name__ == "__main__":
    sys.exit(main())
