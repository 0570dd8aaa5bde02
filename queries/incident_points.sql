-- Located incidents of a filter with their time (for per-incident modelled reach), in the caller's scope.
SELECT id, occurred_at, lat, lon, station_id
FROM incidents
WHERE located
  AND occurred_at >= $from_ts AND occurred_at < $to_ts
  AND matches_filter(category, station_id, hour(occurred_at)::INTEGER, CAST($categories AS VARCHAR[]),
                     CAST($stations AS VARCHAR[]), CAST($hours AS INTEGER[]))
  AND in_zones(community_id, grid_id, CAST($zones AS VARCHAR[]))
  AND in_scope(station_id, CAST($scope AS VARCHAR[]))
ORDER BY occurred_at;
