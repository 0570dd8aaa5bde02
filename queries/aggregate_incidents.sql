-- Located incidents of one ingest run → additive incident_cells rows at res 7-10 (appended, unsorted).
INSERT INTO incident_cells SELECT * FROM incident_cell_counts($run_id);
