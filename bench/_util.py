"""Shared bench helpers: timing, peak memory of a child process, result records."""
from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from pathlib import Path

OUT = Path(__file__).parent / "out"


def run_measured(args: list[str]) -> tuple[float, float]:
    """Run a command; return (seconds, peak RSS in MiB of the process tree it started)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - start
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    # ru_maxrss of children is the largest child so far; bench runs the measured child first.
    return seconds, max(peak_kib, before) / 1024


def pipeline(*args: str) -> list[str]:
    return [sys.executable, "-m", "data_pipeline", *args]


def record(name: str, figures: dict) -> None:
    """Print a result line and keep it as JSON in bench/out/."""
    OUT.mkdir(exist_ok=True)
    (OUT / f"{name}.json").write_text(json.dumps(figures, indent=2, default=str))
    print(f"[{name}] " + "  ".join(f"{k}={v}" for k, v in figures.items()), flush=True)


def timed(fn, repeat: int = 1) -> float:
    """Best wall time of ``repeat`` calls, in seconds."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best
