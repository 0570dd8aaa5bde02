-- Incidents of one ingest run → additive rows of incident_cells at every map resolution.
INSERT INTO incident_cells
SELECT r.res, i.station_id, date_trunc('hour', i.occurred_at) AS hour, i.category,
       h3_parent(i.h3_r15, r.res) AS cell, count(*)::INTEGER AS incidents
FROM incidents i, (SELECT unnest($resolutions) AS res) r
WHERE i.run_id = $run_id AND i.located
GROUP BY ALL
ORDER BY r.res, i.station_id, hour, cell;
