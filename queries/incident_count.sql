-- Number of incidents (located or not) for a filter: the KPI tiles' figure.
SELECT count(*)::BIGINT AS incidents
FROM filtered_incidents($from_ts, $to_ts, $categories, $stations, $hours, $zones, $scope);
