"""A map layer is data, not a class tree: what it reads, how the browser styles it, its legend."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Layer:
    """One map layer.

    ``style`` names the JavaScript style function in ``assets/map.js`` (``window.gis.<style>``) that
    colours a feature from ``hideout``; ``colors`` are its classes, light to dark (or diverging).
    """

    name: str
    title_key: str                 # i18n key of the title
    legend_key: str                # i18n key of the legend caption
    query: str                     # the queries/*.sql file it reads
    metric: str                    # the feature property that is coloured
    style: str
    colors: tuple[str, ...]


# Sequential yellow→red and a diverging blue↔red: readable on the light workspace and the dark wall.
HEAT_COLORS = ("#fee391", "#fec44f", "#fe9929", "#ec7014", "#cc4c02", "#8c2d04")
CHANGE_COLORS = ("#2166ac", "#67a9cf", "#d1e5f0", "#fddbc7", "#ef8a62", "#b2182b")
