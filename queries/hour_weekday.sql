-- Incidents per (ISO weekday 1-7, hour 0-23) for a filter: the 高发时段 matrix.
SELECT isodow(occurred_at)::INTEGER AS weekday, hour(occurred_at)::INTEGER AS hour, count(*)::BIGINT AS incidents
FROM incidents
WHERE occurred_at >= $from_ts AND occurred_at < $to_ts
  AND matches_filter(category, station_id, hour(occurred_at)::INTEGER, CAST($categories AS VARCHAR[]),
                     CAST($stations AS VARCHAR[]), CAST($hours AS INTEGER[]))
  AND in_zones(community_id, grid_id, CAST($zones AS VARCHAR[]))
  AND in_scope(station_id, CAST($scope AS VARCHAR[]))
GROUP BY ALL
ORDER BY weekday, hour;
