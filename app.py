"""Composition root: `python app.py [--db PATH]`.

The dashboard arrives with its issue; until then this makes sure a store exists (building the demo
scenario when none does) and prints its ingest report.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from data_pipeline.__main__ import DEFAULT_DB
from data_pipeline.__main__ import main as pipeline


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=DEFAULT_DB)
    args = parser.parse_args(argv)
    if not args.db.exists():
        status = pipeline(["build-demo", "--db", str(args.db)])
        if status:
            return status
    return pipeline(["report", "--db", str(args.db)])


if __name__ == "__main__":
    sys.exit(main())
