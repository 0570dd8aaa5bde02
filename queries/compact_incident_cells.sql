-- incident_cells merged to one row per key and sorted, so a station's time window is a few contiguous row groups.
CREATE OR REPLACE TABLE incident_cells AS
SELECT res::TINYINT AS res, station_id, hour, category, cell, sum(incidents)::INTEGER AS incidents
FROM incident_cells
GROUP BY ALL
ORDER BY res, station_id, hour;
