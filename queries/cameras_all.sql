-- Located cameras in the caller's scope with what the map shows: kind, owner, status and the sector (fov/range filled by kind on ingest).
SELECT id, lat, lon, kind, owner, status, azimuth_deg, fov_deg, range_m, station_id
FROM cameras
WHERE located AND in_scope(station_id, CAST($scope AS VARCHAR[]))
ORDER BY id;
