-- Extent (south, west, north, east) of the loaded jurisdictions (rings excluded), to frame the map.
SELECT min(min_lat), min(min_lon), max(max_lat), max(max_lon) FROM jurisdictions WHERE level <> 'ring';
