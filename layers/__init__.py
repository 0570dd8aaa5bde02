"""Map layers: a registry keyed by name; a new layer is one module plus one line here."""
from layers.base import Layer
from layers.heatmap import CHANGE, INCIDENTS

LAYERS: dict[str, Layer] = {layer.name: layer for layer in (INCIDENTS, CHANGE)}
