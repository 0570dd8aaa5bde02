"""H3 indexing rate: our vectorised path (h3ronpy, threaded) next to h3-py's scalar loop, same points."""
from __future__ import annotations

import h3
import numpy as np

from bench._util import record, timed
from data_pipeline.h3cells import latlng_to_cells

POINTS = 5_000_000
# The scalar loop is ~100x slower; a sample keeps the run short and the rate is per point anyway.
SCALAR_SAMPLE = 500_000


def main() -> None:
    rng = np.random.default_rng(1)
    lat = rng.uniform(29.3, 29.8, POINTS)
    lon = rng.uniform(103.1, 103.7, POINTS)
    ours = timed(lambda: latlng_to_cells(lat, lon, 15), repeat=3)
    scalar = timed(lambda: [h3.latlng_to_cell(a, b, 15) for a, b in zip(lat[:SCALAR_SAMPLE], lon[:SCALAR_SAMPLE])])
    ours_rate = POINTS / ours
    scalar_rate = SCALAR_SAMPLE / scalar
    record("h3_indexing", {
        "points": POINTS, "ours_M_per_s": round(ours_rate / 1e6, 2),
        "h3py_scalar_M_per_s": round(scalar_rate / 1e6, 2), "ratio": round(ours_rate / scalar_rate, 1),
    })


if __name__ == "__main__":
    main()
