-- Rows of incident_cells at resolution $res merged to one per key and sorted, into incident_cells_compact.
INSERT INTO incident_cells_compact
SELECT res, station_id, hour, category, cell, sum(incidents)::INTEGER AS incidents
FROM incident_cells
WHERE res = $res
GROUP BY ALL
ORDER BY station_id, hour;
