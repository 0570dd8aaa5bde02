-- One batch of located incidents with their cell at resolution $res (Arrow table cell_batch) → additive rows of incident_cells.
INSERT INTO incident_cells
SELECT $res AS res, station_id, hour, category, cell, count(*)::INTEGER AS incidents
FROM cell_batch
GROUP BY station_id, hour, category, cell
ORDER BY station_id, hour, cell;
