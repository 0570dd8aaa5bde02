-- Positions of the located incidents of a period (with how many share each), for cells at any resolution.
SELECT lat, lon, count(*)::BIGINT AS incidents
FROM incidents
WHERE located
  AND occurred_at >= $from_ts AND occurred_at < $to_ts
  AND (CAST($categories AS VARCHAR[]) IS NULL OR list_contains(CAST($categories AS VARCHAR[]), category))
  AND (CAST($stations AS VARCHAR[]) IS NULL OR list_contains(CAST($stations AS VARCHAR[]), station_id))
  AND (CAST($hours AS INTEGER[]) IS NULL OR list_contains(CAST($hours AS INTEGER[]), CAST(hour(occurred_at) AS INTEGER)))
GROUP BY lat, lon;
