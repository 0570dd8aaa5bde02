-- Incidents per H3 cell at any resolution and to-the-second period, counted from the incidents table.
SELECT h3_parent(h3_r15, $res) AS cell, count(*)::BIGINT AS incidents
FROM incidents
WHERE located
  AND occurred_at >= $from_ts AND occurred_at < $to_ts
  AND (CAST($categories AS VARCHAR[]) IS NULL OR list_contains(CAST($categories AS VARCHAR[]), category))
  AND (CAST($stations AS VARCHAR[]) IS NULL OR list_contains(CAST($stations AS VARCHAR[]), station_id))
GROUP BY cell
ORDER BY incidents DESC, cell;
