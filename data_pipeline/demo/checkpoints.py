"""Checkpoints on the two protective rings.

The urban ring (城区圈) carries Emeishan's "4 stations, 8 posts, 2 points" (4站8岗2点) where
roads cross it, busiest roads first.  The county ring (县际圈) carries vehicle checkpoints
(卡口) where roads enter the county; a few entries are deliberately left open so the
ring-leak analysis has something to find.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from ._common import bearing_deg, substream, xy_to_lonlat
from .geography import COUNTY_RING_NAME, URBAN_RING_NAME, Geography
from .roads import CLASS_RANK, RoadNetwork

URBAN_RING_LAYOUT = (("station", 4, "routine", "查报站"),  # staffed always
                     ("post", 8, "emergency", "治安岗"),  # staffed from the emergency level up
                     ("point", 2, "wartime", "卡点"))  # staffed only in wartime duty
MIN_CHECKPOINT_SPACING_M = 300.0  # one road crossing twice within 300 m needs one checkpoint
SAME_JUNCTION_M = 50.0  # two roads crossing the ring within 50 m share a junction
ENTRY_TOUCH_M = 1.0  # a road "enters the county" if it reaches the outline within 1 m
# County-ring coverage: busy roads are covered except one deliberate leak; half the
# township roads are covered; tracks never are.
COVERED_CLASSES = ("motorway", "trunk", "primary", "secondary")
TERTIARY_COVER_SHARE = 0.5
DELIBERATE_LEAKS = 1


@dataclass(frozen=True)
class Crossing:
    """A road crossing a ring line (metres)."""

    xy: tuple[float, float]
    road_name: str
    road_class: str
    bearing_deg: float


@dataclass(frozen=True)
class Checkpoint:
    """A staffed or equipped control point on a ring."""

    id: str
    name: str
    ring: str
    kind: str
    duty: str
    crossing: Crossing


def ring_crossings(net: RoadNetwork, ring_line: BaseGeometry, road_mask: np.ndarray) -> list[Crossing]:
    """Points where the selected road segments cross a ring line, at most one per junction."""
    idx = np.where(road_mask & shapely.intersects(net.geometry, ring_line))[0]
    found: list[Crossing] = []
    for i in sorted(idx, key=lambda k: (CLASS_RANK[net.road_class[k]], net.name[k], k)):
        seg = net.geometry[i]
        for pt in shapely.get_parts(seg.intersection(ring_line)):
            if pt.geom_type != "Point" or _too_close(found, pt, str(net.name[i])):
                continue
            found.append(Crossing((pt.x, pt.y), str(net.name[i]), str(net.road_class[i]),
                                  _bearing_at(seg, pt)))
    return found


def _too_close(found: list[Crossing], pt, road_name: str) -> bool:
    for c in found:
        limit = MIN_CHECKPOINT_SPACING_M if c.road_name == road_name else SAME_JUNCTION_M
        if np.hypot(c.xy[0] - pt.x, c.xy[1] - pt.y) < limit:
            return True
    return False


def _bearing_at(seg: BaseGeometry, pt) -> float:
    d = seg.project(pt)
    a = seg.interpolate(max(0.0, d - 5.0))
    b = seg.interpolate(min(seg.length, d + 5.0))
    return float(bearing_deg(b.x - a.x, b.y - a.y))


def urban_ring_checkpoints(geo: Geography, net: RoadNetwork) -> list[Checkpoint]:
    """The 4 stations, 8 posts and 2 points on the urban ring, busiest crossings first."""
    ring_line = geo.ring(URBAN_RING_NAME).geometry.boundary
    crossings = ring_crossings(net, ring_line, net.road_class != "motorway")
    needed = sum(n for _, n, _, _ in URBAN_RING_LAYOUT)
    if len(crossings) < needed:
        raise ValueError(f"only {len(crossings)} roads cross the urban ring, {needed} needed")
    out, k = [], 0
    for kind, count, duty, label in URBAN_RING_LAYOUT:
        for crossing in crossings[k:k + count]:
            k += 1
            out.append(Checkpoint(f"CK-U{k:02d}", f"{URBAN_RING_NAME}{crossing.road_name}{label}",
                                  URBAN_RING_NAME, kind, duty, crossing))
    return out


def county_entries(geo: Geography, net: RoadNetwork) -> list[Crossing]:
    """Where roads coming in over the county line cross the county ring, one per entry.

    A winding road may cross the ring line several times; only the crossing nearest to
    the point where the road meets the county line is its entry.
    """
    border = geo.outline.boundary
    ring_line = geo.ring(COUNTY_RING_NAME).geometry.boundary
    touching = np.where(shapely.dwithin(net.geometry, border, ENTRY_TOUCH_M))[0]
    entries: list[Crossing] = []
    for i in touching:
        name = str(net.name[i])
        candidates = ring_crossings(net, ring_line, net.name == name)
        if not candidates:
            continue
        touch = shapely.shortest_line(net.geometry[i], border).coords[0]
        best = min(candidates, key=lambda c: np.hypot(c.xy[0] - touch[0], c.xy[1] - touch[1]))
        if not _too_close(entries, shapely.Point(best.xy), name):
            entries.append(best)
    return sorted(entries, key=lambda c: (CLASS_RANK[c.road_class], c.road_name))


def county_ring_checkpoints(geo: Geography, net: RoadNetwork, seed: int) -> list[Checkpoint]:
    """Vehicle checkpoints (卡口) at county entries, leaving a few entries uncovered."""
    rng = substream(seed, "checkpoints")
    entries = county_entries(geo, net)
    busy = [i for i, c in enumerate(entries) if c.road_class in COVERED_CLASSES]
    leaks = set(rng.choice([i for i in busy if entries[i].road_class != "motorway"],
                           size=DELIBERATE_LEAKS, replace=False).tolist())
    out = []
    for i, crossing in enumerate(entries):
        covered = (i in busy and i not in leaks) or (
            crossing.road_class == "tertiary" and rng.random() < TERTIARY_COVER_SHARE)
        if covered:
            out.append(Checkpoint(f"CK-C{len(out) + 1:02d}", f"{COUNTY_RING_NAME}{crossing.road_name}卡口",
                                  COUNTY_RING_NAME, "vehicle", "routine", crossing))
    return out


def build_checkpoints(geo: Geography, net: RoadNetwork, seed: int) -> list[Checkpoint]:
    """All checkpoints, urban ring first.

    Parameters
    ----------
    geo, net : Geography, RoadNetwork
        Rings and roads the checkpoints sit on.
    seed : int
        Scenario seed (chooses the deliberate leaks).
    """
    return urban_ring_checkpoints(geo, net) + county_ring_checkpoints(geo, net, seed)


def checkpoints_frame(checkpoints: list[Checkpoint]) -> pd.DataFrame:
    """The public ``checkpoints`` frame."""
    xy = np.array([c.crossing.xy for c in checkpoints])
    lon, lat = xy_to_lonlat(xy[:, 0], xy[:, 1])
    return pd.DataFrame({"id": [c.id for c in checkpoints], "name": [c.name for c in checkpoints],
                         "lat": lat, "lon": lon, "ring": [c.ring for c in checkpoints],
                         "kind": [c.kind for c in checkpoints], "duty": [c.duty for c in checkpoints]})
