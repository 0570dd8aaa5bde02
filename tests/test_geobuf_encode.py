"""The column-wise geobuf encoder writes exactly what geobuf's reference encoder writes."""
import geobuf
import numpy as np
import pytest

from data_pipeline.h3cells import latlng_to_cells
from layers.geobuf_encode import varints
from layers.hexes import feature_collection, hexagons_geobuf, to_geobuf


def emeishan_cells(n_points: int, res: int, seed: int = 3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    lat, lon = 29.5 + rng.random(n_points) * 0.2, 103.3 + rng.random(n_points) * 0.3
    return np.unique(latlng_to_cells(lat, lon, res))


@pytest.mark.parametrize("res", [7, 10])
def test_hexagons_encode_byte_for_byte_like_the_reference(res):
    cells = emeishan_cells(5000, res)
    rng = np.random.default_rng(res)
    # Zero, negative and multi-byte varints: the change column of a comparison has all of them.
    props = {"incidents": rng.integers(0, 100_000, len(cells)), "change": rng.integers(-70_000, 300, len(cells))}
    ours = hexagons_geobuf(cells, props)
    assert ours == to_geobuf(feature_collection(cells, props))
    decoded = geobuf.decode(ours)
    assert len(decoded["features"]) == len(cells)
    assert decoded["features"][0]["properties"]["change"] == int(props["change"][0])


def test_no_hexagons_is_an_empty_collection():
    assert geobuf.decode(hexagons_geobuf(np.empty(0, dtype=np.int64), {"incidents": np.empty(0)}))["features"] == []


def test_varints_match_protobuf_encoding():
    values = np.array([0, 1, 127, 128, 300, 2**35 + 5, 2**64 - 1], dtype=np.uint64)
    flat, sizes = varints(values)
    expected = [_varint(int(v)) for v in values]
    assert sizes.tolist() == [len(e) for e in expected]
    assert flat.tobytes() == b"".join(expected)


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)
