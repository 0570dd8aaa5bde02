"""A terrain index for the demo: 0 in the Emeishan plain, 1 deep in the mountains.

The index is not an elevation model; it only steers densities (villages, roads, cameras,
incidents) so that the west and south-west mountains are sparse and the north-east plain
and the urban core are dense, as they are in reality.
"""

from __future__ import annotations

import numpy as np

from ._common import latlon_to_xy
from .gazetteer import MOUNTAIN_MASSES

# West of this easting the ground rises towards the mountains (≈ 103.42°E, the line
# 高桥 - 报国寺 - 龙池 where the plain ends).
_PLAIN_WEST_EDGE_XY = latlon_to_xy(29.55, 103.42)
# Over this distance (m) west of the plain edge the index ramps from 0 to 1.
MOUNTAIN_RAMP_M = 10_000.0
# South of this northing (≈ 29.45°N, below 乐都) the southern ranges begin.
_PLAIN_SOUTH_EDGE_XY = latlon_to_xy(29.45, 103.45)
SOUTH_RAMP_M = 9_000.0

_MASSES_XY = np.array([(*latlon_to_xy(lat, lon), sigma_km * 1_000.0)
                       for lat, lon, sigma_km in MOUNTAIN_MASSES])


def mountain_index(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Terrain index in [0, 1] at metric points (0 = plain, 1 = high mountain).

    Parameters
    ----------
    x, y : array_like
        UTM 48N eastings and northings in metres.

    Returns
    -------
    numpy.ndarray
        The index, the maximum of Gaussian mountain masses and two linear ramps.
    """
    x = np.atleast_1d(np.asarray(x, float))
    y = np.atleast_1d(np.asarray(y, float))
    west = np.clip((_PLAIN_WEST_EDGE_XY[0] - x) / MOUNTAIN_RAMP_M, 0.0, 1.0)
    south = np.clip((_PLAIN_SOUTH_EDGE_XY[1] - y) / SOUTH_RAMP_M, 0.0, 1.0)
    index = np.maximum(west, south)
    for mx, my, sigma in _MASSES_XY:
        bump = np.exp(-((x - mx) ** 2 + (y - my) ** 2) / (2.0 * sigma**2))
        index = np.maximum(index, bump)
    return index


def plain_weight(x: np.ndarray, y: np.ndarray, floor: float = 0.15) -> np.ndarray:
    """Acceptance weight for settlement-like features: 1 in the plain, ``floor`` on peaks."""
    return floor + (1.0 - floor) * (1.0 - mountain_index(x, y))
