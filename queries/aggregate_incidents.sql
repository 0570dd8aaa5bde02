-- Located incidents of one ingest run (all when $run_id is NULL) at resolution $res → appended incident_cells rows.
INSERT INTO incident_cells
SELECT * FROM incident_cell_counts($res, $run_id)
ORDER BY station_id, hour;
