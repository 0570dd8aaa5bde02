-- Positions of the located incidents of a period (with how many share each), for cells at any resolution.
SELECT lat, lon, count(*)::BIGINT AS incidents
FROM filtered_incidents($from_ts, $to_ts, $categories, $stations, $hours, $zones, $scope)
WHERE located
GROUP BY lat, lon;
