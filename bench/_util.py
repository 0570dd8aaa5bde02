"""Shared bench helpers: timing, peak memory of a child process, result records."""
from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

OUT = Path(__file__).parent / "out"


def run_measured(args: list[str]) -> tuple[float, float, str]:
    """Run a command; return (seconds, its peak RSS in MiB, its stdout)."""
    start = time.perf_counter()
    proc = subprocess.run(["/usr/bin/time", "-f", "%M", *args], check=True, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    # GNU time writes the peak resident set (KiB) as the last line of stderr.
    peak_kib = int(proc.stderr.strip().splitlines()[-1])
    return seconds, peak_kib / 1024, proc.stdout


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
