-- Incidents per station jurisdiction the caller may see, for a period and categories (stations without incidents: 0).
WITH counts AS (
    SELECT station_id, count(*)::BIGINT AS incidents
    -- Every station counted (NULL for the stations list): the list only picks the rows shown below.
    FROM filtered_incidents($from_ts, $to_ts, $categories, NULL, $hours, $zones, $scope)
    WHERE station_id IS NOT NULL
    GROUP BY station_id
)
SELECT j.id AS station_id, j.name AS station_name, coalesce(c.incidents, 0)::BIGINT AS incidents
FROM jurisdictions j LEFT JOIN counts c ON c.station_id = j.id
WHERE j.level = 'station'
  AND in_scope(j.id, CAST($scope AS VARCHAR[]))
  AND (CAST($stations AS VARCHAR[]) IS NULL OR list_contains(CAST($stations AS VARCHAR[]), j.id))
ORDER BY incidents DESC, station_id;
