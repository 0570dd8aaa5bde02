-- Patrol minutes per hour of the day (0-23) in a window, for the caller's scope: patrol time against incidents by hour.
SELECT hour(hour)::INTEGER AS hour_of_day, sum(minutes) AS minutes
FROM patrol_presence
WHERE res = 10
  AND hour >= $from_ts AND hour < $to_ts
  AND (CAST($stations AS VARCHAR[]) IS NULL OR list_contains(CAST($stations AS VARCHAR[]), station_id))
  AND in_scope(station_id, CAST($scope AS VARCHAR[]))
GROUP BY hour_of_day
ORDER BY hour_of_day;
