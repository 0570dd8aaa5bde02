-- Incidents per day or week ($bucket) for a filter; buckets that start before the period (partial) are left out.
SELECT date_trunc($bucket, occurred_at)::DATE AS bucket, count(*)::BIGINT AS incidents
FROM incidents
WHERE occurred_at >= $from_ts AND occurred_at < $to_ts
  AND date_trunc($bucket, occurred_at) >= $from_ts
  AND (CAST($categories AS VARCHAR[]) IS NULL OR list_contains(CAST($categories AS VARCHAR[]), category))
  AND (CAST($stations AS VARCHAR[]) IS NULL OR list_contains(CAST($stations AS VARCHAR[]), station_id))
  AND (CAST($hours AS INTEGER[]) IS NULL OR list_contains(CAST($hours AS INTEGER[]), CAST(hour(occurred_at) AS INTEGER)))
GROUP BY bucket
ORDER BY bucket;
