-- incident_cells started afresh with resolution $res of all located incidents (the others are appended after).
CREATE OR REPLACE TABLE incident_cells AS
SELECT * FROM incident_cell_counts($res, NULL)
ORDER BY station_id, hour;
