-- Incidents per station jurisdiction the caller may see, for a period and categories (stations without incidents: 0).
WITH counts AS (
    SELECT station_id, count(*)::BIGINT AS incidents
    FROM incidents
    WHERE occurred_at >= $from_ts AND occurred_at < $to_ts
      AND station_id IS NOT NULL
      AND matches_filter(category, station_id, hour(occurred_at)::INTEGER, CAST($categories AS VARCHAR[]),
                         NULL, CAST($hours AS INTEGER[]))
      AND in_zones(community_id, grid_id, CAST($zones AS VARCHAR[]))
      AND in_scope(station_id, CAST($scope AS VARCHAR[]))
    GROUP BY station_id
)
SELECT j.id AS station_id, j.name AS station_name, coalesce(c.incidents, 0)::BIGINT AS incidents
FROM jurisdictions j LEFT JOIN counts c ON c.station_id = j.id
WHERE j.level = 'station'
  AND in_scope(j.id, CAST($scope AS VARCHAR[]))
  AND (CAST($stations AS VARCHAR[]) IS NULL OR list_contains(CAST($stations AS VARCHAR[]), j.id))
ORDER BY incidents DESC, station_id;
