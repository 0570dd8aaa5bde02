-- Located checkpoints in the caller's scope: ring, kind (station/post/point/vehicle) and lowest duty level staffed.
SELECT id, name, lat, lon, ring, kind, duty, station_id
FROM checkpoints
WHERE located AND in_scope(station_id, CAST($scope AS VARCHAR[]))
ORDER BY id;
