-- Located pings of patrol units (never persons) in a window, in the caller's scope, ordered by unit and time.
SELECT unit_id, unit_kind, ts, lat, lon, h3_r9 AS cell
FROM patrol_pings
WHERE located AND ts >= $from_ts AND ts < $to_ts
  AND in_scope(station_id, CAST($scope AS VARCHAR[]))
ORDER BY unit_id, ts;
