-- Patrol minutes per map cell (res 7-10) for a whole-hour window, time-of-day band and stations, in the caller's scope.
SELECT cell, sum(minutes) AS minutes
FROM patrol_presence
WHERE res = $res
  AND hour >= $from_ts AND hour < $to_ts
  AND (CAST($hours AS INTEGER[]) IS NULL OR list_contains(CAST($hours AS INTEGER[]), hour(hour)::INTEGER))
  AND (CAST($stations AS VARCHAR[]) IS NULL OR list_contains(CAST($stations AS VARCHAR[]), station_id))
  AND in_scope(station_id, CAST($scope AS VARCHAR[]))
GROUP BY cell
ORDER BY cell;
