-- incident_cells computed afresh from every located incident, sorted so a station's time window is a few row groups.
CREATE OR REPLACE TABLE incident_cells AS
SELECT * FROM incident_cell_counts(NULL)
ORDER BY res, station_id, hour;
