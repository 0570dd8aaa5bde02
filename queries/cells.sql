-- Incidents per H3 cell (res 7-10, hour-aligned period) from the aggregates; NULL lists mean "all".
SELECT cell, sum(incidents)::BIGINT AS incidents
FROM incident_cells
WHERE res = $res
  AND hour >= $from_ts AND hour < $to_ts
  AND (CAST($categories AS VARCHAR[]) IS NULL OR list_contains(CAST($categories AS VARCHAR[]), category))
  AND (CAST($stations AS VARCHAR[]) IS NULL OR list_contains(CAST($stations AS VARCHAR[]), station_id))
  AND (CAST($hours AS INTEGER[]) IS NULL OR list_contains(CAST($hours AS INTEGER[]), CAST(hour(hour) AS INTEGER)))
GROUP BY cell
ORDER BY incidents DESC, cell;
