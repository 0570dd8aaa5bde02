-- The incidents inside one cell (res 7-10) for a filter, newest first: id, time, category, status (no personal data).
SELECT id, occurred_at, category, status
FROM incidents
WHERE located AND occurred_at >= $from_ts AND occurred_at < $to_ts
  AND CASE $res WHEN 7 THEN h3_r7 WHEN 8 THEN h3_r8 WHEN 9 THEN h3_r9 WHEN 10 THEN h3_r10 END = $cell
  AND matches_filter(category, station_id, hour(occurred_at)::INTEGER, CAST($categories AS VARCHAR[]),
                     CAST($stations AS VARCHAR[]), CAST($hours AS INTEGER[]))
  AND in_zones(community_id, grid_id, CAST($zones AS VARCHAR[]))
  AND in_scope(station_id, CAST($scope AS VARCHAR[]))
ORDER BY occurred_at DESC, id;
