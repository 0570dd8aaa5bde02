"""The map view's decisions that need no store: resolution by zoom, and when a pan needs no new hexagons."""
from layers.views import resolution_for_zoom, still_covers

LOADED = ("/api/v1/layers/incidents.pbf?resolution=9&from=2026-10-25T20%3A00%3A00&to=2026-11-22T20%3A00%3A00"
          "&bbox=103.40000%2C29.50000%2C103.60000%2C29.70000")


def test_a_small_pan_inside_the_loaded_padding_keeps_the_hexagons():
    new = LOADED.replace("103.40000", "103.41000")
    assert still_covers(LOADED, new, [[29.55, 103.45], [29.65, 103.55]])


def test_a_pan_beyond_the_padding_or_another_filter_loads_again():
    assert not still_covers(LOADED, LOADED, [[29.55, 103.45], [29.75, 103.55]])          # north of the box
    assert not still_covers(LOADED, LOADED.replace("resolution=9", "resolution=10"), [[29.55, 103.45], [29.65, 103.55]])
    assert not still_covers(LOADED, LOADED + "&category=theft", [[29.55, 103.45], [29.65, 103.55]])
    assert not still_covers(None, LOADED, [[29.55, 103.45], [29.65, 103.55]])


def test_resolution_follows_the_zoom():
    assert [resolution_for_zoom(z) for z in (9, 10, 11, 12, 13, 14, 17)] == [7, 7, 8, 9, 9, 10, 10]
