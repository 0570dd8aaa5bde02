-- Incidents per day or week ($bucket) for a filter; buckets that start before the period (partial) are left out.
SELECT date_trunc($bucket, occurred_at)::DATE AS bucket, count(*)::BIGINT AS incidents
FROM incidents
WHERE occurred_at >= $from_ts AND occurred_at < $to_ts
  AND date_trunc($bucket, occurred_at) >= $from_ts
  AND matches_filter(category, station_id, hour(occurred_at)::INTEGER, CAST($categories AS VARCHAR[]),
                     CAST($stations AS VARCHAR[]), CAST($hours AS INTEGER[]))
  AND in_zones(community_id, grid_id, CAST($zones AS VARCHAR[]))
  AND in_scope(station_id, CAST($scope AS VARCHAR[]))
GROUP BY bucket
ORDER BY bucket;
