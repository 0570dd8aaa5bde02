"""``python -m data_pipeline``: build-demo, ingest, report, export (the CLI is a contract: extend, never break).

An ingest runs the stages in order, on a private copy of the store that replaces it only on success:
read → normalise → quarantine → dedupe → index (WGS84, H3, jurisdictions) → load → aggregate.
"""
from __future__ import annotations

import argparse
import json
import sys
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from analysis.rings import COVER_DISTANCE_M
from data_pipeline import store
from data_pipeline.export import (
    SHARE_MIN_COUNT,
    parse_when,
    split_list,
    write_blind_spots_csv,
    write_cells_csv,
    write_coverage_csv,
    write_plan_csv,
    write_reach_csv,
    write_response_times_csv,
    write_ring_leaks_csv,
    write_stations_csv,
)
from data_pipeline.h3cells import MAP_RESOLUTIONS
from data_pipeline.ingest import ingest_file
from data_pipeline.kinds import CAMERA_KINDS, DUTY_LEVELS, KINDS, kind
from data_pipeline.mapping import MappingError, load_mapping
from data_pipeline.read import SourceError
from data_pipeline.report import REPORT_FIELDS, reconciles, store_report
from layers.coverage import BLIND_RES, blind_spot_table, coverage_table, plan_cameras
from layers.patrols import reach_table, response_times
from layers.rings import ring_analysis, rings
from queries import ScopedConnection
from queries.incidents import EARLIEST, LATEST, IncidentFilter, cell_counts, station_counts

DEFAULT_DB = Path("data/demo.duckdb")
console = Console(stderr=True)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except (SourceError, MappingError, ValueError, FileNotFoundError) as err:
        console.print(f"[bold red]error:[/] {err}")
        return 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m data_pipeline", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("build-demo", help="build the embedded demo scenario (Emeishan)")
    demo.add_argument("--db", type=Path, default=DEFAULT_DB)
    demo.add_argument("--scale", type=float, default=1.0, help="multiplies incident volume (100 ≈ 10 M)")
    demo.add_argument("--seed", type=int, default=7)
    demo.add_argument("--anchor", help="last day of the scenario (ISO date; default today)")
    demo.set_defaults(handler=cmd_build_demo)

    ingest = sub.add_parser("ingest", help="load source files of one kind")
    ingest.add_argument("kind", choices=list(KINDS))
    ingest.add_argument("files", nargs="+", type=Path)
    ingest.add_argument("--db", type=Path, default=DEFAULT_DB)
    ingest.add_argument("--mapping", type=Path)
    ingest.add_argument("--crs", help="wgs84 (default), gcj02, bd09 or EPSG:nnnn")
    ingest.add_argument("--json", action="store_true", help="print the summary as JSON on stdout")
    ingest.set_defaults(handler=cmd_ingest)

    report = sub.add_parser("report", help="rows read, loaded, rejected ... per kind")
    report.add_argument("--db", type=Path, default=DEFAULT_DB)
    report.add_argument("--json", action="store_true")
    report.set_defaults(handler=cmd_report)

    upgrade = sub.add_parser("upgrade", help="bring a store written by an earlier version up to date")
    upgrade.add_argument("--db", type=Path, default=DEFAULT_DB)
    upgrade.set_defaults(handler=cmd_upgrade)

    export = sub.add_parser("export", help="export aggregates as CSV")
    export_sub = export.add_subparsers(dest="what", required=True)
    cells = export_sub.add_parser("cells", help="incidents per H3 cell")
    cells.add_argument("--resolution", type=int, required=True)
    cells.add_argument("--suppress-small", action="store_true",
                       help=f'for sharing: cells with fewer than {SHARE_MIN_COUNT} incidents as "<{SHARE_MIN_COUNT}"')
    stations = export_sub.add_parser("stations", help="incidents per station")
    for p in (cells, stations):
        p.add_argument("--db", type=Path, default=DEFAULT_DB)
        p.add_argument("--from", dest="from_", help="inclusive ISO date or timestamp (occurred_at)")
        p.add_argument("--to", help="exclusive ISO date or timestamp")
        p.add_argument("--category", action="append", help="canonical category; repeat or comma-separate")
        p.add_argument("--station", action="append", help="station id; repeat or comma-separate")
        p.add_argument("--out", type=Path, required=True)
    cells.set_defaults(handler=cmd_export_cells)
    stations.set_defaults(handler=cmd_export_stations)

    coverage = export_sub.add_parser("coverage", help="camera coverage and incidents in sight per H3 cell")
    coverage.add_argument("--resolution", type=int, required=True, choices=MAP_RESOLUTIONS)
    blind = export_sub.add_parser("blind-spots", help="blind spots (盲区) ranked by priority")
    blind.add_argument("--resolution", type=int, default=BLIND_RES, choices=MAP_RESOLUTIONS)
    blind.add_argument("--top", type=int, help="only the K highest-ranked")
    for p in (coverage, blind):
        _period_options(p)
    coverage.set_defaults(handler=cmd_export_coverage)
    blind.set_defaults(handler=cmd_export_blind_spots)

    leaks = export_sub.add_parser("ring-leaks", help="ring entries without a staffed checkpoint (漏洞)")
    leaks.add_argument("--db", type=Path, default=DEFAULT_DB)
    leaks.add_argument("--ring", help="one ring by name (default: every ring)")
    leaks.add_argument("--duty", default="routine", choices=DUTY_LEVELS, help="duty mode in force")
    leaks.add_argument("--distance-m", type=float, default=COVER_DISTANCE_M,
                       help="a staffed checkpoint within this distance of the crossing covers it")
    leaks.add_argument("--out", type=Path, required=True)
    leaks.set_defaults(handler=cmd_export_ring_leaks)

    response = export_sub.add_parser("response-times", help="actual response times per station or category")
    response.add_argument("--by", choices=("station", "category"), default="station")
    _period_options(response, categories=False)
    response.set_defaults(handler=cmd_export_response_times)

    reach = export_sub.add_parser("reach", help="1-3-5 minute reach per H3 cell at a moment")
    reach.add_argument("--db", type=Path, default=DEFAULT_DB)
    reach.add_argument("--at", required=True, help="ISO timestamp (local time): where the units were")
    reach.add_argument("--resolution", type=int, required=True, choices=MAP_RESOLUTIONS)
    reach.add_argument("--out", type=Path, required=True)
    reach.set_defaults(handler=cmd_export_reach)

    plan = sub.add_parser("plan", help="planning tools")
    plan_sub = plan.add_subparsers(dest="what", required=True)
    cams = plan_sub.add_parser("cameras", help="where N new cameras would see the most incidents (布点建议)")
    cams.add_argument("--n", type=int, required=True)
    cams.add_argument("--kind", default="video", choices=CAMERA_KINDS, help="camera kind (its default FOV/range)")
    cams.add_argument("--range-m", type=float)
    cams.add_argument("--fov-deg", type=float)
    _period_options(cams)
    cams.set_defaults(handler=cmd_plan_cameras)
    return parser


def _period_options(p: argparse.ArgumentParser, categories: bool = True) -> None:
    p.add_argument("--db", type=Path, default=DEFAULT_DB)
    p.add_argument("--from", dest="from_", help="inclusive ISO date or timestamp (occurred_at)")
    p.add_argument("--to", help="exclusive ISO date or timestamp")
    if categories:
        p.add_argument("--category", action="append", help="canonical category; repeat or comma-separate")
    p.add_argument("--out", type=Path, required=True)


def cmd_ingest(args) -> int:
    spec = kind(args.kind)
    mapping = load_mapping(args.mapping, spec)
    results = []
    with _progress() as progress, store.writing(args.db) as con:
        task = progress.add_task(f"ingest {spec.name}", total=len(args.files))
        for path in args.files:
            progress.update(task, description=f"ingest {spec.name}: {path.name}")
            results.append(ingest_file(con, spec, path, mapping, args.crs))
            progress.advance(task)
    if args.json:
        print(json.dumps([r.as_dict() for r in results], ensure_ascii=False, indent=2))
    else:
        _print_ingest_summary(results)
    return 0


def cmd_build_demo(args) -> int:
    from data_pipeline.build_demo import build_demo

    with _progress() as progress:
        build_demo(args.db, seed=args.seed, scale=args.scale,
                   anchor=parse_when(args.anchor, None).date() if args.anchor else None, progress=progress)
    return cmd_report(argparse.Namespace(db=args.db, json=False))


def cmd_upgrade(args) -> int:
    from data_pipeline.upgrade import upgrade

    done = upgrade(args.db)
    console.print("\n".join(f"upgraded: {step}" for step in done) or "the store is up to date")
    return 0


def cmd_report(args) -> int:
    con = store.read_only(args.db)
    try:
        report = store_report(con)
    finally:
        con.close()
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        _print_report(report, args.db)
    return 0 if report["ok"] else 1


def cmd_export_cells(args) -> int:
    with _operator_store(args.db) as con:
        rows = cell_counts(con, args.resolution, _filter(args))
    n = write_cells_csv(rows, args.out, SHARE_MIN_COUNT if args.suppress_small else None)
    console.print(f"{n} cells, {sum(r[1] for r in rows)} incidents → {args.out}")
    return 0


def cmd_export_stations(args) -> int:
    with _operator_store(args.db) as con:
        rows = station_counts(con, _filter(args))
    n = write_stations_csv(rows, args.out)
    console.print(f"{n} stations, {sum(r[2] for r in rows)} incidents → {args.out}")
    return 0


def cmd_export_coverage(args) -> int:
    with _operator_store(args.db) as con:
        table = coverage_table(con, args.resolution, _filter(args))
    n = write_coverage_csv(table, args.out)
    console.print(f"{n} cells, {table['incidents'].sum()} incidents, {table['covered_incidents'].sum()} in sight "
                  f"of an online camera → {args.out}")
    return 0


def cmd_export_blind_spots(args) -> int:
    with _operator_store(args.db) as con:
        ranked = blind_spot_table(con, _filter(args), args.resolution, args.top)
    n = write_blind_spots_csv(ranked, args.out)
    console.print(f"{n} blind spots → {args.out}")
    return 0


def cmd_export_ring_leaks(args) -> int:
    with _operator_store(args.db) as con:
        if args.ring is not None and args.ring not in rings(con):
            raise ValueError(f"no ring {args.ring!r} in {args.db}; rings: {', '.join(rings(con)) or 'none'}")
        analysis = ring_analysis(con, args.duty, args.distance_m, args.ring)
    write_ring_leaks_csv(analysis.leaks, args.out)
    summary = {r.ring: {"entries": int(r.entries), "covered": int(r.covered), "leaks": int(r.leaks)}
               for r in analysis.summary.itertuples()}
    print(json.dumps({"duty": args.duty, "distance_m": args.distance_m, "rings": summary}, ensure_ascii=False))
    return 0


def cmd_export_response_times(args) -> int:
    flt = IncidentFilter(parse_when(args.from_, EARLIEST), parse_when(args.to, LATEST))
    with _operator_store(args.db) as con:
        table = response_times(con, args.by, flt)
    n = write_response_times_csv(table, args.out)
    console.print(f"{n} groups; left out: {int(table['left_out_missing'].sum())} without arrival or start time, "
                  f"{int(table['left_out_negative'].sum())} arriving before the report → {args.out}")
    return 0


def cmd_export_reach(args) -> int:
    at = parse_when(args.at, None)
    with _operator_store(args.db) as con:
        table = reach_table(con, at, args.resolution, include_unreached=True)
    n = write_reach_csv(table, args.out)
    reached = int((table["band"] > 0).sum())
    console.print(f"{n} cells on the road network, {reached} within 5 minutes at {at} → {args.out}")
    return 0


def cmd_plan_cameras(args) -> int:
    if args.n < 1:
        raise ValueError("--n must be at least 1")
    with _operator_store(args.db) as con:
        placement = plan_cameras(con, _filter(args), args.n, args.kind, args.range_m, args.fov_deg)
    write_plan_csv(placement.cameras, args.out)
    print(json.dumps(placement.summary() | {"cameras": len(placement.cameras), "out": str(args.out)}))
    return 0


@contextmanager
def _operator_store(db: Path):
    con = store.read_only(db)
    try:
        yield operator(con)
    finally:
        con.close()


def operator(con) -> ScopedConnection:
    """The command line serves the operator of the server, who may read the whole store."""
    return ScopedConnection(con, None)


def _filter(args) -> IncidentFilter:
    return IncidentFilter(parse_when(args.from_, EARLIEST), parse_when(args.to, LATEST),
                          split_list(args.category), split_list(getattr(args, "station", None)))


def _progress() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                    TimeElapsedColumn(), console=console, transient=True, disable=not console.is_terminal)


def _print_ingest_summary(results) -> None:
    out = Console()
    for r in results:
        out.print(f"[bold]{r.kind}[/] ← {r.source_file}")
        if r.skipped:
            out.print(f"  {r.skipped}")
            continue
        out.print("  " + "  ".join(f"{f} {getattr(r, f):,}" for f in REPORT_FIELDS))
        out.print("  seconds: " + "  ".join(f"{stage} {s:.1f}" for stage, s in r.seconds.items()))
        for reason, n in r.rejected_by_reason.items():
            out.print(f"  rejected {reason}: {n:,} (see the quarantine table)")


def _print_report(report: dict, db: Path) -> None:
    table = Table(title=f"store report: {db}")
    for column in ("kind", *REPORT_FIELDS, "ok"):
        table.add_column(column, justify="left" if column == "kind" else "right")
    for name, c in report["kinds"].items():
        table.add_row(name, *(f"{c[f]:,}" for f in REPORT_FIELDS), "yes" if reconciles(c) else "NO")
    out = Console(width=max(Console().width, 110))
    out.print(table)
    for name, c in report["kinds"].items():
        for reason, n in c["rejected_by_reason"].items():
            out.print(f"{name}: rejected {reason}: {n:,}")
    out.print(f"located incidents with a station: {report['incidents_with_station']:,}; "
              f"without: {report['incidents_located_without_station']:,}")


if __name__ == "__main__":
    sys.exit(main())
