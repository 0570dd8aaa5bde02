"""`build-demo`: the embedded Emeishan scenario, loaded through the same stages as any ingest."""
from __future__ import annotations

import hashlib
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from auth.accounts import create_demo_users
from data_pipeline import store
from data_pipeline.ingest import ingest_frames
from data_pipeline.kinds import kind

# Boundaries first: every later point gets its station on load.
DEMO_KINDS = ("boundaries", "roads", "places", "cameras", "checkpoints", "patrols", "incidents")


def build_demo(db: Path, seed: int = 7, scale: float = 1.0, anchor: date | None = None, progress=None) -> None:
    """Build the demo store at ``db`` from scratch (replacing any store there) atomically.

    With an explicit ``anchor`` the scenario runs to the end of that day and is deterministic for
    (seed, scale, anchor). Without one it is anchored today (bureau time) and cut at the moment of the
    build, so that a live-looking store has no incident in the future.
    """
    from data_pipeline.demo import generate_scenario

    now = datetime.now(ZoneInfo(store.DEFAULT_TIMEZONE)).replace(tzinfo=None)
    cutoff = None if anchor else now
    anchor = anchor or now.date()
    scenario = generate_scenario(seed=seed, scale=scale, anchor=anchor)
    fingerprint = hashlib.sha256(f"demo:{seed}:{scale}:{anchor}".encode()).hexdigest()
    task = progress.add_task("build demo", total=len(DEMO_KINDS)) if progress else None
    with store.writing(db, fresh=True) as con:
        store.set_meta(con, "scenario", f"emeishan seed={seed} scale={scale} anchor={anchor}")
        for name in DEMO_KINDS:
            if progress:
                progress.update(task, description=f"build demo: {name}")
            ingest_frames(con, kind(name), _frames(scenario, name, cutoff), f"demo:{name}", fingerprint)
            if progress:
                progress.advance(task)
    create_demo_users(db, sorted(scenario.boundaries.loc[scenario.boundaries["level"] == "station", "id"]))


def _frames(scenario, name: str, cutoff: datetime | None):
    frames = scenario.iter_incidents() if name == "incidents" else [getattr(scenario, name)]
    column = {"incidents": "occurred_at", "patrols": "ts"}.get(name)
    if cutoff is None or column is None:
        return frames
    return (frame[frame[column] <= cutoff] for frame in frames)
