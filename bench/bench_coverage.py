"""Camera coverage (issue 5): point-in-sector, the coverage raster, the pipeline stage, the recommender.

Each figure beside its peer in the same run: shapely (STRtree over sector polygons) for point-in-sector, and
pysal spopt's exact MCLP (CBC) for the recommender on an instance it can solve.
"""
from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import shapely

from analysis.coverage import CameraSectors, covered_fine_cells, points_in_sectors, sector_polygons
from analysis.placement import candidate_poses, recommend_cameras
from bench._util import pipeline, record, run_measured, timed

POINTS = int(os.environ.get("BENCH_COVERAGE_POINTS", "1000000"))
SCALE = os.environ.get("BENCH_COVERAGE_SCALE", "1")


def demo_cameras(db: Path) -> pd.DataFrame:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute("SELECT lat, lon, kind, azimuth_deg, fov_deg, range_m FROM cameras WHERE located").df()


def points_near(cameras: pd.DataFrame, n: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Points scattered around the cameras (±300 m), so most candidate pairs are real work."""
    rng = np.random.default_rng(seed)
    pick = rng.integers(0, len(cameras), n)
    lat = cameras["lat"].to_numpy()[pick] + rng.normal(0, 0.0027, n)
    lon = cameras["lon"].to_numpy()[pick] + rng.normal(0, 0.0031, n)
    return lat, lon


def shapely_peer(sectors: CameraSectors, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    polygons = sector_polygons(sectors)
    tree = shapely.STRtree(shapely.points(lon, lat))
    inside = np.zeros(len(lat), dtype=bool)
    for polygon in polygons:
        inside[tree.query(polygon, predicate="intersects")] = True
    return inside


def bench_point_in_sector(cameras: pd.DataFrame) -> dict:
    sectors = CameraSectors.from_frame(cameras)
    lat, lon = points_near(cameras, POINTS)
    ours_s = timed(lambda: points_in_sectors(sectors, lat, lon), repeat=3)
    ours = points_in_sectors(sectors, lat, lon)
    peer_n = min(POINTS, 200_000)                     # the peer is slow: a fifth of the points, scaled
    peer_s = timed(lambda: shapely_peer(sectors, lat[:peer_n], lon[:peer_n])) * POINTS / peer_n
    agree = float((shapely_peer(sectors, lat[:peer_n], lon[:peer_n]) == ours[:peer_n]).mean())
    raster_s = timed(lambda: covered_fine_cells(sectors), repeat=3)
    return {"cameras": len(sectors), "points": POINTS, "in_sight": int(ours.sum()),
            "point_in_sector_s": round(ours_s, 3), "points_per_s": round(POINTS / ours_s),
            "shapely_strtree_s_scaled": round(peer_s, 2), "ratio": round(peer_s / ours_s, 1),
            "agreement_with_polygons": round(agree, 5), "res12_raster_s": round(raster_s, 3)}


def bench_recommender(cameras: pd.DataFrame) -> dict:
    """A 30-site instance spopt solves exactly, and a demo-sized one timed alone."""
    import pulp
    from spopt.locate import MCLP

    rng = np.random.default_rng(3)
    centre = cameras[["lat", "lon"]].median().to_numpy()
    sites = pd.DataFrame({"lat": centre[0] + rng.normal(0, 0.002, 30), "lon": centre[1] + rng.normal(0, 0.002, 30)})
    poses = candidate_poses(sites, kind="video", headings=8)
    lat, lon = centre[0] + rng.normal(0, 0.002, 400), centre[1] + rng.normal(0, 0.002, 400)
    start = time.perf_counter()
    ours = recommend_cameras(poses, lat, lon, 6)
    ours_s = time.perf_counter() - start
    from analysis.coverage import sector_point_matrix
    from analysis.placement import poses_to_sectors
    covers = sector_point_matrix(poses_to_sectors(poses), lat, lon).toarray()
    cost = np.where(covers.T, 0.0, 1.0)            # clients × facilities: covered when cost <= the radius
    start = time.perf_counter()
    model = MCLP.from_cost_matrix(cost, np.ones(len(lat)), service_radius=0.5, p_facilities=6)
    for members in poses.groupby("site").indices.values():   # at most one pose per site, as ours
        model.problem += pulp.lpSum(model.fac_vars[i] for i in members) <= 1
    model.solve(pulp.PULP_CBC_CMD(msg=False))
    exact_s = time.perf_counter() - start
    optimum = round(pulp.value(model.problem.objective))
    # The demo-sized run: every camera position as a site (8 headings), 100,000 incident-like points.
    big_lat, big_lon = points_near(cameras, 100_000, seed=4)
    big_poses = candidate_poses(cameras[["lat", "lon"]].head(1500).reset_index(drop=True), kind="video")
    big_s = timed(lambda: recommend_cameras(big_poses, big_lat, big_lon, 50))
    return {"small_sites": 30, "small_poses": len(poses), "small_points": 400, "n": 6,
            "ours_covered": int(ours.covered_after), "optimum": optimum,
            "share_of_optimum": round(ours.covered_after / optimum, 4), "ours_s": round(ours_s, 3),
            "spopt_mclp_cbc_s": round(exact_s, 2), "ratio": round(exact_s / ours_s, 1),
            "large_poses": len(big_poses), "large_points": 100_000, "large_n": 50, "large_s": round(big_s, 2)}


def main() -> None:
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_TMP")) as tmp:
        db = Path(tmp) / "demo.duckdb"
        build_s, peak_mib, _ = run_measured(pipeline("build-demo", "--db", str(db), "--scale", SCALE, "--seed", "3"))
        cameras = demo_cameras(db)
        record("coverage_point_in_sector", bench_point_in_sector(cameras) | {"demo_build_s": round(build_s, 1)})
        record("coverage_recommender", bench_recommender(cameras))


if __name__ == "__main__":
    main()
