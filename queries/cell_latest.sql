-- The latest incidents inside one cell (res 7-10) for a filter: id, time, category, status; no personal data.
SELECT id, occurred_at, category, status
FROM incidents
WHERE located AND occurred_at >= $from_ts AND occurred_at < $to_ts
  AND CASE $res WHEN 7 THEN h3_r7 WHEN 8 THEN h3_r8 WHEN 9 THEN h3_r9 WHEN 10 THEN h3_r10 END = $cell
  AND (CAST($categories AS VARCHAR[]) IS NULL OR list_contains(CAST($categories AS VARCHAR[]), category))
  AND (CAST($stations AS VARCHAR[]) IS NULL OR list_contains(CAST($stations AS VARCHAR[]), station_id))
  AND (CAST($hours AS INTEGER[]) IS NULL OR list_contains(CAST($hours AS INTEGER[]), CAST(hour(occurred_at) AS INTEGER)))
ORDER BY occurred_at DESC, id
LIMIT $limit;
