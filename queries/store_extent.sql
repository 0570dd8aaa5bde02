-- Extent (south, west, north, east) to frame the map: the caller's stations, or every loaded jurisdiction (rings excluded).
SELECT min(min_lat), min(min_lon), max(max_lat), max(max_lon)
FROM jurisdictions
WHERE level <> 'ring'
  AND (CAST($scope AS VARCHAR[]) IS NULL OR (level = 'station' AND list_contains(CAST($scope AS VARCHAR[]), id)));
