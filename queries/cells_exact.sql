-- Positions of the located incidents of a to-the-second period (with how many share each): export.py counts them per cell at resolution $res, any of 0-15.
SELECT lat, lon, count(*)::BIGINT AS incidents
FROM incidents
WHERE located AND $res BETWEEN 0 AND 15
  AND occurred_at >= $from_ts AND occurred_at < $to_ts
  AND (CAST($categories AS VARCHAR[]) IS NULL OR list_contains(CAST($categories AS VARCHAR[]), category))
  AND (CAST($stations AS VARCHAR[]) IS NULL OR list_contains(CAST($stations AS VARCHAR[]), station_id))
GROUP BY lat, lon;
