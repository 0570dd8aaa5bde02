-- Incidents per canonical category for a filter, largest first.
SELECT category, count(*)::BIGINT AS incidents
FROM filtered_incidents($from_ts, $to_ts, $categories, $stations, $hours, $zones, $scope)
GROUP BY category
ORDER BY incidents DESC, category;
