-- Incidents per day or week ($bucket) for a filter; buckets that start before the period (partial) are left out.
SELECT date_trunc($bucket, occurred_at)::DATE AS bucket, count(*)::BIGINT AS incidents
FROM filtered_incidents($from_ts, $to_ts, $categories, $stations, $hours, $zones, $scope)
WHERE date_trunc($bucket, occurred_at) >= $from_ts
GROUP BY bucket
ORDER BY bucket;
