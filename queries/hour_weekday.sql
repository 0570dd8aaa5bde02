-- Incidents per (ISO weekday 1-7, hour 0-23) for a filter: the 高发时段 matrix.
SELECT isodow(occurred_at)::INTEGER AS weekday, hour(occurred_at)::INTEGER AS hour, count(*)::BIGINT AS incidents
FROM filtered_incidents($from_ts, $to_ts, $categories, $stations, $hours, $zones, $scope)
GROUP BY ALL
ORDER BY weekday, hour;
