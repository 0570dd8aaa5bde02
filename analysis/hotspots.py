"""Hotspot statistics over cell counts: comparison with a baseline, colour classes, the hottest cells."""
from __future__ import annotations

import numpy as np

# Classes for a count map: the upper bounds of quantile classes are snapped to readable numbers.
_NICE_STEPS = (1, 2, 3, 5, 10, 15, 20, 30, 50, 75, 100, 150, 200, 300, 500, 750, 1000, 2000, 5000, 10000)


def compare_counts(current: tuple[np.ndarray, np.ndarray],
                   baseline: tuple[np.ndarray, np.ndarray]) -> dict[str, np.ndarray]:
    """Cells of either period (each given as unique cells, counts) with current, baseline and change."""
    cells = np.union1d(current[0], baseline[0]).astype(np.int64)
    now, before = _counts_on(cells, *current), _counts_on(cells, *baseline)
    return {"cell": cells, "incidents": now, "baseline": before, "change": now - before}


def _counts_on(cells: np.ndarray, known: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """``counts`` placed on the sorted ``cells`` (0 where a cell is not among ``known``)."""
    out = np.zeros(len(cells), dtype=np.int64)
    out[np.searchsorted(cells, known)] = counts
    return out


def count_breaks(values: np.ndarray, classes: int = 6) -> list[float]:
    """Upper bounds of ``classes`` colour classes for counts: quantiles snapped to readable steps."""
    values = np.asarray(values, dtype=float)
    values = values[values > 0]
    if len(values) == 0:
        return [1.0]
    quantiles = np.quantile(values, np.linspace(0, 1, classes + 1)[1:])
    breaks: list[float] = []
    for q in quantiles:
        step = float(next((s for s in _NICE_STEPS if s >= q), q))
        if not breaks or step > breaks[-1]:
            breaks.append(step)
    return breaks


def change_breaks(changes: np.ndarray) -> list[float]:
    """Symmetric bounds for a diverging palette, from the largest absolute change (snapped)."""
    changes = np.abs(np.asarray(changes, dtype=float))
    top = float(np.quantile(changes, 0.95)) if len(changes) else 1.0
    top = float(next((s for s in _NICE_STEPS if s >= top), top))
    return [-top, -top / 2, -top / 6, top / 6, top / 2, top]


def hottest(cells: np.ndarray, counts: np.ndarray, top: int = 10) -> list[tuple[int, int]]:
    """The ``top`` cells by count, ties by cell id."""
    order = np.lexsort((cells, -counts))[:top]
    return [(int(cells[i]), int(counts[i])) for i in order]
