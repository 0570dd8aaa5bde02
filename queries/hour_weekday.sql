-- Incidents per (ISO weekday 1-7, hour 0-23) for a filter: the 高发时段 matrix.
SELECT isodow(occurred_at)::INTEGER AS weekday, hour(occurred_at)::INTEGER AS hour, count(*)::BIGINT AS incidents
FROM incidents
WHERE occurred_at >= $from_ts AND occurred_at < $to_ts
  AND (CAST($categories AS VARCHAR[]) IS NULL OR list_contains(CAST($categories AS VARCHAR[]), category))
  AND (CAST($stations AS VARCHAR[]) IS NULL OR list_contains(CAST($stations AS VARCHAR[]), station_id))
  AND (CAST($hours AS INTEGER[]) IS NULL OR list_contains(CAST($hours AS INTEGER[]), CAST(hour(occurred_at) AS INTEGER)))
GROUP BY ALL
ORDER BY weekday, hour;
