-- Located incidents of one ingest run (all runs when $run_id is NULL) → additive incident_cells rows at res 7-10.
INSERT INTO incident_cells
WITH rows AS (
    SELECT station_id, date_trunc('hour', occurred_at) AS hour, category, h3_r7, h3_r8, h3_r9, h3_r10
    FROM incidents
    WHERE located AND ($run_id IS NULL OR run_id = $run_id)
)
SELECT 7, station_id, hour, category, h3_r7, count(*) FROM rows GROUP BY ALL
UNION ALL SELECT 8, station_id, hour, category, h3_r8, count(*) FROM rows GROUP BY ALL
UNION ALL SELECT 9, station_id, hour, category, h3_r9, count(*) FROM rows GROUP BY ALL
UNION ALL SELECT 10, station_id, hour, category, h3_r10, count(*) FROM rows GROUP BY ALL;
