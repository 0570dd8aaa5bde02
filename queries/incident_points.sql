-- Located incidents of a filter with their time (for per-incident modelled reach), in the caller's scope.
SELECT id, occurred_at, lat, lon, station_id
FROM filtered_incidents($from_ts, $to_ts, $categories, $stations, $hours, $zones, $scope)
WHERE located
ORDER BY occurred_at;
