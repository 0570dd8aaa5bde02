-- Incidents per H3 cell (res 7-10, hour-aligned period) from the aggregates; NULL lists mean "all".
SELECT cell, sum(incidents)::BIGINT AS incidents
FROM incident_cells
WHERE res = $res
  AND hour >= $from_ts AND hour < $to_ts
  AND matches_filter(category, station_id, hour(hour)::INTEGER, CAST($categories AS VARCHAR[]),
                     CAST($stations AS VARCHAR[]), CAST($hours AS INTEGER[]))
  AND in_scope(station_id, CAST($scope AS VARCHAR[]))
GROUP BY cell
ORDER BY incidents DESC, cell;
