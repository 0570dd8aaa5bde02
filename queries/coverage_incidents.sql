-- Per map cell (res 7-10): incidents of the filter, those inside an online camera's sector, and inside any camera's.
SELECT CASE $res WHEN 7 THEN i.h3_r7 WHEN 8 THEN i.h3_r8 WHEN 9 THEN i.h3_r9 ELSE i.h3_r10 END AS cell,
       count(*)::BIGINT AS incidents,
       count(*) FILTER (WHERE c.online)::BIGINT AS covered_incidents,
       count(c.id)::BIGINT AS covered_any
FROM incidents i
LEFT JOIN incident_coverage c ON c.id = i.id
WHERE i.located
  AND i.occurred_at >= $from_ts AND i.occurred_at < $to_ts
  AND matches_filter(i.category, i.station_id, hour(i.occurred_at)::INTEGER, CAST($categories AS VARCHAR[]),
                     CAST($stations AS VARCHAR[]), CAST($hours AS INTEGER[]))
  AND in_zones(i.community_id, i.grid_id, CAST($zones AS VARCHAR[]))
  AND in_scope(i.station_id, CAST($scope AS VARCHAR[]))
GROUP BY cell
ORDER BY cell;
