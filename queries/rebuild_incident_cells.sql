-- All incidents → incident_cells, sorted so a station's time window is a few contiguous row groups.
CREATE OR REPLACE TABLE incident_cells AS
SELECT r.res::TINYINT AS res, i.station_id, date_trunc('hour', i.occurred_at) AS hour, i.category,
       h3_parent(i.h3_r15, r.res) AS cell, count(*)::INTEGER AS incidents
FROM incidents i, (SELECT unnest($resolutions) AS res) r
WHERE i.located
GROUP BY ALL
ORDER BY res, i.station_id, hour, cell;
